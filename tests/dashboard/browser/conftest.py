"""The screens in Debian's Chromium (Playwright drives /usr/bin/chromium and never downloads
a browser of its own), against the real demo stack: simulated plant on real Modbus servers
and an MQTT broker, the gateway, its alarm engine, auth and web server, on loopback ports.

``@pytest.mark.demo(plant_speed=10)`` passes options to ``gateway.demo.demo_running``.

One Chromium serves the whole session (launching it is the slow part); each test opens its
own browser contexts (``browser_kit.open_screen``: own cookies and storage), closed after
it. Playwright's objects belong to the event loop that made them, so every test here and
its async fixtures run on pytest-asyncio's session loop.

The screenshots in docs/ are not taken here: ``make screenshots`` does
(``tests/dashboard/browser/screenshots.py``), and running the tests changes no tracked file.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from browser_kit import ARGS, CHROMIUM, running_demo
from playwright.async_api import Browser, async_playwright
from pytest_asyncio import is_async_test

from gateway.demo import DemoHandles

HERE = Path(__file__).resolve().parent
SESSION_LOOP = pytest.mark.asyncio(loop_scope="session")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "demo(**options): options for demo_running")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if is_async_test(item) and HERE in item.path.parents:
            item.add_marker(SESSION_LOOP, append=False)


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


@pytest.fixture(scope="session")
def chromium() -> str:
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is not installed (apt-get install chromium)")
    return str(CHROMIUM)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def chromium_session(chromium: str) -> AsyncIterator[Browser]:
    """The one browser of the test session."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest_asyncio.fixture(loop_scope="session")
async def browser(chromium_session: Browser) -> AsyncIterator[Browser]:
    """The session's browser; the contexts a test opens are closed after it."""
    before = set(chromium_session.contexts)
    try:
        yield chromium_session
    finally:
        for context in chromium_session.contexts:
            if context not in before:
                await context.close()


@pytest_asyncio.fixture(loop_scope="session")
async def demo(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DemoHandles]:
    marker = request.node.get_closest_marker("demo")
    options = dict(marker.kwargs) if marker is not None else {}
    state = tmp_path / "state"
    state.mkdir()
    async with running_demo(state, **options) as handles:
        yield handles
