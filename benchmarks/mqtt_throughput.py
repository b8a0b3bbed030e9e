"""Readings per second from MQTT publishers through ``MqttCollector`` into a counting sink.

    .venv/bin/python benchmarks/mqtt_throughput.py                     # one run, mosquitto
    .venv/bin/python benchmarks/mqtt_throughput.py --sweep             # a small table
    .venv/bin/python benchmarks/mqtt_throughput.py --site config/examples/dust_line.yaml

One aiomqtt connection moves only 12–15k messages/s, so high reading rates come from
batch payloads (``per_message`` readings in one message) and several connections (one
collector, i.e. one MQTT device, per connection). The publishers run in this process
too, so the figure is a lower bound for the collector alone. Every wait is bounded:
a run that does not finish within ``timeout`` reports what arrived.

``run_mqtt_load`` is the reusable part: pass ``emit`` (e.g. a ``Pipeline.emit`` feeding
a storage writer) to send every batch on after it is counted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiomqtt

from collectors.base import Emit
from collectors.health import LinkState
from collectors.mqtt import MqttCollector
from collectors.mqtt.acks import Durable
from collectors.mqtt.collector import DROPPED
from collectors.readings import Reading
from config.mqtt import MqttDevice, PayloadFormat
from config.points import DISCRETE_KINDS
from gateway.sim.broker import BrokerAddress, any_broker, embedded_broker, mosquitto
from gateway.validation import load_site

SITE = "BENCH"
PAYLOAD_VARIANTS = 8  # payloads are encoded before the clock starts, then cycled


@dataclass(frozen=True)
class LoadStats:
    broker: str
    connections: int
    per_message: int
    messages_sent: int
    readings_sent: int
    readings_received: int
    seconds: float
    dropped_messages: int
    payload_errors: int
    timed_out: bool

    @property
    def readings_per_s(self) -> float:
        return self.readings_received / self.seconds if self.seconds > 0 else 0.0

    @property
    def messages_per_s(self) -> float:
        received = self.readings_received / self.per_message
        return received / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        flag = "  TIMED OUT" if self.timed_out else ""
        return (
            f"{self.broker:9} conn={self.connections:<2} per_msg={self.per_message:<5} "
            f"readings={self.readings_received:>8}/{self.readings_sent:<8} "
            f"{self.seconds:6.2f} s  {self.readings_per_s:>9,.0f} readings/s  "
            f"{self.messages_per_s:>7,.0f} msg/s  dropped={self.dropped_messages} "
            f"errors={self.payload_errors}{flag}"
        )


@dataclass(frozen=True)
class LoadDevice:
    """One collector's device and the topic its publisher sends batch payloads to."""

    site: str
    device: MqttDevice
    topic: str


def synthetic_devices(
    broker: BrokerAddress, connections: int, points_per_device: int = 200, qos: int = 1
) -> list[LoadDevice]:
    devices = []
    for index in range(connections):
        topic = f"bench/dev{index}/batch"
        device = MqttDevice.model_validate(
            {
                "id": f"bench-{index}",
                "transport": "mqtt",
                "broker": {"host": broker.host, "port": broker.port},
                "subscriptions": [{"topic": topic, "format": "batch", "qos": qos}],
                "points": [
                    {
                        "tag": f"B{index}-P{point:04d}",
                        "name": "bench",
                        "kind": "analog",
                        "range": {"low": 0, "high": 1000},
                        "hazard_source": "BENCH",
                    }
                    for point in range(points_per_device)
                ],
            }
        )
        devices.append(LoadDevice(SITE, device, topic))
    return devices


def devices_from_site(path: Path, broker: BrokerAddress) -> list[LoadDevice]:
    """The site's MQTT devices, pointed at ``broker``; each needs a batch subscription."""
    site = load_site(path)
    devices = []
    for device in site.devices:
        if not isinstance(device, MqttDevice):
            continue
        batch = next(
            (s for s in device.subscriptions if s.format is PayloadFormat.BATCH), None
        )
        if batch is None:
            raise ValueError(f"{path}: mqtt device {device.id} has no batch subscription")
        topic = "/".join("bench" if level in ("+", "#") else level
                         for level in batch.topic.split("/"))
        moved = device.model_copy(
            update={"broker": device.broker.model_copy(
                update={"host": broker.host, "port": broker.port, "client_id": None}
            )}
        )
        devices.append(LoadDevice(site.enterprise.code, moved, topic))
    if not devices:
        raise ValueError(f"{path}: no MQTT devices")
    return devices


def batch_payloads(device: MqttDevice, per_message: int) -> list[bytes]:
    """Valid batch payloads cycling over the device's points (booleans for discrete ones,
    values inside the range for analog ones), so that every reading is accepted."""
    points = itertools.cycle(device.points)
    payloads = []
    for variant in range(PAYLOAD_VARIANTS):
        items: list[dict[str, object]] = []
        for index in range(per_message):
            point = next(points)
            value: object
            if point.kind in DISCRETE_KINDS or point.range is None:
                value = (variant + index) % 2 == 0
            else:
                span = point.range.high - point.range.low
                value = round(point.range.low + span * ((variant * 7 + index) % 100) / 100, 3)
            items.append({"tag": point.payload_key, "value": value})
        payloads.append(json.dumps(items).encode())
    return payloads


class CountingSink:
    """Counts readings, wakes the runner at the target, forwards to ``downstream``."""

    def __init__(self, target: int, downstream: Emit | None) -> None:
        self.target = target
        self.count = 0
        self.done = asyncio.Event()
        self.downstream = downstream

    def __call__(self, readings: Sequence[Reading]) -> None:
        self.count += len(readings)
        if self.downstream is not None:
            self.downstream(readings)
        if self.count >= self.target:
            self.done.set()


