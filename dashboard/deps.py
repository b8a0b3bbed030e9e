"""Dependencies through which routes read the gateway's state (no globals).

``create_app`` stores the ``DashboardServices`` on ``app.state``; these aliases hand
them to route functions, for HTTP and websocket routes alike (``HTTPConnection``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from config.catalog import Catalog
from dashboard.hub import Hub
from dashboard.live import LiveState
from dashboard.services import DashboardServices


def get_services(connection: HTTPConnection) -> DashboardServices:
    services = getattr(connection.app.state, "services", None)
    if not isinstance(services, DashboardServices):
        raise RuntimeError("the app was not built by dashboard.app.create_app (no services)")
    return services


ServicesDep = Annotated[DashboardServices, Depends(get_services)]


def get_catalog(services: ServicesDep) -> Catalog:
    return services.catalog


def get_live(services: ServicesDep) -> LiveState:
    return services.live


def get_hub(services: ServicesDep) -> Hub:
    return services.hub


CatalogDep = Annotated[Catalog, Depends(get_catalog)]
LiveDep = Annotated[LiveState, Depends(get_live)]
HubDep = Annotated[Hub, Depends(get_hub)]
