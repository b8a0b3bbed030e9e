"""The screens: ``/login``, ``/wall`` (大屏), ``/console`` (值班台), ``/commissioning`` (调试).

Each is a static HTML page; the data comes from the API. The pages themselves are public:
each asks ``GET /api/me`` first and sends the browser to ``/login?next=<page>`` when that
answers 401 (``dashboard/static/api.js``), so one rule covers pages, API calls and the
websocket, and an expired session on an open screen lands on the login page too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"

PAGES: dict[str, str] = {
    "/login": "login.html",
    "/wall": "wall.html",
    "/console": "console.html",
    "/commissioning": "commissioning.html",
}

# Pages change with a release; never serve a screen from a stale cache after an upgrade.
_HEADERS = {"Cache-Control": "no-cache"}


def pages_router(static_dir: Path = STATIC_DIR) -> APIRouter:
    """Routes for the screens, served from ``static_dir``."""
    router = APIRouter(tags=["pages"], include_in_schema=False)
    for path, filename in PAGES.items():
        router.add_api_route(path, _page(static_dir / filename), methods=["GET"])
    return router


def _page(file: Path) -> Callable[[], Awaitable[FileResponse]]:
    async def serve() -> FileResponse:
        return FileResponse(file, media_type="text/html; charset=utf-8", headers=_HEADERS)

    return serve
