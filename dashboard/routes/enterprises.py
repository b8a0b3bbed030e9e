"""The park's wall (``/park``) and API, served by every central instance:

- ``GET /api/enterprises``: every enterprise with name, code, online state, age of its last
  data, worst active alarm, major-hazard grade, backlog and refusal counts.
- ``GET /api/enterprises/{code}``: one enterprise with its hazard sources, points, active
  alarms and contacts (the drill-down).
- ``GET /api/park``: the park's figures (在线率, alarms today, unanswered 叫应) and alarms.
- ``POST /api/park/alarms/{id}/response``: the duty officer records who answered a 叫应
  call, when, and what was done (an operator; who records it comes from the sign-in).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from alerting.identity import User
from dashboard.auth import operator_user
from dashboard.park import CallResponse, ParkSource


class ResponseIn(BaseModel):
    answered_by: str = Field(min_length=1, max_length=100, description="who answered the call")
    answered_at: float = Field(description="when (epoch seconds)")
    action: str = Field(min_length=1, max_length=2000, description="what was done")


def _summary(status: Any) -> dict[str, Any]:
    body = asdict(status)
    for heavy in ("points", "hazard_sources", "contacts", "active_alarms"):
        body.pop(heavy, None)
    return body


PARK_PAGE = Path(__file__).resolve().parents[1] / "static" / "park.html"


def enterprises_router(park: ParkSource) -> APIRouter:
    api = APIRouter(tags=["park"])

    @api.get("/park", include_in_schema=False)
    async def park_wall() -> FileResponse:
        return FileResponse(PARK_PAGE, headers={"Cache-Control": "no-cache"})

    @api.get("/api/enterprises")
    async def list_enterprises() -> dict[str, Any]:
        return {"enterprises": [_summary(e) for e in park.enterprises()]}

    @api.get("/api/enterprises/{code}")
    async def one_enterprise(code: str) -> dict[str, Any]:
        for status in park.enterprises():
            if status.code == code:
                return asdict(status)
        raise HTTPException(404, f"no enterprise {code!r} in the park")

    @api.get("/api/park")
    async def park_overview() -> dict[str, Any]:
        return {
            "figures": asdict(park.figures()),
            "alarms": [asdict(alarm) for alarm in park.alarms()],
        }

    @api.post("/api/park/alarms/{alarm_id:path}/response")
    async def respond(
        alarm_id: str, body: ResponseIn, user: Annotated[User, Depends(operator_user)]
    ) -> dict[str, Any]:
        response = CallResponse(
            answered_by=body.answered_by, answered_at=body.answered_at, action=body.action,
            recorded_by=user.name,
        )
        alarm = await park.record_response(alarm_id, response)
        if alarm is None:
            raise HTTPException(404, f"no 叫应 alarm {alarm_id!r}")
        return asdict(alarm)

    return api
