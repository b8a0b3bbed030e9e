"""The alarm API: active alarms, history, actions (叫应, 闭环处置), load, hazard-source colours.

``alarms_router(engine, journal, catalog)`` builds it (``create_app`` does, when the
services have an alarm engine). An alarm is addressed by its id's three parts as path
segments, ``/api/alarms/<site>/<tag>/<type>``: no route can take another's path, whatever
the order they are included in. Bodies and answers: ``dashboard.schemas.alarms``.

    GET  /api/alarms                              active alarms (?site= &hazard_source= &state=)
    GET  /api/alarms/history                      journal query (?since= &until= &site= ... &limit=)
    GET  /api/alarms/load                         EEMUA 191 figures per site (?site=)
    POST /api/alarms/ack                          {ids, comment, disposition, include_urgent}
    POST /api/alarms/silence                      {ids, where}: a screen silenced the tone
    GET  /api/alarms/{site}/{tag}/{type}          one alarm and its recent events
    POST /api/alarms/{site}/{tag}/{type}/ack      {comment, disposition}
    POST /api/alarms/{site}/{tag}/{type}/shelve   {reason, minutes}
    POST /api/alarms/{site}/{tag}/{type}/unshelve {comment}
    POST /api/alarms/{site}/{tag}/{type}/notes    {text}
    POST /api/alarms/{site}/{tag}/{type}/out-of-service  {reason, hours}  engineer or above
    POST /api/alarms/{site}/{tag}/{type}/in-service      {comment}        engineer or above
    GET  /api/hazard-sources                      each hazard source's colour (green when normal)

Errors: 404 unknown alarm or site, 409 an action the alarm's state does not allow, 422 a
bad body, 401 nobody signed in, 403 a role below operator (who acts is the signed-in
person, never a name the request brings). Times are seconds since the epoch. All routes
are ``async def`` so that they run on the event loop with the engine.
"""

# No `from __future__ import annotations` here: FastAPI must see the route signatures'
# dependency aliases (defined inside the factory) as objects, not as strings.

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from alerting.ackrules import AckRequest, ack_comment, refusal
from alerting.engine import ActionError, AlarmEngine, UnknownAlarm
from alerting.events import AlarmState
from alerting.identity import User
from alerting.journal import MAX_HISTORY_ROWS, AlarmJournal, HistoryQuery
from alerting.statemachine import AlarmRecord, InvalidTransition
from config.catalog import Catalog
from dashboard.auth.deps import current_principal, engineer_user, operator_user
from dashboard.auth.principal import Principal
from dashboard.components import ComponentStatus
from dashboard.routes.history_filters import HistoryFilters
from dashboard.schemas.alarms import (
    AckBody,
    AckOut,
    AlarmDetailOut,
    AlarmOut,
    AlarmsOut,
    AlarmViews,
    BulkAckBody,
    CommentBody,
    EventOut,
    EventsOut,
    HazardSourcesOut,
    LoadsOut,
    NoteBody,
    OutOfServiceBody,
    ShelveBody,
    SilenceBody,
    SilenceOut,
    event_out,
    load_out,
    source_out,
)

ONE_ALARM = "/alarms/{site}/{tag}/{alarm_type}"


def alarm_id(site: str, tag: str, alarm_type: str) -> str:
    """The id of the alarm a path names (``SITE/TAG/TYPE``)."""
    return f"{site}/{tag}/{alarm_type}"


AlarmId = Annotated[str, Depends(alarm_id)]


