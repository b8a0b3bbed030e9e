"""Both gateways as child processes, and the counters at their far ends.

hazgw runs as ``python -m gateway.cli run`` from this checkout, writing to a real influxd
(one database per run) and is counted there. The peer runs from its own venv (see
``install.py``); its uplink is a local mosquitto where ``UplinkCounter`` plays ThingsBoard:
it answers the session-limits request (no limits) and counts every telemetry value by the
timestamp the peer gave it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiomqtt
import yaml

from benchmarks.peers.tb_config import TELEMETRY_TOPIC, ModbusSlave, MqttFeed, write_tb_config
from config.catalog import GATEWAY_SITE
from gateway.sim.broker import BrokerAddress
from gateway.sim.influx import InfluxdServer, ServerError
from gateway.sim.ports import free_port

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Process:
    process: asyncio.subprocess.Process
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def check_alive(self, who: str) -> None:
        if self.process.returncode is not None:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{who} exited with code {self.process.returncode}:\n{tail}")


async def _start(argv: Sequence[str], env: dict[str, str], cwd: Path, log: Path) -> Process:
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            *argv, env=env, cwd=cwd, stdin=asyncio.subprocess.DEVNULL, stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
    return Process(process, log)


async def _stop(process: Process) -> None:
    if process.process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.process.terminate()
    try:
        await asyncio.wait_for(process.process.wait(), 20)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.process.kill()
        await process.process.wait()


# -------------------------------------------------------------------------------- hazgw


def hazgw_site(
    modbus: Sequence[ModbusSlave] = (), mqtt: MqttFeed | None = None, mqtt_devices: int = 0
) -> dict[str, object]:
    """The same devices as the peer gets, as a hazgw site file (one float32 ABCD per point)."""
    devices: list[dict[str, object]] = []
    for number, slave in enumerate(modbus):
        devices.append({
            "id": slave.name, "transport": "modbus_tcp", "host": "127.0.0.1",
            "port": slave.port, "unit": slave.unit, "poll_interval": slave.poll_ms / 1000,
            "timeout": 2.0,
            "points": [
                {"tag": f"M{number:03d}-P{index:03d}", "name": "bench", "kind": "analog",
                 "range": {"low": -1e9, "high": 1e9}, "hazard_source": "HS-1",
                 "source": {"table": "holding", "address": 2 * index, "type": "float32",
                            "byte_order": "ABCD"}}
                for index in range(slave.points)
            ],
        })
    if mqtt is not None:
        for number in range(mqtt_devices):
            devices.append({
                "id": f"dev{number}", "transport": "mqtt",
                "broker": {"host": mqtt.host, "port": mqtt.port},
                "subscriptions": [
                    {"topic": f"bench/dev{number}/data", "format": "object", "qos": 1}
                ],
                "points": [
                    {"tag": f"Q{number:03d}-{key}", "key": key, "name": "bench",
                     "kind": "analog", "range": {"low": -1e9, "high": 1e9},
                     "hazard_source": "HS-1"}
                    for key in mqtt.keys
                ],
            })
    return {
        "enterprise": {"name": "基准测试", "code": "BENCH"},
        "hazard_sources": [{"id": "HS-1", "name": "基准", "grade": 4, "kind": "process_unit"}],
        "devices": devices,
    }


def hazgw_gateway_file(site_file: str, influx_url: str, database: str, http_port: int
                       ) -> dict[str, object]:
    return {
        "sites": [site_file],
        "storage": {"target": {"kind": "influx_v1", "url": influx_url, "database": database}},
        "http": {"host": "127.0.0.1", "port": http_port},
    }


@asynccontextmanager
async def hazgw(
    folder: Path, influx: InfluxdServer, database: str, site: dict[str, object]
) -> AsyncIterator[Process]:
    folder.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - a benchmark's set-up
    (folder / "site.yaml").write_text(yaml.safe_dump(site, allow_unicode=True))
    config = folder / "gateway.yaml"
    config.write_text(yaml.safe_dump(
        hazgw_gateway_file("site.yaml", influx.url, database, free_port())
    ))
    env = dict(os.environ, PYTHONPATH=str(REPO))
    process = await _start(
        [sys.executable, "-m", "gateway.cli", "run", str(config), "--state-dir",
         str(folder / "state")],
        env, REPO, folder / "hazgw.log",
    )
    try:
        yield process
    finally:
        await _stop(process)


async def influx_count(influx: InfluxdServer, database: str, start: float, end: float) -> int:
    """Readings of the simulated devices stored whose timestamp lies in [start, end) (epoch
    seconds). The gateway's own points (site ``_gateway``: its buffer and database health,
    written every second or so) are not the load: counted, they made an open window never
    settle and a closed one exceed the demand."""
    try:
        rows = await influx.rows(
            f"SELECT count(value) FROM reading WHERE time >= {int(start * 1e9)} "
            f"AND time < {int(end * 1e9)} AND site != '{GATEWAY_SITE}'",
            db=database,
        )
    except ServerError as error:
        if "database not found" in str(error):  # the gateway has not created it yet
            return 0
        raise
    return int(rows[0]["count"]) if rows else 0


# --------------------------------------------------------------------------------- peer


@dataclass
class UplinkCounter:
    """Plays ThingsBoard on the uplink broker: counts telemetry values by their timestamp."""

    broker: BrokerAddress
    by_bucket: Counter[int] = field(default_factory=Counter)  # 10 ms buckets
    messages: int = 0

    def count(self, start: float, end: float) -> int:
        """Values whose timestamp lies in [start, end) (epoch seconds), to 10 ms."""
        low, high = start * 100, end * 100
        return sum(n for bucket, n in list(self.by_bucket.items()) if low <= bucket < high)

    async def run(self, ready: asyncio.Event) -> None:
        async with aiomqtt.Client(self.broker.host, self.broker.port,
                                  max_queued_incoming_messages=0) as client:
            await client.subscribe("v1/#", qos=1)
            ready.set()
            async for message in client.messages:
                topic = str(message.topic)
                payload = message.payload
                assert isinstance(payload, bytes | bytearray)
                if topic == TELEMETRY_TOPIC:
                    self.messages += 1
                    for items in json.loads(payload).values():
                        for item in items:
                            self.by_bucket[int(item["ts"]) // 10] += len(item["values"])
                elif topic.startswith("v1/devices/me/rpc/request/"):
                    number = topic.rsplit("/", 1)[1]
                    await client.publish(
                        f"v1/devices/me/rpc/response/{number}",
                        json.dumps({"rateLimits": {}, "gatewayRateLimits": {},
                                    "maxInflightMessages": 100, "maxPayloadSize": 65536}),
                        qos=1,
                    )


def peer_python(venv: Path) -> Path:
    return venv / "bin" / "thingsboard-gateway"


@asynccontextmanager
async def peer(
    folder: Path, venv: Path, uplink: BrokerAddress, *, modbus: Sequence[ModbusSlave] = (),
    mqtt: MqttFeed | None = None,
) -> AsyncIterator[Process]:
    config = write_tb_config(folder / "config", (uplink.host, uplink.port), modbus=modbus,
                             mqtt=mqtt)
    env = dict(os.environ, TB_GW_CONFIG_DIR=str(config))
    env.pop("PYTHONPATH", None)
    process = await _start([str(peer_python(venv))], env, folder, folder / "peer.out")
    try:
        yield process
    finally:
        await _stop(process)


def now() -> float:
    return time.time()
