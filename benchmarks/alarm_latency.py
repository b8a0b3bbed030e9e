"""Alarm latency: from a reading entering the pipeline to its alarm event on a screen's
websocket, under 10,000 readings/s of background load (issue 3 §11). Target: p99 ≤ 50 ms.

    .venv/bin/python benchmarks/alarm_latency.py                  # 30 s, one screen
    .venv/bin/python benchmarks/alarm_latency.py --clients 10 --seconds 30 --json out.json

The gateway is the real one: ``gateway.runtime.Gateway.build()`` makes the catalog, live
state, alarm engine and journal (SQLite, fsync per commit, in a temporary directory: see
``--state-dir``), auth (the client signs in with a display token), hub, alarm routes and
web server, and this script runs them as ``Gateway.run`` does, minus collectors (a feeder
task stands in for them) and storage. The site has ``--points`` pressure points (H 8 / HH 9
MPa, fed normal values) and ``--probe-points`` combustible-gas detectors with the GB/T 50493
defaults (H 25, HH 50 %LEL, no delays), which are fed their current value like any detector.

Every ``--probe-every`` seconds one detector changes: a normal one goes to 30 %LEL (H
raised), a raised one back to 5 %LEL (H returned). The changed reading rides at the end of
a normal background batch; its emit time is taken just before ``Pipeline.emit``. A
websocket client in a separate process records when each event arrives; events are
matched to probes by alarm id, kind and order.

The latency splits into ``emit`` (``Pipeline.emit`` of the batch returning: live state,
alarm engine with its journal commit, hub) and ``after`` (the hub's 20 ms event batching,
the frame build, the send, the client). Timing wrappers on the engine, journal and ticker
add a ``perf_counter`` pair per call. ``--gc-freeze`` sets the garbage collector as the
running gateway does once it is built (``gateway.runtime.settle_gc``: ``gc.freeze()`` and a
young generation of 10,000 objects; without it, full collections are the worst latencies).
Results and their reading: docs/benchmarks/fanout_and_latency.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import math
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import quote

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerting.engine import AlarmEngine, tick_forever
from alerting.events import AlarmEvent
from alerting.statemachine import AlarmRecord
from benchmarks.fanout import (
    SITE,
    Arrivals,
    CpuMeter,
    FeedStats,
    GcPauses,
    LoopLag,
    bench_site,
    expect_ready,
    gas_tag,
    machine_line,
    nearest_rank,
    receive_from,
)
from collectors.readings import Reading
from config.catalog import PointKey
from config.gateway_file import GatewayConfig, HttpSettings
from gateway.pipeline import Pipeline
from gateway.runtime import Gateway, Parts, settle_gc

log = logging.getLogger("benchmarks.alarm_latency")

GAS_NORMAL = 5.0  # %LEL: below H 25 minus its 1 %LEL deadband
GAS_HIGH = 30.0  # %LEL: above H 25, below HH 50: exactly one event per change
TARGET_P99_MS = 50.0


# ------------------------------------------------------------------------------ timing


class Stopwatch:
    """Adds up the time of calls made through it."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0
        self.durations: list[float] = []  # kept when asked (journal commits: few)

    def add(self, seconds: float, keep: bool = False) -> None:
        self.seconds += seconds
        self.calls += 1
        if keep:
            self.durations.append(seconds)


class TimedEngine:
    """The engine as the pipeline's observer, timed."""

    def __init__(self, engine: AlarmEngine, watch: Stopwatch) -> None:
        self._engine = engine
        self._watch = watch

    def accept(self, readings: Sequence[Reading]) -> None:
        started = time.perf_counter()
        try:
            self._engine.accept(readings)
        finally:
            self._watch.add(time.perf_counter() - started)


@dataclass
class Timers:
    engine: Stopwatch = field(default_factory=Stopwatch)  # AlarmEngine.accept
    journal: Stopwatch = field(default_factory=Stopwatch)  # AlarmJournal.write (commit)
    tick: Stopwatch = field(default_factory=Stopwatch)  # AlarmEngine.tick
    emit: Stopwatch = field(default_factory=Stopwatch)  # Pipeline.emit, whole


