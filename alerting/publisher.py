"""The one writer of the alarm journal: commit first, then tell.

Every alarm event goes through ``AlarmPublisher.publish``: the engine's (raised,
acknowledged, shelved …) and the notifier's (notified, escalated, notify failed).

1. The events, and the alarm records they changed, are committed to the journal in one
   transaction, after any earlier batch still waiting for the journal: the journal's order
   (``seq``) is the order of ``publish`` calls.
2. If the commit fails (disk full, I/O error, the file locked by another process), the
   batch is kept for retry, the failure logged and counted, and ``healthy`` turns false
   (``/api/health`` shows it). ``retry`` — the engine's tick, twice a second — and every
   later ``publish`` try again. What is kept is bounded (``max_held`` events): beyond it
   the oldest are dropped, counted and logged, never silently.
3. Then the listeners are told: each event exactly once, with its ``seq``, in commit order.
   If the commit failed, they are told at once all the same, with ``seq`` 0: a full disk
   must never silence an alarm (the screens, the notifier and the 叫应 ladder go on), and
   the alarm component of the health page tells the operator that events wait for the
   disk. When such events are committed later they are journalled, not told again.

A listener may itself publish (the notifier records a notice it could not queue while it
takes an alarm in). That batch is committed at once, but it reaches the listeners only
after the batch being delivered has reached all of them, so that every listener hears
every event in commit order.

Everything runs on the event loop's thread; no locks.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from alerting.events import AlarmEvent
from alerting.journal import AlarmJournal
from alerting.statemachine import AlarmRecord
from collectors.bounded import DropOldestQueue

log = logging.getLogger(__name__)

Listener = Callable[[Sequence[AlarmEvent]], None]

DEFAULT_MAX_HELD = 100_000


@dataclass(slots=True)
class PublisherStats:
    committed: int = 0  # events journalled and handed to the listeners
    journal_errors: int = 0  # failed commits (each retry that fails counts)
    dropped: int = 0  # events given up because too many waited for a failing journal
    listener_errors: int = 0


class AlarmPublisher:
    """Commits alarm events to ``journal``, keeps what it could not commit, then tells the
    listeners. ``max_held``: how many events may wait for a failing journal."""

    def __init__(self, journal: AlarmJournal, *, max_held: int = DEFAULT_MAX_HELD) -> None:
        if max_held < 1:
            raise ValueError("max_held must be at least 1")
        self.journal = journal
        self.max_held = max_held
        self.stats = PublisherStats()
        self._listeners: list[Listener] = []
        # Events the journal refused, oldest first: every one of them was told already.
        self._held_events: DropOldestQueue[AlarmEvent] = DropOldestQueue(max_held)
        self._held_records: dict[str, AlarmRecord] = {}  # newest record per alarm
        self._undelivered: deque[list[AlarmEvent]] = deque()  # committed, not yet told
        self._delivering = False
        self._failing = False

    # ----------------------------------------------------------------- listeners

    def add_listener(self, listener: Listener) -> None:
        """``listener(events)`` is called with every batch of events after the journal has
        committed it. It must not block; a listener that raises is logged and counted, and
        the others are told all the same."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    # ------------------------------------------------------------------- writing

    def publish(
        self, events: Sequence[AlarmEvent], records: Iterable[AlarmRecord] = ()
    ) -> list[AlarmEvent]:
        """Journal ``events`` and ``records``, then tell the listeners.

        Returns this batch's events as committed (with their ``seq``); if the journal
        failed, as given (``seq`` 0): the listeners hear them at once all the same, and they
        are held to be committed by a later ``publish`` or ``retry``. Never raises for a
        journal failure."""
        batch = list(events)
        for record in records:
            self._held_records[record.alarm_id] = record
        if not batch and not self._held_events and not self._held_records:
            return []
        told = len(self._held_events)
        written = self._commit(batch)
        if written is None:
            # Not durable yet, but an alarm nobody hears is worse than one not yet on disk.
            if batch:
                self._undelivered.append(batch)
            self._deliver()
            return batch
        self._deliver()
        return written[told:]

    def retry(self) -> bool:
        """Commit what is held, if anything, and tell the listeners. True when nothing is
        held any more."""
        if (self._held_events or self._held_records) and self._commit([]) is not None:
            self._deliver()
        return self.healthy

    def prune(self, now: float) -> int:
        """Delete journalled events older than the journal's retention. Raises
        ``sqlite3.Error``: the caller tries again later."""
        return self.journal.prune(now)

    def _commit(self, batch: list[AlarmEvent]) -> list[AlarmEvent] | None:
        """Write what is held, then ``batch``, in one transaction. On success queue for
        delivery what the listeners have not heard (``batch``: the held events were told
        when their commit failed); on failure hold ``batch`` for the next try."""
        told = len(self._held_events)
        events = [*self._held_events, *batch]
        try:
            written = self.journal.write(events, self._held_records.values())
        except sqlite3.Error as error:
            self.stats.journal_errors += 1
            log.error(
                "alarm journal: commit failed (%s); %d event(s) held for retry (shown, not yet "
                "journalled)",
                error,
                len(events),
                exc_info=not self._failing,  # the traceback once per outage, not per retry
            )
            self._failing = True
            self._hold(batch)
            return None
        if self._failing:
            self._failing = False
            log.warning("alarm journal: committing again; %d held event(s) journalled", len(events))
        self._held_events.clear()
        self._held_records.clear()
        self.stats.committed += len(written)
        fresh = written[told:]
        if fresh:
            self._undelivered.append(fresh)
        return written

    def _hold(self, batch: list[AlarmEvent]) -> None:
        overflow = self._held_events.extend(batch)
        if overflow <= 0:
            return
        self.stats.dropped += overflow
        log.error(
            "alarm journal: %d event(s) dropped so far, shown but never journalled: more than "
            "%d waited for the failing journal",
            self.stats.dropped,
            self.max_held,
        )

    # ------------------------------------------------------------------ telling

    def _deliver(self) -> None:
        if self._delivering:
            return  # a listener published: the loop below delivers it after this batch
        self._delivering = True
        try:
            while self._undelivered:
                batch = self._undelivered.popleft()
                for listener in list(self._listeners):
                    try:
                        listener(batch)
                    except Exception:  # a listener's bug must not stop the others: counted
                        self.stats.listener_errors += 1
                        log.exception(
                            "alarm listener %r failed on %d event(s)", listener, len(batch)
                        )
        finally:
            self._delivering = False

    # ------------------------------------------------------------------- health

    @property
    def held(self) -> int:
        """Events waiting for the journal: shown, not yet durable."""
        return len(self._held_events)

    @property
    def healthy(self) -> bool:
        return not self._held_events and not self._held_records
