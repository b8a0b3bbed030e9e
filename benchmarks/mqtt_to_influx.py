"""Readings per second from MQTT through the whole pipeline into the real influxd, and a
count back from the database to prove nothing was lost.

    .venv/bin/python benchmarks/mqtt_to_influx.py [--readings 1000000] [--per-message 100]
                                                  [--connections 2] [--buffer both]

Path measured: publishers → mosquitto → MqttCollector (one per connection) → Pipeline.emit →
LiveState, AlarmEngine (with its SQLite journal), websocket Hub → buffer → InfluxWriter
(v1 API, gzip, batches of 5000) → influxd 1.6.7. The buffer is the old MemoryBuffer or the
durable buffer the gateway runs with (segment log, group commit, fsync), and with the
durable buffer QoS 1 messages are acknowledged only after their readings are on disk, as
``hazgw run`` does. ``--buffer both`` measures the two in one run, memory first, and
prints the ratio. The clock runs from the first publish until influxd has acknowledged the
last line. The publishers share the process (and the 2 cores) with the gateway, so the
figures are lower bounds.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerting.engine import AlarmEngine
from alerting.journal import AlarmJournal
from benchmarks.mqtt_throughput import SITE, run_mqtt_load, synthetic_devices
from config.catalog import Catalog
from config.gateway_file import InfluxV1, StorageSettings
from config.site import Site
from dashboard.hub import Hub
from dashboard.live import LiveState
from gateway.buffer import DurableBuffer
from gateway.pipeline import MemoryBuffer, Pipeline, ReadingBuffer
from gateway.sim.broker import mosquitto
from gateway.sim.influx import influxd
from gateway.storage.factory import build_writer

DATABASE = "bench"


async def run(
    readings: int, per_message: int, connections: int, durable: bool
) -> tuple[int, float]:
    """(exit status, readings per second) of one run with the chosen buffer."""
    # A window of 1,000 unacknowledged messages per client, as docs/operation.md asks of a
    # broker in front of a gateway that acknowledges after its group commit.
    async with mosquitto(max_inflight=1000) as broker, influxd() as server:
        devices = synthetic_devices(broker, connections)
        site = Site.model_validate(
            {
                "enterprise": {"name": "基准测试", "code": SITE},
                "hazard_sources": [
                    {"id": "BENCH", "name": "基准", "grade": 4, "kind": "process_unit"}
                ],
                "devices": [d.device.model_dump(mode="json") for d in devices],
            }
        )
        catalog = Catalog([site])
        settings = StorageSettings(
            target=InfluxV1(kind="influx_v1", url=server.url, database=DATABASE),
            buffer_capacity=max(1000, readings + 1000),
        )
        with tempfile.TemporaryDirectory() as state:
            live = LiveState()
            journal = AlarmJournal(Path(state) / "alarms.db")
            engine = AlarmEngine(catalog, journal)
            hub = Hub(live)
            buffer: ReadingBuffer
            if durable:
                disk = await asyncio.to_thread(DurableBuffer.open, Path(state) / "buffer")
                buffer = disk
            else:
                buffer = MemoryBuffer(settings.buffer_capacity)
            pipeline = Pipeline([live, engine, hub], [buffer])
            writer = build_writer(settings, catalog, buffer)
            writing = asyncio.create_task(writer.run())
            started = time.perf_counter()
            stats = await run_mqtt_load(
                broker,
                devices,
                readings,
                per_message,
                connections,
                emit=pipeline.emit,
                timeout=120,
                durable=(lambda now: disk.flushed(now=now)) if durable else None,
            )
            collected = time.perf_counter()
            async with asyncio.timeout(120):
                # The writer has no "all acknowledged" event; a benchmark may poll.
                while writer.health.lines_written < stats.readings_received:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            stored = time.perf_counter()
            writing.cancel()
            await asyncio.gather(writing, return_exceptions=True)
            journal.close()
            if durable:
                await disk.aclose()
        rows = await server.rows("SELECT count(value) FROM reading", DATABASE)
        counted = int(rows[0]["count"]) if rows else 0
        # Each point's readings carry distinct timestamps, so every line is its own point.
        seconds = stored - started
        kind = "durable buffer, acks after commit" if durable else "memory buffer"
        print(f"-- {kind}")
        print(f"broker {stats.broker}, {connections} connection(s), {per_message} readings/message")
        print(f"published          {stats.readings_sent:>10,} readings")
        print(f"collected          {stats.readings_received:>10,} in {collected - started:6.2f} s")
        print(f"stored (acked)     {writer.health.lines_written:>10,} in {seconds:6.2f} s")
        print(f"counted in influxd {counted:>10,}")
        print(f"end to end         {stats.readings_sent / seconds:>10,.0f} readings/s")
        print(
            f"lost: {stats.readings_sent - counted}, dropped by buffer: {buffer.dropped}, "
            f"payload errors: {stats.payload_errors}, "
            f"rejected lines: {writer.health.rejected_lines}"
        )
        ok = counted == stats.readings_sent and not stats.timed_out
        return (0 if ok else 1), stats.readings_sent / seconds


async def compare(args: argparse.Namespace) -> int:
    kinds = {"memory": [False], "durable": [True], "both": [False, True]}[args.buffer]
    rates: list[float] = []
    status = 0
    for durable in kinds:
        failed, rate = await run(args.readings, args.per_message, args.connections, durable)
        status |= failed
        rates.append(rate)
    if len(rates) == 2:
        print(f"durable / memory: {rates[1] / rates[0]:.1%} (floor 90 %)")
        if rates[1] < 0.9 * rates[0]:
            status |= 2
    return status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=1_000_000)
    parser.add_argument("--per-message", type=int, default=100)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--buffer", choices=["memory", "durable", "both"], default="both")
    args = parser.parse_args()
    return asyncio.run(compare(args))


if __name__ == "__main__":
    sys.exit(main())