def instrument(parts: Parts) -> Timers:
    """Time the engine (as an observer), its journal commits and its ticks. The wrappers
    are set on the instances, so the engine's own calls go through them."""
    timers = Timers()
    pipeline = parts.pipeline
    pipeline.observers = [
        TimedEngine(parts.engine, timers.engine) if observer is parts.engine else observer
        for observer in pipeline.observers
    ]
    journal = parts.journal
    write = journal.write

    def timed_write(
        events: Sequence[AlarmEvent], records: Sequence[AlarmRecord] | Any = ()
    ) -> list[AlarmEvent]:
        started = time.perf_counter()
        try:
            return write(events, records)
        finally:
            timers.journal.add(time.perf_counter() - started, keep=True)

    journal.write = timed_write  # type: ignore[method-assign]
    engine = parts.engine
    tick = engine.tick

    def timed_tick(now: float | None = None) -> None:
        started = time.perf_counter()
        try:
            tick(now)
        finally:
            timers.tick.add(time.perf_counter() - started)

    engine.tick = timed_tick  # type: ignore[method-assign]
    return timers


# ------------------------------------------------------------------------------ feeder


@dataclass(frozen=True)
class Probe:
    alarm_id: str
    kind: str  # "raised" or "returned"
    emitted: float  # wall time just before Pipeline.emit
    emit_done: float  # wall time when Pipeline.emit returned
    batch: int  # readings in that batch


class Driver:
    """Background readings at ``rate`` per second in batches, with a probe now and then."""

    def __init__(
        self,
        pipeline: Pipeline,
        keys: Sequence[PointKey],
        detectors: Sequence[PointKey],
        timers: Timers,
    ) -> None:
        self._pipeline = pipeline
        self._keys = list(keys)
        self._detectors = list(detectors)
        self._timers = timers
        self._gas = {key: GAS_NORMAL for key in detectors}
        self._next_detector = 0
        self.probes: list[Probe] = []
        self.stats = FeedStats()
        self.probing = False

    def _value(self, key: PointKey, step: int) -> float:
        gas = self._gas.get(key)
        if gas is not None:
            return gas
        return 1.0 + (step % 40) / 10.0  # 1.0–4.9 MPa: normal for H 8 / HH 9

    async def run(self, rate: float, interval: float, probe_every: float) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        next_probe = start
        stats = self.stats
        stats.started = time.time()
        keys = self._keys
        count = len(keys)
        position = 0
        cap = max(1, int(rate))
        try:
            while True:
                due = min(cap, int((loop.time() - start) * rate) - stats.readings)
                now = time.time()
                batch = []
                if due > 0:
                    for offset in range(due):
                        key = keys[(position + offset) % count]
                        batch.append(Reading(key, self._value(key, position + offset), now))
                    position = (position + due) % count
                    stats.readings += due
                probe: tuple[str, str] | None = None
                if self.probing and loop.time() >= next_probe:
                    next_probe = max(next_probe + probe_every, loop.time())
                    probe = self._probe(batch, now)
                if batch:
                    stats.batches += 1
                    emitted = time.time()
                    self._pipeline.emit(batch)
                    done = time.time()
                    self._timers.emit.add(done - emitted)
                    if probe is not None:
                        self.probes.append(Probe(*probe, emitted, done, len(batch)))
                await asyncio.sleep(interval)
        finally:
            stats.stopped = time.time()

    def _probe(self, batch: list[Reading], now: float) -> tuple[str, str]:
        key = self._detectors[self._next_detector % len(self._detectors)]
        self._next_detector += 1
        raising = self._gas[key] == GAS_NORMAL
        value = GAS_HIGH if raising else GAS_NORMAL
        self._gas[key] = value
        batch.append(Reading(key, value, now))
        return f"{key}/H", "raised" if raising else "returned"


# ------------------------------------------------------------------------ client worker


@dataclass(frozen=True)
class Seen:
    client: int
    alarm_id: str
    kind: str
    journal_seq: int
    ts: float
    received: float


def _worker_entry(conn: Connection, url: str, clients: int) -> None:
    logging.basicConfig(level=logging.WARNING)
    conn.send(asyncio.run(_worker(conn, url, clients)))
    conn.close()


