"""Dashboard test kit: the fake gateway state and a real websocket client (`websockets`)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from collectors.health import CollectorHealth
from collectors.readings import Reading
from config.catalog import Catalog
from dashboard.hub import Hub
from dashboard.live import LiveState
from dashboard.server import DashboardServer
from dashboard.services import ComponentStatus, DashboardServices

Message = dict[str, Any]


@dataclass
class Gateway:
    """The parts of a running gateway the web app reads, changed by the test at will."""

    catalog: Catalog
    live: LiveState
    hub: Hub
    collectors: list[CollectorHealth] = field(default_factory=list)
    components: list[ComponentStatus] = field(default_factory=list)
    now: float = 1_700_000_000.0

    def services(self) -> DashboardServices:
        return DashboardServices(
            catalog=self.catalog,
            live=self.live,
            hub=self.hub,
            collectors=lambda: self.collectors,
            components=lambda: self.components,
            clock=lambda: self.now,
        )

    def feed(self, readings: Sequence[Reading]) -> None:
        """What the pipeline does with a batch: live state first, then the hub."""
        self.live.accept(readings)
        self.hub.accept(readings)


async def open_ws(
    server: DashboardServer,
    hello: Message | None = None,
    *,
    receive_buffer: int | None = None,
    max_queue: int = 16,
) -> ClientConnection:
    """Connect to /ws and send the hello. ``receive_buffer`` pins a small kernel receive
    buffer (no autotuning), so that a client that stops reading stalls the server fast."""
    kwargs: dict[str, Any] = {}
    if receive_buffer is not None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", server.port))
        kwargs["sock"] = sock
    ws = await connect(
        f"ws://127.0.0.1:{server.port}/ws",
        proxy=None,
        compression=None,
        max_size=None,
        max_queue=max_queue,
        open_timeout=5,
        close_timeout=2,
        **kwargs,
    )
    await ws.send(json.dumps(hello if hello is not None else {"type": "hello"}))
    return ws


async def recv_json(ws: ClientConnection, within: float = 5.0) -> Message:
    message: Message = json.loads(await asyncio.wait_for(ws.recv(), within))
    return message


async def recv_until(
    ws: ClientConnection, done: Callable[[Message], bool], within: float = 5.0
) -> list[Message]:
    """Messages up to and including the first for which ``done`` is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    messages: list[Message] = []
    while True:
        message = await recv_json(ws, max(0.01, deadline - loop.time()))
        messages.append(message)
        if done(message):
            return messages


def chain_ok(messages: list[Message], start: int) -> int:
    """Checks that deltas continue each other from ``start``; returns the last seq."""
    seq = start
    for message in messages:
        if message["type"] == "delta":
            assert message["prev"] == seq, f"gap: at {seq}, delta continues {message['prev']}"
            assert message["seq"] >= seq
            seq = message["seq"]
    return seq


class Recorder:
    """Reads a connection continuously, timestamping every message on arrival."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.messages: list[tuple[float, Message]] = []
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        async for raw in self.ws:
            self.messages.append((loop.time(), json.loads(raw)))
            self._changed.set()

    async def wait_for(
        self, done: Callable[[Message], bool], within: float = 5.0, start: int = 0
    ) -> tuple[float, Message]:
        """The first message from index ``start`` on for which ``done`` is true."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        index = start
        while True:
            while index < len(self.messages):
                arrived, message = self.messages[index]
                if done(message):
                    return arrived, message
                index += 1
            if self._task.done():
                raise AssertionError(f"connection ended: {self._task.exception()!r}")
            self._changed.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError("no matching message")
            await asyncio.wait_for(self._changed.wait(), remaining)

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self.ws.close()
