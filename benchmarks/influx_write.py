"""Readings per second from the pipeline buffer through InfluxWriter into a real InfluxDB 1.6.

    .venv/bin/python benchmarks/influx_write.py [--readings 1000000] [--points 1000]

1. Encoding alone: line protocol for a batch of readings on one core.
2. Writer alone: the buffer is filled first, then the writer empties it into a real influxd.
3. End to end: a producer emits one reading per point per tick into the pipeline (as
   collectors do) while the writer takes batches from the MemoryBuffer, encodes, gzips and
   writes them to a real influxd, all on one event loop.
After 2 and 3 ``SELECT count(value)`` proves that nothing was lost.

Bounded by --time-limit; exits non-zero if any reading is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collectors.readings import Quality, Reading, Reason
from config.catalog import Catalog, PointKey
from config.gateway_file import InfluxV1, StorageSettings
from config.site import Site
from gateway.pipeline import MemoryBuffer, Pipeline
from gateway.sim.influx import influxd
from gateway.storage import ReadingEncoder, build_writer

SITE = "BENCH"
DB = "bench"


def catalog_of(points: int) -> Catalog:
    site = Site.model_validate({
        "enterprise": {"name": "基准测试", "code": SITE},
        "hazard_sources": [{"id": "HS-1", "name": "罐区", "grade": 2, "kind": "tank_farm"}],
        "devices": [{
            "id": "plc", "transport": "mqtt", "broker": {"host": "127.0.0.1"},
            "subscriptions": [{"topic": "plant/#", "format": "object"}],
            "points": [
                {"tag": f"PT-{i:04d}", "name": f"压力{i}", "kind": "pressure", "unit": "kPa",
                 "range": {"low": 0, "high": 200}, "hazard_source": "HS-1"}
                for i in range(points)
            ],
        }],
    })
    return Catalog([site])


async def until(condition: Callable[[], bool], step: float = 0.01) -> None:
    """Poll writer counters (the benchmark's only view of progress); bounded by the caller."""
    while True:
        if condition():
            return
        await asyncio.sleep(step)


def tick(keys: list[PointKey], number: int, start: float) -> list[Reading]:
    """One poll of every point; one in a hundred readings uncertain, as in a real plant."""
    ts = start + number * 0.1
    out = []
    for i, key in enumerate(keys):
        value = (number * 7 + i) % 200 + 0.25
        if (number + i) % 100 == 0:
            out.append(Reading(key, value, ts, Quality.UNCERTAIN, Reason.OUT_OF_RANGE))
        else:
            out.append(Reading(key, value, ts))
    return out


def bench_encoding(catalog: Catalog, keys: list[PointKey]) -> None:
    readings = [r for n in range(100) for r in tick(keys, n, 1_780_000_000.0)][:100_000]
    encoder = ReadingEncoder(catalog)
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        body = encoder.encode(readings).body()
        best = min(best, time.perf_counter() - started)
    print(f"encode: {len(readings) / best:,.0f} readings/s on one core "
          f"({len(body) / len(readings):.0f} bytes/line before gzip)")


async def bench_writer_alone(args: argparse.Namespace, catalog: Catalog,
                             keys: list[PointKey]) -> bool:
    ticks: int = args.buffer // len(keys)
    total = ticks * len(keys)
    start_ts = time.time() - ticks * 0.1 - 3600
    async with influxd() as server:
        buffer = MemoryBuffer(total)
        for number in range(ticks):
            buffer.put(tick(keys, number, start_ts))
        settings = StorageSettings(
            target=InfluxV1(kind="influx_v1", url=server.url, database=DB),
            batch_size=args.batch_size, flush_interval=0.2,
        )
        writer = build_writer(settings, catalog, buffer)
        loop = asyncio.get_running_loop()
        started = loop.time()
        task = asyncio.create_task(writer.run())
        try:
            async with asyncio.timeout(args.time_limit):
                await until(lambda: writer.health.lines_written
                            + writer.health.rejected_lines >= total)
        except TimeoutError:
            print(f"time limit of {args.time_limit} s reached", file=sys.stderr)
        elapsed = loop.time() - started
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        health = writer.health
        rows = await server.rows("SELECT count(value) FROM reading", DB)
        counted = int(rows[0]["count"]) if rows else 0
    print(f"writer alone: {health.lines_written:,} buffered readings written in {elapsed:.2f} s"
          f" = {health.lines_written / elapsed:,.0f} readings/s; counted back {counted:,}")
    return counted == total


async def bench_end_to_end(args: argparse.Namespace, catalog: Catalog,
                           keys: list[PointKey]) -> bool:
    ticks: int = args.readings // len(keys)
    total = ticks * len(keys)
    start_ts = time.time() - ticks * 0.1 - 3600
    async with influxd() as server:
        buffer = MemoryBuffer(args.buffer)
        pipeline = Pipeline([], [buffer])
        settings = StorageSettings(
            target=InfluxV1(kind="influx_v1", url=server.url, database=DB),
            batch_size=args.batch_size, flush_interval=0.2, buffer_capacity=args.buffer,
        )
        writer = build_writer(settings, catalog, buffer)
        task = asyncio.create_task(writer.run())
        produce_seconds = 0.0
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with asyncio.timeout(args.time_limit):
                for number in range(ticks):
                    # Keep the buffer from overflowing: this measures the writer, not drops.
                    await until(lambda: len(buffer) <= args.buffer // 2, 0.005)
                    t0 = time.perf_counter()
                    pipeline.emit(tick(keys, number, start_ts))
                    produce_seconds += time.perf_counter() - t0
                    await asyncio.sleep(0)
                await until(lambda: writer.health.lines_written
                            + writer.health.rejected_lines >= total)
        except TimeoutError:
            print(f"time limit of {args.time_limit} s reached", file=sys.stderr)
        elapsed = loop.time() - started
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        health = writer.health
        query_started = time.perf_counter()
        rows = await server.rows("SELECT count(value) FROM reading", DB)
        counted = int(rows[0]["count"]) if rows else 0
        query_seconds = time.perf_counter() - query_started
    print(f"end to end: {health.lines_written:,} of {total:,} readings "
          f"({len(keys)} points × {ticks} ticks) in {elapsed:.2f} s = "
          f"{health.lines_written / elapsed:,.0f} readings/s")
    print(f"  producer (building readings + emit): {produce_seconds:.2f} s; "
          f"requests {health.requests}, retries {health.retries}, "
          f"rejected {health.rejected_lines}, dropped {health.buffer_dropped}")
    print(f"  counted back with InfluxQL: {counted:,} in {query_seconds:.2f} s")
    ok = counted == total and health.buffer_dropped == 0 and health.rejected_lines == 0
    print("  OK: nothing lost" if ok else "  FAILED: readings missing")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readings", type=int, default=1_000_000)
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--buffer", type=int, default=500_000)
    parser.add_argument("--time-limit", type=float, default=180.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    catalog = catalog_of(args.points)
    keys = [info.key for info in catalog]
    bench_encoding(catalog, keys)
    alone = asyncio.run(bench_writer_alone(args, catalog, keys))
    end_to_end = asyncio.run(bench_end_to_end(args, catalog, keys))
    return 0 if alone and end_to_end else 1


if __name__ == "__main__":
    sys.exit(main())
