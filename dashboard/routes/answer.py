"""Answer links (叫应 by the link in a notice): ``/a/<token>`` and its API.

    GET  /a/{token}               the page (public, like every page: it asks the API, and a
                                  401 sends the browser to /login?next=/a/<token> and back)
    GET  /api/answer/{token}      what the link opens: the alarm, or why not (used, expired,
                                  forged); any signed-in person
    POST /api/answer/{token}/ack  {comment, disposition}: acknowledge as the signed-in person
                                  (operator or above; a critical alarm needs a disposition
                                  and a comment, ``alerting.ackrules``), journalled with the
                                  link's level and recipient and marked used in the same step

A refused link answers 200 with its ``status`` on GET (the page says why, in both
languages) and 410 on POST (used or expired) or 404 (forged): never a 500. The token is
checked before anything of the alarm is read, so a forged token learns nothing.
"""

# No `from __future__ import annotations`: FastAPI must see the dependency aliases.

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import FileResponse

from alerting.ackrules import AckRequest, ack_comment, refusal
from alerting.answerlinks import AnswerLinks, Grant, Refusal
from alerting.engine import AlarmEngine, UnknownAlarm
from alerting.identity import User
from alerting.journal import AlarmJournal
from alerting.ledger import LinkAnswer
from alerting.ledgerstore import LedgerError, LinkUsed
from alerting.statemachine import AlarmRecord
from config.catalog import Catalog
from dashboard.auth.deps import operator_user
from dashboard.routes.pages import STATIC_DIR
from dashboard.schemas.alarms import AckBody, AlarmOut, AlarmViews
from dashboard.schemas.ledger import AnswerLinkOut

log = logging.getLogger(__name__)

_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def link_comment(grant: Grant, comment: str | None) -> str:
    """The journalled comment of a link acknowledgement: how it came, then what was said."""
    head = f"经通知链接确认（{grant.recipient}，路由 {grant.route}）"
    return f"{head}。{comment}" if comment else head


def answer_router(
    engine: AlarmEngine,
    journal: AlarmJournal,
    catalog: Catalog,
    links: AnswerLinks | None,
    *,
    clock: Callable[[], float] = time.time,
    current_user: Callable[..., User] = operator_user,
    static_dir: Path = STATIC_DIR,
) -> APIRouter:
    router = APIRouter(tags=["alarms"])
    UserDep = Annotated[User, Depends(current_user)]
    views = AlarmViews(catalog)
    page = static_dir / "answer.html"

    def check(token: str) -> Grant | Refusal:
        if links is None:
            return Refusal.FORGED
        return links.check(token, clock())

    @router.get("/a/{token}", include_in_schema=False)
    async def answer_page(token: str) -> FileResponse:
        # The token stays in the path: the page reads it from there. no-referrer keeps it
        # out of other sites' logs; no-store out of shared caches.
        return FileResponse(page, media_type="text/html; charset=utf-8", headers=_HEADERS)

    @router.get("/api/answer/{token}", response_model=AnswerLinkOut)
    async def open_link(token: str) -> AnswerLinkOut:
        grant = check(token)
        if isinstance(grant, Refusal):
            return AnswerLinkOut(status="forged" if grant is Refusal.FORGED else "expired")
        used = journal.ledger.is_used(grant.nonce)
        base = AnswerLinkOut(
            status="ok", route=grant.route, level=grant.level, recipient=grant.recipient,
            expires=grant.expires,
        )
        if used is not None:
            return base.model_copy(
                update={"status": "used", "used_by": used.user, "used_at": used.ts}
            )
        try:
            record = engine.get(grant.alarm_id)
        except UnknownAlarm:
            # Signed by us for an alarm no longer configured: nothing to acknowledge.
            return AnswerLinkOut(status="expired")
        return base.model_copy(update={"alarm": views.alarm(record)})

    @router.post("/api/answer/{token}/ack", response_model=AlarmOut)
    async def acknowledge(token: str, user: UserDep, body: AckBody | None = None) -> AlarmOut:
        grant = check(token)
        if grant is Refusal.FORGED:
            raise HTTPException(
                404, "这不是本系统发出的确认链接 / not an acknowledgement link of this gateway"
            )
        if grant is Refusal.EXPIRED:
            raise HTTPException(410, "确认链接已过期 / the acknowledgement link has expired")
        assert isinstance(grant, Grant)
        used = journal.ledger.is_used(grant.nonce)
        if used is not None:
            raise HTTPException(
                410, f"确认链接已被 {used.user} 使用 / the link was already used by {used.user}"
            )
        request = AckRequest(
            body.comment if body is not None else None,
            body.disposition if body is not None else None,
        )
        refused_by_rule: list[str] = []

        def rules(record: AlarmRecord) -> str | None:
            why = refusal(record, request)
            if why is not None:
                refused_by_rule.append(why)
            return why

        # No await from here to the ledger row: on the one event loop, two requests with
        # the same link cannot interleave, and the nonce is the table's key besides.
        comment = link_comment(grant, ack_comment(request))
        result = engine.acknowledge([grant.alarm_id], user.name, comment, check=rules)
        if result.unknown:
            raise HTTPException(404, f"unknown alarm {grant.alarm_id!r}")
        if refused_by_rule:
            raise HTTPException(422, refused_by_rule[0])
        if result.refused:
            raise HTTPException(409, result.refused[grant.alarm_id])
        record = result.records[grant.alarm_id]
        answer = LinkAnswer(
            nonce=grant.nonce,
            alarm_id=grant.alarm_id,
            ts=record.acked_at if record.acked_at is not None else clock(),
            user=user.name,
            route=grant.route,
            level=grant.level,
            recipient=grant.recipient,
        )
        try:
            journal.ledger.record_link_answer(answer)
        except LinkUsed:  # cannot happen on one loop; refused all the same
            raise HTTPException(410, "确认链接已被使用 / the link was already used") from None
        except LedgerError as error:
            # The acknowledgement stands (journalled, with the link in its comment); the
            # link is not marked used, but the alarm is acknowledged, so a second use finds
            # nothing to acknowledge (409).
            log.error("answer link of %s: %s", grant.alarm_id, error)
        return views.alarm(record)

    return router
