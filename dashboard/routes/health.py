"""GET /api/health: collectors, devices, pipeline/storage and websocket counters.

Answers 503 when the gateway is down (no collector connected), 200 otherwise, so that
a plain HTTP check can watch it; the body always says what is wrong.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from dashboard.deps import ServicesDep
from dashboard.schemas.health import HealthOut
from dashboard.views import health_view


def router() -> APIRouter:
    api = APIRouter(prefix="/api", tags=["health"])

    @api.get("/health", response_model=HealthOut)
    async def health(services: ServicesDep, response: Response) -> HealthOut:
        body = health_view(
            services.collectors(), services.components(), services.hub.stats(), services.clock()
        )
        if body.status == "down":
            response.status_code = 503
        return body

    return api
