"""GET /api/points: every configured point with its latest reading."""

from __future__ import annotations

from fastapi import APIRouter

from dashboard.deps import ServicesDep
from dashboard.schemas.points import PointsOut
from dashboard.views import points_view


def router() -> APIRouter:
    api = APIRouter(prefix="/api", tags=["points"])

    # async def on purpose: a sync route would run in a worker thread and iterate the
    # live state while the event loop changes it.
    @api.get("/points", response_model=PointsOut)
    async def list_points(services: ServicesDep) -> PointsOut:
        hub = services.hub
        return points_view(services.catalog, services.live, hub.epoch, hub.seq, services.clock())

    return api
