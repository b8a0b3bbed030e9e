"""The alarm journal: every alarm event, written durably before anyone is told of it.

SQLite in WAL mode with ``synchronous=FULL`` (``alerting.sqlite``): a commit has reached the
disk (fsync) when ``write`` returns, so an event survives ``kill -9`` and a power cut. Two
tables:

- ``events``: the history, one row per ``AlarmEvent``; ``seq`` is its AUTOINCREMENT key,
  so sequence numbers are never reused, even after pruning;
- ``alarms``: the current ``AlarmRecord`` of every alarm that ever left normal, updated in
  the same transaction as the events that changed it. After a restart the engine reloads
  the records not in normal: active alarms come back with their acknowledgement, shelving
  and out-of-service state;
- the 叫应 ledger's ``ledger_notices`` and ``answer_links`` (``alerting.ledgerstore``,
  reached as ``journal.ledger``).

Retention: events and ledger rows older than ``retention_days`` (at least 30, SAWS Order
No. 40) are pruned by ``prune``; current records are never pruned.

One connection, used from the event loop's thread only. Writes happen only when events
happen (one transaction per batch); history queries are indexed and limited.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any

from alerting import ledgerstore
from alerting.events import AlarmEvent, AlarmState, EventKind
from alerting.ledgerstore import LedgerStore
from alerting.sqlite import open_database, transaction
from alerting.statemachine import AlarmRecord
from config.catalog import PointKey
from config.vocabulary import AlarmType, Priority

MIN_RETENTION_DAYS = 30.0  # SAWS Order No. 40: records kept at least 30 days
DEFAULT_RETENTION_DAYS = 90.0
MAX_HISTORY_ROWS = 10_000
PRUNE_CHUNK = 5_000
SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    alarm_id TEXT NOT NULL,
    site TEXT NOT NULL,
    tag TEXT NOT NULL,
    hazard_source TEXT NOT NULL,
    alarm_type TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    priority TEXT NOT NULL,
    value REAL,
    value_is_bool INTEGER NOT NULL DEFAULT 0,
    limit_value REAL,
    user_name TEXT,
    comment TEXT,
    until REAL
);
CREATE INDEX IF NOT EXISTS events_ts ON events (ts);
CREATE INDEX IF NOT EXISTS events_alarm_ts ON events (alarm_id, ts);
CREATE INDEX IF NOT EXISTS events_site_ts ON events (site, ts);
CREATE TABLE IF NOT EXISTS alarms (
    alarm_id TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    tag TEXT NOT NULL,
    alarm_type TEXT NOT NULL,
    priority TEXT NOT NULL,
    hazard_source TEXT NOT NULL,
    state TEXT NOT NULL,
    active INTEGER NOT NULL,
    latching INTEGER NOT NULL,
    value REAL,
    value_is_bool INTEGER NOT NULL DEFAULT 0,
    limit_value REAL,
    raised_at REAL,
    acked_at REAL,
    acked_by TEXT,
    returned_at REAL,
    shelved_at REAL,
    shelved_by TEXT,
    shelved_until REAL,
    shelve_reason TEXT,
    removed_at REAL,
    removed_by TEXT,
    removed_reason TEXT,
    changed_at REAL,
    last_seq INTEGER NOT NULL DEFAULT 0
);
"""

_EVENT_COLUMNS = (
    "ts, alarm_id, site, tag, hazard_source, alarm_type, kind, state, priority, value, "
    "value_is_bool, limit_value, user_name, comment, until"
)
_RECORD_COLUMNS = (
    "alarm_id", "site", "tag", "alarm_type", "priority", "hazard_source", "state", "active",
    "latching", "value", "value_is_bool", "limit_value", "raised_at", "acked_at", "acked_by",
    "returned_at", "shelved_at", "shelved_by", "shelved_until", "shelve_reason", "removed_at",
    "removed_by", "removed_reason", "changed_at", "last_seq",
)


