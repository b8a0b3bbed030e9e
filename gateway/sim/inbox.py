"""Where the demo's notifications land: a local webhook receiver and a local SMTP server.

`hazgw demo` routes its alarm notices here, so duty officers rehearsing a drill see what the
shift, the safety manager and the fire-control room would receive. Loopback only.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller

from gateway.sim.ports import free_port


@dataclass(frozen=True, slots=True)
class Delivery:
    channel: str  # webhook path name, or "email"
    received_at: float
    subject: str
    body: str


class _SmtpHandler:
    def __init__(self, inbox: DemoInbox) -> None:
        self._inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        part = message.get_body(("plain", "html"))
        body = part.get_content() if part is not None else ""
        delivery = Delivery("email", time.time(), str(message["subject"] or ""), body)
        # aiosmtpd serves from its own thread and loop: hand over to the demo's loop.
        self._inbox.loop.call_soon_threadsafe(self._inbox.add, delivery)
        return "250 OK"


class DemoInbox:
    def __init__(self, capacity: int = 500) -> None:
        self.deliveries: deque[Delivery] = deque(maxlen=capacity)
        self._runner: web.AppRunner | None = None
        self._smtp: Controller | None = None
        self.http_port = 0
        self.smtp_port = 0
        self.arrived = asyncio.Event()
        self.loop = asyncio.get_running_loop()

    def add(self, delivery: Delivery) -> None:
        self.deliveries.append(delivery)
        self.arrived.set()

    def webhook_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.http_port}/hook/{name}"

    async def _hook(self, request: web.Request) -> web.Response:
        text = await request.text()
        try:
            payload = json.loads(text)
        except json.JSONDecodeError:
            payload = {}
        title = payload.get("title") if isinstance(payload, dict) else None
        self.add(Delivery(request.match_info["name"], time.time(), str(title or ""), text[:4000]))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook/{name}", self._hook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server  # aiohttp keeps the bound server private; the port is needed
        assert server is not None
        self.http_port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.smtp_port = free_port()
        self._smtp = Controller(_SmtpHandler(self), hostname="127.0.0.1", port=self.smtp_port)
        await asyncio.to_thread(self._smtp.start)

    async def stop(self) -> None:
        if self._smtp is not None:
            await asyncio.to_thread(self._smtp.stop)
            self._smtp = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
