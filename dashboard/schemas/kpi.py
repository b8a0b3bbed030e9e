"""The answer of ``GET /api/alarms/kpi``: alarm-system KPIs with their targets beside them."""

from __future__ import annotations

from alerting.kpi import Kpis, Targets
from config.vocabulary import Priority
from dashboard.schemas.base import Schema


class TargetsOut(Schema):
    per_10min: float
    per_day: float
    peak_10min: int
    flood_share: float
    top10_share: float
    chattering: int
    stale: int
    mix_low: float
    mix_medium: float
    mix_high: float


class SpanOut(Schema):
    start: float
    end: float


class ContributorOut(Schema):
    alarm_id: str
    tag: str
    name: str  # the point's name from the site file ("" when the catalog lacks it)
    count: int
    share: float


class ChatteringOut(Schema):
    alarm_id: str
    most_in_window: int


class StaleOut(Schema):
    alarm_id: str
    active_since: float
    hours: float


class SuppressedOut(Schema):
    alarm_id: str
    seconds: float


class PriorityOut(Schema):
    priority: Priority
    count: int
    share: float


class MixOut(Schema):
    """The ISA-18.2 three bands: low (蓝), medium (黄), high (橙 and 红)."""

    low: float
    medium: float
    high: float


class ScopeOut(Schema):
    """One duty post or hazard source and its headline figures over the same period."""

    id: str
    label: str
    alarms: int
    per_10min: float
    per_day: float
    peak_10min: int
    flood_share: float


class KpiOut(Schema):
    since: float
    until: float
    post: str | None
    source: str | None
    events_read: int
    alarms: int
    per_10min: float
    per_day: float
    peak_10min: int
    flood_seconds: float
    flood_share: float
    floods: list[SpanOut]
    top: list[ContributorOut]
    top_share: float
    chattering: list[ChatteringOut]
    stale: list[StaleOut]
    shelved: list[SuppressedOut]
    shelved_seconds: float
    out_of_service: list[SuppressedOut]
    out_of_service_seconds: float
    priorities: list[PriorityOut]
    mix: MixOut
    targets: TargetsOut
    posts: list[ScopeOut]
    sources: list[ScopeOut]


def targets_out(targets: Targets) -> TargetsOut:
    return TargetsOut(
        per_10min=targets.per_10min, per_day=targets.per_day, peak_10min=targets.peak_10min,
        flood_share=targets.flood_share, top10_share=targets.top10_share,
        chattering=targets.chattering, stale=targets.stale, mix_low=targets.mix_low,
        mix_medium=targets.mix_medium, mix_high=targets.mix_high,
    )


def mix_out(kpis: Kpis) -> MixOut:
    shares = {item.priority: item.share for item in kpis.priorities}
    return MixOut(
        low=shares[Priority.LOW],
        medium=shares[Priority.MEDIUM],
        high=shares[Priority.HIGH] + shares[Priority.CRITICAL],
    )


def scope_out(ident: str, label: str, kpis: Kpis) -> ScopeOut:
    return ScopeOut(
        id=ident, label=label, alarms=kpis.alarms, per_10min=kpis.per_10min,
        per_day=kpis.per_day, peak_10min=kpis.peak_10min, flood_share=kpis.flood_share,
    )

