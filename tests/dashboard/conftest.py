"""Dashboard fixtures: the example sites' catalog, live state, hub, and a real uvicorn
server on a free loopback port running in the test's own event loop."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from dashboard_testkit import Gateway

from config.catalog import Catalog
from dashboard.app import create_app
from dashboard.hub import Hub
from dashboard.live import LiveState
from dashboard.server import DashboardServer
from gateway.validation import load_site

# Own site files (not config/examples) so that the exact assertions here stay put.
SITES = Path(__file__).parent / "sites"


@pytest.fixture(autouse=True)
def _quiet_web_libraries() -> None:
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "websockets"):
        logging.getLogger(name).setLevel(logging.WARNING)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog([load_site(SITES / "chem.yaml"), load_site(SITES / "dust.yaml")])


@pytest.fixture
def hub_options(request: pytest.FixtureRequest) -> dict[str, object]:
    """Hub limits for one test, by indirect parametrisation:
    ``@pytest.mark.parametrize("hub_options", [{...}], indirect=True)``."""
    options: dict[str, object] = getattr(request, "param", {})
    return options


@pytest.fixture
def gateway(catalog: Catalog, hub_options: dict[str, object]) -> Gateway:
    live = LiveState()
    options: dict[str, object] = {"flush_interval": 0.05, "heartbeat": 30.0}
    options.update(hub_options)
    hub = Hub(live, **options)  # type: ignore[arg-type]
    return Gateway(catalog=catalog, live=live, hub=hub)


@pytest.fixture
async def server(gateway: Gateway) -> AsyncIterator[DashboardServer]:
    app = create_app(gateway.services())
    dashboard = DashboardServer(app, host="127.0.0.1", port=0, graceful_timeout=2)
    await dashboard.start()
    try:
        yield dashboard
    finally:
        await dashboard.stop()
