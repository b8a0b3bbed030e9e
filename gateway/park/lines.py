"""Park rows and alarm events as InfluxDB line protocol, in the same series design as an
enterprise gateway writes (docs/storage.md), so a park's database reads like an
enterprise's. Pure: the same input always gives the same lines, which is what makes a
redelivered batch overwrite itself instead of doubling.
"""

from __future__ import annotations

from collections.abc import Iterable

from collectors.readings import Quality
from gateway.storage.lineprotocol import (
    ALARM_MEASUREMENT,
    READING_MEASUREMENT,
    LineProtocolError,
    format_float,
    quote_string,
    series_key,
    timestamp_ns,
)
from gateway.uplink.envelope import EventRecord, Row


def row_lines(code: str, rows: Iterable[Row]) -> tuple[list[str], int]:
    """Lines for ``rows`` of enterprise ``code``, and how many rows cannot be lines."""
    lines: list[str] = []
    bad = 0
    for row in rows:
        tags = {"kind": row.kind, "quality": row.quality.value, "site": code, "tag": row.tag}
        if row.source:
            tags["source"] = row.source
        try:
            key = series_key(READING_MEASUREMENT, tags)
        except LineProtocolError:
            bad += 1
            continue
        fields = []
        if row.value is not None:
            number = format_float(row.value)
            if number is not None:
                fields.append(f"value={number}")
        if row.quality is not Quality.GOOD:
            fields.append(f"reason={quote_string(row.reason.value)}")
        if not fields:
            bad += 1
            continue
        lines.append(f"{key} {','.join(fields)} {timestamp_ns(row.ts)}")
    return lines, bad


def event_line(event: EventRecord) -> str:
    """One alarm event; the timestamp carries ``seq % 1000`` below the microsecond, as at
    the enterprise, so that (enterprise, sequence) names one point."""
    tags = {
        "event": event.kind,
        "priority": event.priority,
        "site": event.enterprise,
        "tag": event.tag,
        "type": event.alarm_type,
    }
    if event.source:
        tags["source"] = event.source
    fields = [
        f"alarm_id={quote_string(event.alarm_id)}",
        f"state={quote_string(event.state)}",
        f"seq={event.seq}i",
    ]
    for name, number in (("value", event.value), ("limit", event.limit)):
        if number is not None:
            text = format_float(number)
            if text is not None:
                fields.append(f"{name}={text}")
    for name, text in (("user", event.user), ("comment", event.comment)):
        if text is not None:
            fields.append(f"{name}={quote_string(text)}")
    ts = timestamp_ns(event.ts) + event.seq % 1000
    return f"{series_key(ALARM_MEASUREMENT, tags)} {','.join(fields)} {ts}"
