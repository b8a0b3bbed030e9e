"""An ASGI app that forwards to another one, replaceable while the server runs.

A reload builds a new dashboard app (new catalog, new alarm engine) while uvicorn keeps
its socket: requests in flight finish on the app that took them, new requests go to the
new one, and the web server never stops listening.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class SwitchableApp:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The lifespan goes to the app that was there at start-up, for the server's life.
        await self.app(scope, receive, send)
