"""Alarm load per site, the EEMUA 191 way: is the operator being flooded?

- alarms per 10 minutes (about 1 is manageable);
- flood: 10 or more activations within the last 10 minutes;
- the 10 most frequent alarms over the report period (default 24 h);
- chattering alarms: 3 or more activations within one minute, anywhere in the period;
- standing alarms: active (unacknowledged or acknowledged) for longer than 24 hours.

An activation is a ``raised`` event (a re-raise after unshelving or a return to service
counts: the operator sees it again). Pure and clock-free: every call takes ``now``.
The history kept is bounded (``max_entries`` per site, oldest dropped and counted).
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from alerting.events import AlarmEvent, AlarmState, EventKind
from alerting.statemachine import AlarmRecord

_STANDING_STATES = frozenset({AlarmState.UNACK, AlarmState.ACKED})


@dataclass(frozen=True, slots=True)
class LoadSettings:
    window: float = 600.0  # the EEMUA "per 10 minutes"
    flood_threshold: int = 10  # activations within `window`
    chatter_window: float = 60.0
    chatter_count: int = 3
    standing_after: float = 86_400.0
    period: float = 86_400.0  # what the top list and chattering look back over
    top: int = 10
    max_entries: int = 100_000  # per site


@dataclass(frozen=True, slots=True)
class FrequentAlarm:
    alarm_id: str
    count: int


@dataclass(frozen=True, slots=True)
class ChatteringAlarm:
    alarm_id: str
    most_in_window: int  # most activations within any chatter window
    last: float


@dataclass(frozen=True, slots=True)
class StandingAlarm:
    alarm_id: str
    since: float
    hours: float


@dataclass(frozen=True, slots=True)
class LoadReport:
    site: str
    now: float
    window: float
    in_window: int  # activations within the last `window` seconds
    flood: bool
    in_period: int
    period: float
    top: list[FrequentAlarm]
    chattering: list[ChatteringAlarm]
    standing: list[StandingAlarm]
    dropped: int  # activations forgotten because the bounded history was full


class AlarmLoad:
    def __init__(self, settings: LoadSettings | None = None) -> None:
        self.settings = settings or LoadSettings()
        self._activations: dict[str, deque[tuple[float, str]]] = defaultdict(
            lambda: deque(maxlen=self.settings.max_entries)
        )
        self._dropped: Counter[str] = Counter()

    def observe(self, events: Iterable[AlarmEvent]) -> None:
        """Take the engine's events (call it as a listener; also for seeding at start)."""
        for event in events:
            if event.kind is EventKind.RAISED:
                entries = self._activations[event.point.site]
                if len(entries) == entries.maxlen:
                    self._dropped[event.point.site] += 1
                entries.append((event.ts, event.alarm_id))

    def sites(self) -> list[str]:
        return sorted(self._activations)

    def report(self, site: str, now: float, records: Sequence[AlarmRecord] = ()) -> LoadReport:
        """The figures for ``site`` at ``now``; ``records`` are the current alarms (for
        standing alarms)."""
        settings = self.settings
        entries = self._activations.get(site, deque())
        self._forget(entries, now)
        window_start = now - settings.window
        period_start = now - settings.period
        in_window = 0
        times: dict[str, list[float]] = defaultdict(list)
        for ts, alarm_id in entries:
            if ts > now:
                continue
            if ts >= window_start:
                in_window += 1
            if ts >= period_start:
                times[alarm_id].append(ts)
        counts = Counter({alarm_id: len(stamps) for alarm_id, stamps in times.items()})
        top = [
            FrequentAlarm(alarm_id, count)
            for alarm_id, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        ][: settings.top]
        chattering = []
        for alarm_id, stamps in sorted(times.items()):
            most = most_within(sorted(stamps), settings.chatter_window)
            if most >= settings.chatter_count:
                chattering.append(ChatteringAlarm(alarm_id, most, max(stamps)))
        chattering.sort(key=lambda alarm: (-alarm.most_in_window, alarm.alarm_id))
        standing = [
            StandingAlarm(
                record.alarm_id, record.raised_at, (now - record.raised_at) / 3600.0
            )
            for record in records
            if record.point.site == site
            and record.state in _STANDING_STATES
            and record.raised_at is not None
            and now - record.raised_at > settings.standing_after
        ]
        standing.sort(key=lambda alarm: alarm.since)
        return LoadReport(
            site=site,
            now=now,
            window=settings.window,
            in_window=in_window,
            flood=in_window >= settings.flood_threshold,
            in_period=sum(counts.values()),
            period=settings.period,
            top=top,
            chattering=chattering,
            standing=standing,
            dropped=self._dropped[site],
        )

    def _forget(self, entries: deque[tuple[float, str]], now: float) -> None:
        horizon = now - max(self.settings.period, self.settings.window)
        while entries and entries[0][0] < horizon:
            entries.popleft()


def most_within(stamps: Sequence[float], width: float) -> int:
    """The largest number of sorted time stamps within any span of ``width`` seconds."""
    most = 0
    start = 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] > width:
            start += 1
        most = max(most, end - start + 1)
    return most
