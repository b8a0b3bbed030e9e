"""Alarm bodies: requests (acknowledge, shelve, notes ...) and answers, over REST and the
websocket alike. An alarm event has one shape (``EventOut``) in ``/api/alarms/history``
and in a websocket delta's ``events``; an alarm's current record one shape (``AlarmOut``)
in ``/api/alarms`` and in a delta's ``alarms``. ``AlarmViews`` makes them from the
engine's objects, with the names the catalog gives sites, points and hazard sources.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from alerting.ackrules import Disposition
from alerting.engine import SourceStatus
from alerting.events import SYSTEM_ALARM_TYPES, AlarmEvent, AlarmState, EventKind
from alerting.load import LoadReport
from alerting.statemachine import AlarmRecord
from config.catalog import Catalog
from config.vocabulary import AlarmType, Priority

Value = float | bool | None

# ------------------------------------------------------------------------- bodies


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AckBody(_Body):
    comment: str | None = Field(default=None, max_length=1000)
    # Required, with a comment, for a critical alarm (alerting.ackrules).
    disposition: Disposition | None = None


class BulkAckBody(_Body):
    ids: list[str] = Field(min_length=1, max_length=5000)
    comment: str | None = Field(default=None, max_length=1000)
    disposition: Disposition | None = None  # for the critical alarms among them
    # Critical and high alarms are left out of a bulk acknowledgement unless this is true
    # and a comment is given.
    include_urgent: bool = False


class SilenceBody(_Body):
    ids: list[str] = Field(min_length=1, max_length=5000)
    where: Literal["wall", "console"]


class SilenceOut(BaseModel):
    silenced: list[str]  # the alarms the silence was journalled against


class ShelveBody(_Body):
    reason: str = Field(min_length=1, max_length=500)
    minutes: float = Field(gt=0)


class CommentBody(_Body):
    comment: str | None = Field(default=None, max_length=1000)


class ReasonBody(_Body):
    reason: str = Field(min_length=1, max_length=500)


class OutOfServiceBody(_Body):
    """停用: why, and for how long (hours; it returns to service by itself then)."""

    reason: str = Field(min_length=1, max_length=500)
    hours: float | None = Field(default=None, gt=0, le=720)


class NoteBody(_Body):
    text: str = Field(min_length=1, max_length=4000)


# ------------------------------------------------------------------------ answers


class AlarmOut(BaseModel):
    """An alarm's current record. ``state`` normal: it has left the active list."""

    id: str  # "<site>/<tag>/<type>", also the path /api/alarms/<site>/<tag>/<type>
    site: str
    site_name: str | None
    tag: str
    point_name: str | None
    unit: str | None
    hazard_source: str
    hazard_source_name: str | None
    type: AlarmType
    system: bool  # comm loss / sensor fault: about the measurement, not the process
    priority: Priority
    colour: str
    state: AlarmState
    active: bool
    latching: bool
    value: Value
    limit: float | None
    raised_at: float | None
    acknowledged_at: float | None
    acknowledged_by: str | None
    returned_at: float | None
    shelved_at: float | None
    shelved_by: str | None
    shelved_until: float | None
    shelve_reason: str | None
    removed_at: float | None
    removed_by: str | None
    removed_reason: str | None
    changed_at: float | None


class AlarmsOut(BaseModel):
    alarms: list[AlarmOut]


class EventOut(BaseModel):
    """One journalled alarm event; ``seq`` is its journal sequence number."""

    seq: int
    ts: float
    id: str
    site: str
    tag: str
    hazard_source: str
    type: AlarmType
    kind: EventKind
    state: AlarmState
    priority: Priority
    colour: str
    value: Value
    limit: float | None
    user: str | None
    comment: str | None
    until: float | None


class EventsOut(BaseModel):
    events: list[EventOut]


class AlarmDetailOut(BaseModel):
    alarm: AlarmOut
    events: list[EventOut]


class AckOut(BaseModel):
    acknowledged: list[str]
    refused: dict[str, str]
    unknown: list[str]


class FrequentOut(BaseModel):
    id: str
    count: int


class ChatteringOut(BaseModel):
    id: str
    most_in_window: int
    last: float


class StandingOut(BaseModel):
    id: str
    since: float
    hours: float


