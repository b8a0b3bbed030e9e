"""A plant for the fault tests: a numbered MQTT stream at QoS 1 through a persistent
mosquitto, a Modbus device polled ten times a second, a real influxd, and the gateway,
in this process or (to be killed) as a child. Loss is counted from what InfluxDB holds."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiomqtt
import httpx

from collectors.health import LinkState
from collectors.mqtt.collector import MqttCollector
from config.gateway_file import GatewayConfig
from dashboard.auth import Role
from gateway.runtime import Gateway
from gateway.selfwatch import SelfAlarmSettings
from gateway.sim.broker import BrokerAddress, PersistentMosquitto
from gateway.sim.influx import InfluxdServer
from gateway.sim.modbus_devices import SimModbusServer
from gateway.sim.ports import free_port
from gateway.validation import load_gateway

ROOT = Path(__file__).resolve().parents[2]
DB = "faults"
SITE = "FT"
POLL = 0.1  # Modbus poll interval, seconds
COMMIT = 0.1  # the buffer's group-commit interval, seconds
PER_MESSAGE = 10  # readings in one numbered MQTT message
T0 = 1_780_000_000.0  # the numbered readings' timestamps: T0 + n ms, each its own point

SITE_YAML = """
enterprise: {{name: 故障测试, code: {site}}}
hazard_sources:
  - {{id: HS1, name: 罐区, grade: 2, kind: tank_farm}}
devices:
  - id: seq
    transport: mqtt
    broker: {{host: {broker.host}, port: {broker.port}}}
    subscriptions:
      - {{topic: ft/seq, format: batch, qos: 1}}
    points:
      - {{tag: SEQ, name: 序号, kind: temperature, range: {{low: 0, high: 1000000000}},
         hazard_source: HS1}}
  - id: plc
    transport: modbus_tcp
    host: 127.0.0.1
    port: {modbus_port}
    poll_interval: {poll}
    timeout: 0.3
    retries: 0
    points:
      - {{tag: LT-1, name: 液位, kind: level, unit: m, range: {{low: 0, high: 100}},
         hazard_source: HS1, source: {{table: holding, address: 0, type: uint16}},
         alarms: {{H: {{value: 50, priority: high}}}}}}
{extra_points}"""

GATEWAY_YAML = """
sites: [site.yaml]
http: {{port: {http_port}}}
storage:
  target: {{kind: influx_v1, url: "{influx_url}", database: {db}}}
  batch_size: 2000
  flush_interval: 0.1
  max_retry_delay: 2
  timeout: 2
  buffer_capacity: {memory}
  buffer: {{commit_interval: {commit}{max_bytes}}}