# The kinds that move an alarm's state (the notifier's records and notes only copy it).
_STATE_KINDS = tuple(
    kind for kind in EventKind
    if kind not in (EventKind.NOTE, EventKind.NOTIFIED, EventKind.NOTIFY_FAILED,
                    EventKind.ESCALATED)
)


class JournalError(Exception):
    """The journal cannot be opened or is not a hazgw alarm journal."""


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """Filters of a history query; every field left None matches everything."""

    since: float | None = None
    until: float | None = None
    site: str | None = None
    hazard_source: str | None = None
    tag: str | None = None
    alarm_id: str | None = None
    priorities: tuple[Priority, ...] = ()
    types: tuple[AlarmType, ...] = ()
    kinds: tuple[EventKind, ...] = ()
    before_seq: int | None = None  # paging: only events journalled before this one
    after_seq: int | None = None  # catching up (the park uplink): only events after this one
    limit: int = 500
    ascending: bool = False  # results are in seq order: newest journalled first by default


class AlarmJournal:
    def __init__(
        self, path: Path | str, *, retention_days: float = DEFAULT_RETENTION_DAYS
    ) -> None:
        if retention_days < MIN_RETENTION_DAYS:
            raise ValueError(
                f"alarm journal retention {retention_days:g} days is below the "
                f"{MIN_RETENTION_DAYS:g} days records must be kept (SAWS Order No. 40)"
            )
        self.path = Path(path)
        self.retention_days = retention_days
        try:
            self._db = open_database(self.path, file_mode=0o600, dir_mode=0o700)
            self._db.executescript(_SCHEMA)
            # The 叫应 ledger's tables: added to older journals without a version change,
            # since nothing that was there changes.
            self._db.executescript(ledgerstore.SCHEMA)
            self._check_version()
        except (OSError, sqlite3.Error) as error:
            raise JournalError(f"cannot open alarm journal {self.path}: {error}") from error
        self.writes = 0
        self.ledger = LedgerStore(self._db)

    def _check_version(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None:
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,)
            )
        elif row[0] != SCHEMA_VERSION:
            raise JournalError(
                f"{self.path} has alarm journal schema {row[0]}, this gateway writes "
                f"{SCHEMA_VERSION}"
            )

    # ------------------------------------------------------------------- writing

    def write(
        self, events: Sequence[AlarmEvent], records: Iterable[AlarmRecord] = ()
    ) -> list[AlarmEvent]:
        """Append ``events`` and store ``records`` in one durable transaction.

        Returns the events with their ``seq``. Raises ``sqlite3.Error`` if the commit fails
        (then nothing of the batch was written)."""
        written: list[AlarmEvent] = []
        last_seq: dict[str, int] = {}
        with transaction(self._db) as db:
            for event in events:
                cursor = db.execute(
                    f"INSERT INTO events ({_EVENT_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    _event_row(event),
                )
                seq = cursor.lastrowid
                assert seq is not None
                last_seq[event.alarm_id] = seq
                written.append(replace(event, seq=seq))
            rows = []
            for record in records:
                seq = last_seq.get(record.alarm_id, record.last_seq)
                rows.append(_record_row(replace(record, last_seq=seq)))
            if rows:
                placeholders = ", ".join("?" for _ in _RECORD_COLUMNS)
                db.executemany(
                    f"INSERT OR REPLACE INTO alarms ({', '.join(_RECORD_COLUMNS)}) "
                    f"VALUES ({placeholders})",
                    rows,
                )
        self.writes += 1
        return written

    # ------------------------------------------------------------------- reading

    def load_records(self) -> list[AlarmRecord]:
        """Every alarm not in normal, as it was at the last commit."""
        cursor = self._db.execute(
            f"SELECT {', '.join(_RECORD_COLUMNS)} FROM alarms WHERE state != ?",
            (AlarmState.NORMAL.value,),
        )
        return [_record_from_row(row) for row in cursor.fetchall()]

    def history(self, query: HistoryQuery) -> list[AlarmEvent]:
        where: list[str] = []
        args: list[Any] = []
        for column, value in (
            ("site", query.site),
            ("hazard_source", query.hazard_source),
            ("tag", query.tag),
            ("alarm_id", query.alarm_id),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if query.since is not None:
            where.append("ts >= ?")
            args.append(query.since)
        if query.until is not None:
            where.append("ts < ?")
            args.append(query.until)
        if query.before_seq is not None:
            where.append("seq < ?")
            args.append(query.before_seq)
        if query.after_seq is not None:
            where.append("seq > ?")
            args.append(query.after_seq)
        for column, values in (
            ("priority", query.priorities),
            ("alarm_type", query.types),
            ("kind", query.kinds),
        ):
            if values:
                where.append(f"{column} IN ({', '.join('?' for _ in values)})")
                args.extend(value.value for value in values)
        limit = max(1, min(query.limit, MAX_HISTORY_ROWS))
        order = "ASC" if query.ascending else "DESC"
        sql = f"SELECT seq, {_EVENT_COLUMNS} FROM events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        # By seq, the order of the commits, and the key `before_seq` pages by: ordering by
        # ts while paging by seq skipped events whose time runs against their seq (the
        # notifier's own writes, a clock stepped back).
        sql += f" ORDER BY seq {order} LIMIT ?"
        args.append(limit)
        return [_event_from_row(row) for row in self._db.execute(sql, args).fetchall()]

    def kpi_events(
        self, since: float, until: float, *, lookback: float, limit: int
    ) -> list[AlarmEvent] | None:
        """What ``alerting.kpi.compute`` needs for ``[since, until)``, in seq order: every
        event from ``since - lookback`` on, and before that each alarm's last state change
        and last raise (the state it enters the window in, and since when it is active).
        None when more than ``limit`` events would be read: the period is too long."""
        cut = since - lookback
        kinds = [kind.value for kind in _STATE_KINDS]
        marks = ", ".join("?" for _ in kinds)
        # Two queries: an OR of the two conditions would scan the whole table.
        window = self._db.execute(
            f"SELECT seq, {_EVENT_COLUMNS} FROM events WHERE ts >= ? AND ts < ? LIMIT ?",
            (cut, until, limit + 1),
        ).fetchall()
        if len(window) > limit:
            return None
        # Per alarm (every alarm that ever left normal has a row in `alarms`), its latest
        # events before the cut through the (alarm_id, ts) index: a GROUP BY over the
        # whole history took seconds on a long journal.
        opening = self._db.execute(
            f"SELECT seq, {_EVENT_COLUMNS} FROM events WHERE seq IN ("
            "SELECT (SELECT e.seq FROM events e WHERE e.alarm_id = a.alarm_id AND e.ts < ? "
            f"AND e.kind IN ({marks}) ORDER BY e.ts DESC, e.seq DESC LIMIT 1) FROM alarms a "
            "UNION SELECT (SELECT e.seq FROM events e WHERE e.alarm_id = a.alarm_id AND e.ts < ? "
            "AND e.kind = ? ORDER BY e.ts DESC, e.seq DESC LIMIT 1) FROM alarms a)",
            (cut, *kinds, cut, EventKind.RAISED.value),
        ).fetchall()
        if len(window) + len(opening) > limit:
            return None
        rows = sorted([*opening, *window], key=lambda row: int(row[0]))
        return [_event_from_row(row) for row in rows]

    def count(self) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM events").fetchone()
        return int(row[0])

    # ------------------------------------------------------------------- retention

    def prune(self, now: float) -> int:
        """Delete events older than the retention period, in short transactions so that
        alarm writes never wait long. Returns how many were deleted."""
        cutoff = now - self.retention_days * 86400.0
        deleted = 0
        while True:
            with transaction(self._db) as db:
                cursor = db.execute(
                    "DELETE FROM events WHERE seq IN "
                    "(SELECT seq FROM events WHERE ts < ? ORDER BY ts LIMIT ?)",
                    (cutoff, PRUNE_CHUNK),
                )
            deleted += cursor.rowcount
            if cursor.rowcount < PRUNE_CHUNK:
                break
        with transaction(self._db) as db:
            deleted += ledgerstore.prune(db, cutoff)
        return deleted

    # ------------------------------------------------------------------- lifecycle

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> AlarmJournal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


# ------------------------------------------------------------------------ row mapping


def _value_columns(value: float | bool | None) -> tuple[float | None, int]:
    if isinstance(value, bool):
        return (1.0 if value else 0.0), 1
    return value, 0


def _value_from(value: float | None, is_bool: int) -> float | bool | None:
    if value is None:
        return None
    return bool(value) if is_bool else float(value)


def _event_row(event: AlarmEvent) -> tuple[Any, ...]:
    value, is_bool = _value_columns(event.value)
    return (
        event.ts,
        event.alarm_id,
        event.point.site,
        event.point.tag,
        event.hazard_source,
        event.alarm_type.value,
        event.kind.value,
        event.state.value,
        event.priority.value,
        value,
        is_bool,
        event.limit,
        event.user,
        event.comment,
        event.until,
    )


def _event_from_row(row: Sequence[Any]) -> AlarmEvent:
    (seq, ts, alarm_id, site, tag, hazard_source, alarm_type, kind, state, priority, value,
     is_bool, limit, user, comment, until) = row
    return AlarmEvent(
        alarm_id=alarm_id,
        point=PointKey(site, tag),
        alarm_type=AlarmType(alarm_type),
        kind=EventKind(kind),
        state=AlarmState(state),
        priority=Priority(priority),
        ts=ts,
        value=_value_from(value, is_bool),
        limit=limit,
        user=user,
        comment=comment,
        seq=seq,
        hazard_source=hazard_source,
        until=until,
    )


def _record_row(record: AlarmRecord) -> tuple[Any, ...]:
    value, is_bool = _value_columns(record.value)
    return (
        record.alarm_id,
        record.point.site,
        record.point.tag,
        record.alarm_type.value,
        record.priority.value,
        record.hazard_source,
        record.state.value,
        int(record.active),
        int(record.latching),
        value,
        is_bool,
        record.limit,
        record.raised_at,
        record.acked_at,
        record.acked_by,
        record.returned_at,
        record.shelved_at,
        record.shelved_by,
        record.shelved_until,
        record.shelve_reason,
        record.removed_at,
        record.removed_by,
        record.removed_reason,
        record.changed_at,
        record.last_seq,
    )


def _record_from_row(row: Sequence[Any]) -> AlarmRecord:
    data = dict(zip(_RECORD_COLUMNS, row, strict=True))
    return AlarmRecord(
        alarm_id=data["alarm_id"],
        point=PointKey(data["site"], data["tag"]),
        alarm_type=AlarmType(data["alarm_type"]),
        priority=Priority(data["priority"]),
        hazard_source=data["hazard_source"],
        state=AlarmState(data["state"]),
        active=bool(data["active"]),
        latching=bool(data["latching"]),
        value=_value_from(data["value"], data["value_is_bool"]),
        limit=data["limit_value"],
        raised_at=data["raised_at"],
        acked_at=data["acked_at"],
        acked_by=data["acked_by"],
        returned_at=data["returned_at"],
        shelved_at=data["shelved_at"],
        shelved_by=data["shelved_by"],
        shelved_until=data["shelved_until"],
        shelve_reason=data["shelve_reason"],
        removed_at=data["removed_at"],
        removed_by=data["removed_by"],
        removed_reason=data["removed_reason"],
        changed_at=data["changed_at"],
        last_seq=data["last_seq"],
    )