def alarms_router(
    engine: AlarmEngine,
    journal: AlarmJournal,
    catalog: Catalog,
    *,
    current_user: Callable[..., User] = operator_user,
    service_user: Callable[..., User] | None = None,
) -> APIRouter:
    """The alarm routes over a running engine and its journal. ``current_user`` is the
    FastAPI dependency naming who acts: the signed-in operator (or above) by default;
    ``service_user`` who may take alarms out of service and back: an engineer or above
    (a stand-in ``current_user`` of a test acts for both)."""
    api = APIRouter(prefix="/api", tags=["alarms"])
    UserDep = Annotated[User, Depends(current_user)]
    if service_user is None:
        service_user = engineer_user if current_user is operator_user else current_user
    EngineerDep = Annotated[User, Depends(service_user)]
    views = AlarmViews(catalog)
    alarm_out = views.alarm

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
        if site is not None and site not in views.site_names:
            raise HTTPException(404, f"unknown site {site!r}")
        sites = [site] if site is not None else sorted(views.site_names)
        return LoadsOut(reports=[load_out(engine.load_report(code)) for code in sites])

    @api.post("/alarms/ack", response_model=AckOut)
    async def acknowledge_many(body: BulkAckBody, user: UserDep) -> AckOut:
        request = AckRequest(
            body.comment, body.disposition, bulk=len(body.ids) > 1,
            urgent_confirmed=body.include_urgent,
        )
        with _errors():
            result = engine.acknowledge(
                body.ids, user.name, ack_comment(request),
                check=lambda record: refusal(record, request),
            )
        return AckOut(
            acknowledged=result.acknowledged, refused=result.refused, unknown=result.unknown
        )

    @api.post("/alarms/silence", response_model=SilenceOut)
    async def silence(
        body: SilenceBody, who: Annotated[Principal, Depends(current_principal)]
    ) -> SilenceOut:
        # Any signed-in screen (a wall's display token too) may silence its own tone; the
        # silence acknowledges nothing and is journalled with who did it.
        place = "大屏" if body.where == "wall" else "值班台"
        with _errors():
            return SilenceOut(silenced=engine.silence(body.ids, who.name, place))

    @api.get(ONE_ALARM, response_model=AlarmDetailOut)
    async def alarm_detail(
        ident: AlarmId, limit: Annotated[int, Query(ge=1, le=MAX_HISTORY_ROWS)] = 200
    ) -> AlarmDetailOut:
        with _errors():
            record = engine.get(ident)
        events = journal.history(HistoryQuery(alarm_id=ident, limit=limit))
        return AlarmDetailOut(alarm=alarm_out(record), events=[event_out(e) for e in events])

    @api.post(ONE_ALARM + "/ack", response_model=AlarmOut)
    async def acknowledge(ident: AlarmId, user: UserDep, body: AckBody | None = None) -> AlarmOut:
        request = AckRequest(
            body.comment if body is not None else None,
            body.disposition if body is not None else None,
        )
        refused_by_rule: list[str] = []

        def check(record: AlarmRecord) -> str | None:
            why = refusal(record, request)
            if why is not None:
                refused_by_rule.append(why)
            return why

        with _errors():
            result = engine.acknowledge([ident], user.name, ack_comment(request), check=check)
        if result.unknown:
            raise HTTPException(404, f"unknown alarm {ident!r}")
        if refused_by_rule:
            raise HTTPException(422, refused_by_rule[0])
        if result.refused:
            raise HTTPException(409, result.refused[ident])
        # The record as the acknowledgement left it: a returned alarm is now normal and gone
        # from the engine, so asking the engine again would answer a blank record.
        return alarm_out(result.records[ident])

    @api.post(ONE_ALARM + "/shelve", response_model=AlarmOut)
    async def shelve(ident: AlarmId, body: ShelveBody, user: UserDep) -> AlarmOut:
        with _errors():
            return alarm_out(engine.shelve(ident, user.name, body.reason, body.minutes * 60))

    @api.post(ONE_ALARM + "/unshelve", response_model=AlarmOut)
    async def unshelve(ident: AlarmId, user: UserDep, body: CommentBody | None = None) -> AlarmOut:
        with _errors():
            return alarm_out(engine.unshelve(ident, user.name, body.comment if body else None))

    @api.post(ONE_ALARM + "/notes", response_model=EventOut)
    async def add_note(ident: AlarmId, body: NoteBody, user: UserDep) -> EventOut:
        with _errors():
            return event_out(engine.add_note(ident, user.name, body.text))

    @api.post(ONE_ALARM + "/out-of-service", response_model=AlarmOut)
    async def remove_from_service(
        ident: AlarmId, body: OutOfServiceBody, user: EngineerDep
    ) -> AlarmOut:
        duration = body.hours * 3600 if body.hours is not None else None
        with _errors():
            return alarm_out(engine.remove_from_service(ident, user.name, body.reason, duration))

    @api.post(ONE_ALARM + "/in-service", response_model=AlarmOut)
    async def return_to_service(
        ident: AlarmId, user: EngineerDep, body: CommentBody | None = None
    ) -> AlarmOut:
        with _errors():
            return alarm_out(
                engine.return_to_service(ident, user.name, body.comment if body else None)
            )

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
            "ledger_errors": engine.journal.ledger.errors,  # 叫应 ledger writes that failed
            "stalls": stats.stalls,  # the gateway stood still (alerting.stall)
            "longest_stall_s": round(stats.longest_stall),
        },
        detail=None if engine.journal_healthy else "alarm journal failing: events kept in memory",
    )
