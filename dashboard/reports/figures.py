"""The figures of a report, computed from the alarm journal and the readings' statistics.

Pure: the period's events (oldest first), the catalog and, when readings are stored, each
point's statistics over the period in; a ``Report`` out, which the PDF and Excel renderers
print as it is. Per enterprise and hazard source:

- alarms raised, by priority and by type (re-alarms of a standing alarm counted apart);
- time to acknowledge: for each raising, the first acknowledgement of that alarm after it
  within the period (mean, median, longest; those not acknowledged in the period counted);
- 叫应 within the deadline: raisings acknowledged within ``answer_within`` seconds;
- dispositions (闭环处置): notes written on alarms, and how many alarms got one;
- top contributors: the points raising most often;
- device online rate: the share of the period's buckets in which the device's best-reporting
  point stored a valid reading (from InfluxDB; ``None`` without storage);
- data completeness: valid readings stored (good or uncertain) / readings expected (Modbus:
  period / poll interval; an MQTT device sends when it sends, so it has no expected count);
- min / max / mean of every analog point (good and uncertain readings; bad ones carry no
  trustworthy value).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from alerting.events import AlarmEvent, EventKind
from alerting.terms import ALARM_TYPE_TERMS, PRIORITY_COLOUR_TERMS
from config.catalog import Catalog
from config.points import DISCRETE_KINDS
from config.vocabulary import Priority

TOP_CONTRIBUTORS = 10


class ReportKind(StrEnum):
    DAILY = "daily"  # 日报
    SHIFT = "shift"  # 班报
    MONTHLY = "monthly"  # 月报

    @property
    def zh(self) -> str:
        return {"daily": "日报", "shift": "班报", "monthly": "月报"}[self.value]


@dataclass(frozen=True, slots=True)
class PointStats:
    """One point over the period, as stored in InfluxDB."""

    count: int  # readings stored, any quality
    good: int  # readings with a trustworthy value (good or uncertain)
    min: float | None
    max: float | None
    mean: float | None
    buckets_with_data: int  # buckets of the period with at least one reading
    buckets: int


class StatsError(Exception):
    """The database could not give the period's statistics (the message says why)."""


class StatsSource(Protocol):
    @property
    def description(self) -> str: ...

    async def stats(
        self, site: str, start: float, end: float, bucket_s: float
    ) -> dict[str, PointStats]: ...


@dataclass(frozen=True, slots=True)
class PointFigures:
    tag: str
    name: str
    unit: str
    device: str
    raised: int
    min: float | None
    max: float | None
    mean: float | None
    stored: int | None
    expected: int | None

    @property
    def completeness(self) -> float | None:
        if self.stored is None or not self.expected:
            return None
        return min(1.0, self.stored / self.expected)


@dataclass(frozen=True, slots=True)
class DeviceFigures:
    device: str
    name: str
    online_rate: float | None


@dataclass(frozen=True, slots=True)
class Disposition:
    ts: float
    tag: str
    alarm: str
    user: str
    text: str


@dataclass(frozen=True, slots=True)
class SourceFigures:
    """One hazard source."""

    id: str
    name: str
    grade: int
    raised: int
    realarmed: int
    by_priority: dict[str, int]
    by_type: dict[str, int]
    acknowledged: int
    not_acknowledged: int
    ack_mean_s: float | None
    ack_median_s: float | None
    ack_max_s: float | None
    answered_in_time: int
    notes: int
    alarms_with_note: int
    top: list[tuple[str, str, int]]  # tag, name, raisings
    points: list[PointFigures]
    dispositions: list[Disposition]

    @property
    def answered_rate(self) -> float | None:
        return self.answered_in_time / self.raised if self.raised else None


@dataclass(frozen=True, slots=True)
class SiteFigures:
    code: str
    name: str
    sources: list[SourceFigures]
    devices: list[DeviceFigures]
    stats_error: str | None  # why the readings' figures are missing, if they are


@dataclass(frozen=True, slots=True)
class Report:
    kind: ReportKind
    label: str  # e.g. 2026-12-04, 2026-12 or 白班 2026-12-04 08:00
    start: float
    end: float
    generated_at: float
    answer_within_s: float
    sites: list[SiteFigures]
    events: int
    truncated: bool  # the period had more events than a report reads
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Raising:
    event: AlarmEvent
    acked_at: float | None


def _raisings(events: Sequence[AlarmEvent]) -> list[_Raising]:
    """Each RAISED event with the first acknowledgement of its alarm that follows it."""
    out: list[_Raising] = []
    waiting: dict[str, list[int]] = {}
    for event in events:
        if event.kind is EventKind.RAISED:
            waiting.setdefault(event.alarm_id, []).append(len(out))
            out.append(_Raising(event, None))
        elif event.kind is EventKind.ACKNOWLEDGED:
            for index in waiting.pop(event.alarm_id, []):
                out[index] = _Raising(out[index].event, event.ts)
    return out