"""


@dataclass
class Plant:
    folder: Path
    address: BrokerAddress
    devices: SimModbusServer
    influx: InfluxdServer
    broker: PersistentMosquitto
    http_port: int = field(default_factory=free_port)

    def write_config(
        self, *, memory: int = 200_000, max_bytes: int | None = None, extra_points: str = ""
    ) -> Path:
        site = SITE_YAML.format(
            site=SITE, broker=self.address, modbus_port=self.devices.port, poll=POLL,
            extra_points=extra_points,
        )
        (self.folder / "site.yaml").write_text(site, encoding="utf-8")
        limit = f", max_bytes: {max_bytes}" if max_bytes is not None else ""
        config = GATEWAY_YAML.format(
            http_port=self.http_port, influx_url=self.influx.url, db=DB, memory=memory,
            commit=COMMIT, max_bytes=limit,
        )
        path = self.folder / "gateway.yaml"
        path.write_text(config, encoding="utf-8")
        return path

    @property
    def state_dir(self) -> Path:
        return self.folder / "state"

    async def numbered(self) -> tuple[int, float, float]:
        """(count, min, max) of the numbered readings InfluxDB holds."""
        rows = await self.influx.rows(
            "SELECT count(value), min(value), max(value) FROM reading WHERE \"tag\" = 'SEQ'", DB
        )
        if not rows:
            return 0, -1.0, -1.0
        return int(rows[0]["count"]), float(rows[0]["min"]), float(rows[0]["max"])

    async def modbus_times(self) -> list[float]:
        """Timestamps (epoch seconds) of the stored good Modbus readings, in order."""
        rows = await self.influx.rows(
            "SELECT value FROM reading WHERE \"tag\" = 'LT-1' AND \"quality\" = 'good'", DB
        )
        return [int(row["time"]) / 1e9 for row in rows]

    async def until_stored(self, sent: int, within: float) -> tuple[int, float, float]:
        """Until InfluxDB holds ``sent`` numbered readings (or ``within`` seconds passed)."""
        deadline = time.monotonic() + within
        while True:
            found = await self.numbered()
            if found[0] >= sent or time.monotonic() > deadline:
                return found
            await asyncio.sleep(0.2)


class NumberedPublisher:
    """Publishes readings 0, 1, 2 ... at QoS 1, ``PER_MESSAGE`` to a message, at ``rate``
    messages a second. A message counts as sent once the broker acknowledged it; a broker
    that goes away is reconnected to and the unacknowledged message sent again."""

    def __init__(
        self, broker: BrokerAddress, rate: float = 50.0, per_message: int = PER_MESSAGE
    ) -> None:
        self.broker = broker
        self.rate = rate
        self.per_message = per_message
        self.sent = 0  # messages the broker acknowledged
        self.reconnects = 0
        self._stop = asyncio.Event()

    @property
    def readings(self) -> int:
        return self.sent * self.per_message

    def payload(self, n: int) -> bytes:
        first = n * self.per_message
        return json.dumps([
            {"tag": "SEQ", "value": seq, "ts": T0 + seq / 1000} for seq in
            range(first, first + self.per_message)
        ]).encode()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while not self._stop.is_set():
            try:
                async with aiomqtt.Client(
                    self.broker.host, self.broker.port, identifier="ft-publisher",
                    clean_session=False, timeout=2,
                ) as client:
                    while not self._stop.is_set():
                        await client.publish("ft/seq", self.payload(self.sent), qos=1)
                        self.sent += 1
                        due += 1 / self.rate
                        await asyncio.sleep(max(0.0, due - loop.time()))
            except aiomqtt.MqttError:
                self.reconnects += 1
                due = loop.time()
                await asyncio.sleep(0.1)

    def stop(self) -> None:
        self._stop.set()


@contextlib.asynccontextmanager
async def publishing(
    broker: BrokerAddress, rate: float = 50.0, per_message: int = PER_MESSAGE
) -> AsyncIterator[NumberedPublisher]:
    publisher = NumberedPublisher(broker, rate, per_message)
    task = asyncio.create_task(publisher.run())
    try:
        yield publisher
    finally:
        publisher.stop()
        async with asyncio.timeout(10):
            with contextlib.suppress(asyncio.CancelledError):
                await task


@contextlib.asynccontextmanager
async def gateway_in_process(
    config_path: Path, state_dir: Path, self_alarms: SelfAlarmSettings | None = None
) -> AsyncIterator[Gateway]:
    loaded = load_gateway(config_path)
    gateway = Gateway(
        loaded.config, loaded.sites, state_dir=state_dir, config_path=config_path,
        self_alarms=self_alarms,
    )
    task = asyncio.create_task(gateway.run())
    ready = asyncio.create_task(gateway.ready.wait())
    done, _ = await asyncio.wait({task, ready}, timeout=20, return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        ready.cancel()
        task.cancel()
        raise AssertionError(f"gateway did not start: {task.exception() if task.done() else ''}")
    try:
        await until_subscribed(gateway)
        yield gateway
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 30)


async def until_subscribed(gateway: Gateway, within: float = 20.0) -> None:
    """Until every MQTT collector holds its subscriptions. ``ready`` only says the web
    server listens: the collectors connect in their own tasks, and a message published
    before the gateway's first subscription has no session at the broker to be kept in
    (MQTT queues messages for subscriptions it knows). A stream started earlier loses its
    first messages to the test's own start, not to the fault under test."""
    assert gateway.parts is not None
    async with asyncio.timeout(within):
        for collector in gateway.parts.collectors:
            if isinstance(collector, MqttCollector):
                await collector.wait_state(LinkState.CONNECTED)


async def operator_client(gateway: Gateway) -> httpx.AsyncClient:
    """An HTTP client to the gateway's API, signed in as an operator (close it)."""
    assert gateway.parts is not None and gateway.auth is not None
    if gateway.auth.get_user("ft-operator") is None:
        gateway.auth.add_user(
            "ft-operator", "ft-password", Role.OPERATOR, actor="test", check_strength=False
        )
    client = httpx.AsyncClient(base_url=gateway.parts.server.url, timeout=10)
    answer = await client.post(
        "/api/login", json={"username": "ft-operator", "password": "ft-password"}
    )
    assert answer.status_code == 200, answer.text
    client.headers["Authorization"] = f"Bearer {answer.json()['token']}"
    return client


class GatewayProcess:
    """``hazgw run`` as a child process, to be killed with SIGKILL."""

    def __init__(self, config_path: Path, state_dir: Path, http_port: int) -> None:
        self.config_path = config_path
        self.state_dir = state_dir
        self.http_port = http_port
        self.process: asyncio.subprocess.Process | None = None
        self.log = config_path.parent / "gateway.log"

    async def start(self, within: float = 30.0) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        subscribed_before = self._subscriptions_logged()
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "gateway.cli", "run", str(self.config_path),
                "--state-dir", str(self.state_dir),
                stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log, env=env,
            )
        deadline = time.monotonic() + within
        async with httpx.AsyncClient() as http:
            while True:
                if self.process.returncode is not None:
                    raise AssertionError(f"gateway exited: {self.log.read_text()[-3000:]}")
                try:
                    answer = await http.get(f"http://127.0.0.1:{self.http_port}/api/health")
                    # Up, and subscribed (see ``until_subscribed``): the collector logs it.
                    if (
                        answer.status_code < 500
                        and self._subscriptions_logged() > subscribed_before
                    ):
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"gateway not up: {self.log.read_text()[-3000:]}")
                # A child process gives no event when it listens: poll, bounded above.
                await asyncio.sleep(0.1)

    def _subscriptions_logged(self) -> int:
        if not self.log.exists():
            return 0
        return self.log.read_text(errors="replace").count("connected, subscribed to")

    async def kill(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGKILL)
            await process.wait()

    async def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()


def load(config_path: Path) -> GatewayConfig:
    return load_gateway(config_path).config
