"""Real time-series servers for tests, benchmarks and the demo, each in its own temp folder
on a free loopback port: InfluxDB 1.6 (``/usr/bin/influxd``, v1 API) and VictoriaMetrics
(``/usr/bin/victoria-metrics``, a real ``/api/v2/write`` target for influxdb-client).

Both are context managers that wait (bounded) until the server answers, and on exit stop it
with SIGTERM, killing it if it lingers, and delete its folder: nothing is left running.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from gateway.sim.children import die_with_parent
from gateway.sim.ports import free_port

INFLUXD = "/usr/bin/influxd"
VICTORIA_METRICS = "/usr/bin/victoria-metrics"
HOST = "127.0.0.1"


def influxd_available() -> bool:
    return os.access(INFLUXD, os.X_OK)


def victoria_metrics_available() -> bool:
    return os.access(VICTORIA_METRICS, os.X_OK)


class ServerError(RuntimeError):
    """A server did not start, or answered a query with an error."""


class _ServerProcess:
    """One server process: started, probed until ready, stopped; restartable in place
    (same folder, same port) so tests can take the database away and bring it back."""

    name = "server"
    ready_path = "/"
    ready_status = 200

    def __init__(self, workdir: Path, port: int, session: aiohttp.ClientSession) -> None:
        self.workdir = workdir
        self.port = port
        self.url = f"http://{HOST}:{port}"
        self.session = session
        self._process: asyncio.subprocess.Process | None = None
        self._log_path = workdir / f"{self.name}.log"

    def command(self) -> Sequence[str]:
        raise NotImplementedError

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self._log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    async def start(self, ready_within: float = 20.0) -> None:
        if self.running:
            return
        with self._log_path.open("ab") as log_file:
            self._process = await asyncio.create_subprocess_exec(
                *self.command(),
                stdin=asyncio.subprocess.DEVNULL, stdout=log_file, stderr=log_file,
                start_new_session=True,  # a Ctrl-C in the terminal is ours to pass on, not its
                preexec_fn=die_with_parent,
            )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ready_within
        while True:
            if self._process.returncode is not None:
                raise ServerError(
                    f"{self.name} on port {self.port} exited with {self._process.returncode}: "
                    f"{self.log_tail()}"
                )
            if await self._probe():
                return
            if loop.time() > deadline:
                await self.stop()
                raise ServerError(f"{self.name} on port {self.port} not ready in {ready_within} s")
            # Polling an external process: there is no event to await for "port is listening".
            await asyncio.sleep(0.05)

    async def _probe(self) -> bool:
        try:
            async with self.session.get(
                self.url + self.ready_path, timeout=aiohttp.ClientTimeout(total=1)
            ) as response:
                return response.status == self.ready_status
        except (aiohttp.ClientError, TimeoutError, OSError):
            return False

    async def stop(self, grace: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            process.kill()
            await process.wait()
        except asyncio.CancelledError:
            process.kill()  # cancelled while waiting: never leave the server behind
            raise

    async def kill(self) -> None:
        """Stop without a goodbye (SIGKILL), as a crash or power cut would."""
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()


def _is_port_clash(error: ServerError) -> bool:
    return "address already in use" in str(error).lower()


# ---------------------------------------------------------------------------- influxd 1.6


INFLUXD_CONFIG = """\
reporting-enabled = false
bind-address = "{host}:{rpc_port}"
[meta]
  dir = "{dir}/meta"
[data]
  dir = "{dir}/data"
  wal-dir = "{dir}/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "{host}:{port}"
  log-enabled = false
  unix-socket-enabled = false
