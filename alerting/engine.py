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

import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from alerting.actions import AckResult, ActionError, UnknownAlarm
from alerting.defaults import RuleError, resolve
from alerting.events import AlarmEvent, AlarmState, EventKind, alarm_id
from alerting.journal import MAX_HISTORY_ROWS, AlarmJournal, HistoryQuery
from alerting.load import AlarmLoad, LoadReport, LoadSettings
from alerting.operator import OperatorActions
from alerting.publisher import AlarmPublisher, Listener, PublisherStats
from alerting.recovery import recover
from alerting.rules import ConditionChange, PointEvaluator
from alerting.sources import SourceStatus, source_statuses
from alerting.specs import Annunciation
from alerting.stall import DEFAULT_STALL_AFTER, StallGuard
from alerting.statemachine import AlarmRecord, Context, Stimulus, apply, stimulus_for_return
from alerting.timers import gc_paused, standing_timers, tick_forever
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
    stall_after: float = DEFAULT_STALL_AFTER  # a tick gap this long: the gateway stood still
    load: LoadSettings = field(default_factory=LoadSettings)


@dataclass(slots=True)
class EngineStats:
    """The engine's counters; the journal's come from its publisher (shared with the
    notifier, whose events it journals too)."""

    journal: PublisherStats = field(default_factory=PublisherStats)
    readings: int = 0
    unknown_readings: int = 0
    events: int = 0  # events the engine made (state changes, notes)
    stalls: int = 0  # times the gateway itself stood still (``alerting.stall``)
    longest_stall: float = 0.0  # seconds

    @property
    def journal_errors(self) -> int:
        return self.journal.journal_errors

    @property
    def unjournalled_dropped(self) -> int:
        return self.journal.dropped

    @property
    def listener_errors(self) -> int:
        return self.journal.listener_errors


class AlarmEngine(OperatorActions):
    """A ``ReadingObserver`` that turns readings into alarms; a person's actions on them
    come from ``OperatorActions`` (``alerting.operator``).

    ``catalog``: the points and their rules (defaults applied via ``alerting.defaults``).
    ``journal``: where events are made durable; active alarms are recovered from it here.
    ``clock``: seconds since the epoch; injected in tests.
    ``monotonic``: the clock that keeps running while the process is stopped; a long gap
    between ticks on it is a stall of the gateway (``alerting.stall``). Injected in tests.
    ``publisher``: the journal's one writer (``alerting.publisher``); made here by default.
    The notifier publishes through the same one (``engine.publisher``).
    """

    def __init__(
        self,
        catalog: Catalog,
        journal: AlarmJournal,
        *,
        clock: Clock = time.time,
        monotonic: Clock = time.monotonic,
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
        self._monotonic = monotonic
        self._stall = StallGuard(self.settings.stall_after)
        self._records: dict[str, AlarmRecord] = {}
        self._pending: set[PointEvaluator] = set()
        self._unknown_logged: set[PointKey] = set()
        now = clock()
        self._next_prune = now
        self._evaluators: dict[PointKey, PointEvaluator] = {}
        with gc_paused():
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
        self._check_stall(now)
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

    def _check_stall(self, now: float) -> None:
        """Before any timer fires: if the gateway itself stood still, the devices' silence
        timers move on by the length of the stall (``alerting.stall``)."""
        stall = self._stall.check(self._monotonic())
        if stall <= 0:
            return
        self.stats.stalls += 1
        self.stats.longest_stall = max(self.stats.longest_stall, stall)
        log.warning(
            "alarm engine: the gateway stood still for %.1f s; comm-loss, heartbeat and "
            "delay timers moved on by that much instead of firing", stall,
        )
        for evaluator in self._evaluators.values():
            evaluator.shift(stall, now)

    def _timers(self, now: float) -> None:
        """Shelves that ran out and acknowledged alarms due for re-alarm."""
        events: list[AlarmEvent] = []
        records: list[AlarmRecord] = []
        for record, stimulus, comment in standing_timers(
            self._records.values(), lambda record: self._annunciation(record).realarm, now
        ):
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

    @property
    def max_shelve(self) -> float:
        return self.settings.max_shelve

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
