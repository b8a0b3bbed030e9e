"""Readings per second from MQTT through the whole pipeline into the real influxd, and a
count back from the database to prove nothing was lost.

    .venv/bin/python benchmarks/mqtt_to_influx.py [--readings 1000000] [--per-message 100]
                                                  [--connections 2]

Path measured: publishers → mosquitto → MqttCollector (one per connection) → Pipeline.emit →
LiveState, AlarmEngine (with its SQLite journal), websocket Hub → MemoryBuffer →
InfluxWriter (v1 API, gzip, batches of 5000) → influxd 1.6.7. The clock runs from the
first publish until influxd has acknowledged the last line. The publishers share the
process (and the 2 cores) with the gateway, so the figure is a lower bound.
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
from gateway.pipeline import MemoryBuffer, Pipeline
from gateway.sim.broker import mosquitto
from gateway.sim.influx import influxd
from gateway.storage.factory import build_writer

DATABASE = "bench"


async def run(readings: int, per_message: int, connections: int) -> int:
    async with mosquitto() as broker, influxd() as server:
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
        rows = await server.rows("SELECT count(value) FROM reading", DATABASE)
        counted = int(rows[0]["count"]) if rows else 0
        # Each point's readings carry distinct timestamps, so every line is its own point.
        seconds = stored - started
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
        return 0 if counted == stats.readings_sent and not stats.timed_out else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=1_000_000)
    parser.add_argument("--per-message", type=int, default=100)
    parser.add_argument("--connections", type=int, default=2)
    args = parser.parse_args()
    return asyncio.run(run(args.readings, args.per_message, args.connections))


if __name__ == "__main__":
    sys.exit(main())