async def _worker(conn: Connection, url: str, clients: int) -> tuple[list[Seen], list[str], float]:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    cpu = CpuMeter()
    seen: list[Seen] = []
    problems: list[str] = []
    arrivals = Arrivals(clients)
    decoder = json.JSONDecoder()

    async def client(number: int) -> None:
        started = False
        try:
            async with connect(
                url, compression=None, max_size=64 * 2**20, ping_interval=None,
                open_timeout=60, close_timeout=2,
            ) as ws:
                await ws.send(json.dumps({"type": "hello"}))
                await ws.recv(decode=False)  # the snapshot
                arrivals.arrived()
                started = True
                while True:
                    raw = await ws.recv(decode=False)
                    received = time.time()
                    message = bytes(raw)
                    # Events come before the readings in a delta: only they are parsed,
                    # so a 90 kB frame costs this client almost nothing.
                    start = message.find(b'"events":', 0, 120)
                    if start < 0 or message.startswith(b"[]", start + 9):
                        continue
                    events, _ = decoder.raw_decode(message.decode(), start + 9)
                    for event in events:
                        seen.append(
                            Seen(number, event["id"], event["kind"],
                                 int(event["seq"]), float(event["ts"]), received)
                        )
        except ConnectionClosed as closed:
            problems.append(f"client {number}: closed by server: {closed}")
        except OSError as error:
            problems.append(f"client {number}: {error}")
        if not started:
            arrivals.failed(problems[-1] if problems else f"client {number}: ended")

    tasks = [asyncio.create_task(client(number)) for number in range(clients)]
    try:
        await arrivals.report(conn, 60.0)
        await asyncio.to_thread(conn.recv)  # the parent's "stop"
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return seen, problems, cpu.share()


# ----------------------------------------------------------------------------- analysis


@dataclass
class Latencies:
    count: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    @staticmethod
    def of(seconds: Sequence[float]) -> Latencies:
        return Latencies(
            len(seconds),
            nearest_rank(seconds, 0.5) * 1000,
            nearest_rank(seconds, 0.99) * 1000,
            (max(seconds) if seconds else math.nan) * 1000,
        )

    def line(self) -> str:
        return (
            f"n={self.count:<5d} p50 {self.p50_ms:6.1f} ms  p99 {self.p99_ms:6.1f} ms  "
            f"max {self.max_ms:6.1f} ms"
        )


@dataclass
class AlarmReport:
    date: str
    machine: str
    points: int
    probe_points: int
    heap_objects: int  # objects the collector tracks once the gateway is built
    gc_freeze: bool
    rate: float
    achieved_rate: float
    seconds: float
    clients: int
    probes: int
    matched: int
    missing: int
    extra_events: int
    latency: Latencies  # every matched (probe, client)
    raised: Latencies
    returned: Latencies
    emit_part: Latencies  # Pipeline.emit of the probe's batch
    after_part: Latencies  # from emit returning to the client
    per_client: dict[int, Latencies]
    engine_share: float  # AlarmEngine.accept time / wall time
    tick_share: float
    journal_share: float
    emit_share: float  # Pipeline.emit (live + engine + hub) time / wall time
    journal_commit: Latencies
    loop_lag_p99_ms: float
    loop_lag_max_ms: float
    gc_collections: tuple[int, int, int]  # per generation, during the probes
    gc_max_ms: tuple[float, float, float]  # longest pause per generation
    worst: list[tuple[float, str, str, float, float]]  # (s into the run, alarm, kind, ms, emit ms)
    gateway_cpu: float
    client_cpu: float
    problems: list[str]
    target_met: bool


def match(probes: Sequence[Probe], seen: Sequence[Seen]) -> tuple[
    list[tuple[Probe, Seen]], int, int
]:
    """Pair each probe with each client's event for it: the n-th raise of an alarm with the
    n-th raised event of that alarm (journal order). Returns pairs, missing, extra."""
    wanted: dict[tuple[str, str], list[Probe]] = {}
    for probe in probes:
        wanted.setdefault((probe.alarm_id, probe.kind), []).append(probe)
    clients = sorted({item.client for item in seen})
    got: dict[tuple[int, str, str], list[Seen]] = {}
    for item in sorted(seen, key=lambda item: item.journal_seq):
        got.setdefault((item.client, item.alarm_id, item.kind), []).append(item)
    pairs: list[tuple[Probe, Seen]] = []
    missing = 0
    used = 0
    for client in clients:
        for (alarm, kind), probe_list in wanted.items():
            events = got.get((client, alarm, kind), [])
            pairs.extend(zip(probe_list, events, strict=False))
            missing += max(0, len(probe_list) - len(events))
            used += min(len(probe_list), len(events))
    return pairs, missing, len(seen) - used


