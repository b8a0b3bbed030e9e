"""Alarm-system KPIs over a period, the EEMUA 191 / ISA-18.2 way. Pure: events in, figures out.

``compute(events, since, until)`` replays journal events (in journal order, ``seq``) and
reports, for the period ``[since, until)``:

- alarms: ``raised`` events in the period (a re-raise after unshelving or a return to
  service counts: the operator is asked again; a re-alarm of a standing alarm does not);
- the average per 10 minutes and per day, and the peak: the most raises in the 10 minutes
  up to any moment of the period (raises before ``since`` count towards moments near it);
- time in flood: a flood starts when the raises in the trailing 10 minutes exceed 10 and
  ends when they fall below 5 (hysteresis), clipped to the period;
- the 10 most frequent alarms and their share of all alarms;
- chattering alarms: 3 or more raises of one alarm within 60 s, anywhere in the period;
- stale alarms: active (unacknowledged or acknowledged, condition not returned) at
  ``until`` and raised 24 h or more before it;
- shelved and out-of-service time per alarm, clipped to the period;
- the priority mix: share of the alarms per priority.

Events before ``since`` only set the state an alarm enters the period in (shelved, out of
service, active since when) and the trailing window of the flood; events at or after
``until`` are ignored. The caller gives each alarm's history far enough back for that (see
``AlarmJournal.kpi_events``). ``Targets`` are the standards' figures shown beside each one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from alerting.events import AlarmEvent, AlarmState, EventKind
from alerting.load import most_within  # the same sliding count as the live load figures
from config.vocabulary import Priority

TEN_MINUTES = 600.0
DAY = 86_400.0
# Events that say something about an alarm without moving its state machine: their
# ``state`` is a copy, not a transition (the notifier's records, a 闭环处置 note).
_NOT_TRANSITIONS = frozenset(
    {EventKind.NOTE, EventKind.NOTIFIED, EventKind.NOTIFY_FAILED, EventKind.ESCALATED}
)
_ACTIVE_STATES = frozenset({AlarmState.UNACK, AlarmState.ACKED})


@dataclass(frozen=True, slots=True)
class Targets:
    """EEMUA 191 (3rd ed.) / ISA-18.2 (ANSI/ISA-18.2-2016 table 5) performance targets."""

    per_10min: float = 1.0  # average: "very likely to be acceptable"
    per_day: float = 144.0  # per operator (post): 1 per 10 min around the clock
    peak_10min: int = 10  # more is a flood
    flood_share: float = 0.01  # ≤ 1 % of the time in flood
    top10_share: float = 0.05  # the 10 most frequent alarms: ≤ 1 % … 5 % of all
    chattering: int = 0  # chattering alarms are defects
    stale: int = 5  # fewer than 5 standing alarms on any day
    # The ISA-18.2 three-level mix: ≈ 80 % low, 15 % medium, 5 % high. The gateway's four
    # priorities map low→low (蓝), medium→medium (黄), high and critical→high (橙, 红).
    mix_low: float = 0.80
    mix_medium: float = 0.15
    mix_high: float = 0.05


@dataclass(frozen=True, slots=True)
class Settings:
    window: float = TEN_MINUTES
    flood_above: int = 10  # a flood starts when the trailing window holds more than this
    flood_below: int = 5  # and ends when it holds fewer than this
    chatter_window: float = 60.0
    chatter_count: int = 3
    stale_after: float = DAY
    top: int = 10


@dataclass(frozen=True, slots=True)
class Span:
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Contributor:
    alarm_id: str
    count: int
    share: float  # of all alarms in the period


@dataclass(frozen=True, slots=True)
class Chattering:
    alarm_id: str
    most_in_window: int  # most raises within any chatter window


@dataclass(frozen=True, slots=True)
class Stale:
    alarm_id: str
    active_since: float
    hours: float  # at the end of the period


@dataclass(frozen=True, slots=True)
class Suppressed:
    alarm_id: str
    seconds: float  # shelved (or out of service) within the period


@dataclass(frozen=True, slots=True)
class PriorityShare:
    priority: Priority
    count: int
    share: float


@dataclass(frozen=True, slots=True)
class Kpis:
    since: float
    until: float
    alarms: int
    per_10min: float
    per_day: float
    peak_10min: int
    floods: tuple[Span, ...]
    flood_seconds: float
    flood_share: float
    top: tuple[Contributor, ...]
    top_share: float
    chattering: tuple[Chattering, ...]
    stale: tuple[Stale, ...]
    shelved: tuple[Suppressed, ...]
    shelved_seconds: float
    out_of_service: tuple[Suppressed, ...]
    out_of_service_seconds: float
    priorities: tuple[PriorityShare, ...]
    targets: Targets = field(default_factory=Targets)


@dataclass(slots=True)
class _Alarm:
    state: AlarmState = AlarmState.NORMAL
    active_since: float | None = None
    shelved_since: float | None = None
    removed_since: float | None = None


def compute(
    events: Iterable[AlarmEvent],
    since: float,
    until: float,
    *,
    settings: Settings | None = None,
    targets: Targets | None = None,
) -> Kpis:
    """The KPIs of ``[since, until)`` from ``events`` in journal order."""
    if not until > since:
        raise ValueError(f"the period must end after it starts (since={since}, until={until})")
    settings = settings or Settings()
    alarms: dict[str, _Alarm] = defaultdict(_Alarm)
    raises: list[float] = []  # every raise before `until`, for the flood's trailing window
    period_raises: dict[str, list[float]] = defaultdict(list)
    priorities: Counter[Priority] = Counter()
    shelved: defaultdict[str, float] = defaultdict(float)
    removed: defaultdict[str, float] = defaultdict(float)
    for event in events:
        if event.ts >= until:
            continue
        if event.kind is EventKind.RAISED:
            raises.append(event.ts)
            if event.ts >= since:
                period_raises[event.alarm_id].append(event.ts)
                priorities[event.priority] += 1
        if event.kind in _NOT_TRANSITIONS:
            continue
        alarm = alarms[event.alarm_id]
        _move(alarm, event, since, shelved, removed)
    for alarm_id, alarm in alarms.items():
        if alarm.shelved_since is not None:
            shelved[alarm_id] += _overlap(alarm.shelved_since, until, since, until)
        if alarm.removed_since is not None:
            removed[alarm_id] += _overlap(alarm.removed_since, until, since, until)

    duration = until - since
    total = sum(len(stamps) for stamps in period_raises.values())
    floods, peak = _floods(sorted(raises), since, until, settings)
    flood_seconds = sum(span.seconds for span in floods)
    counts = sorted(
        ((alarm_id, len(stamps)) for alarm_id, stamps in period_raises.items()),
        key=lambda item: (-item[1], item[0]),
    )[: settings.top]
    top = tuple(Contributor(alarm_id, count, _share(count, total)) for alarm_id, count in counts)
    chattering = []
    for alarm_id, stamps in sorted(period_raises.items()):
        most = most_within(sorted(stamps), settings.chatter_window)
        if most >= settings.chatter_count:
            chattering.append(Chattering(alarm_id, most))
    chattering.sort(key=lambda alarm: (-alarm.most_in_window, alarm.alarm_id))
    stale = sorted(
        (
            Stale(alarm_id, alarm.active_since, (until - alarm.active_since) / 3600.0)
            for alarm_id, alarm in alarms.items()
            if alarm.state in _ACTIVE_STATES
            and alarm.active_since is not None
            and until - alarm.active_since >= settings.stale_after
        ),
        key=lambda alarm: (alarm.active_since, alarm.alarm_id),
    )
    return Kpis(
        since=since,
        until=until,
        alarms=total,
        per_10min=total * TEN_MINUTES / duration,
        per_day=total * DAY / duration,
        peak_10min=peak,
        floods=tuple(floods),
        flood_seconds=flood_seconds,
        flood_share=flood_seconds / duration,
        top=top,
        top_share=_share(sum(item.count for item in top), total),
        chattering=tuple(chattering),
        stale=tuple(stale),
        shelved=_suppressed(shelved),
        shelved_seconds=sum(shelved.values()),
        out_of_service=_suppressed(removed),
        out_of_service_seconds=sum(removed.values()),
        priorities=tuple(
            PriorityShare(priority, priorities[priority], _share(priorities[priority], total))
            for priority in Priority
        ),
        targets=targets or Targets(),
    )


def _move(
    alarm: _Alarm,
    event: AlarmEvent,
    since: float,
    shelved: defaultdict[str, float],
    removed: defaultdict[str, float],
) -> None:
    """Follow one transition: when the alarm became active, shelved, out of service."""
    before, after, ts = alarm.state, event.state, event.ts
    if before is not AlarmState.SHELVED and after is AlarmState.SHELVED:
        alarm.shelved_since = ts
    elif before is AlarmState.SHELVED and after is not AlarmState.SHELVED:
        if alarm.shelved_since is not None:
            shelved[event.alarm_id] += _overlap(alarm.shelved_since, ts, since, float("inf"))
        alarm.shelved_since = None
    if before is not AlarmState.OUT_OF_SERVICE and after is AlarmState.OUT_OF_SERVICE:
        alarm.removed_since = ts
    elif before is AlarmState.OUT_OF_SERVICE and after is not AlarmState.OUT_OF_SERVICE:
        if alarm.removed_since is not None:
            removed[event.alarm_id] += _overlap(alarm.removed_since, ts, since, float("inf"))
        alarm.removed_since = None
    if event.kind is EventKind.RAISED:
        alarm.active_since = ts
    elif after not in _ACTIVE_STATES:
        # Returned, or shelved / out of service: whether the condition is still active is
        # not journalled, so such an alarm is not called stale.
        alarm.active_since = None
    alarm.state = after


def _floods(
    raises: Sequence[float], since: float, until: float, settings: Settings
) -> tuple[list[Span], int]:
    """Flood spans within the period and the peak trailing-window count.

    A raise at ``r`` is in the trailing window of every moment ``t`` with
    ``r <= t < r + window``; the count changes only at raises and when they leave."""
    changes: Counter[float] = Counter()
    for stamp in raises:
        changes[stamp] += 1
        changes[stamp + settings.window] -= 1
    count = 0
    peak = 0
    flood_start: float | None = None
    spans: list[Span] = []
    for moment in sorted(changes):
        if moment >= until:
            break
        count += changes[moment]
        if moment >= since:
            peak = max(peak, count)
        if flood_start is None and count > settings.flood_above:
            flood_start = moment
        elif flood_start is not None and count < settings.flood_below:
            if moment > since:
                spans.append(Span(max(flood_start, since), moment))
            flood_start = None
    # The window at `since` holds what carried from before it.
    peak = max(peak, _count_at(raises, since, settings.window))
    if flood_start is not None:
        spans.append(Span(max(flood_start, since), until))
    return spans, peak


def _count_at(raises: Sequence[float], moment: float, window: float) -> int:
    return sum(1 for stamp in raises if stamp <= moment < stamp + window)


def _overlap(start: float, end: float, since: float, until: float) -> float:
    return max(0.0, min(end, until) - max(start, since))


def _share(count: int, total: int) -> float:
    return count / total if total else 0.0


def _suppressed(seconds: dict[str, float]) -> tuple[Suppressed, ...]:
    return tuple(
        Suppressed(alarm_id, value)
        for alarm_id, value in sorted(seconds.items(), key=lambda item: (-item[1], item[0]))
        if value > 0
    )