def _expected(catalog: Catalog, site: str, tag: str, span: float) -> int | None:
    for s in catalog.sites:
        if s.enterprise.code != site:
            continue
        for device in s.devices:
            interval = getattr(device, "poll_interval", None)
            if any(p.tag == tag for p in device.points):
                return round(span / interval) if isinstance(interval, float) and interval else None
    return None


def build_report(
    kind: ReportKind,
    label: str,
    *,
    start: float,
    end: float,
    generated_at: float,
    events: Sequence[AlarmEvent],
    catalog: Catalog,
    stats: Mapping[str, Mapping[str, PointStats]] | None,
    stats_errors: Mapping[str, str] | None = None,
    answer_within_s: float = 300.0,
    truncated: bool = False,
) -> Report:
    """``events``: the period's events, oldest first; ``stats``: per site code, per tag
    (None: no storage); ``stats_errors``: per site code, why its statistics failed."""
    errors = dict(stats_errors or {})
    raisings = _raisings(events)
    # Readings can only be expected up to now: a report of the day in progress.
    span = max(0.0, min(end, generated_at) - start)
    sites: list[SiteFigures] = []
    for site in catalog.sites:
        code = site.enterprise.code
        site_stats = stats.get(code) if stats is not None else None
        error = errors.get(code) or (None if stats is not None else "未配置数据库 / no storage")
        sources = []
        for source in site.hazard_sources:
            mine = [r for r in raisings if r.event.point.site == code
                    and r.event.hazard_source == source.id]
            source_events = [e for e in events if e.point.site == code
                             and e.hazard_source == source.id]
            delays = [r.acked_at - r.event.ts for r in mine if r.acked_at is not None]
            priority_counts = Counter(r.event.priority for r in mine)
            type_counts = Counter(r.event.alarm_type for r in mine)
            by_tag = Counter(r.event.point.tag for r in mine)
            notes = [e for e in source_events if e.kind is EventKind.NOTE]
            points = []
            for device, point in site.points():
                if point.hazard_source != source.id:
                    continue
                st = site_stats.get(point.tag) if site_stats is not None else None
                analog = point.kind not in DISCRETE_KINDS
                points.append(PointFigures(
                    tag=point.tag, name=point.name, unit=point.unit, device=device.id,
                    raised=by_tag.get(point.tag, 0),
                    min=st.min if st and analog else None,
                    max=st.max if st and analog else None,
                    mean=st.mean if st and analog else None,
                    stored=st.good if st is not None else (0 if site_stats is not None
                                                           else None),
                    expected=_expected(catalog, code, point.tag, span),
                ))
            names = {p.tag: p.name for p in points}
            sources.append(SourceFigures(
                id=source.id, name=source.name, grade=source.grade,
                raised=len(mine),
                realarmed=sum(1 for e in source_events if e.kind is EventKind.REALARMED),
                by_priority={
                    PRIORITY_COLOUR_TERMS[p].zh: priority_counts.get(p, 0)
                    for p in sorted(Priority, key=lambda p: p.rank)
                },
                by_type={
                    ALARM_TYPE_TERMS[t].zh: n
                    for t, n in sorted(type_counts.items(), key=lambda item: -item[1])
                },
                acknowledged=len(delays),
                not_acknowledged=len(mine) - len(delays),
                ack_mean_s=statistics.fmean(delays) if delays else None,
                ack_median_s=statistics.median(delays) if delays else None,
                ack_max_s=max(delays) if delays else None,
                answered_in_time=sum(1 for d in delays if d <= answer_within_s),
                notes=len(notes),
                alarms_with_note=len({e.alarm_id for e in notes}),
                top=[(tag, names.get(tag, ""), n)
                     for tag, n in by_tag.most_common(TOP_CONTRIBUTORS)],
                points=points,
                dispositions=[
                    Disposition(e.ts, e.point.tag, ALARM_TYPE_TERMS[e.alarm_type].zh,
                                e.user or "", e.comment or "")
                    for e in notes
                ],
            ))
        devices = []
        for device in site.devices:
            rate: float | None = None
            if site_stats is not None:
                tags = [p.tag for p in device.points]
                found = [site_stats[t] for t in tags if t in site_stats]
                buckets = max((s.buckets for s in found), default=0)
                with_data = max((s.buckets_with_data for s in found), default=0)
                rate = with_data / buckets if buckets else 0.0
            devices.append(DeviceFigures(device.id, getattr(device, "name", None) or device.id,
                                         rate))
        sites.append(SiteFigures(code, site.enterprise.name, sources, devices, error))
    return Report(
        kind=kind, label=label, start=start, end=end, generated_at=generated_at,
        answer_within_s=answer_within_s, sites=sites, events=len(events), truncated=truncated,
    )
