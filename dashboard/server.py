"""Run the dashboard with uvicorn inside the gateway's own event loop.

The gateway owns signals and shutdown order, so uvicorn must not install its own
SIGINT/SIGTERM handlers, nor configure logging. ``DashboardServer`` binds the socket
itself (a bind error is a plain OSError naming the address, not uvicorn's sys.exit),
serves until ``stop()``, and shuts down gracefully within ``graceful_timeout``:
websocket clients get a close frame, and any still open after that are cut.

    server = DashboardServer(create_app(services), host="127.0.0.1", port=8000)
    await server.start()          # listening when this returns
    ...
    await server.stop()           # or cancel the task running `await server.serve()`
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Generator, Sequence

import uvicorn
from starlette.types import ASGIApp

from collectors.taskdump import describe_tasks
from dashboard.proxies import Network, ProxyHeaders

log = logging.getLogger(__name__)

LIFESPAN_STOP_WITHIN = 5.0  # seconds for the app's own shutdown after the handlers'


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # The gateway handles signals and calls stop(); uvicorn must not take them.
        yield


class DashboardServer:
    def __init__(
        self,
        app: ASGIApp,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        graceful_timeout: int = 5,
        ws_ping_interval: float | None = 20.0,
        ws_per_message_deflate: bool = False,
        access_log: bool = False,
        trusted_proxies: Sequence[Network] = (),
    ) -> None:
        # per-message deflate compresses every message once per client: CPU the gateway
        # needs for collectors. Turn it on only for screens behind slow links.
        # Client addresses come from proxy headers only when a listed proxy sent them
        # (dashboard.proxies); uvicorn's own reading trusts 127.0.0.1 by default.
        self._config = uvicorn.Config(
            ProxyHeaders(app, trusted_proxies),
            proxy_headers=False,
            host=host,
            port=port,
            log_config=None,
            access_log=access_log,
            lifespan="on",
            timeout_graceful_shutdown=graceful_timeout,
            ws_ping_interval=ws_ping_interval,
            ws_ping_timeout=ws_ping_interval,
            ws_per_message_deflate=ws_per_message_deflate,
        )
        self._server = _EmbeddedServer(self._config)
        self._host = host
        self._port = port
        self._socket: socket.socket | None = None
        self._main: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The bound port once started (useful with port 0); it stays known after stop()."""
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    async def start(self) -> None:
        """Bind, run the app's lifespan startup, and start serving in a task."""
        if self._main is not None or self._server.should_exit:
            raise RuntimeError("a DashboardServer starts once; make a new one to serve again")
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        # IPPROTO_TCP, not 0: asyncio turns Nagle off only on sockets it knows are TCP;
        # without it every response on a kept-alive connection waits ~40 ms.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._host, self._port))
            sock.listen(self._config.backlog)
            sock.setblocking(False)
        except OSError as error:
            sock.close()
            raise OSError(
                error.errno, f"dashboard cannot listen on {self._host}:{self._port}: {error}"
            ) from error
        self._socket = sock
        self._port = sock.getsockname()[1]
        server = self._server
        self._config.load()
        server.lifespan = self._config.lifespan_class(self._config)
        try:
            await server.startup(sockets=[sock])
        except SystemExit as error:  # uvicorn exits when the lifespan startup fails
            sock.close()
            raise RuntimeError("dashboard app failed to start (lifespan startup)") from error
        log.info("dashboard listening on %s", self.url)
        self._main = asyncio.create_task(server.main_loop(), name="dashboard-server")

    async def stop(self) -> None:
        """Graceful shutdown: stop accepting, close websockets, wait at most
        ``graceful_timeout`` for handlers, run the lifespan shutdown."""
        if self._main is None:
            return
        self._server.should_exit = True
        await self._main
        self._main = None
        # uvicorn bounds the handlers by graceful_timeout but not the lifespan shutdown
        # after them: a stop must not hang the gateway's own shutdown.
        bound = self._config.timeout_graceful_shutdown or 0
        try:
            async with asyncio.timeout(bound + LIFESPAN_STOP_WITHIN):
                await self._server.shutdown(sockets=[self._socket] if self._socket else None)
        except TimeoutError:
            log.error("dashboard shutdown did not finish within %.0f s; waiting on:\n%s",
                      bound + LIFESPAN_STOP_WITHIN, describe_tasks())
            return
        log.info("dashboard stopped")

    async def serve(self) -> None:
        """start(), then wait until cancelled (as a task in the gateway's task group),
        stopping gracefully on the way out."""
        await self.start()
        try:
            await asyncio.Future()
        finally:
            await self.stop()
