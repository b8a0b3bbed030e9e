"""A database outage at a steady reading rate: what the durable buffer holds on disk, what
the process holds in memory, and how long the writer takes to empty it once InfluxDB is
back. Every reading is counted back from influxd.

    .venv/bin/python benchmarks/outage_drain.py [--rate 10000] [--outage 600] [--points 1000]

Path: a feeder emits ``rate`` readings a second (``points`` points, batches every 0.1 s)
through Pipeline.emit (LiveState, AlarmEngine with its journal, websocket Hub) into the
durable buffer (defaults: group commit every 0.1 s, fsync) and InfluxWriter (batches of
5000) to a real influxd 1.6.7, which is stopped for ``outage`` seconds and started again.
The feeder keeps its rate through the drain. Memory is the process's resident set
(VmRSS), sampled every second; disk is the size of the buffer's folder.
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
from collectors.readings import Reading
from config.catalog import Catalog, PointKey
from config.gateway_file import InfluxV1, StorageSettings
from config.site import Site
from dashboard.hub import Hub
from dashboard.live import LiveState
from gateway.buffer import DurableBuffer
from gateway.pipeline import Pipeline
from gateway.sim.influx import influxd
from gateway.storage.factory import build_writer

DATABASE = "outage"
SITE = "BENCH"


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def folder_mib(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def bench_site(points: int) -> Site:
    return Site.model_validate({
        "enterprise": {"name": "基准测试", "code": SITE},
        "hazard_sources": [{"id": "BENCH", "name": "基准", "grade": 4, "kind": "process_unit"}],
        "devices": [{
            "id": "feed", "transport": "mqtt", "broker": {"host": "127.0.0.1"},
            "subscriptions": [{"topic": "bench/#", "format": "batch"}],
            "points": [
                {"tag": f"P-{i}", "name": "点", "kind": "temperature",
                 "range": {"low": -1e9, "high": 1e9}, "hazard_source": "BENCH"}
                for i in range(points)
            ],
        }],
    })


class Feeder:
    """``rate`` readings a second in ten batches a second, each reading its own timestamp."""

    def __init__(self, pipeline: Pipeline, points: int, rate: int) -> None:
        self.pipeline = pipeline
        self.keys = [PointKey(SITE, f"P-{i}") for i in range(points)]
        self.rate = rate
        self.sent = 0

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        per_batch = self.rate // 10
        base = time.time()
        while True:
            batch = []
            for _ in range(per_batch):
                n = self.sent
                batch.append(Reading(self.keys[n % len(self.keys)], float(n), base + n * 1e-5))
                self.sent += 1
            self.pipeline.emit(batch)
            due += 0.1
            await asyncio.sleep(max(0.0, due - loop.time()))


async def run(rate: int, outage: float, points: int) -> int:
    site = bench_site(points)
    catalog = Catalog([site])
    async with influxd() as server:
        settings = StorageSettings(
            target=InfluxV1(kind="influx_v1", url=server.url, database=DATABASE),
            max_retry_delay=5.0, timeout=5.0,
        )
        with tempfile.TemporaryDirectory() as state:
            folder = Path(state) / "buffer"
            buffer = await asyncio.to_thread(DurableBuffer.open, folder)
            live = LiveState()
            journal = AlarmJournal(Path(state) / "alarms.db")
            engine = AlarmEngine(catalog, journal)
            pipeline = Pipeline([live, engine, Hub(live)], [buffer])
            writer = build_writer(settings, catalog, buffer)
            writing = asyncio.create_task(writer.run())
            feeder = Feeder(pipeline, points, rate)
            feeding = asyncio.create_task(feeder.run())
            rss_before = rss_mib()
            await asyncio.sleep(2)
            await server.stop()
            down_at = time.perf_counter()
            peak_rss = rss_before
            while time.perf_counter() - down_at < outage:
                await asyncio.sleep(1)
                peak_rss = max(peak_rss, rss_mib())
            held, disk = len(buffer), folder_mib(folder)
            await server.start()
            back_at = time.perf_counter()
            async with asyncio.timeout(max(120, outage)):
                # The buffer has no "emptied" event for a script; sampling it is the measure.
                while buffer.health.pending > rate:
                    peak_rss = max(peak_rss, rss_mib())
                    await asyncio.sleep(0.2)
            drained = time.perf_counter() - back_at
            feeding.cancel()
            await asyncio.gather(feeding, return_exceptions=True)
            async with asyncio.timeout(60):
                await buffer.until(lambda h: h.pending == 0 and h.staged == 0)
            writing.cancel()
            await asyncio.gather(writing, return_exceptions=True)
            journal.close()
            dropped = buffer.health.dropped
            await buffer.aclose()
        rows = await server.rows("SELECT count(value) FROM reading", DATABASE)
        counted = int(rows[0]["count"]) if rows else 0
    print(f"rate {rate:,} readings/s over {points:,} points, outage {outage:g} s")
    print(f"held at the end of the outage  {held:>12,} readings")
    per_reading = disk * 2**20 / max(held, 1)
    print(f"buffer folder on disk          {disk:>12,.1f} MiB ({per_reading:.1f} B/reading)")
    print(f"resident memory                {rss_before:>9,.0f} MiB before, {peak_rss:,.0f} peak")
    print(f"drain after InfluxDB returned  {drained:>12,.1f} s (feed still running)")
    print(f"fed {feeder.sent:,}, counted in influxd {counted:,}, dropped {dropped}")
    return 0 if counted == feeder.sent and not dropped else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=10_000)
    parser.add_argument("--outage", type=float, default=600.0)
    parser.add_argument("--points", type=int, default=1000)
    args = parser.parse_args()
    return asyncio.run(run(args.rate, args.outage, args.points))


if __name__ == "__main__":
    sys.exit(main())
