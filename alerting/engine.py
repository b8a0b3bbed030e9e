"""The alarm engine: readings in, journalled alarm events out.

Wiring, in the gateway::

    journal = AlarmJournal(path, retention_days=90)     # SQLite, WAL, fsync per commit
    engine = AlarmEngine(catalog, journal)              # recovers active alarms from it
    engine.add_listener(hub.accept_events)              # websockets; also storage, notifier
    notifier = Notifier(settings, catalog, engine.publisher)  # one writer of the journal
    pipeline = Pipeline(observers=[live, engine, hub], buffers=[...])
    task_group.create_task(tick_forever(engine))        # delays, comm loss, shelf expiry
    # a Modbus collector that reads status words: engine.accept_heartbeats([(key, bit)])

Everything runs on the event loop's thread: ``accept`` from the pipeline, ``tick`` from the
ticker task, actions from the web routes (which must be ``async def`` so that they run on
the loop, not in a thread pool). No locks are needed and none are taken.

Order of an event's life: state machine → ``AlarmPublisher`` (journal commit, durable) →
load statistics → listeners. If the journal cannot commit (disk full, I/O error), the
publisher keeps the events (bounded) and retries them on every tick; listeners hear them
once they are committed, never before (``alerting.publisher``). The engine's state moves
on meanwhile: ``active`` and ``get`` answer from memory, and the health says the journal
is failing. Events made while the engine is being built (recovery of alarms whose rule is
gone) are journalled but reach no listener: none is registered yet.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from alerting.actions import AckResult, ActionError, UnknownAlarm, require
from alerting.defaults import RuleError, resolve
from alerting.events import AlarmEvent, AlarmState, EventKind, alarm_id
from alerting.journal import MAX_HISTORY_ROWS, AlarmJournal, HistoryQuery
from alerting.load import AlarmLoad, LoadReport, LoadSettings
from alerting.publisher import AlarmPublisher, Listener, PublisherStats
from alerting.recovery import recover
from alerting.rules import ConditionChange, PointEvaluator
from alerting.sources import SourceStatus, source_statuses
from alerting.specs import Annunciation
from alerting.statemachine import (
    AlarmRecord,
    Context,
    InvalidTransition,
    Stimulus,
    apply,
    stimulus_for_restore,
    stimulus_for_return,
    stimulus_for_unshelve,
)
from collectors.readings import Reading
from config.catalog import Catalog, PointKey
from config.vocabulary import AlarmType

__all__ = [
    "AckResult", "ActionError", "AlarmEngine", "EngineSettings", "EngineStats", "Listener",
    "SourceStatus", "UnknownAlarm", "tick_forever",
]

log = logging.getLogger(__name__)

Clock = Callable[[], float]

_ALARM_TYPES = {alarm_type.value: alarm_type for alarm_type in AlarmType}


@dataclass(frozen=True, slots=True)
class EngineSettings:
    max_shelve: float = 24 * 3600.0  # seconds; shelving is always timed and bounded
    prune_interval: float = 3600.0
    max_unjournalled: int = 100_000  # events kept for retry while the journal fails
    load: LoadSettings = field(default_factory=LoadSettings)


@dataclass(slots=True)
class EngineStats:
    """The engine's counters; the journal's come from its publisher (shared with the
    notifier, whose events it journals too)."""

    journal: PublisherStats = field(default_factory=PublisherStats)
    readings: int = 0
    unknown_readings: int = 0
    events: int = 0  # events the engine made (state changes, notes)

    @property
    def journal_errors(self) -> int:
        return self.journal.journal_errors

    @property
    def unjournalled_dropped(self) -> int:
        return self.journal.dropped

    @property
    def listener_errors(self) -> int:
        return self.journal.listener_errors


class AlarmEngine:
    """A ``ReadingObserver`` that turns readings into alarms.

    ``catalog``: the points and their rules (defaults applied via ``alerting.defaults``).
    ``journal``: where events are made durable; active alarms are recovered from it here.
    ``clock``: seconds since the epoch; injected in tests.
    ``publisher``: the journal's one writer (``alerting.publisher``); made here by default.
    The notifier publishes through the same one (``engine.publisher``).
    """

    def __init__(
        self,
        catalog: Catalog,
        journal: AlarmJournal,
        *,
        clock: Clock = time.time,
        settings: EngineSettings | None = None,
        publisher: AlarmPublisher | None = None,
    ) -> None:
        self.catalog = catalog
        self.journal = journal
        self.settings = settings or EngineSettings()
        if publisher is None:
            publisher = AlarmPublisher(journal, max_held=self.settings.max_unjournalled)
        elif publisher.journal is not journal:
            raise ValueError("the engine's publisher must write the engine's journal")
        self.publisher = publisher
        self.stats = EngineStats(publisher.stats)
        self.load = AlarmLoad(self.settings.load)
        # The load statistics hear committed events first, before any other listener.
        publisher.add_listener(self.load.observe)
        self._clock = clock
        self._records: dict[str, AlarmRecord] = {}
        self._pending: set[PointEvaluator] = set()
        self._unknown_logged: set[PointKey] = set()
        now = clock()
        self._next_prune = now
        self._evaluators: dict[PointKey, PointEvaluator] = {}
        with _gc_paused():
            for info in catalog:
                try:
                    rules = resolve(info.key, info.config, info.hazard_source.id)
                except RuleError as error:
                    raise RuleError(f"{info.key}: {error.message}", error.path) from error
                self._evaluators[info.key] = PointEvaluator(rules, now, self._pending)
        self._comm_watch = [ev for ev in self._evaluators.values() if ev.rules.comm is not None]
        self._recover(now)

    # ----------------------------------------------------------------- listeners

    def add_listener(self, listener: Listener) -> None:
        """``listener(events)`` is called with every batch of events after the journal has
        committed them: the engine's and the notifier's (``AlarmPublisher.add_listener``).
        It must not block; a listener that raises is logged and counted."""
        self.publisher.add_listener(listener)

    def remove_listener(self, listener: Listener) -> None:
        self.publisher.remove_listener(listener)

    # ------------------------------------------------------------------ hot path

    def accept(self, readings: Sequence[Reading]) -> None:
        """Evaluate a batch of readings (``ReadingObserver``). Constant work per reading;
        the journal is written once per batch, and only if a condition changed."""
        now = self._clock()
        get = self._evaluators.get
        changed: list[tuple[PointEvaluator, list[ConditionChange]]] | None = None
        for reading in readings:
            evaluator = get(reading.point)
            if evaluator is None:
                self._unknown(reading.point)
                continue
            changes = evaluator.evaluate(reading, now)
            if changes is not None:
                if changed is None:
                    changed = []
                changed.append((evaluator, changes))
        self.stats.readings += len(readings)
        if changed is not None:
            self._conditions(changed, now)

    def accept_heartbeats(self, beats: Sequence[tuple[PointKey, bool]]) -> None:
        """Heartbeat bits of status words, as the collector read them."""
        now = self._clock()
        changed = []
        for key, beat in beats:
            evaluator = self._evaluators.get(key)
            if evaluator is None:
                self._unknown(key)
                continue
            changes = evaluator.heartbeat(beat, now)
            if changes is not None:
                changed.append((evaluator, changes))
        if changed:
            self._conditions(changed, now)

    def _unknown(self, key: PointKey) -> None:
        self.stats.unknown_readings += 1
        if key not in self._unknown_logged and len(self._unknown_logged) < 1000:
            self._unknown_logged.add(key)
            log.error("alarm engine: reading for unknown point %s ignored (not in catalog)", key)

    # -------------------------------------------------------------------- timers

    def tick(self, now: float | None = None) -> None:
        """Run the timers: on/off delays, comm loss, shelf expiry, re-alarm, journal retry
        and pruning. Call it every 0.5–1 s (``tick_forever``)."""
        if now is None:
            now = self._clock()
        changed: list[tuple[PointEvaluator, list[ConditionChange]]] = []
        for evaluator in list(self._pending):
            changes = evaluator.tick(now)
            if changes is not None:
                changed.append((evaluator, changes))
            if not evaluator.pending:
                self._pending.discard(evaluator)
        for evaluator in self._comm_watch:
            if now - evaluator.alive_at >= evaluator.comm_timeout and not evaluator.comm_active:
                changes = evaluator.tick(now)
                if changes is not None:
                    changed.append((evaluator, changes))
        if changed:
            self._conditions(changed, now)
        self._timers(now)
        self.publisher.retry()
        if now >= self._next_prune:
            self._next_prune = now + self.settings.prune_interval
            try:
                pruned = self.publisher.prune(now)
            except sqlite3.Error:
                log.exception("alarm journal: pruning failed; retrying in %.0f s",
                              self.settings.prune_interval)
            else:
                if pruned:
                    log.info("alarm journal: pruned %d events older than %g days",
                             pruned, self.journal.retention_days)

    def _timers(self, now: float) -> None:
        events: list[AlarmEvent] = []
        records: list[AlarmRecord] = []
        for record in list(self._records.values()):
            stimulus: Stimulus | None = None
            comment = None
            if (
                record.state is AlarmState.SHELVED
                and record.shelved_until is not None
                and record.shelved_until <= now
            ):
                stimulus = stimulus_for_unshelve(record, expired=True)
                comment = "shelf expired"
            elif record.state is AlarmState.ACKED and record.active:
                realarm = self._annunciation(record).realarm
                if (
                    realarm is not None
                    and record.acked_at is not None
                    and now - record.acked_at >= realarm
                ):
                    stimulus = Stimulus.REALARM
                    comment = f"still active {realarm:g} s after acknowledgement"
            if stimulus is not None:
                new, produced = apply(record, stimulus, Context(now, comment=comment))
                self._store(new)
                events.extend(produced)
                records.append(new)
        if records:
            self._commit(events, records, now)

    # ---------------------------------------------------------------- conditions

    def _conditions(
        self, changed: Sequence[tuple[PointEvaluator, list[ConditionChange]]], now: float
    ) -> None:
        events: list[AlarmEvent] = []
        records: list[AlarmRecord] = []
        for evaluator, changes in changed:
            key = evaluator.rules.key
            for change in changes:
                record = self._record(key, change.alarm_type, evaluator)
                stimulus = Stimulus.ACTIVATE if change.active else stimulus_for_return(record)
                context = Context(now, value=change.value, limit=change.limit,
                                  comment=change.detail)
                new, produced = apply(record, stimulus, context)
                self._store(new)
                events.extend(produced)
                records.append(new)
        self._commit(events, records, now)

    def _record(
        self, key: PointKey, alarm_type: AlarmType, evaluator: PointEvaluator
    ) -> AlarmRecord:
        ident = alarm_id(key, alarm_type)
        record = self._records.get(ident)
        if record is not None:
            return record
        annunciation = evaluator.rules.annunciation(alarm_type)
        assert annunciation is not None, f"{ident}: change for an alarm without a rule"
        return AlarmRecord(
            alarm_id=ident,
            point=key,
            alarm_type=alarm_type,
            priority=annunciation.priority,
            hazard_source=evaluator.rules.hazard_source,
            latching=annunciation.latching,
            active=evaluator.condition(alarm_type),
        )

    def _store(self, record: AlarmRecord) -> None:
        if record.state is AlarmState.NORMAL:
            self._records.pop(record.alarm_id, None)  # the journal keeps its row
        else:
            self._records[record.alarm_id] = record

    def _annunciation(self, record: AlarmRecord) -> Annunciation:
        evaluator = self._evaluators.get(record.point)
        found = (
            evaluator.rules.annunciation(record.alarm_type) if evaluator is not None else None
        )
        return found or Annunciation(record.priority, record.latching)

    # ------------------------------------------------------------------ journal

    def _commit(
        self, events: list[AlarmEvent], records: list[AlarmRecord], now: float
    ) -> list[AlarmEvent]:
        """Hand the events to the publisher: journal, then load statistics and listeners.
        Returns them as committed (with their ``seq``), or with ``seq`` 0 while the journal
        fails and the publisher holds them for retry."""
        if not events and not records:
            return []
        self.stats.events += len(events)
        return self.publisher.publish(events, records)

    # ----------------------------------------------------------------- recovery

    def _recover(self, now: float) -> None:
        """The alarms not in normal at the last commit (``alerting.recovery``)."""
        recovery = recover(self.journal.load_records(), self._evaluators, now)
        for evaluator, alarm_type in recovery.seeds:
            evaluator.seed(alarm_type)
        for record in recovery.records:
            self._store(record)
        self._commit(recovery.events, recovery.changed, now)
        # The load statistics look back a day: seed them with the newest activations.
        recent = self.journal.history(
            HistoryQuery(
                since=now - self.settings.load.period,
                kinds=(EventKind.RAISED,),
                limit=MAX_HISTORY_ROWS,
            )
        )
        self.load.observe(reversed(recent))

    # ------------------------------------------------------------------- actions

    def acknowledge(
        self, alarm_ids: Sequence[str], user: str, comment: str | None = None
    ) -> AckResult:
        """Acknowledge many alarms at once (one journal transaction). Alarms that cannot be
        acknowledged are reported, not raised: in a flood, one already acknowledged by a
        colleague must not block the rest. ``records`` of the result holds each acknowledged
        alarm's record as the acknowledgement left it (``get`` cannot give that for a returned
        alarm: it is in normal and forgotten, its record now a fresh one)."""
        require(user, "user")
        now = self._clock()
        acknowledged: list[str] = []
        refused: dict[str, str] = {}
        unknown: list[str] = []
        events: list[AlarmEvent] = []
        records: list[AlarmRecord] = []
        for ident in dict.fromkeys(alarm_ids):
            try:
                record = self._lookup(ident)
                new, produced = apply(record, Stimulus.ACK, Context(now, user, comment))
            except UnknownAlarm:
                unknown.append(ident)
                continue
            except InvalidTransition as error:
                refused[ident] = str(error)
                continue
            self._store(new)
            events.extend(produced)
            records.append(new)
            acknowledged.append(ident)
        self._commit(events, records, now)
        return AckResult(
            acknowledged, refused, unknown, {record.alarm_id: record for record in records}
        )

    def shelve(
        self, alarm_id: str, user: str, reason: str, duration: float
    ) -> AlarmRecord:
        """Shelve for ``duration`` seconds (at most ``settings.max_shelve``), by a named
        person with a reason. Unshelved automatically when the time is up."""
        require(user, "user")
        require(reason, "reason")
        if not 0 < duration <= self.settings.max_shelve:
            raise ActionError(
                f"shelve duration {duration:g} s must be above 0 and at most "
                f"{self.settings.max_shelve:g} s"
            )
        now = self._clock()
        return self._act(
            alarm_id, lambda record: Stimulus.SHELVE,
            Context(now, user, reason, until=now + duration),
        )

    def unshelve(self, alarm_id: str, user: str, comment: str | None = None) -> AlarmRecord:
        require(user, "user")
        return self._act(
            alarm_id,
            lambda record: stimulus_for_unshelve(record, expired=False)
            if record.state is AlarmState.SHELVED
            else Stimulus.UNSHELVE,
            Context(self._clock(), user, comment),
        )

    def remove_from_service(self, alarm_id: str, user: str, reason: str) -> AlarmRecord:
        require(user, "user")
        require(reason, "reason")
        return self._act(
            alarm_id, lambda record: Stimulus.REMOVE, Context(self._clock(), user, reason)
        )

    def return_to_service(
        self, alarm_id: str, user: str, comment: str | None = None
    ) -> AlarmRecord:
        require(user, "user")
        return self._act(alarm_id, stimulus_for_restore, Context(self._clock(), user, comment))

    def add_note(self, alarm_id: str, user: str, text: str) -> AlarmEvent:
        """闭环处置: what was done about the alarm, journalled with the user's name."""
        require(user, "user")
        require(text, "text")
        now = self._clock()
        record = self._lookup(alarm_id)
        new, events = apply(record, Stimulus.NOTE, Context(now, user, text))
        self._store(new)
        return self._commit(events, [new], now)[-1]

    def _act(
        self,
        alarm_id: str,
        choose: Callable[[AlarmRecord], Stimulus],
        context: Context,
    ) -> AlarmRecord:
        record = self._lookup(alarm_id)
        new, events = apply(record, choose(record), context)
        self._store(new)
        self._commit(events, [new], context.now)
        return new

    def _lookup(self, ident: str) -> AlarmRecord:
        """The alarm's record; a configured alarm in normal gets a fresh one."""
        record = self._records.get(ident)
        if record is not None:
            return record
        site_tag, _, type_name = ident.rpartition("/")
        site, _, tag = site_tag.partition("/")
        alarm_type = _ALARM_TYPES.get(type_name)
        evaluator = self._evaluators.get(PointKey(site, tag))
        if alarm_type is None or evaluator is None:
            raise UnknownAlarm(ident)
        if evaluator.rules.annunciation(alarm_type) is None:
            raise UnknownAlarm(ident)
        return self._record(evaluator.rules.key, alarm_type, evaluator)

    # ------------------------------------------------------------------- queries

    def active(
        self, site: str | None = None, hazard_source: str | None = None
    ) -> list[AlarmRecord]:
        """Every alarm not in normal (shelved and out-of-service ones too: their state
        says so), the most urgent first, then the newest."""
        records = [
            record
            for record in self._records.values()
            if (site is None or record.point.site == site)
            and (hazard_source is None or record.hazard_source == hazard_source)
        ]
        records.sort(key=lambda record: (record.priority.rank, -(record.raised_at or 0.0)))
        return records

    def get(self, alarm_id: str) -> AlarmRecord:
        """The alarm's current record (normal if it is configured and quiet)."""
        return self._lookup(alarm_id)

    def hazard_sources(self) -> list[SourceStatus]:
        """Every configured hazard source with its colour (``alerting.sources``)."""
        return source_statuses(self.catalog, self._records.values())

    def load_report(self, site: str, now: float | None = None) -> LoadReport:
        if now is None:
            now = self._clock()
        return self.load.report(site, now, list(self._records.values()))

    def point_rules(self, key: PointKey) -> PointEvaluator | None:
        return self._evaluators.get(key)

    @property
    def point_count(self) -> int:
        return len(self._evaluators)

    @property
    def unjournalled(self) -> int:
        """Events (the engine's and the notifier's) waiting for a failing journal: neither
        durable nor shown yet."""
        return self.publisher.held

    @property
    def journal_healthy(self) -> bool:
        return self.publisher.healthy


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Building tens of thousands of evaluators allocates about a million small objects;
    the cyclic collector would rescan the whole (large) heap many times over meanwhile,
    tripling start-up time. None of these objects form cycles worth collecting now."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


async def tick_forever(engine: AlarmEngine, interval: float = 0.5) -> None:
    """Drive ``engine.tick`` until cancelled. A failing tick is a bug: it propagates."""
    while True:
        engine.tick()
        await asyncio.sleep(interval)
