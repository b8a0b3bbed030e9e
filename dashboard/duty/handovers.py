"""The handover book (交接班记录): signed records that nobody can change afterwards.

SQLite (``<state>/handovers.db``, durable settings of ``alerting.sqlite``). Two guards make
a record permanent once written:

- triggers refuse every UPDATE and DELETE on the table, whoever runs the statement (the
  gateway, the ``sqlite3`` shell): a wrong record is corrected by a new entry of kind
  ``correction`` that points at it, never by editing it;
- each record carries the SHA-256 of its own content and of the previous record's hash (a
  chain): a row changed behind SQLite's back (triggers dropped, file edited) breaks the
  chain at that row, and ``verify`` names it.

One connection, used from the event loop's thread only; a handover is written a few times
a day.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any

from alerting.sqlite import open_database, transaction

GENESIS = "0" * 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS handovers (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    corrects INTEGER REFERENCES handovers (id),
    shift TEXT NOT NULL,
    period_start REAL NOT NULL,
    period_end REAL NOT NULL,
    outgoing TEXT NOT NULL,
    outgoing_signed_at REAL NOT NULL,
    incoming TEXT,
    incoming_signed_at REAL,
    notes TEXT NOT NULL,
    open_items TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS handovers_corrects ON handovers (corrects);
CREATE TRIGGER IF NOT EXISTS handovers_no_update BEFORE UPDATE ON handovers
BEGIN SELECT RAISE(ABORT, 'handover records cannot be changed; add a correction'); END;
CREATE TRIGGER IF NOT EXISTS handovers_no_delete BEFORE DELETE ON handovers
BEGIN SELECT RAISE(ABORT, 'handover records cannot be deleted'); END;
"""
_COLUMNS = (
    "id, kind, corrects, shift, period_start, period_end, outgoing, outgoing_signed_at, "
    "incoming, incoming_signed_at, notes, open_items, prev_hash, hash"
)


class EntryKind(StrEnum):
    HANDOVER = "handover"  # 交接班: both officers signed
    CORRECTION = "correction"  # 更正: a later note on an earlier record, signed by its writer


class HandoverError(Exception):
    """The handover book could not be read or written (the message says which file)."""


@dataclass(frozen=True, slots=True)
class HandoverDraft:
    """What is written: everything but the id and the hashes."""

    kind: EntryKind
    shift: str
    period_start: float
    period_end: float
    outgoing: str  # 交班人 (for a correction: its writer)
    outgoing_signed_at: float
    notes: str
    open_items: dict[str, Any]
    incoming: str | None = None  # 接班人
    incoming_signed_at: float | None = None
    corrects: int | None = None


@dataclass(frozen=True, slots=True)
class HandoverRecord(HandoverDraft):
    id: int = 0
    prev_hash: str = GENESIS
    hash: str = ""


def content_hash(record_id: int, draft: HandoverDraft, prev_hash: str) -> str:
    """SHA-256 over the record's id, content and the previous hash, as canonical JSON."""
    body = {k: v for k, v in asdict(draft).items() if k not in ("id", "prev_hash", "hash")}
    body["kind"] = str(draft.kind)
    body["id"] = record_id
    body["prev_hash"] = prev_hash
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class HandoverBook:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._db = open_database(path, file_mode=0o600, dir_mode=0o700)
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as error:
            raise HandoverError(f"cannot open the handover book {path}: {error}") from error

    def add(self, draft: HandoverDraft) -> HandoverRecord:
        """Write ``draft`` as the next record (durably, before this returns)."""
        try:
            with transaction(self._db) as db:
                if draft.corrects is not None and self._row(draft.corrects) is None:
                    raise HandoverError(f"no handover record {draft.corrects} to correct")
                last = db.execute("SELECT id, hash FROM handovers ORDER BY id DESC LIMIT 1")
                row = last.fetchone()
                record_id = (row[0] + 1) if row else 1
                prev_hash = row[1] if row else GENESIS
                record = HandoverRecord(
                    **asdict(draft) | {"kind": draft.kind},
                    id=record_id,
                    prev_hash=prev_hash,
                    hash=content_hash(record_id, draft, prev_hash),
                )
                db.execute(
                    f"INSERT INTO handovers ({_COLUMNS}) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    _row_of(record),
                )
        except sqlite3.Error as error:
            raise HandoverError(
                f"cannot write to the handover book {self.path}: {error}"
            ) from error
        return record

    def get(self, record_id: int) -> HandoverRecord | None:
        row = self._row(record_id)
        return _record_of(row) if row is not None else None

    def _row(self, record_id: int) -> Sequence[Any] | None:
        cursor = self._db.execute(f"SELECT {_COLUMNS} FROM handovers WHERE id = ?", (record_id,))
        row: Sequence[Any] | None = cursor.fetchone()
        return row

    def recent(self, limit: int = 50, before: int | None = None) -> list[HandoverRecord]:
        """Newest first; ``before`` pages back from an id (exclusive)."""
        cursor = self._db.execute(
            f"SELECT {_COLUMNS} FROM handovers WHERE id < ? ORDER BY id DESC LIMIT ?",
            (before if before is not None else 2**62, limit),
        )
        return [_record_of(row) for row in cursor.fetchall()]

    def corrections_of(self, record_id: int) -> list[HandoverRecord]:
        cursor = self._db.execute(
            f"SELECT {_COLUMNS} FROM handovers WHERE corrects = ? ORDER BY id", (record_id,)
        )
        return [_record_of(row) for row in cursor.fetchall()]

    def last_handover(self) -> HandoverRecord | None:
        cursor = self._db.execute(
            f"SELECT {_COLUMNS} FROM handovers WHERE kind = ? ORDER BY id DESC LIMIT 1",
            (EntryKind.HANDOVER.value,),
        )
        row = cursor.fetchone()
        return _record_of(row) if row is not None else None

    def verify(self) -> int | None:
        """The id of the first record whose hash does not match its content or whose link
        to the previous record is broken; None when the whole book is intact."""
        prev = GENESIS
        for row in self._db.execute(f"SELECT {_COLUMNS} FROM handovers ORDER BY id"):
            record = _record_of(row)
            if record.prev_hash != prev or record.hash != content_hash(
                record.id, record, record.prev_hash
            ):
                return record.id
            prev = record.hash
        return None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> HandoverBook:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def _row_of(record: HandoverRecord) -> tuple[Any, ...]:
    return (
        record.id, record.kind.value, record.corrects, record.shift, record.period_start,
        record.period_end, record.outgoing, record.outgoing_signed_at, record.incoming,
        record.incoming_signed_at, record.notes,
        json.dumps(record.open_items, ensure_ascii=False, sort_keys=True),
        record.prev_hash, record.hash,
    )


def _record_of(row: Sequence[Any]) -> HandoverRecord:
    return HandoverRecord(
        id=row[0], kind=EntryKind(row[1]), corrects=row[2], shift=row[3], period_start=row[4],
        period_end=row[5], outgoing=row[6], outgoing_signed_at=row[7], incoming=row[8],
        incoming_signed_at=row[9], notes=row[10], open_items=json.loads(row[11]),
        prev_hash=row[12], hash=row[13],
    )
