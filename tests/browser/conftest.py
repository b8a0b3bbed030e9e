"""The screens in Debian's Chromium (Playwright, never `playwright install`), against the
real demo stack: simulated plant on real Modbus servers and an MQTT broker, the gateway,
its alarm engine, auth and web server, on loopback ports.

``@pytest.mark.demo(plant_speed=10)`` passes options to ``gateway.demo.demo_running``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, async_playwright

from gateway.demo import DemoHandles, demo_running

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
STOP_TIMEOUT = 20.0  # a demo that does not stop within this is a bug: fail, do not hang


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "demo(**options): options for demo_running")


@pytest.fixture(autouse=True)
def _quiet_libraries() -> None:
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "websockets", "aiomqtt",
                 "amqtt", "hazgw.demo", "mail.log", "httpx"):
        logging.getLogger(name).setLevel(logging.WARNING)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is not installed (apt-get install chromium)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@contextlib.asynccontextmanager
async def running_demo(state_dir: Path, **options: Any) -> AsyncIterator[DemoHandles]:
    """``demo_running`` with test defaults (no random drills) and a bounded stop."""
    settings: dict[str, Any] = {"port": 0, "auto_events": None}
    settings.update(options)
    stack = contextlib.AsyncExitStack()
    demo = await stack.enter_async_context(demo_running(state_dir=state_dir, **settings))
    try:
        yield demo
    finally:
        try:
            await asyncio.wait_for(stack.aclose(), STOP_TIMEOUT)
        except TimeoutError:
            pytest.fail(f"the demo did not stop within {STOP_TIMEOUT} s")


@pytest.fixture
async def demo(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DemoHandles]:
    marker = request.node.get_closest_marker("demo")
    options = dict(marker.kwargs) if marker is not None else {}
    state = tmp_path / "state"
    state.mkdir()
    async with running_demo(state, **options) as handles:
        yield handles
