"""MQTT brokers for tests, benchmarks and `hazgw demo`, on loopback only.

``mosquitto`` runs the real Debian broker as a child process with a throw-away config;
``embedded_broker`` runs amqtt inside this event loop for machines without mosquitto;
``any_broker`` picks the first that is available. Each waits (bounded) until the broker
accepts connections and, on exit, stops it with nothing left running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from gateway.sim.children import die_with_parent
from gateway.sim.ports import free_port

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
MOSQUITTO_CANDIDATES = ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")
_START_ATTEMPTS = 3  # a port found free can be taken before the broker binds it


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    kind: str  # "mosquitto" or "amqtt"


@dataclass(frozen=True)
class BrokerTls:
    """Server certificate for a TLS listener (files are copied into the broker's folder)."""

    ca_file: Path
    cert_file: Path
    key_file: Path
    # Clients must show a certificate signed by ``ca_file`` (mosquitto require_certificate).
    require_client_cert: bool = False


class BrokerStartError(RuntimeError):
    pass


def mosquitto_binary() -> str | None:
    found = shutil.which("mosquitto")
    if found:
        return found
    for candidate in MOSQUITTO_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def mosquitto_config(
    port: int, folder: Path, *, password_file: Path | None, tls: BrokerTls | None,
    persistent: bool = False, max_inflight: int | None = None,
) -> str:
    lines = [
        f"listener {port} {HOST}",
        *(
            # Sessions and their queued QoS 1 messages survive a broker restart; the
            # in-flight window is wide enough for acknowledgements that wait for a commit.
            [
                "persistence true",
                f"persistence_location {folder}/",
                "autosave_interval 1",
                "max_inflight_messages 1000",
            ]
            if persistent
            else ["persistence false"]
        ),
        "log_dest stderr",
        "log_type error",
        "log_type warning",
        "log_type notice",
        # The benchmark runs many connections and large batches.
        "max_queued_messages 100000",
        "set_tcp_nodelay true",
    ]
    if max_inflight is not None and not persistent:
        # QoS 1 messages a client may hold unacknowledged (mosquitto's default: 20). A
        # gateway that acknowledges after its group commit needs a wider window.
        lines.append(f"max_inflight_messages {max_inflight}")
    if password_file is not None:
        lines += ["allow_anonymous false", f"password_file {folder / 'passwd'}"]
    else:
        lines.append("allow_anonymous true")
    if os.geteuid() == 0:
        # Run as root, mosquitto would drop to user `mosquitto`, and a process that changes
        # its user loses the parent-death signal that stops it when the demo or a test is
        # killed. This broker listens on loopback only, for the demo and the tests.
        lines.append("user root")
    if tls is not None:
        lines += [
            f"cafile {folder / 'ca.pem'}",
            f"certfile {folder / 'cert.pem'}",
            f"keyfile {folder / 'key.pem'}",
        ]
        if tls.require_client_cert:
            lines.append("require_certificate true")
    return "\n".join(lines) + "\n"


def _prepare_folder(
    folder: Path, port: int, password_file: Path | None, tls: BrokerTls | None,
    persistent: bool = False, max_inflight: int | None = None,
) -> Path:
    if password_file is not None:
        shutil.copyfile(password_file, folder / "passwd")
    if tls is not None:
        shutil.copyfile(tls.ca_file, folder / "ca.pem")
        shutil.copyfile(tls.cert_file, folder / "cert.pem")
        shutil.copyfile(tls.key_file, folder / "key.pem")
    config = folder / "mosquitto.conf"
    config.write_text(
        mosquitto_config(
            port, folder, password_file=password_file, tls=tls, persistent=persistent,
            max_inflight=max_inflight,
        )
    )
    for secret in ("passwd", "key.pem"):
        if (folder / secret).exists():
            (folder / secret).chmod(0o600)
    return config


async def _accepting(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection(host, port)
    except OSError:
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


async def _stop(process: asyncio.subprocess.Process, grace: float = 5.0) -> None:
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        await asyncio.wait_for(process.wait(), grace)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


async def _start_mosquitto(
    binary: str, port: int, folder: Path, password_file: Path | None, tls: BrokerTls | None,
    ready_timeout: float, persistent: bool = False, max_inflight: int | None = None,
) -> asyncio.subprocess.Process:
    config = _prepare_folder(folder, port, password_file, tls, persistent, max_inflight)
    log_path = folder.parent / "mosquitto.log"
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            binary, "-c", str(config),
            stdin=asyncio.subprocess.DEVNULL, stdout=log_file, stderr=log_file,
            preexec_fn=die_with_parent,
        )
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ready_timeout
        while not await _accepting(HOST, port):
            if process.returncode is not None:
                raise BrokerStartError(
                    f"mosquitto on port {port} exited with code {process.returncode}: "
                    + log_path.read_text(errors="replace").strip()[-2000:]
                )
            if loop.time() > deadline:
                raise BrokerStartError(
                    f"mosquitto on port {port} did not accept connections within "
                    f"{ready_timeout:g} s: " + log_path.read_text(errors="replace")[-2000:]
                )
            # No event tells when a child process starts listening: poll, bounded above.
            await asyncio.sleep(0.02)
    except BaseException:
        await _stop(process)
        raise
    return process


@asynccontextmanager
async def mosquitto(
    port: int | None = None,
    *,
    password_file: Path | None = None,
    tls: BrokerTls | None = None,
    ready_timeout: float = 10.0,
    max_inflight: int | None = None,
) -> AsyncIterator[BrokerAddress]:
    """A real mosquitto on 127.0.0.1. ``password_file`` as made by ``mosquitto_passwd``
    turns anonymous access off; ``tls`` makes the listener TLS-only; ``max_inflight``
    sets ``max_inflight_messages`` (mosquitto's default is 20)."""
    binary = mosquitto_binary()
    if binary is None:
        raise BrokerStartError("mosquitto is not installed (apt-get install mosquitto)")
    with tempfile.TemporaryDirectory(prefix="hazgw-mosquitto-") as temp:
        attempts = 1 if port is not None else _START_ATTEMPTS
        process: asyncio.subprocess.Process | None = None
        for attempt in range(attempts):
            chosen = port if port is not None else free_port(HOST)
            folder = Path(temp) / f"run{attempt}"
            folder.mkdir(mode=0o700)
            try:
                process = await _start_mosquitto(
                    binary, chosen, folder, password_file, tls, ready_timeout,
                    max_inflight=max_inflight,
                )
            except BrokerStartError:
                if attempt + 1 == attempts:
                    raise
                continue
            break
        assert process is not None
        try:
            yield BrokerAddress(HOST, chosen, "mosquitto")
        finally:
            await _stop(process)


class PersistentMosquitto:
    """A mosquitto with persistence on, in ``folder``, that can be stopped and started again
    on the same port with its sessions and queued messages (for broker-restart tests)."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = folder
        self.port = port if port is not None else free_port(HOST)
        self.address = BrokerAddress(HOST, self.port, "mosquitto")
        self._process: asyncio.subprocess.Process | None = None

    async def start(self, ready_timeout: float = 10.0) -> None:
        binary = mosquitto_binary()
        if binary is None:
            raise BrokerStartError("mosquitto is not installed (apt-get install mosquitto)")
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._process = await _start_mosquitto(
            binary, self.port, self.folder, None, None, ready_timeout, persistent=True
        )

    async def stop(self) -> None:
        """SIGTERM: mosquitto saves its persistence file on the way out."""
        process, self._process = self._process, None
        if process is not None:
            await _stop(process)

    async def __aenter__(self) -> PersistentMosquitto:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()


@asynccontextmanager
async def embedded_broker(port: int | None = None) -> AsyncIterator[BrokerAddress]:
    """amqtt in this event loop: anonymous, plain TCP, no $SYS topics."""
    from amqtt.broker import Broker  # imported here: the dependency is only for this fallback
    from amqtt.errors import BrokerError

    attempts = 1 if port is not None else _START_ATTEMPTS
    for attempt in range(attempts):
        chosen = port if port is not None else free_port(HOST)
        broker = Broker(
            {
                "listeners": {"default": {"type": "tcp", "bind": f"{HOST}:{chosen}"}},
                "plugins": {
                    "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
                },
            }
        )
        try:
            await broker.start()
        except BrokerError as error:
            if attempt + 1 == attempts:
                message = f"amqtt could not listen on port {chosen}: {error}"
                raise BrokerStartError(message) from error
            continue
        break
    try:
        yield BrokerAddress(HOST, chosen, "amqtt")
    finally:
        await broker.shutdown()


@asynccontextmanager
async def any_broker(port: int | None = None) -> AsyncIterator[BrokerAddress]:
    """mosquitto when installed, else the embedded amqtt broker."""
    if mosquitto_binary() is not None:
        async with mosquitto(port) as address:
            yield address
    else:
        log.warning("mosquitto is not installed: using the embedded amqtt broker (slower)")
        async with embedded_broker(port) as address:
            yield address


__all__ = [
    "BrokerAddress",
    "BrokerStartError",
    "BrokerTls",
    "any_broker",
    "embedded_broker",
    "mosquitto",
    "mosquitto_binary",
]
