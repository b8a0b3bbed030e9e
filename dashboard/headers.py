"""Security headers on every HTTP answer: pages, static files and the API alike.

- Content-Security-Policy: scripts, styles, fonts, images and connections from this origin
  only; no inline script, no inline style, no eval, no plugins; ``frame-ancestors 'none'``
  (a display token is for a full-screen kiosk, never for framing the wall into another
  page, which would let that page click for the viewer).
- X-Frame-Options DENY for browsers that predate frame-ancestors; X-Content-Type-Options
  nosniff; Referrer-Policy no-referrer (URLs may carry ``?token=`` for websockets);
  Permissions-Policy turning off what no screen uses; Cross-Origin-Opener-Policy.
- Strict-Transport-Security only when the request came over https (directly or from a
  listed proxy, ``dashboard.proxies``): over plain http it would be ignored, and on a plant
  network without TLS it must not lock browsers out.

The interactive API docs (``/api/docs``) are FastAPI's Swagger page: it loads its script
from a CDN and starts it inline, so it alone gets a policy that allows exactly that.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
DOCS_CDN = "https://cdn.jsdelivr.net"
DOCS_CSP = "; ".join((
    "default-src 'self'",
    f"script-src 'self' {DOCS_CDN} 'unsafe-inline'",
    f"style-src 'self' {DOCS_CDN}",
    "img-src 'self' data: https://fastapi.tiangolo.com",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
))
DOCS_PATHS = frozenset({"/api/docs", "/api/docs/oauth2-redirect"})
HSTS = "max-age=31536000"
COMMON: tuple[tuple[str, str], ...] = (
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Permissions-Policy",
     "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), "
     "bluetooth=(), interest-cohort=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def security_headers(path: str, scheme: str) -> list[tuple[str, str]]:
    headers = [("Content-Security-Policy", DOCS_CSP if path in DOCS_PATHS else CSP), *COMMON]
    if scheme == "https":
        headers.append(("Strict-Transport-Security", HSTS))
    return headers


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope["path"], scope.get("scheme", "http"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                _add(headers, extra)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _add(headers: MutableHeaders, extra: Iterable[tuple[str, str]]) -> None:
    for name, value in extra:
        if name not in headers:  # a route that set its own keeps it
            headers[name] = value
