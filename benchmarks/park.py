"""The park tier end to end: N simulated edges (the real uplink) → a three-node NATS
JetStream cluster (R3 streams) → central instances → influxd, and a count back from the
database to prove nothing was lost.

    .venv/bin/python benchmarks/park.py [--edges 6] [--readings 60000] [--centrals 1 2]

Reports per run: readings/s from the first publish until InfluxDB holds every reading,
edge → central p50/p99 latency (the batch's send time at the edge to its write into
InfluxDB), and CPU seconds per 1,000 readings of each tier: this Python process (edges and
central instances share it and the 2 cores), the three nats-server processes and influxd.
Then the arithmetic of what a province's 440,000 points would need.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.gateway.park.harness import enterprise_site, park
from tests.support.waiting import poll_until

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


async def one_run(edges: int, readings: int, centrals: int) -> dict[str, float]:
    codes = [f"B{i}" for i in range(edges)]
    with tempfile.TemporaryDirectory() as tmp:
        async with park(codes, Path(tmp)) as p:
            instances = [p.start_central(f"c{i}") for i in range(centrals)]
            for code in codes:
                p.start_edge(code, enterprise_site(code))
            # Let leases settle so that the run measures the steady state.
            await poll_until(
                lambda: sum(len(c.owned) for c in instances) == 4
                and min(len(c.owned) for c in instances) > 0,
                within=60, message="partitions shared",
            )
            nats_pids = [n.process.pid for n in p.cluster.nodes if n.process is not None]
            influx_pid = p.influx.pid
            assert influx_pid is not None
            before = (time.process_time(), sum(map(cpu_seconds, nats_pids)),
                      cpu_seconds(influx_pid))
            start = time.monotonic()
            per_edge = readings // edges
            base = time.time() - 3600
            for edge in p.edges.values():
                edge.feed(per_edge, base)
            total = per_edge * edges
            await poll_until(lambda: p.written() >= total, within=600, message="all written")
            elapsed = time.monotonic() - start
            assert await p.readings_in_db() == total, "readings lost or doubled"
            after = (time.process_time(), sum(map(cpu_seconds, nats_pids)),
                     cpu_seconds(influx_pid))
            latencies = sorted(x for c in instances for x in c.latencies)
            per_k = [(a - b) / total * 1000 for a, b in zip(after, before, strict=True)]
            return {
                "readings": total, "seconds": elapsed, "rate": total / elapsed,
                "p50": statistics.median(latencies),
                "p99": latencies[int(len(latencies) * 0.99) - 1],
                "cpu_python": per_k[0], "cpu_nats": per_k[1], "cpu_influxd": per_k[2],
            }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--edges", type=int, default=6)
    parser.add_argument("--readings", type=int, default=60_000)
    parser.add_argument("--centrals", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    results = {}
    for centrals in args.centrals:
        r = await one_run(args.edges, args.readings, centrals)
        results[centrals] = r
        print(
            f"{centrals} central: {r['readings']} readings from {args.edges} edges in "
            f"{r['seconds']:.1f} s = {r['rate']:,.0f} readings/s; edge→central p50 "
            f"{r['p50'] * 1000:.0f} ms, p99 {r['p99'] * 1000:.0f} ms; CPU-s per 1,000 "
            f"readings: python (edges+central) {r['cpu_python']:.3f}, nats-server x3 "
            f"{r['cpu_nats']:.3f}, influxd {r['cpu_influxd']:.3f}; 0 lost, 0 doubled",
            flush=True,
        )
    province = 440_000 / 60  # points reporting once a minute
    best = max(r["rate"] for r in results.values())
    cpu = min(r["cpu_python"] + r["cpu_nats"] + r["cpu_influxd"] for r in results.values())
    print(
        f"province: 440,000 points, 800 M records/day = {800e6 / 86400:,.0f} readings/s on "
        f"average ({province:,.0f}/s at one reading per point per minute); at "
        f"{cpu:.3f} CPU-s per 1,000 readings that is {800e6 / 86400 * cpu / 1000:.1f} cores, "
        f"or {800e6 / 86400 / best:.1f}x this 2-core box's measured rate"
    )


if __name__ == "__main__":
    asyncio.run(main())
