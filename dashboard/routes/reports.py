"""Reports (日报 / 班报 / 月报) to download.

    GET /api/reports/{daily|shift|monthly}?date=…&shift=…&format=pdf|xlsx|json

``date``: daily YYYY-MM-DD (default yesterday), monthly YYYY-MM (default last month), shift
YYYY-MM-DD with ``shift`` the shift's name (default: the last shift that ended). Any signed-in
person may read them (the auth middleware guards /api/*).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse, Response

from alerting.journal import AlarmJournal
from config.catalog import Catalog
from dashboard.documents.errors import DocumentError, FontMissing
from dashboard.duty.service import DutyServices
from dashboard.reports.figures import Report, ReportKind
from dashboard.reports.make import PeriodError, gather, period_of

Clock = Callable[[], float]
Format = Literal["pdf", "xlsx", "json"]
MEDIA = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DEFAULT_ANSWER_WITHIN_S = 300.0


def render_report(fmt: Format, figures: Report, zone: tzinfo) -> bytes:
    """PDF or Excel, in a worker thread. ReportLab and openpyxl are imported here, on the
    first report asked for: about 25 MB that a gateway nobody downloads a report from never
    holds, and the import (~0.3 s) does not stall the event loop."""
    from dashboard.reports.render import report_pdf, report_xlsx

    return (report_pdf if fmt == "pdf" else report_xlsx)(figures, zone)


def report_filename(report: Report, fmt: str, zone: tzinfo) -> str:
    """ASCII (a header is Latin-1): the kind and the period's start."""
    if report.kind is ReportKind.SHIFT:
        label = datetime.fromtimestamp(report.start, zone).strftime("%Y%m%d-%H%M")
    else:
        label = report.label
    return f"report-{report.kind.value}-{label}.{fmt}"


def reports_router(
    duty: DutyServices, journal: AlarmJournal, catalog: Catalog, *, clock: Clock = time.time
) -> APIRouter:
    api = APIRouter(prefix="/api", tags=["reports"])

    @api.get("/reports/{kind}", response_class=Response)
    async def report(
        kind: ReportKind,
        date: str | None = None,
        shift: str | None = None,
        fmt: Annotated[Format, Query(alias="format")] = "pdf",
    ) -> Response:
        now = clock()
        try:
            period = period_of(kind, date, zone=duty.zone, now=now, schedule=duty.schedule,
                               shift=shift)
        except PeriodError as error:
            raise HTTPException(422, str(error)) from error
        answer_within = (
            duty.reports.answer_within if duty.reports is not None else DEFAULT_ANSWER_WITHIN_S
        )
        figures = await gather(period, journal=journal, catalog=catalog, stats=duty.stats,
                               now=now, answer_within_s=answer_within)
        if fmt == "json":
            body: Any = dataclasses.asdict(figures)
            return JSONResponse(body)
        try:
            data = await asyncio.to_thread(render_report, fmt, figures, duty.zone)
        except (FontMissing, DocumentError) as error:
            raise HTTPException(500, str(error)) from error
        return Response(
            data, media_type=MEDIA[fmt],
            headers={
                "Content-Disposition":
                    f'attachment; filename="{report_filename(figures, fmt, duty.zone)}"',
                "X-Hazgw-Truncated": "true" if figures.truncated else "false",
            },
        )

    return api
