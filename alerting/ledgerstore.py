"""The 叫应 ledger's rows in the alarm journal's SQLite file (same file, same retention).

Two tables beside the journal's events:

- ``ledger_notices``: one row per notice per channel per alarm, written when the delivery
  ended (sent, or given up on after its retries);
- ``answer_links``: one row per acknowledgement through a notice's link. Its key is the
  token's nonce, so the row is also what makes a link single-use: a second use finds it.

Both are pruned with the events (``AlarmJournal.prune``). A write failure raises
``LedgerError`` for the caller to log and count; the ledger never stops an alarm.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from alerting.ledger import LinkAnswer, NoticeOutcome
from alerting.sqlite import transaction
from config.vocabulary import Priority

MAX_LEDGER_ROWS = 10_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger_notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    alarm_id TEXT NOT NULL,
    priority TEXT NOT NULL,
    route TEXT NOT NULL,
    level INTEGER NOT NULL,
    level_name TEXT NOT NULL,
    channel TEXT NOT NULL,
    channel_kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    sent INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    error TEXT,
    due_at REAL,
    deadline REAL,
    event_seq INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ledger_notices_alarm_ts ON ledger_notices (alarm_id, ts);
CREATE INDEX IF NOT EXISTS ledger_notices_ts ON ledger_notices (ts);
CREATE INDEX IF NOT EXISTS ledger_notices_seq ON ledger_notices (event_seq);
CREATE TABLE IF NOT EXISTS answer_links (
    nonce TEXT PRIMARY KEY,
    ts REAL NOT NULL,
    alarm_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    route TEXT NOT NULL,
    level INTEGER NOT NULL,
    recipient TEXT NOT NULL,
    event_seq INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS answer_links_alarm ON answer_links (alarm_id, ts);
"""

_NOTICE_COLUMNS = (
    "ts, alarm_id, priority, route, level, level_name, channel, channel_kind, recipient, "
    "sent, attempts, error, due_at, deadline, event_seq"
)
_LINK_COLUMNS = "nonce, ts, alarm_id, user_name, route, level, recipient, event_seq"


class LedgerError(Exception):
    """A ledger row could not be written."""


class LinkUsed(Exception):
    """The link's token was used before."""


