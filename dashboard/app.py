"""The dashboard web app: ``create_app(services)`` builds it; nothing happens at import.

Routes: ``/`` (the live page), ``/static`` (its files), ``/vendor`` (npm front-end
libraries, when ``dashboard/node_modules`` is installed), ``/api/points``,
``/api/health``, ``/ws``, plus any routers the gateway passes in (alarms, ...).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from dashboard.routes import health, points, terms, ws
from dashboard.services import DashboardServices

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"
VENDOR_DIR = PACKAGE_DIR / "node_modules"


def create_app(services: DashboardServices, *, extra_routers: Sequence[APIRouter] = ()) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        log.info(
            "dashboard up: %d points, websocket epoch %s", len(services.catalog), services.hub.epoch
        )
        try:
            yield
        finally:
            # uvicorn has closed the sockets it knows of by now; this also frees hub
            # channels of handlers that were cut off, so the hub (which outlives the
            # app, as a pipeline observer) keeps no dead clients.
            services.hub.close_all()

    app = FastAPI(
        title="hazgw 重大危险源监测网关",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.services = services
    app.include_router(points.router())
    app.include_router(health.router())
    app.include_router(ws.router())
    app.include_router(terms.router())  # /static/terms.js: before the /static mount
    for router in extra_routers:
        app.include_router(router)

    index = STATIC_DIR / "index.html"

    @app.get("/", include_in_schema=False)
    async def live_page() -> FileResponse:
        return FileResponse(index, media_type="text/html; charset=utf-8")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    if VENDOR_DIR.is_dir():
        app.mount("/vendor", StaticFiles(directory=VENDOR_DIR), name="vendor")
    return app
