"""The dashboard web app: ``create_app(services)`` builds all of it; nothing happens at import.

Always: ``/api/points``, ``/api/health``, ``/ws``, the screens (``/login``, ``/wall``,
``/console``, ``/commissioning``; ``/`` sends the browser to the one it wants), ``/static``
and ``/vendor`` (npm front-end libraries, when ``dashboard/node_modules`` is installed).
With ``services.alarms``: the alarm and console API. With ``services.auth``: sign-in,
user administration and the gate in front of ``/api/*`` and ``/ws``. With
``services.commissioning``: the commissioning API. ``extra_routers`` are the gateway's
own additions (the demo's drill buttons), included last.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from dashboard.auth import auth_router, install_auth, operator_user
from dashboard.headers import SecurityHeaders
from dashboard.openapi_doc import install_openapi
from dashboard.routes import health, points, terms, ws
from dashboard.routes.admin import admin_router
from dashboard.routes.alarms import alarms_router
from dashboard.routes.answer import answer_router
from dashboard.routes.commissioning import commissioning_router
from dashboard.routes.console import console_router
from dashboard.routes.enterprise import enterprise_router
from dashboard.routes.enterprises import enterprises_router
from dashboard.routes.handover import handover_router
from dashboard.routes.kpi import kpi_router
from dashboard.routes.ledger import ledger_router
from dashboard.routes.pages import pages_router
from dashboard.routes.parkledger import park_ledger_router
from dashboard.routes.plan import plan_router
from dashboard.routes.reports import reports_router
from dashboard.routes.trends import trends_router
from dashboard.services import DashboardServices

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"
VENDOR_DIR = PACKAGE_DIR / "node_modules"


def routers(services: DashboardServices) -> list[APIRouter]:
    """Every router the services call for, in the order they are included."""
    # terms serves /static/terms.js: it must come before the /static mount.
    included = [points.router(), health.router(), ws.router(), terms.router(), pages_router(),
                plan_router(services.catalog)]
    alarms = services.alarms
    if alarms is not None:
        catalog, clock = services.catalog, services.clock
        included += [
            console_router(
                alarms.journal, alarms.engine, catalog, trend=alarms.trend, clock=clock
            ),
            ledger_router(alarms.journal, clock=clock),
            alarms_router(alarms.engine, alarms.journal, catalog, current_user=operator_user),
            kpi_router(alarms.journal, catalog, alarms.routes, clock=clock),
            answer_router(alarms.engine, alarms.journal, catalog, alarms.links, clock=clock),
            trends_router(alarms.journal, alarms.engine, catalog, trend=alarms.trend,
                          clock=clock),
        ]
        duty = services.duty
        if duty is not None:
            included += [
                handover_router(duty, alarms.engine, alarms.journal, catalog,
                                services.collectors, clock=clock),
                reports_router(duty, alarms.journal, catalog, clock=clock),
                enterprise_router(duty, catalog, clock=clock),
            ]
    if services.auth is not None:
        included += [auth_router(services.auth), admin_router(services.auth)]
    commissioning = services.commissioning
    if commissioning is not None:
        included.append(
            commissioning_router(
                services.catalog,
                commissioning.collectors,
                reload=commissioning.reload,
                clock=services.clock,
            )
        )
    if services.park is not None:
        included += [enterprises_router(services.park), park_ledger_router(services.park)]
    return included


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
    for router in [*routers(services), *extra_routers]:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    if VENDOR_DIR.is_dir():
        app.mount("/vendor", StaticFiles(directory=VENDOR_DIR), name="vendor")
    if services.auth is not None:
        install_auth(app, services.auth)
    install_openapi(app)
    # Outermost, so that the gate's own refusals (401, 403) carry the headers too.
    app.add_middleware(SecurityHeaders)
    return app