class LedgerStore:
    """Reads and writes the ledger's tables on the journal's connection (the event loop's
    thread only, like the journal)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self.writes = 0
        self.errors = 0  # writes that failed (health: ``ledger_errors`` of the alarms)

    # ------------------------------------------------------------------- writing

    def record_notices(self, outcomes: Sequence[NoticeOutcome]) -> None:
        """One durable transaction; raises ``LedgerError`` when it fails."""
        if not outcomes:
            return
        placeholders = ", ".join("?" for _ in range(15))
        try:
            with transaction(self._db) as db:
                db.executemany(
                    f"INSERT INTO ledger_notices ({_NOTICE_COLUMNS}) VALUES ({placeholders})",
                    [_notice_row(outcome) for outcome in outcomes],
                )
        except sqlite3.Error as error:
            self.errors += 1
            raise LedgerError(f"cannot record notices in the ledger: {error}") from error
        self.writes += 1

    def is_used(self, nonce: str) -> LinkAnswer | None:
        row = self._db.execute(
            f"SELECT {_LINK_COLUMNS} FROM answer_links WHERE nonce = ?", (nonce,)
        ).fetchone()
        return None if row is None else _link_from_row(row)

    def record_link_answer(self, answer: LinkAnswer) -> None:
        """Mark the link used; raises ``LinkUsed`` if it was (the nonce is the key, so two
        requests racing for one link cannot both win), ``LedgerError`` on a failing file."""
        try:
            with transaction(self._db) as db:
                db.execute(
                    f"INSERT INTO answer_links ({_LINK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        answer.nonce, answer.ts, answer.alarm_id, answer.user, answer.route,
                        answer.level, answer.recipient, answer.event_seq,
                    ),
                )
        except sqlite3.IntegrityError as error:
            raise LinkUsed(answer.nonce) from error
        except sqlite3.Error as error:
            self.errors += 1
            raise LedgerError(f"cannot record the link answer: {error}") from error
        self.writes += 1

    # ------------------------------------------------------------------- reading

    def notices(
        self,
        alarm_id: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = MAX_LEDGER_ROWS,
    ) -> list[NoticeOutcome]:
        where, args = _filters(alarm_id, since, until)
        args.append(max(1, min(limit, MAX_LEDGER_ROWS)))
        rows = self._db.execute(
            f"SELECT {_NOTICE_COLUMNS} FROM ledger_notices{where} ORDER BY ts, id LIMIT ?", args
        ).fetchall()
        return [_notice_from_row(row) for row in rows]

    def notices_of_events(self, seqs: Sequence[int]) -> dict[int, list[NoticeOutcome]]:
        """The rows of the NOTIFIED / NOTIFY_FAILED events ``seqs`` (for the CSV)."""
        found: dict[int, list[NoticeOutcome]] = {}
        wanted = sorted({seq for seq in seqs if seq > 0})
        for start in range(0, len(wanted), 500):  # SQLite's bound-parameter limit
            chunk = wanted[start : start + 500]
            rows = self._db.execute(
                f"SELECT {_NOTICE_COLUMNS} FROM ledger_notices "
                f"WHERE event_seq IN ({', '.join('?' for _ in chunk)}) ORDER BY id",
                chunk,
            ).fetchall()
            for row in rows:
                outcome = _notice_from_row(row)
                found.setdefault(outcome.event_seq, []).append(outcome)
        return found

    def link_answers(
        self,
        alarm_id: str | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> list[LinkAnswer]:
        where, args = _filters(alarm_id, since, until)
        rows = self._db.execute(
            f"SELECT {_LINK_COLUMNS} FROM answer_links{where} ORDER BY ts LIMIT ?",
            [*args, MAX_LEDGER_ROWS],
        ).fetchall()
        return [_link_from_row(row) for row in rows]


def prune(db: sqlite3.Connection, cutoff: float) -> int:
    """Delete ledger rows older than ``cutoff`` (inside the caller's transaction). Links
    expire long before the retention period ends, so a pruned nonce cannot be reused."""
    deleted = db.execute("DELETE FROM ledger_notices WHERE ts < ?", (cutoff,)).rowcount
    deleted += db.execute("DELETE FROM answer_links WHERE ts < ?", (cutoff,)).rowcount
    return deleted


def _filters(
    alarm_id: str | None, since: float | None, until: float | None
) -> tuple[str, list[Any]]:
    where: list[str] = []
    args: list[Any] = []
    if alarm_id is not None:
        where.append("alarm_id = ?")
        args.append(alarm_id)
    if since is not None:
        where.append("ts >= ?")
        args.append(since)
    if until is not None:
        where.append("ts < ?")
        args.append(until)
    return (" WHERE " + " AND ".join(where) if where else ""), args


def _notice_row(outcome: NoticeOutcome) -> tuple[Any, ...]:
    return (
        outcome.ts, outcome.alarm_id, outcome.priority.value, outcome.route, outcome.level,
        outcome.level_name, outcome.channel, outcome.channel_kind, outcome.recipient,
        int(outcome.sent), outcome.attempts, outcome.error, outcome.due_at, outcome.deadline,
        outcome.event_seq,
    )


def _notice_from_row(row: Sequence[Any]) -> NoticeOutcome:
    (ts, alarm_id, priority, route, level, level_name, channel, kind, recipient, sent,
     attempts, error, due_at, deadline, event_seq) = row
    return NoticeOutcome(
        alarm_id=alarm_id, priority=Priority(priority), route=route, level=level,
        level_name=level_name, channel=channel, channel_kind=kind, recipient=recipient,
        ts=ts, sent=bool(sent), attempts=attempts, error=error, due_at=due_at,
        deadline=deadline, event_seq=event_seq,
    )


def _link_from_row(row: Sequence[Any]) -> LinkAnswer:
    nonce, ts, alarm_id, user, route, level, recipient, event_seq = row
    return LinkAnswer(nonce, alarm_id, ts, user, route, level, recipient, event_seq)
