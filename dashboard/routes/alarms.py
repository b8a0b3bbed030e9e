"""The alarm API: active alarms, history, actions (叫应, 闭环处置), load, hazard-source colours.

``alarms_router(engine, journal, catalog)`` builds it; the gateway passes it to
``create_app(..., extra_routers=[...])``. Alarm ids contain slashes
(``DEMO-CHEM/GT-201/HH``) and are taken whole from the path.

    GET  /api/alarms                         active alarms (?site= &hazard_source= &state=)
    GET  /api/alarms/history                 journal query (?since= &until= &site= ... &limit=)
    GET  /api/alarms/load                    EEMUA 191 figures per site (?site=)
    POST /api/alarms/ack                     {ids: [...], comment}: many at once
    GET  /api/alarms/{id}                    one alarm and its recent events
    POST /api/alarms/{id}/ack                {comment}
    POST /api/alarms/{id}/shelve             {reason, minutes}
    POST /api/alarms/{id}/unshelve           {comment}
    POST /api/alarms/{id}/notes              {text}
    POST /api/alarms/{id}/out-of-service     {reason}
    POST /api/alarms/{id}/in-service         {comment}
    GET  /api/hazard-sources                 each hazard source's colour (green when normal)

Errors: 404 unknown alarm or site, 409 an action the alarm's state does not allow, 422 a
bad body, 401 no user (see ``alerting.identity``). Times are seconds since the epoch.
All routes are ``async def`` so that they run on the event loop with the engine.
"""

# No `from __future__ import annotations` here: FastAPI must see the route signatures'
# dependency aliases (defined inside the factory) as objects, not as strings.

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from alerting.engine import ActionError, AlarmEngine, SourceStatus, UnknownAlarm
from alerting.events import SYSTEM_ALARM_TYPES, AlarmEvent, AlarmState, EventKind
from alerting.identity import User, current_user
from alerting.journal import MAX_HISTORY_ROWS, AlarmJournal, HistoryQuery
from alerting.load import LoadReport
from alerting.statemachine import AlarmRecord, InvalidTransition
from config.catalog import Catalog
from config.vocabulary import AlarmType, Priority
from dashboard.routes.history_filters import HistoryFilters
from dashboard.services import ComponentStatus

# ------------------------------------------------------------------------- bodies


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AckBody(_Body):
    comment: str | None = Field(default=None, max_length=1000)


class BulkAckBody(_Body):
    ids: list[str] = Field(min_length=1, max_length=5000)
    comment: str | None = Field(default=None, max_length=1000)


class ShelveBody(_Body):
    reason: str = Field(min_length=1, max_length=500)
    minutes: float = Field(gt=0)


class CommentBody(_Body):
    comment: str | None = Field(default=None, max_length=1000)


class ReasonBody(_Body):
    reason: str = Field(min_length=1, max_length=500)


class NoteBody(_Body):
    text: str = Field(min_length=1, max_length=4000)


# ------------------------------------------------------------------------ answers


class AlarmOut(BaseModel):
    id: str
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
    value: float | bool | None
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
    value: float | bool | None
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


# ------------------------------------------------------------------------- router


