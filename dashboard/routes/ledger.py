"""The 叫应 ledger over HTTP: one alarm's ledger, the answer-time figures.

    GET /api/alarms/{site}/{tag}/{type}/ledger   who was called, by which channel, when,
                                                 the result and retries; each level's
                                                 deadline and whether it was met; who
                                                 answered, how (console or link), when
    GET /api/alarms/answer-times?since=&until=   per priority: raised, acknowledged, median
                                                 and p90 time to acknowledge, share
                                                 acknowledged within the level-1 deadline

Any signed-in person may read them (the gate in front of /api). The computing is
``alerting.ledger``'s; this module reads the journal and shapes the answer.
"""

# No `from __future__ import annotations`: FastAPI must see the dependency aliases.

import time
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from alerting.events import EventKind
from alerting.journal import MAX_HISTORY_ROWS, AlarmJournal, HistoryQuery
from alerting.ledger import answer_figures, build_ledger
from dashboard.routes.alarms import ONE_ALARM, AlarmId
from dashboard.schemas.ledger import AnswerTimesOut, LedgerOut, figures_out, ledger_out

DEFAULT_SPAN = 7 * 86400.0  # answer-times without ``since``: the last week
MAX_SPAN = 400 * 86400.0


def ledger_router(journal: AlarmJournal, *, clock: Callable[[], float] = time.time) -> APIRouter:
    api = APIRouter(prefix="/api", tags=["alarms"])

    @api.get("/alarms/answer-times", response_model=AnswerTimesOut)
    async def answer_times(
        since: Annotated[float | None, Query()] = None,
        until: Annotated[float | None, Query()] = None,
    ) -> AnswerTimesOut:
        now = clock()
        end = now if until is None else until
        start = end - DEFAULT_SPAN if since is None else since
        if not start < end or end - start > MAX_SPAN:
            raise HTTPException(422, "since must be before until, at most 400 days apart")
        # Acknowledgements after ``until`` still answer alarms raised before it.
        events = journal.history(
            HistoryQuery(
                since=start,
                kinds=(EventKind.RAISED, EventKind.ACKNOWLEDGED),
                limit=MAX_HISTORY_ROWS,
                ascending=True,
            )
        )
        notices = journal.ledger.notices(since=start)
        figures = answer_figures(events, notices, start, end, now)
        return AnswerTimesOut(
            since=start,
            until=end,
            priorities=[figures_out(f) for f in figures],
            truncated=len(events) >= MAX_HISTORY_ROWS,
        )

    @api.get(ONE_ALARM + "/ledger", response_model=LedgerOut)
    async def alarm_ledger(ident: AlarmId) -> LedgerOut:
        notices = journal.ledger.notices(alarm_id=ident)
        if not notices and not journal.history(HistoryQuery(alarm_id=ident, limit=1)):
            raise HTTPException(404, f"no alarm {ident!r} in the journal")
        events = journal.history(
            HistoryQuery(
                alarm_id=ident,
                kinds=(EventKind.ACKNOWLEDGED,),
                limit=MAX_HISTORY_ROWS,
                ascending=True,
            )
        )
        links = journal.ledger.link_answers(alarm_id=ident)
        return ledger_out(build_ledger(ident, notices, events, links, clock()))

    return api
