"""Run the whole gateway (`gateway.runtime.Gateway`) against real servers, and watch its
websocket, for the end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets

from config.gateway_file import GatewayConfig, HttpSettings, StorageSettings
from dashboard.auth import Role
from gateway.runtime import Gateway
from gateway.validation import load_site


@contextlib.asynccontextmanager
async def running_gateway(
    site_yaml: str, tmp_path: Path, storage: StorageSettings | None
) -> AsyncIterator[Gateway]:
    site_file = tmp_path / "site.yaml"
    site_file.write_text(site_yaml, encoding="utf-8")
    config = GatewayConfig(sites=[site_file], storage=storage, http=HttpSettings(port=0))
    gateway = Gateway(config, [load_site(site_file)], state_dir=tmp_path / "state")
    task = asyncio.create_task(gateway.run())
    ready = asyncio.create_task(gateway.ready.wait())
    done, _ = await asyncio.wait({task, ready}, timeout=20, return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        ready.cancel()
        task.cancel()
        raise AssertionError(f"gateway did not start: {task.exception() if task.done() else ''}")
    try:
        yield gateway
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 30)


Reading = list[Any]  # [value, quality, reason, ts]


@dataclass
class LiveWatcher:
    """A websocket client that keeps the latest reading per point and every alarm event."""

    url: str
    readings: dict[str, Reading] = field(default_factory=dict)
    history: list[tuple[str, Reading]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        async with websockets.connect(self.url, max_size=None) as socket:
            await socket.send(json.dumps({"type": "hello"}))
            async for raw in socket:
                message = json.loads(raw)
                if message["type"] == "snapshot":
                    self.readings = dict(message["readings"])
                elif message["type"] == "delta":
                    for key, reading in message["readings"].items():
                        self.readings[key] = reading
                        self.history.append((key, reading))
                    self.events.extend(message.get("events", []))
                self.changed.set()

    async def until(self, condition: Callable[[], bool], within: float, what: str) -> None:
        deadline = time.monotonic() + within
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out after {within} s waiting for {what}")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)


async def sign_in(gateway: Gateway, role: Role = Role.OPERATOR) -> str:
    """Create a user of ``role`` (if need be) and log in through the API; the bearer token."""
    assert gateway.parts is not None and gateway.auth is not None
    name = f"e2e-{role.value}"
    if gateway.auth.get_user(name) is None:
        gateway.auth.add_user(name, "e2e-password", role, actor="test", check_strength=False)
    async with httpx.AsyncClient(base_url=gateway.parts.server.url) as http:
        answer = await http.post("/api/login", json={"username": name, "password": "e2e-password"})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["token"]
    return token


@contextlib.asynccontextmanager
async def watching(gateway: Gateway, token: str | None = None) -> AsyncIterator[LiveWatcher]:
    """Watch the gateway's websocket, signed in with ``token`` (a viewer's by default)."""
    assert gateway.parts is not None
    if token is None:
        token = await sign_in(gateway, Role.VIEWER)
    url = gateway.parts.server.url.replace("http://", "ws://") + "/ws?token=" + token
    watcher = LiveWatcher(url)
    task = asyncio.create_task(watcher.run())
    try:
        await watcher.until(lambda: task.done() or bool(watcher.changed.is_set()), 10, "snapshot")
        yield watcher
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, websockets.ConnectionClosed):
            await task