def alarms_router(
    engine: AlarmEngine,
    journal: AlarmJournal,
    catalog: Catalog,
    *,
    current_user: Callable[..., User] = current_user,
) -> APIRouter:
    """The alarm routes over a running engine and its journal. ``current_user`` is the
    FastAPI dependency naming who acts (default: ``alerting.identity.current_user``)."""
    api = APIRouter(prefix="/api", tags=["alarms"])
    UserDep = Annotated[User, Depends(current_user)]
    site_names = {site.enterprise.code: site.enterprise.name for site in catalog.sites}
    source_names = {
        (site.enterprise.code, source.id): source.name
        for site in catalog.sites
        for source in site.hazard_sources
    }

    def alarm_out(record: AlarmRecord) -> AlarmOut:
        info = catalog.get(record.point)
        return AlarmOut(
            id=record.alarm_id,
            site=record.point.site,
            site_name=site_names.get(record.point.site),
            tag=record.point.tag,
            point_name=info.config.name if info is not None else None,
            unit=info.config.unit if info is not None else None,
            hazard_source=record.hazard_source,
            hazard_source_name=source_names.get((record.point.site, record.hazard_source)),
            type=record.alarm_type,
            system=record.alarm_type in SYSTEM_ALARM_TYPES,
            priority=record.priority,
            colour=record.priority.colour,
            state=record.state,
            active=record.active,
            latching=record.latching,
            value=record.value,
            limit=record.limit,
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

    @api.get("/alarms", response_model=AlarmsOut)
    async def list_alarms(
        site: str | None = None,
        hazard_source: str | None = None,
        state: Annotated[list[AlarmState] | None, Query()] = None,
    ) -> AlarmsOut:
        records = engine.active(site, hazard_source)
        if state:
            wanted = set(state)
            records = [record for record in records if record.state in wanted]
        return AlarmsOut(alarms=[alarm_out(record) for record in records])

    @api.get("/alarms/history", response_model=EventsOut)
    async def history(
        filters: HistoryFilters,
        limit: Annotated[int, Query(ge=1, le=MAX_HISTORY_ROWS)] = 500,
    ) -> EventsOut:
        query = replace(filters, limit=limit)
        return EventsOut(events=[event_out(event) for event in journal.history(query)])

    @api.get("/alarms/load", response_model=LoadsOut)
    async def load(site: str | None = None) -> LoadsOut:
        if site is not None and site not in site_names:
            raise HTTPException(404, f"unknown site {site!r}")
        sites = [site] if site is not None else sorted(site_names)
        return LoadsOut(reports=[load_out(engine.load_report(code)) for code in sites])

    @api.post("/alarms/ack", response_model=AckOut)
    async def acknowledge_many(body: BulkAckBody, user: UserDep) -> AckOut:
        with _errors():
            result = engine.acknowledge(body.ids, user.name, body.comment)
        return AckOut(
            acknowledged=result.acknowledged, refused=result.refused, unknown=result.unknown
        )

    @api.post("/alarms/{alarm_id:path}/ack", response_model=AlarmOut)
    async def acknowledge(alarm_id: str, user: UserDep, body: AckBody | None = None) -> AlarmOut:
        comment = body.comment if body is not None else None
        with _errors():
            result = engine.acknowledge([alarm_id], user.name, comment)
        if result.unknown:
            raise HTTPException(404, f"unknown alarm {alarm_id!r}")
        if result.refused:
            raise HTTPException(409, result.refused[alarm_id])
        # The record as the acknowledgement left it: a returned alarm is now normal and gone
        # from the engine, so asking the engine again would answer a blank record.
        return alarm_out(result.records[alarm_id])

    @api.post("/alarms/{alarm_id:path}/shelve", response_model=AlarmOut)
    async def shelve(alarm_id: str, body: ShelveBody, user: UserDep) -> AlarmOut:
        with _errors():
            return alarm_out(engine.shelve(alarm_id, user.name, body.reason, body.minutes * 60))

    @api.post("/alarms/{alarm_id:path}/unshelve", response_model=AlarmOut)
    async def unshelve(alarm_id: str, user: UserDep, body: CommentBody | None = None) -> AlarmOut:
        with _errors():
            return alarm_out(engine.unshelve(alarm_id, user.name, body.comment if body else None))

    @api.post("/alarms/{alarm_id:path}/notes", response_model=EventOut)
    async def add_note(alarm_id: str, body: NoteBody, user: UserDep) -> EventOut:
        with _errors():
            return event_out(engine.add_note(alarm_id, user.name, body.text))

    @api.post("/alarms/{alarm_id:path}/out-of-service", response_model=AlarmOut)
    async def remove_from_service(alarm_id: str, body: ReasonBody, user: UserDep) -> AlarmOut:
        with _errors():
            return alarm_out(engine.remove_from_service(alarm_id, user.name, body.reason))

    @api.post("/alarms/{alarm_id:path}/in-service", response_model=AlarmOut)
    async def return_to_service(
        alarm_id: str, user: UserDep, body: CommentBody | None = None
    ) -> AlarmOut:
        with _errors():
            return alarm_out(
                engine.return_to_service(alarm_id, user.name, body.comment if body else None)
            )

    @api.get("/alarms/{alarm_id:path}", response_model=AlarmDetailOut)
    async def alarm_detail(
        alarm_id: str, limit: Annotated[int, Query(ge=1, le=MAX_HISTORY_ROWS)] = 200
    ) -> AlarmDetailOut:
        with _errors():
            record = engine.get(alarm_id)
        events = journal.history(HistoryQuery(alarm_id=alarm_id, limit=limit))
        return AlarmDetailOut(alarm=alarm_out(record), events=[event_out(e) for e in events])

    @api.get("/hazard-sources", response_model=HazardSourcesOut)
    async def hazard_sources() -> HazardSourcesOut:
        return HazardSourcesOut(sources=[source_out(status) for status in engine.hazard_sources()])

    return api


@contextmanager
def _errors() -> Iterator[None]:
    """Map the engine's exceptions onto HTTP statuses."""
    try:
        yield
    except UnknownAlarm as error:
        raise HTTPException(404, str(error)) from error
    except InvalidTransition as error:
        raise HTTPException(409, str(error)) from error
    except ActionError as error:
        raise HTTPException(422, str(error)) from error


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
        value=event.value,
        limit=event.limit,
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


def alarm_component(engine: AlarmEngine) -> ComponentStatus:
    """The engine and its journal for ``/api/health`` (``DashboardServices.components``)."""
    stats = engine.stats
    return ComponentStatus(
        name="alarms",
        ok=engine.journal_healthy,
        counters={
            "points": engine.point_count,
            "readings": stats.readings,
            "unknown_readings": stats.unknown_readings,
            "events": stats.events,
            "active": len(engine.active()),
            "journal_errors": stats.journal_errors,
            "unjournalled": engine.unjournalled,
            "unjournalled_dropped": stats.unjournalled_dropped,
            "listener_errors": stats.listener_errors,
        },
        detail=None if engine.journal_healthy else "alarm journal failing: events kept in memory",
    )
