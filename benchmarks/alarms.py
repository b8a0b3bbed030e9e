"""Alarm engine benchmark, part 1: rule-evaluation cost per reading with 50,000 points.

    .venv/bin/python benchmarks/alarms.py [--points 50000] [--rounds 5] [--batch 500]

Builds a synthetic site (level/pressure/temperature points with H/L limits, combustible and
toxic gas detectors with their GB/T 50493 defaults, discrete spark detectors), an engine
over a real SQLite journal in a temporary folder, and feeds it batches of readings:

1. quiet: every value inside its limits (the steady state: the hot path);
2. churn: 1 % of readings cross a limit back and forth (events, journal commits);
3. tick: one ``tick`` over all points (delays, comm-loss scan).

Prints µs per reading and readings per second. The helpers (``build_site``,
``build_engine``, ``quiet_batches``) are importable for part 2 (end-to-end latency).
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerting.engine import AlarmEngine
from alerting.journal import AlarmJournal
from collectors.readings import Reading
from config.catalog import Catalog, PointKey
from config.site import Site

SITE = "BENCH"

# (kind, share of points, extra fields, a quiet value, an alarming value)
MIX: list[tuple[str, float, dict[str, Any], float | bool, float | bool]] = [
    ("level", 0.40, {"unit": "m", "alarms": {"H": {"value": 80}, "L": {"value": 10}}}, 50.0, 90.0),
    ("pressure", 0.20, {"unit": "kPa", "alarms": {"HH": {"value": 95}, "H": {"value": 85},
                                                  "L": {"value": 5}}}, 50.0, 90.0),
    ("temperature", 0.15, {"unit": "°C", "alarms": {"H": {"value": 70, "on_delay": 2}}},
     40.0, 75.0),
    ("combustible_gas", 0.15, {"unit": "%LEL"}, 2.0, 30.0),
    ("toxic_gas", 0.05, {"unit": "ppm", "gas": "H2S"}, 1.0, 9.0),
    ("discrete_state", 0.05, {"alarms": {"discrete": {"when": True}}}, False, True),
]


def build_site(points: int) -> tuple[Site, list[tuple[PointKey, float | bool, float | bool]]]:
    """A site with ``points`` points over 100 MQTT devices; and (key, quiet, alarm) values."""
    entries: list[dict[str, Any]] = []
    values: list[tuple[PointKey, float | bool, float | bool]] = []
    for kind, share, extra, quiet, loud in MIX:
        for _ in range(int(points * share)):
            tag = f"P{len(entries):06d}"
            entry: dict[str, Any] = {"tag": tag, "name": tag, "kind": kind, "hazard_source": "HS1"}
            if kind != "discrete_state":
                entry["range"] = {"low": 0, "high": 100}
            entry.update(extra)
            entries.append(entry)
            values.append((PointKey(SITE, tag), quiet, loud))
    per_device = max(1, len(entries) // 100)
    devices = [
        {
            "id": f"dev{index}",
            "transport": "mqtt",
            "broker": {"host": "127.0.0.1"},
            "subscriptions": [{"topic": f"bench/{index}", "format": "batch"}],
            "points": entries[start:start + per_device],
        }
        for index, start in enumerate(range(0, len(entries), per_device))
    ]
    site = Site.model_validate({
        "enterprise": {"name": "基准测试", "code": SITE},
        "hazard_sources": [{"id": "HS1", "name": "基准", "grade": 1, "kind": "tank_farm"}],
        "devices": devices,
    })
    return site, values


def build_engine(
    site: Site, directory: Path, clock: Callable[[], float] = time.time
) -> AlarmEngine:
    return AlarmEngine(Catalog([site]), AlarmJournal(directory / "alarms.db"), clock=clock)


def quiet_batches(
    values: Sequence[tuple[PointKey, float | bool, float | bool]], batch: int, ts: float
) -> list[list[Reading]]:
    readings = [Reading(key, quiet, ts) for key, quiet, _ in values]
    return [readings[i:i + batch] for i in range(0, len(readings), batch)]


def churn_batches(
    values: Sequence[tuple[PointKey, float | bool, float | bool]], batch: int, ts: float,
    every: int = 100, loud: bool = True,
) -> list[list[Reading]]:
    readings = [
        Reading(key, (alarm if loud else quiet) if index % every == 0 else quiet, ts)
        for index, (key, quiet, alarm) in enumerate(values)
    ]
    return [readings[i:i + batch] for i in range(0, len(readings), batch)]


def timed(engine: AlarmEngine, rounds: list[list[list[Reading]]]) -> tuple[float, int]:
    count = sum(len(b) for batches in rounds for b in batches)
    gc.collect()
    start = time.perf_counter()
    for batches in rounds:
        for readings in batches:
            engine.accept(readings)
    return time.perf_counter() - start, count


def report(name: str, seconds: float, count: int) -> None:
    print(f"{name:<34} {seconds * 1e6 / count:8.2f} µs/reading {count / seconds:12,.0f} readings/s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    site, values = build_site(args.points)
    now = [1_000_000.0]
    with tempfile.TemporaryDirectory() as folder:
        engine = build_engine(site, Path(folder), clock=lambda: now[0])
        print(f"{engine.point_count:,} points, engine built in "
              f"{time.perf_counter() - started:.1f} s; batches of {args.batch}")

        quiet = quiet_batches(values, args.batch, now[0])
        seconds, count = timed(engine, [quiet] * args.rounds)
        report("quiet (hot path)", seconds, count)

        rounds = []
        for round_index in range(args.rounds):
            rounds.append(churn_batches(values, args.batch, now[0], loud=round_index % 2 == 0))
        writes = engine.journal.writes
        seconds, count = timed(engine, rounds)
        events = engine.stats.events
        report("churn (1 % cross a limit)", seconds, count)
        print(f"{'':<34} {events:,} events in {engine.journal.writes - writes:,} commits")

        # Settle, then time a tick over every point (nothing due: the comm-loss scan).
        engine.accept([r for b in quiet for r in b])
        start = time.perf_counter()
        ticks = 20
        for _ in range(ticks):
            now[0] += 0.5
            engine.tick()
        tick_ms = (time.perf_counter() - start) * 1000 / ticks
        print(f"{'tick over all points':<34} {tick_ms:8.2f} ms/tick")
        engine.journal.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