async def run(args: argparse.Namespace, state_dir: Path) -> AlarmReport:
    site = bench_site(args.points, gas_points=args.probe_points)
    config = GatewayConfig(
        sites=[Path("bench-site.yaml")], http=HttpSettings(host="127.0.0.1", port=0)
    )
    gateway = Gateway(config, [site], state_dir=state_dir)
    parts = gateway.build()
    timers = instrument(parts)
    keys = [info.key for info in parts.catalog]
    detectors = [PointKey(SITE, gas_tag(index)) for index in range(args.probe_points)]
    driver = Driver(parts.pipeline, keys, detectors, timers)
    lag = LoopLag()
    pauses = GcPauses()
    pauses.install()
    # The websocket needs a credential: a display token, as a wall screen would have.
    assert gateway.auth is not None, "Gateway.build() opens the auth service"
    _, token = gateway.auth.create_display_token("alarm benchmark", actor="benchmark")
    await parts.server.start()
    heap = len(gc.get_objects())
    if args.gc_freeze:
        # What the gateway could do once it is built: move everything made so far out of
        # the collector's sight, so that a full collection walks only what came after.
        settle_gc()
    url = f"ws://127.0.0.1:{parts.server.port}/ws?token={quote(token)}"
    tasks = [
        asyncio.create_task(tick_forever(parts.engine, gateway.tick_interval), name="alarm-tick"),
        asyncio.create_task(lag.run(), name="loop-lag"),
        asyncio.create_task(
            driver.run(args.rate, args.batch_interval, args.probe_every), name="feeder"
        ),
    ]
    context = multiprocessing.get_context("spawn")
    parent_end, child_end = context.Pipe()
    process = context.Process(
        target=_worker_entry, args=(child_end, url, args.clients), daemon=True
    )
    process.start()
    child_end.close()  # only the worker holds it now: its exit shows as EOF here
    try:
        expect_ready(await receive_from(parent_end, 90, "client worker"), "client worker")
        print(f"{args.clients} client(s) connected; warming up {args.warmup:g} s", flush=True)
        await asyncio.sleep(args.warmup)
        engine_before = timers.engine.seconds
        tick_before = timers.tick.seconds
        journal_before = timers.journal.seconds
        journal_calls_before = timers.journal.calls
        emit_before = timers.emit.seconds
        cpu = CpuMeter()
        started = time.time()
        driver.probing = True
        await asyncio.sleep(args.seconds)
        driver.probing = False
        ended = time.time()
        gateway_cpu = cpu.share()
        wall = ended - started
        await asyncio.sleep(1.0)  # the last events on their way
        parent_end.send("stop")
        seen, problems, client_cpu = await receive_from(parent_end, 60, "client results")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()
        await parts.server.stop()
        parts.journal.close()
        gateway.auth.close()
        pauses.remove()
    probes = driver.probes
    pairs, missing, extra = match(probes, seen)
    total = [item.received - probe.emitted for probe, item in pairs]
    per_client: dict[int, list[float]] = {}
    for probe, item in pairs:
        per_client.setdefault(item.client, []).append(item.received - probe.emitted)
    commits = timers.journal.durations[journal_calls_before:]
    latency = Latencies.of(total)
    if missing:
        problems.append(f"{missing} alarm event(s) never arrived")
    return AlarmReport(
        date=time.strftime("%Y-%m-%d %H:%M:%S %z"),
        machine=machine_line(),
        points=args.points,
        probe_points=args.probe_points,
        heap_objects=heap,
        gc_freeze=args.gc_freeze,
        rate=args.rate,
        achieved_rate=driver.stats.rate,
        seconds=wall,
        clients=args.clients,
        probes=len(probes),
        matched=len(pairs),
        missing=missing,
        extra_events=extra,
        latency=latency,
        raised=Latencies.of([s.received - p.emitted for p, s in pairs if p.kind == "raised"]),
        returned=Latencies.of(
            [s.received - p.emitted for p, s in pairs if p.kind == "returned"]
        ),
        emit_part=Latencies.of([probe.emit_done - probe.emitted for probe, _ in pairs]),
        after_part=Latencies.of([item.received - probe.emit_done for probe, item in pairs]),
        per_client={client: Latencies.of(values) for client, values in per_client.items()},
        engine_share=(timers.engine.seconds - engine_before) / wall,
        tick_share=(timers.tick.seconds - tick_before) / wall,
        journal_share=(timers.journal.seconds - journal_before) / wall,
        emit_share=(timers.emit.seconds - emit_before) / wall,
        journal_commit=Latencies.of(commits),
        loop_lag_p99_ms=nearest_rank(lag.between(started, ended), 0.99) * 1000,
        loop_lag_max_ms=max(lag.between(started, ended), default=math.nan) * 1000,
        gc_collections=(
            len(pauses.between(started, ended, 0)),
            len(pauses.between(started, ended, 1)),
            len(pauses.between(started, ended, 2)),
        ),
        gc_max_ms=(
            max(pauses.between(started, ended, 0), default=0.0) * 1000,
            max(pauses.between(started, ended, 1), default=0.0) * 1000,
            max(pauses.between(started, ended, 2), default=0.0) * 1000,
        ),
        worst=[
            (
                probe.emitted - started,
                probe.alarm_id,
                probe.kind,
                (item.received - probe.emitted) * 1000,
                (probe.emit_done - probe.emitted) * 1000,
            )
            for probe, item in sorted(
                pairs, key=lambda pair: pair[0].emitted - pair[1].received
            )[:5]
        ],
        gateway_cpu=gateway_cpu,
        client_cpu=client_cpu,
        problems=problems,
        target_met=not missing and latency.p99_ms <= TARGET_P99_MS,
    )


