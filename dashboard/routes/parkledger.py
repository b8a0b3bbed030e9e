"""The park's 叫应 ledger and shift report over HTTP, served by every central instance
from the park journal (the same on all of them):

    GET /park/ledger                               the page (ledger and shift report)
    GET /api/park/ledger?since=&until=|shift=      the park alarms raised in the window,
                                                   with the officer's record of each call,
                                                   the enterprise's own ack and clearing
    GET /api/park/ledger.csv?since=&until=&tz=     the same as CSV (times in tz)
    GET /api/park/report?since=&until=|shift=      the shift report of the window

``shift=current`` or ``shift=previous``: that shift of the park's ``shifts:`` schedule
(without one: the 8 hours before now, or the 8 before those). Otherwise: without
``until``, now; without ``since``, 8 hours before ``until``. Any signed-in person may read
them. The computing is ``dashboard.parkledger``'s.
"""

# No `from __future__ import annotations`: FastAPI must see the query aliases.

from dataclasses import asdict
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse, Response

from config.shifts import current_shift
from dashboard.park import ParkSource
from dashboard.parkledger import LedgerRow, entry_to_json, ledger_csv, ledger_rows, shift_report

SHIFT = 8 * 3600.0
MAX_SPAN = 400 * 86400.0
PAGE = Path(__file__).resolve().parents[1] / "static" / "parkledger.html"

Since = Annotated[float | None, Query(description="epoch seconds; default until - 8 h")]
Until = Annotated[float | None, Query(description="epoch seconds; default now")]
Shift = Annotated[Literal["current", "previous"] | None,
                  Query(description="a shift of the schedule instead of since/until")]


def _row(row: LedgerRow) -> dict[str, Any]:
    body = entry_to_json(row.entry)
    body.update(status=row.status.value, answer_s=row.answer_s,
                enterprise_ack_s=row.enterprise_ack_s, duration_s=row.duration_s)
    return body


def _zone(name: str | None) -> tzinfo:
    if not name:
        local = datetime.now().astimezone().tzinfo
        assert local is not None
        return local
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise HTTPException(422, f"unknown time zone {name!r} (e.g. Asia/Shanghai)") from error


def park_ledger_router(park: ParkSource) -> APIRouter:
    api = APIRouter(tags=["park"])

    def window(since: float | None, until: float | None,
               shift: str | None = None) -> tuple[float, float, float, str | None]:
        """[start, end), now, and the shift's name when the window is a shift."""
        now = park.now()
        if shift is not None:
            if since is not None or until is not None:
                raise HTTPException(422, "give shift or since/until, not both")
            schedule = park.shifts()
            if schedule is None:
                back = SHIFT if shift == "previous" else 0.0
                return now - back - SHIFT, now - back, now, None
            period = current_shift(schedule, now)
            if shift == "previous":
                period = current_shift(schedule, period.start - 1.0)
            return period.start, period.end, now, period.name
        end = now if until is None else until
        start = end - SHIFT if since is None else since
        if not start < end or end - start > MAX_SPAN:
            raise HTTPException(422, "since must be before until, at most 400 days apart")
        return start, end, now, None

    @api.get("/park/ledger", include_in_schema=False)
    async def ledger_page() -> FileResponse:
        return FileResponse(PAGE, headers={"Cache-Control": "no-cache"})

    @api.get("/api/park/ledger")
    async def ledger(since: Since = None, until: Until = None,
                     shift: Shift = None) -> dict[str, Any]:
        start, end, now, name = window(since, until, shift)
        rows = ledger_rows(park.journal(), start, end, now)
        return {"since": start, "until": end, "now": now, "shift": name,
                "rows": [_row(r) for r in rows]}

    @api.get("/api/park/ledger.csv", response_class=Response)
    async def ledger_as_csv(since: Since = None, until: Until = None, shift: Shift = None,
                            tz: str | None = None) -> Response:
        start, end, now, _ = window(since, until, shift)
        zone = _zone(tz)
        rows = ledger_rows(park.journal(), start, end, now)
        stamp = datetime.fromtimestamp(start, zone).strftime("%Y%m%d-%H%M")
        return Response(
            "\ufeff" + ledger_csv(rows, zone),  # the BOM: Excel reads the Chinese as UTF-8
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="park-ledger-{stamp}.csv"'},
        )

    @api.get("/api/park/report")
    async def report(since: Since = None, until: Until = None,
                     shift: Shift = None) -> dict[str, Any]:
        start, end, now, name = window(since, until, shift)
        body = asdict(shift_report(park.journal(), start, end, now))
        body.update(now=now, shift=name)
        return body

    return api