PUBLISH_WINDOW = 64  # publishes in flight per connection: one PUBACK wait each is too slow
_QUIET = logging.getLogger("benchmarks.mqtt_throughput.publisher")


async def _publish(
    client: aiomqtt.Client, topic: str, payloads: list[bytes], messages: int, qos: int
) -> None:
    for start in range(0, messages, PUBLISH_WINDOW):
        await asyncio.gather(
            *(
                client.publish(topic, payloads[index % len(payloads)], qos=qos)
                for index in range(start, min(messages, start + PUBLISH_WINDOW))
            )
        )


async def run_mqtt_load(
    broker: BrokerAddress,
    site_file_or_devices: Path | Sequence[LoadDevice] | None,
    readings_total: int,
    per_message: int,
    connections: int,
    *,
    emit: Emit | None = None,
    qos: int = 1,
    timeout: float = 60.0,  # noqa: ASYNC109  (a run reports partial figures, never raises)
    durable: Durable | None = None,
) -> LoadStats:
    """Publish ``readings_total`` readings in batches of ``per_message`` over
    ``connections`` publisher/collector pairs and time their arrival at the sink.

    ``site_file_or_devices``: a site file (its MQTT devices, moved to ``broker``), ready
    ``LoadDevice``s, or None for ``connections`` synthetic devices. Given devices are used
    once each (two collectors on one topic would count every message twice), so there
    are at most as many connections as devices. ``durable``: acknowledge QoS 1 messages only
    once it returns (the gateway's durable buffer), as ``hazgw run`` does with storage.
    """
    if isinstance(site_file_or_devices, Path):
        devices = devices_from_site(site_file_or_devices, broker)
    elif site_file_or_devices is None:
        devices = synthetic_devices(broker, connections, qos=qos)
    else:
        devices = list(site_file_or_devices)
    devices = devices[:connections]
    connections = len(devices)
    messages_each = max(1, readings_total // (per_message * connections))
    readings_sent = messages_each * per_message * connections
    sink = CountingSink(readings_sent, emit)
    # aiomqtt warns about "pending publish calls" whenever the publish window is in use.
    _QUIET.setLevel(logging.ERROR)
    collectors = [MqttCollector(d.site, d.device, durable=durable) for d in devices]
    tasks = [asyncio.create_task(c.run(sink), name=c.name) for c in collectors]
    timed_out = False
    started = time.perf_counter()
    finished = started
    try:
        async with asyncio.timeout(timeout):
            for collector in collectors:
                await collector.wait_state(LinkState.CONNECTED)
            async with contextlib.AsyncExitStack() as stack:
                clients = [
                    await stack.enter_async_context(
                        aiomqtt.Client(broker.host, broker.port, logger=_QUIET)
                    )
                    for _ in devices
                ]
                payloads = [batch_payloads(d.device, per_message) for d in devices]
                started = time.perf_counter()
                await asyncio.gather(
                    *(
                        _publish(client, d.topic, p, messages_each, qos)
                        for client, d, p in zip(clients, devices, payloads, strict=True)
                    )
                )
                await sink.done.wait()
                finished = time.perf_counter()
    except TimeoutError:
        timed_out = True
        finished = time.perf_counter()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    counters = [c.health.counters for c in collectors]
    return LoadStats(
        broker=broker.kind,
        connections=connections,
        per_message=per_message,
        messages_sent=messages_each * connections,
        readings_sent=readings_sent,
        readings_received=sink.count,
        seconds=finished - started,
        dropped_messages=sum(c.get(DROPPED, 0) for c in counters),
        payload_errors=sum(v for c in counters for k, v in c.items() if k.startswith("payload.")),
        timed_out=timed_out,
    )


SWEEP = [(1, 1), (10, 1), (100, 1), (100, 2), (500, 2)]


async def _main(args: argparse.Namespace) -> int:
    launcher = {"mosquitto": mosquitto, "embedded": embedded_broker, "any": any_broker}[
        args.broker
    ]
    runs = SWEEP if args.sweep else [(args.per_message, args.connections)]
    worst = float("inf")
    failed = False
    async with launcher() as broker:
        print(f"broker: {broker.kind} on {broker.host}:{broker.port}")
        for per_message, connections in runs:
            total = args.readings if per_message > 1 else min(args.readings, 50_000)
            stats = await run_mqtt_load(
                broker, args.site, total, per_message, connections,
                qos=args.qos, timeout=args.timeout,
            )
            print(stats.line(), flush=True)
            if (stats.timed_out or stats.dropped_messages or stats.payload_errors
                    or stats.readings_received != stats.readings_sent):
                failed = True
            if per_message >= 100:
                worst = min(worst, stats.readings_per_s)
    if worst < args.expect:
        print(f"below the expected {args.expect:,.0f} readings/s with >= 100 per message")
        failed = True
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--readings", type=int, default=500_000)
    parser.add_argument("--per-message", type=int, default=100)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--qos", type=int, choices=(0, 1, 2), default=1)
    parser.add_argument("--broker", choices=("mosquitto", "embedded", "any"), default="any")
    parser.add_argument("--site", type=Path, default=None, help="use this site's MQTT devices")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per run")
    parser.add_argument("--sweep", action="store_true", help="run a small table of settings")
    parser.add_argument(
        "--expect", type=float, default=50_000,
        help="exit 1 if a run with >= 100 readings per message is slower (readings/s)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(_main(args))


if __name__ == "__main__":
    raise SystemExit(main())
