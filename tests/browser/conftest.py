"""The screens in Debian's Chromium (Playwright drives /usr/bin/chromium and never downloads
a browser of its own), against the real demo stack: simulated plant on real Modbus servers
and an MQTT broker, the gateway, its alarm engine, auth and web server, on loopback ports.

``@pytest.mark.demo(plant_speed=10)`` passes options to ``gateway.demo.demo_running``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from browser_kit import running_demo
from playwright.async_api import Browser, async_playwright

from gateway.demo import DemoHandles

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "demo(**options): options for demo_running")


@pytest.fixture(autouse=True)
def _quiet_libraries() -> None:
    for name in (
        "uvicorn",
        "uvicorn.error",
        "uvicorn.access",
        "websockets",
        "aiomqtt",
        "amqtt",
        "hazgw.demo",
        "mail.log",
        "httpx",
    ):
        logging.getLogger(name).setLevel(logging.WARNING)


@pytest.fixture
def chromium() -> str:
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is not installed (apt-get install chromium)")
    return str(CHROMIUM)


@pytest.fixture
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def demo(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DemoHandles]:
    marker = request.node.get_closest_marker("demo")
    options = dict(marker.kwargs) if marker is not None else {}
    state = tmp_path / "state"
    state.mkdir()
    async with running_demo(state, **options) as handles:
        yield handles