"""


class InfluxdServer(_ServerProcess):
    name = "influxd"
    ready_path = "/ping"
    ready_status = 204

    def __init__(self, workdir: Path, port: int, session: aiohttp.ClientSession) -> None:
        super().__init__(workdir, port, session)
        self.config_path = workdir / "influxd.conf"
        self.config_path.write_text(
            INFLUXD_CONFIG.format(host=HOST, port=port, rpc_port=free_port(), dir=workdir)
        )

    def command(self) -> Sequence[str]:
        return [INFLUXD, "run", "-config", str(self.config_path)]

    async def query(self, q: str, db: str | None = None) -> list[dict[str, Any]]:
        """Run InfluxQL; returns the ``results`` list (times as epoch ns). Raises ServerError
        if the server or any statement answers with an error."""
        params = {"q": q, "epoch": "ns"}
        if db is not None:
            params["db"] = db
        async with self.session.post(f"{self.url}/query", data=params) as response:
            text = await response.text()
            status = response.status
        if status != 200:
            raise ServerError(f"influxd query {q!r}: HTTP {status}: {text}")
        results: list[dict[str, Any]] = json.loads(text).get("results", [])
        for result in results:
            if "error" in result:
                raise ServerError(f"influxd query {q!r}: {result['error']}")
        return results

    async def rows(self, q: str, db: str) -> list[dict[str, Any]]:
        """Run InfluxQL and flatten every series into dicts: columns plus the series' tags."""
        rows: list[dict[str, Any]] = []
        for result in await self.query(q, db):
            for series in result.get("series", []):
                tags = series.get("tags", {})
                for values in series["values"]:
                    rows.append({**tags, **dict(zip(series["columns"], values, strict=True))})
        return rows

    async def create_database(self, name: str) -> None:
        quoted = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        await self.query(f"CREATE DATABASE {quoted}")


# -------------------------------------------------------------------------- VictoriaMetrics


class VictoriaMetricsServer(_ServerProcess):
    name = "victoria-metrics"
    ready_path = "/health"

    def command(self) -> Sequence[str]:
        return [
            VICTORIA_METRICS,
            f"-httpListenAddr={HOST}:{self.port}",
            f"-storageDataPath={self.workdir / 'data'}",
            "-retentionPeriod=1",
            "-search.latencyOffset=1s",
            "-search.disableCache",
            "-loggerLevel=WARN",
        ]

    async def export(self, match: str) -> list[dict[str, Any]]:
        """Series matching ``match`` (e.g. ``{__name__="reading_value"}``) after a flush:
        dicts with ``metric`` (labels), ``values`` and ``timestamps`` (ms)."""
        async with self.session.get(f"{self.url}/internal/force_flush") as response:
            if response.status != 200:
                raise ServerError(f"force_flush: HTTP {response.status}")
        async with self.session.get(
            f"{self.url}/api/v1/export", params={"match[]": match}
        ) as response:
            text = await response.text()
            if response.status != 200:
                raise ServerError(f"export {match!r}: HTTP {response.status}: {text}")
        return [json.loads(line) for line in text.splitlines() if line.strip()]


# ------------------------------------------------------------------------------ launchers


@asynccontextmanager
async def _serve(
    cls: type[_ServerProcess], binary: str, port: int | None, ready_within: float
) -> AsyncIterator[Any]:
    if not os.access(binary, os.X_OK):
        raise ServerError(f"{binary} is not installed (Debian: see docs/storage.md)")
    workdir = Path(tempfile.mkdtemp(prefix=f"hazgw-{cls.name}-"))
    try:
        async with aiohttp.ClientSession() as session:
            # A free port can be taken by someone else before the server binds it; with a
            # port of our own choosing, try another one.
            attempts = 1 if port is not None else 3
            server: _ServerProcess | None = None
            for attempt in range(attempts):
                server = cls(workdir, port if port is not None else free_port(), session)
                try:
                    await server.start(ready_within)
                    break
                except ServerError as exc:
                    await server.stop()
                    if attempt + 1 == attempts or not _is_port_clash(exc):
                        raise
            assert server is not None
            try:
                yield server
            finally:
                await server.stop()
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(workdir)


@asynccontextmanager
async def influxd(
    port: int | None = None, ready_within: float = 20.0
) -> AsyncIterator[InfluxdServer]:
    """A real InfluxDB 1.6 (v1 API) on ``port`` (or a free one), ready when yielded."""
    async with _serve(InfluxdServer, INFLUXD, port, ready_within) as server:
        yield server


@asynccontextmanager
async def victoria_metrics(
    port: int | None = None, ready_within: float = 20.0
) -> AsyncIterator[VictoriaMetricsServer]:
    """A real VictoriaMetrics accepting InfluxDB ``/api/v2/write``, ready when yielded."""
    async with _serve(VictoriaMetricsServer, VICTORIA_METRICS, port, ready_within) as server:
        yield server
