"""Shifts and the handover book (交接班).

    GET  /api/shifts/current            the schedule's current shift, the one being handed
                                        over, and the last handover
    GET  /api/handovers/open-items      what a handover now would carry over
    GET  /api/handovers?limit=&before=  the book, newest first
    GET  /api/handovers/{id}            one record, its corrections, whether the book is intact
    GET  /api/handovers/{id}/pdf        the record as PDF
    POST /api/handovers                 sign a handover (operator): the signed-in officer is
                                        the 交班人 and signs with their password; the 接班人
                                        signs with their own user name and password
    POST /api/handovers/{id}/corrections  a correction, signed by its writer's password

Records are never changed (``dashboard/duty/handovers.py``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import tzinfo
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from alerting.engine import AlarmEngine
from alerting.events import EventKind
from alerting.journal import AlarmJournal, HistoryQuery
from collectors.health import CollectorHealth
from config.catalog import Catalog
from config.shifts import current_shift
from dashboard.auth import audit
from dashboard.auth.deps import Operator, auth_of, client_address
from dashboard.auth.roles import Role
from dashboard.auth.service import LoginRefused, LoginThrottled
from dashboard.documents.errors import DocumentError, FontMissing
from dashboard.duty.handovers import EntryKind, HandoverDraft, HandoverError, HandoverRecord
from dashboard.duty.openitems import oldest_open, open_items
from dashboard.duty.service import DutyServices

log = logging.getLogger(__name__)
Clock = Callable[[], float]
MAX_NOTES = 4000


class ShiftOut(BaseModel):
    name: str
    start: float
    end: float
    officers: list[str]


class HandoverOut(BaseModel):
    id: int
    kind: EntryKind
    corrects: int | None
    shift: str
    period_start: float
    period_end: float
    outgoing: str
    outgoing_signed_at: float
    incoming: str | None
    incoming_signed_at: float | None
    notes: str
    open_items: dict[str, Any]
    hash: str


class CurrentShiftOut(BaseModel):
    timezone: str
    scheduled: bool
    current: ShiftOut | None
    handing_over: ShiftOut
    last_handover: HandoverOut | None


class HandoverDetailOut(BaseModel):
    record: HandoverOut
    corrections: list[HandoverOut]
    book_intact: bool
    first_broken: int | None


class HandoverIn(BaseModel):
    notes: str = Field(default="", max_length=MAX_NOTES)
    outgoing_password: str = Field(min_length=1, max_length=1024)
    incoming: str = Field(min_length=1, max_length=64)
    incoming_password: str = Field(min_length=1, max_length=1024)


class CorrectionIn(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_NOTES)
    password: str = Field(min_length=1, max_length=1024)


def record_pdf(
    record: HandoverRecord, corrections: Sequence[HandoverRecord], zone: tzinfo, *,
    enterprise: str,
) -> bytes:
    """The record as PDF, in a worker thread. ReportLab is imported here, on the first PDF
    asked for: memory a gateway nobody prints from never holds, and the import does not
    stall the event loop."""
    from dashboard.documents.handover_pdf import handover_pdf

    return handover_pdf(record, corrections, zone, enterprise=enterprise)


def handover_out(record: HandoverRecord) -> HandoverOut:
    return HandoverOut(
        id=record.id, kind=record.kind, corrects=record.corrects, shift=record.shift,
        period_start=record.period_start, period_end=record.period_end,
        outgoing=record.outgoing, outgoing_signed_at=record.outgoing_signed_at,
        incoming=record.incoming, incoming_signed_at=record.incoming_signed_at,
        notes=record.notes, open_items=record.open_items, hash=record.hash,
    )


def handover_router(
    duty: DutyServices,
    engine: AlarmEngine,
    journal: AlarmJournal,
    catalog: Catalog,
    collectors: Callable[[], Sequence[CollectorHealth]],
    *,
    clock: Clock = time.time,
) -> APIRouter:
    api = APIRouter(prefix="/api", tags=["handover"])
    book = duty.book

    def snapshot() -> dict[str, Any]:
        current = engine.active()
        since = oldest_open(current)
        escalations = (
            journal.history(HistoryQuery(since=since, kinds=(EventKind.ESCALATED,),
                                         limit=10_000))
            if since is not None else []
        )
        return open_items(current, escalations, collectors(), catalog)

    def shift_out(period: Any) -> ShiftOut:
        return ShiftOut(name=period.name, start=period.start, end=period.end,
                        officers=list(period.officers))

    async def sign(request: Request, name: str, password: str, who: str) -> str:
        auth = auth_of(request)
        if auth is None:
            raise HTTPException(503, "没有用户库，无法签名 / no user database: cannot sign")
        try:
            user = await auth.verify_signature(name, password, client_address(request))
        except LoginThrottled as error:
            raise HTTPException(
                429, f"{who}密码错误次数过多，请稍后再试 / too many wrong passwords",
                {"Retry-After": error.block.retry_after_header},
            ) from error
        except LoginRefused as error:
            raise HTTPException(403, f"{who}用户名或密码不正确 / {who}: wrong user name or "
                                "password") from error
        if not user.role.at_least(Role.OPERATOR):
            raise HTTPException(403, f"{who} {user.name} 不是值班人员 / needs role operator")
        return user.name

    @api.get("/shifts/current", response_model=CurrentShiftOut)
    async def shifts_current() -> CurrentShiftOut:
        now = clock()
        last = book.last_handover()
        return CurrentShiftOut(
            timezone=duty.schedule.timezone if duty.schedule else duty.zone_name,
            scheduled=duty.schedule is not None,
            current=shift_out(current_shift(duty.schedule, now)) if duty.schedule else None,
            handing_over=shift_out(duty.handed_over(now)),
            last_handover=handover_out(last) if last is not None else None,
        )

    @api.get("/handovers/open-items")
    async def preview() -> dict[str, Any]:
        return snapshot()

    @api.get("/handovers", response_model=list[HandoverOut])
    async def listing(
        limit: Annotated[int, Query(ge=1, le=500)] = 50, before: int | None = None
    ) -> list[HandoverOut]:
        return [handover_out(r) for r in book.recent(limit, before)]

    def found(record_id: int) -> HandoverRecord:
        record = book.get(record_id)
        if record is None:
            raise HTTPException(404, f"没有交接班记录 {record_id} / no handover record {record_id}")
        return record

    @api.get("/handovers/{record_id}", response_model=HandoverDetailOut)
    async def detail(record_id: int) -> HandoverDetailOut:
        record = found(record_id)
        broken = book.verify()
        return HandoverDetailOut(
            record=handover_out(record),
            corrections=[handover_out(c) for c in book.corrections_of(record_id)],
            book_intact=broken is None,
            first_broken=broken,
        )

    @api.get("/handovers/{record_id}/pdf", response_class=Response)
    async def as_pdf(record_id: int) -> Response:
        record = found(record_id)
        corrections = book.corrections_of(record_id)
        enterprise = "、".join(site.enterprise.name for site in catalog.sites)
        try:
            data = await asyncio.to_thread(
                record_pdf, record, corrections, duty.zone, enterprise=enterprise
            )
        except (FontMissing, DocumentError) as error:
            raise HTTPException(500, str(error)) from error
        return Response(
            data, media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="handover-{record_id}.pdf"'},
        )

    @api.post("/handovers", response_model=HandoverOut, status_code=201)
    async def handover(
        body: HandoverIn, request: Request, principal: Operator
    ) -> HandoverOut:
        outgoing = await sign(request, principal.name, body.outgoing_password, "交班人")
        if body.incoming.strip() == outgoing:
            raise HTTPException(422, "接班人不能是交班人本人 / the incoming officer must be "
                                "another person")
        incoming = await sign(request, body.incoming.strip(), body.incoming_password, "接班人")
        now = clock()
        period = duty.handed_over(now)
        draft = HandoverDraft(
            kind=EntryKind.HANDOVER, shift=period.name, period_start=period.start,
            period_end=period.end, outgoing=outgoing, outgoing_signed_at=now,
            notes=body.notes.strip(), open_items=snapshot(), incoming=incoming,
            incoming_signed_at=now,
        )
        record = write(draft)
        auth = auth_of(request)
        if auth is not None:
            auth.record(audit.HANDOVER_SIGNED, user=outgoing, target=f"handover/{record.id}",
                        detail=f"接班人 {incoming}", address=client_address(request))
        if duty.on_handover is not None:
            await duty.on_handover(record.id)
        return handover_out(record)

    def write(draft: HandoverDraft) -> HandoverRecord:
        try:
            return book.add(draft)
        except HandoverError as error:
            log.error("handover not written: %s", error)
            raise HTTPException(500, f"交接班记录未能保存 / not saved: {error}") from error

    @api.post("/handovers/{record_id}/corrections", response_model=HandoverOut,
              status_code=201)
    async def correct(
        record_id: int, body: CorrectionIn, request: Request,
        principal: Operator,
    ) -> HandoverOut:
        original = found(record_id)
        writer = await sign(request, principal.name, body.password, "更正人")
        now = clock()
        record = write(HandoverDraft(
            kind=EntryKind.CORRECTION, shift=original.shift,
            period_start=original.period_start, period_end=original.period_end,
            outgoing=writer, outgoing_signed_at=now, notes=body.text.strip(), open_items={},
            corrects=original.id,
        ))
        auth = auth_of(request)
        if auth is not None:
            auth.record(audit.HANDOVER_CORRECTED, user=writer, target=f"handover/{record_id}",
                        detail=audit.clip(body.text), address=client_address(request))
        return handover_out(record)

    return api
