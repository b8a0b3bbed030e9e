"""Batches a sink keeps rejecting, kept in a file instead of blocking the buffer.

One JSON line per batch in ``quarantine.jsonl``: when, the server's answer, and every
reading with all its fields, so that someone can see why and re-import them by hand.
The line is fsync'd before the batch leaves the buffer.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from collectors.readings import Reading

FILE_NAME = "quarantine.jsonl"


def reading_record(reading: Reading) -> dict[str, Any]:
    return {
        "site": reading.point.site,
        "tag": reading.point.tag,
        "value": reading.value,
        "ts": reading.ts,
        "quality": reading.quality.value,
        "reason": reading.reason.value,
    }


def quarantine_line(readings: Sequence[Reading], answer: str, at: float) -> str:
    record = {
        "quarantined_at": datetime.fromtimestamp(at, UTC).isoformat(),
        "answer": answer,
        "count": len(readings),
        "readings": [reading_record(r) for r in readings],
    }
    return json.dumps(record, ensure_ascii=False) + "\n"


def append_quarantine(path: Path, readings: Sequence[Reading], answer: str, at: float) -> None:
    line = quarantine_line(readings, answer, at)
    with path.open("a", encoding="utf-8") as file:
        file.write(line)
        file.flush()
        os.fsync(file.fileno())
