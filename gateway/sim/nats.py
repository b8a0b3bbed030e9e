"""A NATS JetStream cluster on loopback for tests, benchmarks and ``hazgw demo --park``.

Each node is a real ``nats-server`` child process with its own config and store folder.
``park_config`` writes the park's account: one user per enterprise allowed to publish only
under ``hazgw.<its code>.`` (and to hear replies on its own inbox prefix), a central user
with every right, and the subject mapping that partitions the enterprises.

Nodes can be killed (SIGKILL) and started again in place (same ports, same folder): the
fault tests take one node away and bring it back. With ``tls`` every node requires TLS of
its clients (the routes between nodes stay on loopback in the clear); with ``nkeys`` an
enterprise proves an nkey instead of a password.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from gateway.sim.children import die_with_parent
from gateway.sim.ports import free_port
from gateway.uplink.subjects import ROOT, mapping

HOST = "127.0.0.1"
NATS_SERVER_CANDIDATES = (
    "/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"
)
CENTRAL_USER = "central"


def nats_server_binary() -> str | None:
    found = shutil.which("nats-server")
    if found:
        return found
    for candidate in NATS_SERVER_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return None


class NatsStartError(RuntimeError):
    pass


def _q(text: str) -> str:
    """A quoted string in the NATS config syntax (JSON strings are valid there)."""
    return json.dumps(text)


def _permissions(code: str) -> str:
    """An enterprise publishes under its own code and hears replies on its own inbox."""
    return (
        f"permissions: {{publish: {{allow: [{_q(f'{ROOT}.{code}.>')}]}}, "
        f"subscribe: {{allow: [{_q(f'_INBOX_{code}.>')}]}}}}"
    )


def account_block(
    enterprises: Mapping[str, str], central_password: str, partitions: int,
    nkeys: Mapping[str, str] | None = None,
) -> str:
    """The ``accounts`` block: who may publish what (docs/park.md). ``enterprises``: code
    to password; ``nkeys``: code to the public nkey (``U...``) of enterprises that sign."""
    users = [f"{{user: {_q(CENTRAL_USER)}, password: {_q(central_password)}}}"]
    for code, password in enterprises.items():
        users.append(f"{{user: {_q(code)}, password: {_q(password)}, {_permissions(code)}}}")
    for code, public_key in (nkeys or {}).items():
        users.append(f"{{nkey: {_q(public_key)}, {_permissions(code)}}}")
    maps = ", ".join(f"{_q(src)}: {_q(dst)}" for src, dst in mapping(partitions).items())
    joined = "\n      ".join(users)
    return (
        "accounts {\n  PARK {\n    jetstream: enabled\n    users: [\n      "
        f"{joined}\n    ]\n    mappings: {{ {maps} }}\n  }}\n}}\n"
    )


@dataclass(frozen=True)
class TlsFiles:
    """The server's certificate chain and key (PEM files)."""

    cert: Path
    key: Path


@dataclass
class NatsNode:
    name: str
    folder: Path
    port: int
    route_port: int
    monitor_port: int
    mqtt_port: int | None = None
    tls: TlsFiles | None = None
    process: asyncio.subprocess.Process | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        scheme = "tls" if self.tls is not None else "nats"
        return f"{scheme}://{HOST}:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def config(self, routes: Sequence[int], accounts: str) -> str:
        route_urls = ", ".join(f"nats-route://{HOST}:{port}" for port in routes)
        lines = [
            f"server_name: {self.name}",
            f"listen: {HOST}:{self.port}",
            f"http: {HOST}:{self.monitor_port}",
            f"jetstream {{ store_dir: {_q(str(self.folder / 'js'))}, max_mem: 64M, max_file: 1G }}",
            # no_advertise: clients keep to the URLs they were given (a test can cut one link).
            f"cluster {{ name: park, listen: {HOST}:{self.route_port}, no_advertise: true, "
            f"routes: [{route_urls}] }}",
        ]
        if self.mqtt_port is not None:
            lines.append(f"mqtt {{ listen: {HOST}:{self.mqtt_port} }}")
        if self.tls is not None:
            # Clients must speak TLS from the start; a plain CONNECT is refused.
            lines.append(
                f"tls {{ cert_file: {_q(str(self.tls.cert))}, key_file: {_q(str(self.tls.key))},"
                " timeout: 2 }"
            )
        return "\n".join(lines) + "\n" + accounts