class LoadOut(BaseModel):
    site: str
    now: float
    window_seconds: float
    alarms_in_window: int
    flood: bool
    period_seconds: float
    alarms_in_period: int
    top: list[FrequentOut]
    chattering: list[ChatteringOut]
    standing: list[StandingOut]
    dropped: int


class LoadsOut(BaseModel):
    reports: list[LoadOut]


class HazardSourceOut(BaseModel):
    site: str
    site_name: str
    id: str
    name: str
    grade: int
    kind: str
    worst_priority: Priority | None
    colour: str
    annunciated: int
    unacknowledged: int
    shelved: int
    out_of_service: int


class HazardSourcesOut(BaseModel):
    sources: list[HazardSourceOut]


# ------------------------------------------------------------------------ builders


def _finite(value: float | None) -> float | None:
    # JSON has no NaN: a number that is not one is shown as none, never as a number.
    return value if value is None or math.isfinite(value) else None


def _finite_value(value: Value) -> Value:
    return _finite(value) if isinstance(value, float) else value


class AlarmViews:
    """Answer bodies from the engine's objects, named from the catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.site_names = {site.enterprise.code: site.enterprise.name for site in catalog.sites}
        self.source_names = {
            (site.enterprise.code, source.id): source.name
            for site in catalog.sites
            for source in site.hazard_sources
        }

    def alarm(self, record: AlarmRecord) -> AlarmOut:
        info = self.catalog.get(record.point)
        return AlarmOut(
            id=record.alarm_id,
            site=record.point.site,
            # The gateway's own points (site ``_gateway``) are in no site file.
            site_name=self.site_names.get(record.point.site)
            or (info.site_name if info is not None else None),
            tag=record.point.tag,
            point_name=info.config.name if info is not None else None,
            unit=info.config.unit if info is not None else None,
            hazard_source=record.hazard_source,
            hazard_source_name=self.source_names.get((record.point.site, record.hazard_source))
            or (info.hazard_source.name if info is not None else None),
            type=record.alarm_type,
            system=record.alarm_type in SYSTEM_ALARM_TYPES,
            priority=record.priority,
            colour=record.priority.colour,
            state=record.state,
            active=record.active,
            latching=record.latching,
            value=_finite_value(record.value),
            limit=_finite(record.limit),
            raised_at=record.raised_at,
            acknowledged_at=record.acked_at,
            acknowledged_by=record.acked_by,
            returned_at=record.returned_at,
            shelved_at=record.shelved_at,
            shelved_by=record.shelved_by,
            shelved_until=record.shelved_until,
            shelve_reason=record.shelve_reason,
            removed_at=record.removed_at,
            removed_by=record.removed_by,
            removed_reason=record.removed_reason,
            changed_at=record.changed_at,
        )


def event_out(event: AlarmEvent) -> EventOut:
    return EventOut(
        seq=event.seq,
        ts=event.ts,
        id=event.alarm_id,
        site=event.point.site,
        tag=event.point.tag,
        hazard_source=event.hazard_source,
        type=event.alarm_type,
        kind=event.kind,
        state=event.state,
        priority=event.priority,
        colour=event.priority.colour,
        value=_finite_value(event.value),
        limit=_finite(event.limit),
        user=event.user,
        comment=event.comment,
        until=event.until,
    )


def load_out(report: LoadReport) -> LoadOut:
    return LoadOut(
        site=report.site,
        now=report.now,
        window_seconds=report.window,
        alarms_in_window=report.in_window,
        flood=report.flood,
        period_seconds=report.period,
        alarms_in_period=report.in_period,
        top=[FrequentOut(id=item.alarm_id, count=item.count) for item in report.top],
        chattering=[
            ChatteringOut(id=item.alarm_id, most_in_window=item.most_in_window, last=item.last)
            for item in report.chattering
        ],
        standing=[
            StandingOut(id=item.alarm_id, since=item.since, hours=item.hours)
            for item in report.standing
        ],
        dropped=report.dropped,
    )


def source_out(status: SourceStatus) -> HazardSourceOut:
    return HazardSourceOut(
        site=status.site,
        site_name=status.site_name,
        id=status.source.id,
        name=status.source.name,
        grade=status.source.grade,
        kind=status.source.kind.value,
        worst_priority=status.worst,
        colour=status.colour,
        annunciated=status.annunciated,
        unacknowledged=status.unacknowledged,
        shelved=status.shelved,
        out_of_service=status.out_of_service,
    )
