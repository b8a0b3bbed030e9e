"""The gate: every ``/api/*`` request (except login and logout) and every websocket needs a
credential, checked before the app sees the request.

Credentials, first found wins: ``Authorization: Bearer <token>``; for websockets also
``?token=<token>`` (browsers cannot set headers on a websocket); the ``hazgw_session``
cookie. A token is a session token (from ``POST /api/login``) or a display token.

- HTTP without a valid credential: 401 JSON, and the app never runs.
- A websocket without one is accepted and at once closed with code 4401, so that the page
  can tell "sign in again" from a network failure (a refused handshake looks the same as
  a dead gateway to a browser).
- Cookie-authenticated requests that change something, and cookie-authenticated
  websockets, must come from the same origin when the browser names one (``Origin``):
  SameSite=Strict already keeps the cookie off cross-site requests; this is the second
  lock on that door.
- An open websocket is closed with 4401 when its credential is revoked (logout, display
  token revoked, user removed, role or password changed): the middleware watches the
  connection's ``kicked`` event and ends the app's receive stream.

Pages and static files are public; the pages ask ``GET /api/me`` and go to ``/login``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Literal
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dashboard.auth import audit
from dashboard.auth.connections import LiveConnection
from dashboard.auth.deps import AUTH_STATE, DENIED_KEY, PRINCIPAL_KEY
from dashboard.auth.service import AuthService, audit_name

log = logging.getLogger(__name__)

COOKIE_NAME = "hazgw_session"
PUBLIC_PATHS = frozenset({"/api/login", "/api/logout"})
UNAUTHENTICATED_CLOSE = 4401
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Via = Literal["bearer", "query", "cookie"]


def find_credential(connection: HTTPConnection, *, allow_query: bool) -> tuple[str, Via] | None:
    header = connection.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip(), "bearer"
    if allow_query:
        token = connection.query_params.get("token")
        if token:
            return token, "query"
    cookie = connection.cookies.get(COOKIE_NAME)
    if cookie:
        return cookie, "cookie"
    return None


def same_origin(connection: HTTPConnection) -> bool:
    """True unless the request names an origin (``Origin``) other than the host it asks."""
    origin = connection.headers.get("origin")
    if origin is None:
        return True
    host = connection.headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower()


def is_protected(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


class AuthMiddleware:
    def __init__(
        self, app: ASGIApp, auth: AuthService, public_paths: Iterable[str] = PUBLIC_PATHS
    ) -> None:
        self.app = app
        self.auth = auth
        self.public_paths = frozenset(public_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if not is_protected(path) or path in self.public_paths:
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        found = find_credential(connection, allow_query=False)
        principal = self.auth.authenticate(found[0]) if found is not None else None
        if found is None or principal is None:
            detail = "未登录 / not signed in" if found is None else (
                "登录已失效 / session expired or token revoked"
            )
            response = JSONResponse(
                {"detail": detail}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
            await response(scope, receive, send)
            return
        if (
            found[1] == "cookie"
            and scope["method"] not in _SAFE_METHODS
            and not same_origin(connection)
        ):
            response = JSONResponse({"detail": "cross-origin request refused"}, status_code=403)
            await response(scope, receive, send)
            return
        scope[PRINCIPAL_KEY] = principal
        try:
            await self.app(scope, receive, send)
        finally:
            denied = scope.get(DENIED_KEY)
            if denied is not None:
                who, needed = denied
                self.auth.record(
                    audit.DENIED, user=audit_name(who), target=f"{scope['method']} {path}",
                    detail=f"needs {needed.value}, has {who.role.value}",
                    address=connection.client.host if connection.client else None,
                )

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        connection = HTTPConnection(scope)
        found = find_credential(connection, allow_query=True)
        principal = self.auth.authenticate(found[0]) if found is not None else None
        if found is None or principal is None:
            await _refuse(receive, send, "未登录 / not signed in")
            return
        if found[1] == "cookie" and not same_origin(connection):
            await _refuse(receive, send, "cross-origin websocket refused")
            return
        scope[PRINCIPAL_KEY] = principal
        ident, live = self.auth.connections.open(principal)
        guard = _KickGuard(receive, send, live)
        try:
            await self.app(scope, guard.receive, guard.send)
        finally:
            self.auth.connections.close(ident)


async def _refuse(receive: Receive, send: Send, reason: str) -> None:
    message = await receive()
    if message["type"] != "websocket.connect":
        return  # the client left during the handshake
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": UNAUTHENTICATED_CLOSE, "reason": reason})


class _KickGuard:
    """Wraps a websocket's receive and send: once the connection is kicked, the client
    gets a close frame 4401 and the app a disconnect, and later sends are dropped."""

    def __init__(self, receive: Receive, send: Send, live: LiveConnection) -> None:
        self._receive = receive
        self._send = send
        self._live = live
        self._closed = False

    async def receive(self) -> Message:
        if self._live.kicked.is_set():
            return await self._kick()
        incoming = asyncio.ensure_future(self._receive())
        kicked = asyncio.ensure_future(self._live.kicked.wait())
        try:
            await asyncio.wait({incoming, kicked}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            kicked.cancel()
            if not incoming.done():
                incoming.cancel()
        if incoming.done() and not incoming.cancelled():
            return incoming.result()
        return await self._kick()

    async def _kick(self) -> Message:
        if not self._closed:
            self._closed = True
            log.info("websocket closed: %s", self._live.reason)
            with contextlib.suppress(OSError, RuntimeError):  # already gone
                await self._send({
                    "type": "websocket.close",
                    "code": UNAUTHENTICATED_CLOSE,
                    "reason": self._live.reason,
                })
        return {"type": "websocket.disconnect", "code": UNAUTHENTICATED_CLOSE}

    async def send(self, message: Message) -> None:
        if self._closed:
            return
        if message["type"] == "websocket.close":
            self._closed = True
        await self._send(message)


def install_auth(
    app: FastAPI, auth: AuthService, *, public_paths: Iterable[str] = PUBLIC_PATHS
) -> None:
    """Put the auth gate in front of ``app`` (``create_app`` does, before the server starts);
    the routes' dependencies (``dashboard.auth.deps``) then find the signed-in principal."""
    setattr(app.state, AUTH_STATE, auth)
    app.add_middleware(AuthMiddleware, auth=auth, public_paths=frozenset(public_paths))