@dataclass
class NatsCluster:
    nodes: list[NatsNode]
    binary: str
    session: aiohttp.ClientSession

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    async def start_node(self, node: NatsNode, ready_within: float = 15.0) -> None:
        if node.running:
            return
        log_file = (node.folder / "nats.log").open("ab")
        with log_file:
            node.process = await asyncio.create_subprocess_exec(
                self.binary, "-c", str(node.folder / "nats.conf"),
                stdin=asyncio.subprocess.DEVNULL, stdout=log_file, stderr=log_file,
                start_new_session=True, preexec_fn=die_with_parent,
            )
        await self._wait_ready(node, ready_within)

    async def _wait_ready(self, node: NatsNode, within: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        url = f"http://{HOST}:{node.monitor_port}/healthz"
        while True:
            assert node.process is not None
            if node.process.returncode is not None:
                raise NatsStartError(f"{node.name} exited: {self.log_tail(node)}")
            with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
                async with self.session.get(url, timeout=aiohttp.ClientTimeout(total=1)) as r:
                    if r.status == 200:
                        return
            if loop.time() > deadline:
                raise NatsStartError(
                    f"{node.name} not healthy in {within} s: {self.log_tail(node)}"
                )
            # An external process: no event announces that it is ready.
            await asyncio.sleep(0.05)

    async def wait_all_healthy(self, within: float = 15.0) -> None:
        for node in self.nodes:
            if node.running:
                await self._wait_ready(node, within)

    def log_tail(self, node: NatsNode, chars: int = 1500) -> str:
        try:
            return (node.folder / "nats.log").read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    async def kill_node(self, node: NatsNode) -> None:
        """SIGKILL: the node dies without a goodbye, as in a power cut."""
        process, node.process = node.process, None
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()

    async def stop_node(self, node: NatsNode, grace: float = 5.0) -> None:
        process, node.process = node.process, None
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            process.kill()
            await process.wait()


@asynccontextmanager
async def nats_cluster(
    enterprises: Mapping[str, str],
    *,
    central_password: str = "central-secret",
    partitions: int = 8,
    size: int = 3,
    mqtt: bool = False,
    tls: TlsFiles | None = None,
    nkeys: Mapping[str, str] | None = None,
) -> AsyncIterator[NatsCluster]:
    """Start ``size`` nodes (3 by default) and wait until each reports healthy."""
    binary = nats_server_binary()
    if binary is None:
        raise NatsStartError("nats-server is not installed (apt-get install nats-server)")
    root = Path(tempfile.mkdtemp(prefix="hazgw-nats-"))
    nodes = []
    for index in range(size):
        folder = root / f"n{index + 1}"
        folder.mkdir()
        nodes.append(
            NatsNode(
                f"n{index + 1}", folder, free_port(), free_port(), free_port(),
                mqtt_port=free_port() if mqtt and index == 0 else None, tls=tls,
            )
        )
    accounts = account_block(enterprises, central_password, partitions, nkeys)
    routes = [node.route_port for node in nodes]
    for node in nodes:
        (node.folder / "nats.conf").write_text(node.config(routes, accounts))
    async with aiohttp.ClientSession() as session:
        cluster = NatsCluster(nodes, binary, session)
        try:
            await asyncio.gather(*(cluster.start_node(node) for node in nodes))
            yield cluster
        finally:
            await asyncio.gather(*(cluster.stop_node(node) for node in nodes))
            shutil.rmtree(root, ignore_errors=True)
