"""A real alarm journal made to fail: triggers, installed through a second connection,
abort every write of an event or a record as a full disk would, until mended. (As root,
chmod does not stop writes; a trigger does, whoever runs the tests.)"""

from __future__ import annotations

import sqlite3
from pathlib import Path

_TABLES = ("events", "alarms")


class JournalFault:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail_commits(self) -> None:
        with sqlite3.connect(self.path) as db:
            for table in _TABLES:
                db.execute(
                    f"CREATE TRIGGER IF NOT EXISTS fail_{table} BEFORE INSERT ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'database or disk is full (test)'); END"
                )
        db.close()

    def mend(self) -> None:
        with sqlite3.connect(self.path) as db:
            for table in _TABLES:
                db.execute(f"DROP TRIGGER IF EXISTS fail_{table}")
        db.close()

    def committed(self) -> list[tuple[int, str, str]]:
        """(seq, alarm id, kind) of every journalled event, as another reader sees them."""
        with sqlite3.connect(self.path) as db:
            rows = db.execute("SELECT seq, alarm_id, kind FROM events ORDER BY seq").fetchall()
        db.close()
        return [(int(seq), str(alarm), str(kind)) for seq, alarm, kind in rows]
