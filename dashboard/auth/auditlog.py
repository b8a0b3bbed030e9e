"""The audit trail: who did what, when, from where. Its writes never stop the action.

An entry that cannot be written (a full disk) is counted in ``AuthStats.audit_failures``,
shown in ``/api/health``, and logged with the actions lost.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence

from alerting.events import AlarmEvent
from dashboard.auth import audit
from dashboard.auth.model import AuthStats
from dashboard.auth.store import AuditEntry, AuthStore

log = logging.getLogger(__name__)


class AuditTrail:
    def __init__(self, store: AuthStore, clock: Callable[[], float], stats: AuthStats) -> None:
        self.store = store
        self.clock = clock
        self.stats = stats

    def record(
        self,
        action: str,
        *,
        user: str | None,
        target: str | None = None,
        detail: str | None = None,
        address: str | None = None,
    ) -> None:
        self._write([AuditEntry(self.clock(), user, action, audit.clip(target),
                                audit.clip(detail), address)])

    def _write(self, entries: Sequence[AuditEntry]) -> None:
        try:
            self.store.audit(entries)
        except sqlite3.Error:
            # The action itself has happened (or must go on: an operator acknowledging an
            # alarm is not stopped by a full disk); the failure is loud and counted.
            self.stats.audit_failures += len(entries)
            log.exception("audit log write failed: %d entries lost (%s)", len(entries),
                          ", ".join(entry.action for entry in entries))

    def audit_log(
        self,
        limit: int = 200,
        *,
        before_id: int | None = None,
        user: str | None = None,
        action: str | None = None,
        since: float | None = None,
    ) -> list[AuditEntry]:
        return self.store.audit_entries(
            limit, before_id=before_id, user=user, action=action, since=since
        )

    def alarm_listener(self, events: Sequence[AlarmEvent]) -> None:
        """An ``AlarmEngine`` listener: every alarm event made by a person into the audit
        log (``engine.add_listener(auth.alarm_listener)``)."""
        entries = [
            AuditEntry(
                ts=event.ts,
                user=event.user,
                action=audit.ALARM_ACTIONS[event.kind],
                target=event.alarm_id,
                detail=audit.clip(event.comment),
            )
            for event in events
            if event.user is not None and event.kind in audit.ALARM_ACTIONS
        ]
        self._write(entries)
