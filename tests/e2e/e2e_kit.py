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

import websockets

from gateway.config.gateway_file import GatewayConfig
from gateway.config.loader import load_site
from gateway.config.models import HttpSettings, StorageSettings
from gateway.runtime import Gateway


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

    async def until(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)


@contextlib.asynccontextmanager
async def watching(gateway: Gateway, token: str | None = None) -> AsyncIterator[LiveWatcher]:
    """``token``: an ``Authorization`` header value (``Bearer …``) once login is on."""
    assert gateway.parts is not None
    url = gateway.parts.server.url.replace("http://", "ws://") + "/ws"
    if token:
        url += "?token=" + token.removeprefix("Bearer ")
    watcher = LiveWatcher(url)
    task = asyncio.create_task(watcher.run())
    try:
        await watcher.until(lambda: task.done() or bool(watcher.changed.is_set()), 10, "snapshot")
        yield watcher
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, websockets.ConnectionClosed):
            await task


async def eventually(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll an async or sync check until it returns a truthy value (for the database)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        last = result
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")
