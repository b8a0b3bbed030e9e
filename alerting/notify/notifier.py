"""The notifier: alarm events in, notices out, every send and failure recorded.

``accept`` is synchronous and never waits: routing, escalation and consolidation are
pure and run at once, so an acknowledgement stops escalation the moment it arrives.
Notices then wait in one bounded queue per channel; one sender task per channel
delivers them in order with retries (``alerting.notify.delivery``), so a dead mail server
never delays the WeCom robot. A queue that overflows does not drop silently: it logs,
counts and records a NOTIFY_FAILED event for each alarm it could not take.

Notices are true when they leave: when a consolidation window closes (or a notice is
sent at all), alarms acknowledged, shelved, removed from service or back to normal since
are dropped from it, and a notice left with none is not sent. Each notice tells the
value at the raise and, from ``current`` (the gateway's live readings), the value and
state at sending time.

When a delivery ends (sent, or given up on) the notifier also writes the 叫应 ledger's
rows (``alerting.ledger``): level, route, channel, recipient, time, result, attempts and the
level's deadline, one row per alarm of the notice. A ledger that cannot be written is
logged and counted (``ledger_errors``), and notifying goes on. With ``links``, a notice of
one alarm carries its signed acknowledgement link (``alerting.answerlinks``).

The notifier's own events (ESCALATED, NOTIFIED, NOTIFY_FAILED) go through the alarm
publisher, the engine's (``engine.publisher``): journalled first, kept for retry while the
journal fails, then heard by every listener like any alarm event. Those kinds are ignored
when they come back to ``accept``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from alerting.answerlinks import AnswerLinks
from alerting.events import UNACKNOWLEDGED_STATES, AlarmEvent, AlarmState, EventKind
from alerting.ledger import NoticeOutcome
from alerting.ledgerstore import LedgerError
from alerting.notify.channels import Channel, build_channel
from alerting.notify.consolidate import Consolidator, Release
from alerting.notify.delivery import ChannelStatus, Lane, Outcomes
from alerting.notify.escalation import Dispatch, EscalationTracker, Ladder
from alerting.notify.messages import Notice, Now, format_notice, latest_per_alarm
from alerting.notify.recipients import recipient_of
from alerting.notify.routing import match_routes
from alerting.notify.timing import Clock, Wait, wait_or_wake
from alerting.publisher import AlarmPublisher
from collectors.http import HttpClient
from collectors.readings import Reading
from config.catalog import Catalog, PointKey
from config.notifications import NotificationSettings, Route

log = logging.getLogger(__name__)

MAX_IDLE = 1.0  # the timer loop looks at the clock at least this often (seconds)

# Someone has answered the alarm (or taken it out of annunciation): stop calling people.
_ANSWERED_KINDS = frozenset(
    {
        EventKind.ACKNOWLEDGED,
        EventKind.CLEARED,
        EventKind.SHELVED,
        EventKind.REMOVED_FROM_SERVICE,
    }
)
_ANSWERED_STATES = frozenset(
    {AlarmState.ACKED, AlarmState.NORMAL, AlarmState.SHELVED, AlarmState.OUT_OF_SERVICE}
)
# A person must be called: a new alarm, or an acknowledged one still active after its
# re-alarm time (it is unacknowledged again).
_CALL_KINDS = frozenset({EventKind.RAISED, EventKind.REALARMED})
_OWN_KINDS = frozenset({EventKind.NOTIFIED, EventKind.NOTIFY_FAILED, EventKind.ESCALATED})


def _who(level: int, name: str) -> str:
    return f"第{level}级" + (f"（{name}）" if name else "")


class NoticeLedger(Protocol):
    def record_notices(self, outcomes: Sequence[NoticeOutcome]) -> None:
        """Store the rows durably; raise ``LedgerError`` when that fails."""
        ...


@dataclass(slots=True)
class NotifierHealth:
    running: bool
    counters: dict[str, int]
    channels: dict[str, ChannelStatus]
    escalating: int  # alarms awaiting acknowledgement on some route
    held: int  # alarms held for a consolidation summary


class Notifier:
    def __init__(
        self,
        settings: NotificationSettings,
        catalog: Catalog,
        publisher: AlarmPublisher,
        *,
        clock: Clock = time.time,
        wait: Wait = wait_or_wake,
        channels: Mapping[str, Channel] | None = None,
        rng: random.Random | None = None,
        current: Callable[[PointKey], Reading | None] | None = None,
        ledger: NoticeLedger | None = None,
        links: AnswerLinks | None = None,
    ) -> None:
        """``publisher`` journals the events the notifier makes, one transaction per
        notice (a summary of 500 alarms is one). ``clock`` and ``wait`` are how it reads
        the time and lets it pass (``alerting.notify.timing``): escalation deadlines and
        retry back-off. ``channels`` replaces the channels built from settings (same
        names); by default ``run`` builds them on its own HTTP client. ``ledger`` keeps
        the 叫应 ledger's rows (the journal's ``ledger``); ``links`` signs the
        acknowledgement links put into notices (none without it)."""
        self._settings = settings
        self._catalog = catalog
        self._publisher = publisher
        self._clock = clock
        self._wait = wait
        self._rng = rng or random.Random()
        self._current = current
        self._ledger = ledger
        self._links = links
        self._recipients = {
            name: recipient_of(channel) for name, channel in settings.channels.items()
        }
        self._routes = list(settings.routes)
        self._route_by_name = {route.name: route for route in settings.routes}
        self._tracker = EscalationTracker(
            {
                route.name: Ladder(
                    route.name,
                    tuple(
                        level.escalate_after
                        for level in route.escalation
                        if level.escalate_after is not None
                    ),
                )
                for route in settings.routes
            }
        )
        self._consolidator: Consolidator[tuple[str, int], Dispatch] = Consolidator(
            settings.consolidation_window
        )
        self._injected = dict(channels) if channels is not None else None
        self._lanes = {
            name: Lane(
                ChannelStatus(name, channel.kind),
                settings.queue_capacity,
                settings.retry,
                Outcomes(
                    sent=self._sent,
                    failed=functools.partial(self._failed, name),
                    count=self._count,
                ),
                clock=clock,
                wait=wait,
                rng=self._rng,
            )
            for name, channel in settings.channels.items()
        }
        self._states: dict[str, AlarmState] = {}
        self._counters: dict[str, int] = {}
        self._wake = asyncio.Event()
        self._running = False

    # ------------------------------------------------------------------ input

    def accept(self, events: Sequence[AlarmEvent]) -> None:
        """Take alarm events in order. Synchronous, never waits, never raises on an event."""
        now = self._clock()
        # Alarms of one batch for the same route go out together (one notice), so an
        # engine raising ten alarms in one scan does not send ten messages.
        due: dict[tuple[str, int], list[Dispatch]] = {}
        for event in events:
            if event.kind in _OWN_KINDS:
                continue
            self._count("events")
            # Bounded by the configured alarms (points x types), so never pruned.
            self._states[event.alarm_id] = event.state
            if event.kind in _CALL_KINDS:
                for dispatch in self._raised(event, now):
                    due.setdefault((dispatch.route, dispatch.level), []).append(dispatch)
            elif event.kind in _ANSWERED_KINDS or event.state in _ANSWERED_STATES:
                self._answered(event)
        for key, dispatches in due.items():
            for release in self._consolidator.offer(key, dispatches, now):
                self._send(release)
        self._wake.set()

    def resume(self, events: Sequence[AlarmEvent]) -> None:
        """After a restart: restart the ladders of alarms still awaiting acknowledgement.

        ``events`` describe the alarms (e.g. built from the engine's active records, ``ts``
        being when each was raised); those not in an unacknowledged state are ignored.
        Level 1 is not called again (it was before the restart); each ladder's clock runs
        from ``ts``, so a level that fell due while the gateway was down is called at once.
        """
        now = self._clock()
        for event in events:
            if event.state not in UNACKNOWLEDGED_STATES:
                continue
            self._states[event.alarm_id] = event.state
            routes = match_routes(self._routes, event, self._catalog.get(event.point))
            names = [route.name for route in routes]
            self._tracker.raised(event, names, now, started=min(event.ts, now))
            self._count("resumed")
        self._wake.set()

    def _raised(self, event: AlarmEvent, now: float) -> list[Dispatch]:
        self._count("raised")
        routes = match_routes(self._routes, event, self._catalog.get(event.point))
        if not routes:
            self._count("unrouted")
            log.warning(
                "alarm %s (%s, %s) matches no notification route: nobody is notified",
                event.alarm_id,
                event.alarm_type.value,
                event.priority.value,
            )
            return []
        return self._tracker.raised(event, [route.name for route in routes], now)

    def _answered(self, event: AlarmEvent) -> None:
        if not self._tracker.resolve(event.alarm_id):
            return
        self._count("escalations_stopped")
        withdrawn = self._consolidator.withdraw(
            lambda d: d.level > 1 and d.event.alarm_id == event.alarm_id
        )
        if withdrawn:
            self._count("escalations_withdrawn", withdrawn)

    # ------------------------------------------------------------- deadlines

    def tick(self, now: float | None = None) -> None:
        """Fire due escalations and end consolidation windows. ``run`` calls it on time;
        tests with an injected clock call it directly."""
        now = self._clock() if now is None else now
        escalations = self._tracker.due(now)
        self._record(
            [
                self._derived(
                    dispatch.event,
                    EventKind.ESCALATED,
                    now,
                    f"无人确认 {dispatch.waited or 0:.1f} 秒，升级至"
                    f"{_who(dispatch.level, self._level_name(dispatch))}：路由 {dispatch.route}",
                )
                for dispatch in escalations
            ]
        )
        for dispatch in escalations:
            self._count("escalations")
            for release in self._consolidator.offer(
                (dispatch.route, dispatch.level), [dispatch], now
            ):
                self._send(release)
        for release in self._consolidator.due(now):
            self._send(release)

    def next_deadline(self) -> float | None:
        deadlines = [
            d
            for d in (self._tracker.next_deadline(), self._consolidator.next_deadline())
            if d is not None
        ]
        return min(deadlines, default=None)

    def _send(self, release: Release[tuple[str, int], Dispatch]) -> None:
        route_name, level_number = release.key
        route = self._route_by_name[route_name]
        level = route.escalation[level_number - 1]
        # Only what is still true goes out: an alarm answered or gone back to normal while
        # its notice waited in the window is dropped from it.
        items = [d for d in release.items if self._still_due(d)]
        if len(items) < len(release.items):
            self._count("stale_dropped", len(release.items) - len(items))
        if not items:
            self._count("notices_dropped")
            return
        notice = format_notice(
            route_name,
            level_number,
            level.name,
            items,
            self._catalog,
            now_of=self._now,
            link_of=self._link_of(route_name, level_number, level.name),
        )
        self._count("notices")
        if release.summary:
            self._count("summaries")
        for channel in level.channels:
            self._lanes[channel].offer(notice)

    def _link_of(
        self, route: str, level: int, level_name: str
    ) -> Callable[[AlarmEvent], str | None] | None:
        links = self._links
        if links is None:
            return None
        recipient = _who(level, level_name)
        return lambda event: links.link(event.alarm_id, route, level, recipient, self._clock())

    def _still_due(self, dispatch: Dispatch) -> bool:
        state = self._states.get(dispatch.event.alarm_id, dispatch.event.state)
        return state not in _ANSWERED_STATES

    def _now(self, event: AlarmEvent) -> Now:
        state = self._states.get(event.alarm_id, event.state)
        if self._current is None:
            return Now(state, None, live=False)
        return Now(state, self._current(event.point))

    # ---------------------------------------------------------------- output

    async def run(self) -> None:
        """Deliver until cancelled: one timer task and one sender task per channel."""
        self._running = True
        try:
            async with HttpClient() as client:
                channels = self._injected or {
                    name: build_channel(name, settings, client, self._catalog)
                    for name, settings in self._settings.channels.items()
                }
                missing = set(self._lanes) - set(channels)
                if missing:
                    raise ValueError(f"no channel object for {', '.join(sorted(missing))}")
                async with asyncio.TaskGroup() as group:
                    group.create_task(self._timer(), name="notify-timer")
                    for name, lane in self._lanes.items():
                        group.create_task(lane.run(channels[name]), name=f"notify-{name}")
        finally:
            self._running = False
            waiting = sum(len(lane) for lane in self._lanes.values())
            if waiting:
                log.error("notifier stopped with %d notices not yet delivered", waiting)

    async def _timer(self) -> None:
        while True:
            self._wake.clear()
            self.tick()
            deadline = self.next_deadline()
            pause = MAX_IDLE if deadline is None else deadline - self._clock()
            pause = min(MAX_IDLE, max(0.001, pause))
            await self._wait(self._wake, pause)

    # ------------------------------------------------------------- outcomes

    def _sent(self, notice: Notice, channel: Channel, attempt: int) -> None:
        who = _who(notice.level, notice.level_name)
        comment = (
            f"{who}通知已发送：渠道 {channel.name}（{channel.kind}），"
            f"路由 {notice.route}，第 {attempt} 次尝试"
        )
        now = self._clock()
        dispatches = [dispatch for dispatch, _ in latest_per_alarm(notice.dispatches)]
        written = self._record(
            [self._derived(d.event, EventKind.NOTIFIED, now, comment) for d in dispatches]
        )
        self._ledger_rows(notice, dispatches, written, channel.name, now, attempt, None)

    def _failed(self, channel: str, notice: Notice, error: str, attempts: int) -> None:
        who = _who(notice.level, notice.level_name)
        comment = f"{who}通知失败：渠道 {channel}，路由 {notice.route}，尝试 {attempts} 次：{error}"
        now = self._clock()
        dispatches = [dispatch for dispatch, _ in latest_per_alarm(notice.dispatches)]
        written = self._record(
            [self._derived(d.event, EventKind.NOTIFY_FAILED, now, comment) for d in dispatches]
        )
        self._ledger_rows(notice, dispatches, written, channel, now, attempts, error)

    def _ledger_rows(
        self,
        notice: Notice,
        dispatches: Sequence[Dispatch],
        written: Sequence[AlarmEvent],
        channel: str,
        now: float,
        attempts: int,
        error: str | None,
    ) -> None:
        """The 叫应 ledger's rows of one delivery: one per alarm of the notice."""
        if self._ledger is None:
            return
        seqs = [event.seq for event in written] if len(written) == len(dispatches) else []
        outcomes = [
            NoticeOutcome(
                alarm_id=dispatch.event.alarm_id,
                priority=dispatch.event.priority,
                route=notice.route,
                level=notice.level,
                level_name=notice.level_name,
                channel=channel,
                channel_kind=self._settings.channels[channel].kind,
                recipient=self._recipients[channel],
                ts=now,
                sent=error is None,
                attempts=attempts,
                error=error,
                due_at=dispatch.due_at,
                deadline=dispatch.deadline,
                event_seq=seqs[index] if seqs else 0,
            )
            for index, dispatch in enumerate(dispatches)
        ]
        try:
            self._ledger.record_notices(outcomes)
        except LedgerError as failure:
            # The notice went (or failed) all the same; the journal's events still say so.
            self._count("ledger_errors")
            log.error("叫应 ledger: %s (%d rows lost)", failure, len(outcomes))

    # ---------------------------------------------------------------- helpers

    def _derived(self, event: AlarmEvent, kind: EventKind, now: float, comment: str) -> AlarmEvent:
        """An event of the notifier about ``event``'s alarm, in the alarm's current state."""
        return dataclasses.replace(
            event,
            kind=kind,
            state=self._states.get(event.alarm_id, event.state),
            ts=now,
            user=None,
            comment=comment,
            seq=0,
        )

    def _record(self, events: Sequence[AlarmEvent]) -> list[AlarmEvent]:
        """Publish the notifier's events (one per alarm of a notice); returns them as
        journalled (``seq`` 0 while the journal fails). The publisher never raises for a
        failing journal: it keeps them for retry, so notifying goes on."""
        if events:
            return self._publisher.publish(events)
        return []

    def _level_name(self, dispatch: Dispatch) -> str:
        return self._route_by_name[dispatch.route].escalation[dispatch.level - 1].name

    def _count(self, counter: str, amount: int = 1) -> None:
        self._counters[counter] = self._counters.get(counter, 0) + amount

    def health(self) -> NotifierHealth:
        """A snapshot for /api/health."""
        return NotifierHealth(
            running=self._running,
            counters=dict(self._counters),
            channels={
                name: dataclasses.replace(lane.status) for name, lane in self._lanes.items()
            },
            escalating=len(self._tracker),
            held=self._consolidator.held,
        )

    @property
    def routes(self) -> list[Route]:
        return list(self._routes)
