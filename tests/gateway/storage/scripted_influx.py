"""A small real HTTP server speaking the InfluxDB write APIs, with scripted bad answers.

Not a mock of the client: the writer and influxdb-client talk to it over loopback TCP,
gzip and all. It stores what it accepts, so tests can check that nothing was lost or
written twice, and it can answer 5xx/429, 413 above a size, 400 for marked lines, 404.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Request:
    path: str
    lines: int
    status: int
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    at: float = field(default_factory=lambda: asyncio.get_running_loop().time())


@dataclass
class ScriptedInflux:
    port: int = 0
    statuses: deque[int] = field(default_factory=deque)  # forced answers for the next writes
    retry_after: str | None = None  # header sent with forced 429/503
    max_lines: int | None = None  # 413 for bodies with more lines
    max_line_length: int | None = None  # 413 for bodies with a longer line
    reject_marker: str | None = None  # lines containing it are refused (400 partial write)
    partial_write: bool = True  # False: a 400 refuses the whole body, with no count
    stored: list[str] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/write", self._write)
        app.router.add_post("/api/v2/write", self._write)
        app.router.add_post("/query", self._query)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @staticmethod
    def _request(request: web.Request, lines: int, status: int) -> Request:
        return Request(request.path, lines, status, dict(request.query), dict(request.headers))

    async def _record(self, request: Request, lines: list[str]) -> None:
        self.requests.append(request)
        self.stored.extend(lines)

    async def _query(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.queries.append(str(form.get("q", "")))
        return web.json_response({"results": [{"statement_id": 0}]})

    async def _write(self, request: web.Request) -> web.Response:
        body = (await request.read()).decode()  # aiohttp has already undone the gzip
        lines = [line for line in body.split("\n") if line]
        if self.statuses:
            status = self.statuses.popleft()
            await self._record(self._request(request, len(lines), status), [])
            headers = {"Retry-After": self.retry_after} if self.retry_after else None
            return web.json_response({"error": f"scripted {status}"}, status=status,
                                     headers=headers)
        too_long = self.max_line_length is not None and any(
            len(line) > self.max_line_length for line in lines
        )
        if (self.max_lines is not None and len(lines) > self.max_lines) or too_long:
            await self._record(self._request(request, len(lines), 413), [])
            return web.json_response({"error": "Request Entity Too Large"}, status=413)
        if self.reject_marker is not None:
            refused = [line for line in lines if self.reject_marker in line]
            if refused:
                if not self.partial_write:
                    await self._record(self._request(request, len(lines), 400), [])
                    return web.json_response({"error": "unable to parse: bad"}, status=400)
                kept = [line for line in lines if self.reject_marker not in line]
                await self._record(self._request(request, len(lines), 400), kept)
                message = (f"partial write: field type conflict: scripted "
                           f"dropped={len(refused)}")
                return web.json_response({"error": message}, status=400)
        await self._record(self._request(request, len(lines), 204), lines)
        return web.Response(status=204)
