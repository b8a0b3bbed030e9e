"""The duty console's data: alarm history as CSV, a point's trend, the shift summary.

``console_router(journal, engine, catalog, trend=build_trend_source(storage))`` builds it
(``create_app`` does, when the services have an alarm engine).

    GET /api/alarms/history.csv   the filters of /api/alarms/history, plus &tz=Asia/Shanghai
    GET /api/trend?site=&tag=&range=1h|8h|24h|7d
    GET /api/shift-summary?hours=8

Any signed-in person may read these (the auth middleware guards /api/*).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, tzinfo
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from alerting.engine import AlarmEngine
from alerting.events import AlarmEvent, EventKind
from alerting.journal import MAX_HISTORY_ROWS, AlarmJournal, HistoryQuery
from config.catalog import Catalog, PointKey
from config.vocabulary import AlarmType, Priority
from dashboard.routes.console_views import (
    CsvLedger,
    ShiftSummaryOut,
    history_csv,
    shift_summary,
)
from dashboard.routes.history_filters import HistoryFilters
from dashboard.trends import TrendError, TrendSource, trend_window

Clock = Callable[[], float]
RangeName = Literal["1h", "8h", "24h", "7d"]
MAX_TREND_ALARMS = 500
# Moments worth a mark on a trend: when the condition came and went, and the answers.
TREND_MARKS = (EventKind.RAISED, EventKind.RETURNED, EventKind.ACKNOWLEDGED, EventKind.REALARMED)


class TrendAlarmOut(BaseModel):
    ts: float
    type: AlarmType
    kind: EventKind
    priority: Priority


class TrendOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    site: str
    tag: str
    name: str
    unit: str
    range: RangeName
    interval_s: float
    from_: float = Field(alias="from")
    to: float
    points: list[tuple[float, float | None, float | None, float | None]]
    limits: dict[str, float]
    alarms: list[TrendAlarmOut]


def _zone(name: str | None) -> tzinfo:
    if not name:
        local = datetime.now().astimezone().tzinfo
        return local if local is not None else UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise HTTPException(422, f"unknown time zone {name!r} (e.g. Asia/Shanghai)") from error


_NOTICE_KINDS = frozenset({EventKind.NOTIFIED, EventKind.NOTIFY_FAILED})


def csv_ledger(journal: AlarmJournal, events: Sequence[AlarmEvent], now: float) -> CsvLedger:
    """The 叫应 ledger behind the exported events: the rows of their notice events, and the
    acknowledgements of the alarms notified (to judge deadlines) and of those exported (to
    say how they came). One indexed query per alarm, bounded by the configured alarms."""
    seqs = [event.seq for event in events if event.kind in _NOTICE_KINDS]
    notices = journal.ledger.notices_of_events(seqs)
    notified = {rows[0].alarm_id for rows in notices.values() if rows}
    acked = {event.alarm_id for event in events if event.kind is EventKind.ACKNOWLEDGED}
    acks: dict[str, list[float]] = {}
    links = []
    for alarm in sorted(notified | acked):
        if alarm in notified:
            acks[alarm] = [
                event.ts
                for event in journal.history(
                    HistoryQuery(
                        alarm_id=alarm, kinds=(EventKind.ACKNOWLEDGED,), limit=MAX_HISTORY_ROWS
                    )
                )
                if event.user is not None
            ]
        if alarm in acked:
            links += journal.ledger.link_answers(alarm_id=alarm)
    return CsvLedger(now, notices, acks, links)


def console_router(
    journal: AlarmJournal,
    engine: AlarmEngine,
    catalog: Catalog,
    *,
    trend: TrendSource | None,
    clock: Clock = time.time,
) -> APIRouter:
    api = APIRouter(prefix="/api", tags=["console"])

    @api.get("/alarms/history.csv", response_class=Response)
    async def history_export(
        filters: HistoryFilters,
        limit: Annotated[int, Query(ge=1, le=MAX_HISTORY_ROWS)] = MAX_HISTORY_ROWS,
        tz: str | None = None,
    ) -> Response:
        zone = _zone(tz)
        events = journal.history(replace(filters, limit=limit))
        ledger = csv_ledger(journal, events, clock())
        stamp = datetime.fromtimestamp(clock(), zone).strftime("%Y%m%d-%H%M")
        return Response(
            history_csv(events, catalog, zone, ledger),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="alarm-history-{stamp}.csv"',
                "X-Hazgw-Rows": str(len(events)),
                # Newest first: a full page means older events were left out (page with
                # before_seq = the smallest 序号).
                "X-Hazgw-Truncated": "true" if len(events) >= limit else "false",
            },
        )

    @api.get("/trend", response_model=TrendOut, response_model_by_alias=True)
    async def point_trend(
        site: str,
        tag: str,
        range_name: Annotated[RangeName, Query(alias="range")] = "1h",
    ) -> TrendOut:
        key = PointKey(site, tag)
        info = catalog.get(key)
        if info is None:
            raise HTTPException(404, f"unknown point {key}")
        if trend is None:
            raise HTTPException(
                503, "没有配置数据库，无法查询趋势 / no storage configured: trends need InfluxDB "
                "(storage: in the gateway file)"
            )
        window = trend_window(range_name, clock())
        try:
            points = await trend.query(key, window)
        except TrendError as error:
            raise HTTPException(502, f"trend query failed: {error}") from error
        evaluator = engine.point_rules(key)
        limits = (
            {spec.alarm_type.value: spec.value for spec in evaluator.rules.limits}
            if evaluator is not None
            else {}
        )
        marks = journal.history(
            HistoryQuery(
                # ``until`` is exclusive: an alarm raised this very moment still gets a mark.
                site=site, tag=tag, since=window.start, until=window.end + 0.001,
                kinds=TREND_MARKS,
                limit=MAX_TREND_ALARMS, ascending=True,
            )
        )
        return TrendOut(
            site=site,
            tag=tag,
            name=info.config.name,
            unit=info.config.unit,
            range=range_name,
            interval_s=window.interval,
            from_=window.start,
            to=window.end,
            points=points,
            limits=limits,
            alarms=[
                TrendAlarmOut(ts=e.ts, type=e.alarm_type, kind=e.kind, priority=e.priority)
                for e in marks
            ],
        )

    @api.get("/shift-summary", response_model=ShiftSummaryOut, response_model_by_alias=True)
    async def shift(hours: Annotated[float, Query(gt=0, le=168)] = 8.0) -> ShiftSummaryOut:
        end = clock()
        start = end - hours * 3600.0
        # Newest first with the limit, so that in a flood the recent events are the ones kept.
        events = journal.history(
            HistoryQuery(since=start, until=end + 1e-6, limit=MAX_HISTORY_ROWS)
        )
        events.reverse()
        return shift_summary(
            events, engine.active(), catalog, start=start, end=end,
            truncated=len(events) >= MAX_HISTORY_ROWS,
        )

    return api
