"""Helpers for the browser tests: sign in through /login, hold a simulated device's
register at a value, wait for an alarm event from the engine, call the API as someone."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractContextManager, AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, expect

from alerting.engine import AlarmEngine
from alerting.events import AlarmEvent
from config.modbus import ByteOrder, DataType
from gateway.demo import DemoHandles, demo_running
from gateway.sim.modbus_devices import SimModbusServer, encode
from gateway.sim.plant import GAS_CONTROLLER_UNIT, TANK_GAUGE_UNIT, Plant

PASSWORD = "demo"  # `hazgw demo` users: viewer, operator, engineer, admin
DOCS = Path(__file__).resolve().parents[3] / "docs"
CHROMIUM = Path("/usr/bin/chromium")  # Debian's; Playwright never downloads a browser here
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WALL_SIZE: ViewportSize = {"width": 1920, "height": 1080}
CONSOLE_SIZE: ViewportSize = {"width": 1600, "height": 900}
# Messages a healthy page may log: the 401 of /api/me before signing in, the browser's
# autoplay notice for the alarm tone.
EXPECTED_CONSOLE = ("status of 401", "AudioContext")
STOP_TIMEOUT = 20.0  # a demo that does not stop within this is a bug: fail, do not hang


# What a screen fetches to (re)load its alarm lists: after a websocket snapshot only.
ALARM_LISTS = frozenset({"/api/alarms", "/api/alarms/history", "/api/hazard-sources"})


@dataclass
class Screen:
    context: BrowserContext
    page: Page
    errors: list[str]
    requests: list[str] = field(default_factory=list)  # paths the page asked for, in order
    lists_asked: asyncio.Event = field(default_factory=asyncio.Event)

    def request(self, path: str) -> None:
        self.requests.append(path)
        if self.list_fetches() >= 2:
            self.lists_asked.set()

    def list_fetches(self) -> int:
        return sum(1 for path in self.requests if path in ALARM_LISTS)

    async def lists_loaded(self, within: float = 5.0) -> int:
        """Wait until the page has asked for its two alarm lists (the load that follows the
        websocket snapshot) and has its answers; returns how many list requests it made."""
        async with asyncio.timeout(within):
            await self.lists_asked.wait()
        await self.page.wait_for_load_state("networkidle")
        return self.list_fetches()


async def open_screen(
    browser: Browser, viewport: ViewportSize | None = None, locale: str = "zh-CN"
) -> Screen:
    """A fresh browser context (own cookies and storage) with one page whose script errors
    are collected."""
    context = await browser.new_context(viewport=viewport or CONSOLE_SIZE, locale=locale)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))

    def console(message: object) -> None:
        text = getattr(message, "text", "")
        if getattr(message, "type", "") == "error" and not any(
            expected in text for expected in EXPECTED_CONSOLE
        ):
            errors.append(f"console: {text}")

    page.on("console", console)
    screen = Screen(context, page, errors)
    page.on("request", lambda request: screen.request(urlsplit(request.url).path))
    return screen


async def sign_in(
    page: Page, base: str, user: str, path: str = "/console", *, live: bool = True
) -> None:
    """Open ``path``, get sent to /login, sign in as ``user``, land back on ``path`` (and,
    for ``live`` screens, wait for its websocket)."""
    await page.goto(base + path)
    await page.wait_for_url("**/login?**", timeout=5000)
    await page.fill("#username", user)
    await page.fill("#password", PASSWORD)
    await page.click("#login-submit")
    await page.wait_for_url(lambda url: urlsplit(url).path == path, timeout=5000)
    if live:
        await expect(page.locator("#conn-state")).to_have_text("已连接", timeout=5000)


@contextmanager
def hold_registers(
    plant: Plant,
    server: SimModbusServer,
    unit: int,
    table: Literal["holding", "input"],
    address: int,
    words: Sequence[int],
) -> Iterator[None]:
    """Write ``words`` to the simulated device now and after every update of the plant
    model, which would otherwise overwrite them within half a second."""
    original = plant.update_registers

    def update(now: float) -> None:
        original(now)
        server.write_registers(unit, table, address, list(words))

    plant.update_registers = update  # type: ignore[method-assign]
    server.write_registers(unit, table, address, list(words))
    try:
        yield
    finally:
        plant.update_registers = original  # type: ignore[method-assign]


def hold_tank_level(plant: Plant, metres: float) -> AbstractContextManager[None]:
    """LT-101: float32 ABCD at holding register 0 of the tank gauge."""
    words = encode(metres, DataType.FLOAT32, ByteOrder.ABCD)
    return hold_registers(plant, plant.tank_server, TANK_GAUGE_UNIT, "holding", 0, words)


def hold_gas(plant: Plant, lel: float) -> AbstractContextManager[None]:
    """GT-201: uint16 in 0.1 %LEL at holding register 0 of the gas controller."""
    return hold_registers(
        plant, plant.gas_server, GAS_CONTROLLER_UNIT, "holding", 0, [round(lel * 10)]
    )


class EventWatch:
    """Resolves when the engine emits an event matching ``wanted``; remembers when (on the
    monotonic clock) the event left the engine."""

    def __init__(self, engine: AlarmEngine, wanted: Callable[[AlarmEvent], bool]) -> None:
        self._engine = engine
        self._wanted = wanted
        self._future: asyncio.Future[tuple[float, AlarmEvent]] = (
            asyncio.get_running_loop().create_future()
        )
        engine.add_listener(self._listen)

    def _listen(self, events: Sequence[AlarmEvent]) -> None:
        for event in events:
            if not self._future.done() and self._wanted(event):
                self._future.set_result((time.monotonic(), event))

    async def wait(self, within: float) -> tuple[float, AlarmEvent]:
        try:
            async with asyncio.timeout(within):
                return await asyncio.shield(self._future)
        finally:
            if self._future.done():
                self._engine.remove_listener(self._listen)


def remaining_ms(since: float, budget: float) -> float:
    """What is left of ``budget`` seconds since ``since`` (monotonic), in ms (at least 1)."""
    return max(1.0, (budget - (time.monotonic() - since)) * 1000)


@asynccontextmanager
async def api_client(base: str, user: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client signed in as ``user`` with a bearer token (as scripts do)."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        answer = await client.post("/api/login", json={"username": user, "password": PASSWORD})
        answer.raise_for_status()
        client.headers["Authorization"] = f"Bearer {answer.json()['token']}"
        yield client


async def wait_for_alarm(
    client: httpx.AsyncClient, alarm_id: str, states: set[str], within: float = 10.0
) -> dict[str, object]:
    """Poll GET /api/alarms until ``alarm_id`` is in one of ``states`` (the test waits on
    the gateway, which offers no event for it over HTTP)."""
    async with asyncio.timeout(within):
        while True:
            answer = await client.get("/api/alarms")
            answer.raise_for_status()
            for alarm in answer.json()["alarms"]:
                if alarm["id"] == alarm_id and alarm["state"] in states:
                    return dict(alarm)
            await asyncio.sleep(0.2)


@asynccontextmanager
async def running_demo(state_dir: Path, **options: Any) -> AsyncIterator[DemoHandles]:
    """``demo_running`` with test defaults (no random drills) and a bounded stop."""
    settings: dict[str, Any] = {"port": 0, "auto_events": None}
    settings.update(options)
    stack = AsyncExitStack()
    demo = await stack.enter_async_context(demo_running(state_dir=state_dir, **settings))
    try:
        yield demo
    finally:
        try:
            await asyncio.wait_for(stack.aclose(), STOP_TIMEOUT)
        except TimeoutError:
            pytest.fail(f"the demo did not stop within {STOP_TIMEOUT} s")
