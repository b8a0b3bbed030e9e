"""The screens: ``/login``, ``/wall`` (大屏), ``/console`` (值班台), ``/commissioning`` (调试),
``/handover`` (交接班与报表), ``/trend`` (趋势), ``/plan`` (厂区平面图),
``/enterprise`` (一企一档),
and ``/``, which sends the browser where it would go next.

Each screen is a static HTML page; the data comes from the API. The pages themselves are
public: each asks ``GET /api/me`` first and sends the browser to ``/login?next=<page>`` when
that answers 401 (``dashboard/static/api.js``), so one rule covers pages, API calls and the
websocket, and an expired session on an open screen lands on the login page too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse

from dashboard.auth.deps import auth_of
from dashboard.auth.middleware import find_credential

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"

PAGES: dict[str, str] = {
    "/login": "login.html",
    "/wall": "wall.html",
    "/console": "console.html",
    "/commissioning": "commissioning.html",
    "/handover": "handover.html",
    "/trend": "trend.html",
    "/plan": "plan.html",
    "/enterprise": "enterprise.html",
}

# Pages change with a release; never serve a screen from a stale cache after an upgrade.
_HEADERS = {"Cache-Control": "no-cache"}


def pages_router(static_dir: Path = STATIC_DIR) -> APIRouter:
    """Routes for the screens, served from ``static_dir``."""
    router = APIRouter(tags=["pages"], include_in_schema=False)
    for path, filename in PAGES.items():
        router.add_api_route(path, _page(static_dir / filename), methods=["GET"])
    router.add_api_route("/", start_page, methods=["GET"])
    return router


async def start_page(request: Request) -> RedirectResponse:
    """``/``: a paired wall display to the wall, a signed-in person to the duty console,
    anybody else to the login page (which comes back to the console)."""
    return RedirectResponse(start_path(request), status_code=303, headers=_HEADERS)


def start_path(request: Request) -> str:
    auth = auth_of(request)
    found = find_credential(request, allow_query=False)
    principal = auth.authenticate(found[0]) if auth is not None and found is not None else None
    if principal is None:
        return "/login?next=/console"
    return "/wall" if principal.display else "/console"


def _page(file: Path) -> Callable[[], Awaitable[FileResponse]]:
    async def serve() -> FileResponse:
        return FileResponse(file, media_type="text/html; charset=utf-8", headers=_HEADERS)

    return serve