def print_report(report: AlarmReport) -> None:
    print()
    print(f"date: {report.date}; machine: {report.machine}")
    print(
        f"{report.points:,} pressure points + {report.probe_points} gas detectors, "
        f"{report.rate:,.0f} readings/s asked, {report.achieved_rate:,.0f} fed; "
        f"{report.seconds:.1f} s of probes; {report.clients} websocket client(s)"
    )
    print(
        f"probes {report.probes}, events matched {report.matched} "
        f"(probes × clients), missing {report.missing}, unexpected events {report.extra_events}"
    )
    print(f"alarm latency, emit → websocket:  {report.latency.line()}")
    print(f"  raised:                         {report.raised.line()}")
    print(f"  returned:                       {report.returned.line()}")
    print(f"  Pipeline.emit of its batch:     {report.emit_part.line()}")
    print(f"  emit returned → websocket:      {report.after_part.line()}")
    if len(report.per_client) > 1:
        p50s = [figures.p50_ms for figures in report.per_client.values()]
        p99s = [figures.p99_ms for figures in report.per_client.values()]
        print(
            f"  per client p50 {min(p50s):.1f}–{max(p50s):.1f} ms, "
            f"p99 {min(p99s):.1f}–{max(p99s):.1f} ms"
        )
    print(
        f"share of wall time on the gateway loop: Pipeline.emit {report.emit_share:.1%} "
        f"(alarm engine {report.engine_share:.1%}, of which journal commits "
        f"{report.journal_share:.1%}); engine ticks {report.tick_share:.1%}"
    )
    print(f"journal commit (fsync):           {report.journal_commit.line()}")
    print(
        f"gateway loop lag p99 {report.loop_lag_p99_ms:.1f} ms, max "
        f"{report.loop_lag_max_ms:.1f} ms; gateway process CPU {report.gateway_cpu:.2f}, "
        f"client process CPU {report.client_cpu:.3f}"
    )
    print(
        f"{report.heap_objects:,} objects tracked by the collector after start-up"
        + (", then settle_gc() (gc.freeze(), young generation 10,000)"
           if report.gc_freeze else "")
        + "; garbage collections (gen 0/1/2): "
        + "/".join(str(count) for count in report.gc_collections)
        + ", longest pause "
        + "/".join(f"{ms:.1f}" for ms in report.gc_max_ms)
        + " ms"
    )
    slowest = "; ".join(
        f"{ms:.1f} ms (emit {emit:.1f}) at {at:.1f} s {kind}"
        for at, _, kind, ms, emit in report.worst
    )
    print(f"slowest: {slowest}")
    verdict = "met" if report.target_met else "NOT met"
    print(f"target p99 ≤ {TARGET_P99_MS:g} ms: {verdict} (p99 {report.latency.p99_ms:.1f} ms)")
    for problem in report.problems:
        print(f"  {problem}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--points", type=int, default=10_000, help="background points")
    parser.add_argument("--probe-points", type=int, default=20, help="gas detectors")
    parser.add_argument("--rate", type=float, default=10_000, help="readings per second")
    parser.add_argument("--batch-interval", type=float, default=0.02, help="seconds")
    parser.add_argument("--probe-every", type=float, default=0.1, help="seconds")
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds of probes")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=1, help="websocket clients")
    parser.add_argument(
        "--state-dir", type=Path, default=None,
        help="folder for the temporary alarm journal (default: the system's temporary "
        "folder; it must be a real disk, a tmpfs would hide the fsync)",
    )
    parser.add_argument(
        "--gc-freeze", action="store_true",
        help="gc.freeze() and the young generation once the gateway is built, as the "
        "running gateway does (gateway.runtime.settle_gc)",
    )
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory(prefix="hazgw-alarm-bench-", dir=args.state_dir) as tmp:
        report = asyncio.run(run(args, Path(tmp)))
    print_report(report)
    if args.json is not None:
        args.json.write_text(json.dumps(asdict(report), indent=1, ensure_ascii=False))
    return 0 if report.target_met and not report.problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
