"""Websocket fan-out: delivery latency to 200 screens at 10,000 readings/s, and proof that a
stalled screen does not delay the others (issue 4 §8).

    .venv/bin/python benchmarks/fanout.py                      # 200 clients, 10k readings/s
    .venv/bin/python benchmarks/fanout.py --clients 50 --phase 3 --json /tmp/fanout.json

The gateway side is the real web stack in this process: ``LiveState`` and ``Hub`` behind a
``Pipeline``, ``create_app`` with the auth gate (``install_auth``; the clients use a display
token) served by ``DashboardServer`` (uvicorn on the event loop, port 0). A feeder task
emits readings through ``Pipeline.emit`` in batches, as collectors do; each reading carries
its emit time (``time.time()``) as its value, so a client can tell how old it is when it
arrives. The clients (``websockets`` package) run in separate processes so that
they do not compete with the server for its GIL.

Measuring without drowning the clients: a frame of 1,500 readings is ~90 kB of JSON and
200 clients get ~6.7 of them per second, so parsing every copy would need more CPU than the
machine has. The hub encodes each frame once and sends the same bytes to every client that
keeps up, so a client process parses each distinct message once (keyed by its exact
bytes); each client keeps only its own receive time per message. A reading's delivery
latency for a client is that client's receive time minus the emit time in the reading.
Catch-up deltas (a lagging client's merged frames) are unique per client and kept as such.

Windows come in blocks *alone*, *stalled*, *stalled*, *alone*: alone is the 200 clients,
stalled the same 200 plus one client that never reads (a raw socket with a 4 kB receive
buffer). The stalled windows start once the hub has switched that client to coalescing;
after the last one, more than 1,000 synthetic alarm events go through the hub, which must
disconnect the stalled client (close code 4008) while every other client receives all of
them.

Reading the figures: a frame is flushed every 150 ms (docs/websocket.md), so a reading waits
0–150 ms for its frame; "fan-out" is the part after that (receive time minus the time the
hub built the frame), i.e. sending and receiving it. ``--gc-freeze`` sets the garbage
collector as the running gateway does once the server is up (``gateway.runtime.settle_gc``;
without it, full collections are the p99 here);
``--null`` is a control run without the stalled client. Results and their reading:
docs/benchmarks/fanout_and_latency.md.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import bisect
import gc
import json
import logging
import math
import multiprocessing
import os
import re
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import quote

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerting.events import AlarmEvent, AlarmState, EventKind
from collectors.base import Emit
from collectors.readings import Reading
from config.catalog import Catalog, PointKey
from config.site import Site
from config.vocabulary import AlarmType, Priority
from dashboard.app import create_app
from dashboard.auth import AuthService, install_auth
from dashboard.channel import ClientChannel
from dashboard.hub import Hub
from dashboard.live import LiveState
from dashboard.server import DashboardServer
from dashboard.services import DashboardServices
from gateway.pipeline import Pipeline
from gateway.runtime import settle_gc

log = logging.getLogger("benchmarks.fanout")

SITE = "BENCH"
HAZARD_SOURCE = "HS-BENCH"
KICK_EVENTS = 1100  # more than the hub's 1,000 alarm events a lagging client may owe
STALLED_RCVBUF = 4096


# --------------------------------------------------------------------------- shared parts
# (benchmarks/alarm_latency.py uses these too)


def bench_site(points: int, *, gas_points: int = 0, code: str = SITE) -> Site:
    """A site with ``points`` pressure points (P00000…, 0–10 MPa, H 8 / HH 9) and
    ``gas_points`` combustible-gas detectors (GAS-0000…, %LEL, default 25/50 limits) on one
    MQTT device whose broker is never contacted (no collector runs in the benchmarks)."""
    pressure = [
        {
            "tag": pressure_tag(index),
            "name": "基准压力测点",
            "kind": "pressure",
            "unit": "MPa",
            "range": {"low": 0, "high": 10},
            "hazard_source": HAZARD_SOURCE,
            "alarms": {"H": {"value": 8}, "HH": {"value": 9}},
        }
        for index in range(points)
    ]
    gas = [
        {
            "tag": gas_tag(index),
            "name": "基准可燃气体探测器",
            "kind": "combustible_gas",
            "unit": "%LEL",
            "range": {"low": 0, "high": 100},
            "hazard_source": HAZARD_SOURCE,
        }
        for index in range(gas_points)
    ]
    return Site.model_validate(
        {
            "enterprise": {"name": "基准测试企业", "code": code},
            "hazard_sources": [
                {"id": HAZARD_SOURCE, "name": "基准储罐区", "grade": 2, "kind": "tank_farm"}
            ],
            "devices": [
                {
                    "id": "bench-mqtt",
                    "transport": "mqtt",
                    # Port 1 on loopback: nothing listens, and nothing connects (no collector).
                    "broker": {"host": "127.0.0.1", "port": 1},
                    "subscriptions": [{"topic": "bench/#", "format": "batch"}],
                    "points": [*pressure, *gas],
                }
            ],
        }
    )


def pressure_tag(index: int) -> str:
    return f"P{index:05d}"


def gas_tag(index: int) -> str:
    return f"GAS-{index:04d}"


def nearest_rank(values: Sequence[float], q: float) -> float:
    """The q-quantile (0 < q ≤ 1) of ``values`` by the nearest-rank method; nan if empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


class LoopLag:
    """How late the event loop wakes a 10 ms sleeper: a direct view of how busy the
    gateway's loop is (every late wake-up delays every websocket send and alarm)."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.samples: list[tuple[float, float]] = []  # (wall time, lag seconds)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self.interval)
            self.samples.append((time.time(), loop.time() - before - self.interval))

    def between(self, start: float, end: float) -> list[float]:
        return [lag for at, lag in self.samples if start <= at <= end]


class GcPauses:
    """Garbage-collector pauses in this process (every collection stops the event loop):
    (wall time at the end, generation, seconds). ``install`` once, ``remove`` at the end."""

    def __init__(self) -> None:
        self.pauses: list[tuple[float, int, float]] = []
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append(
                (time.time(), info["generation"], time.perf_counter() - self._started)
            )

    def install(self) -> None:
        gc.callbacks.append(self._callback)

    def remove(self) -> None:
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)

    def between(self, start: float, end: float, generation: int | None = None) -> list[float]:
        return [
            seconds
            for at, gen, seconds in self.pauses
            if start <= at <= end and (generation is None or gen == generation)
        ]


class CpuMeter:
    """This process's CPU time over wall time, per window (1.0 = one core busy)."""

    def __init__(self) -> None:
        self._wall = time.perf_counter()
        self._cpu = time.process_time()

    def share(self) -> float:
        wall = time.perf_counter() - self._wall
        return (time.process_time() - self._cpu) / wall if wall > 0 else math.nan


def machine_line() -> str:
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
        f"python {sys.version.split()[0]}"
    )


# ------------------------------------------------------------------------------- feeder


@dataclass
class FeedStats:
    readings: int = 0
    batches: int = 0
    started: float = 0.0
    stopped: float = 0.0

    @property
    def rate(self) -> float:
        seconds = self.stopped - self.started
        return self.readings / seconds if seconds > 0 else math.nan


async def feed(
    emit: Emit,
    keys: Sequence[PointKey],
    rate: float,
    interval: float,
    stats: FeedStats,
    value_of: Callable[[PointKey, float], float] | None = None,
) -> None:
    """Emit ``rate`` readings per second over ``keys`` (round robin) in one batch every
    ``interval`` seconds, until cancelled. The batch size follows the clock, so a late
    wake-up gives a bigger batch and the average rate holds, as with real collectors whose
    devices keep producing. Values are the emit time unless ``value_of`` says otherwise."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    stats.started = time.time()
    position = 0
    count = len(keys)
    cap = max(1, int(rate))  # never more than one second's worth in one batch
    try:
        while True:
            due = min(cap, int((loop.time() - start) * rate) - stats.readings)
            if due > 0:
                now = time.time()
                batch = []
                for offset in range(due):
                    key = keys[(position + offset) % count]
                    value = now if value_of is None else value_of(key, now)
                    batch.append(Reading(key, value, now))
                position = (position + due) % count
                stats.readings += due
                stats.batches += 1
                emit(batch)
            await asyncio.sleep(interval)
    finally:
        stats.stopped = time.time()


# ------------------------------------------------------------------------ client worker

_HEADER = re.compile(rb'^\{"type":"(\w+)","seq":(\d+)(?:,"prev":(\d+))?')


@dataclass
class ClientLog:
    """What one client saw: (receive time, message index, seq) per message after the first."""

    client: int
    received: list[tuple[float, int, int]] = field(default_factory=list)
    first_type: str = ""
    gaps: int = 0  # a delta whose prev was not the last seq: a protocol violation
    catch_ups: int = 0  # deltas spanning several frames: the client had lagged
    heartbeats: int = 0
    closed: str = ""  # how the connection ended, if not by us


@dataclass
class MessageInfo:
    """One distinct message: the emit times of its readings (sorted) and its event count."""

    emits: list[float]
    events: int


@dataclass
class WorkerResult:
    worker: int
    clients: list[ClientLog]
    messages: list[MessageInfo]
    cpu_share: float
    distinct_bytes: int


def _worker_entry(conn: Connection, url: str, first: int, count: int, worker: int) -> None:
    logging.basicConfig(level=logging.WARNING)
    conn.send(asyncio.run(_worker(conn, url, first, count, worker)))
    conn.close()


async def _worker(conn: Connection, url: str, first: int, count: int, worker: int) -> WorkerResult:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    cpu = CpuMeter()
    index: dict[bytes, int] = {}  # exact message bytes → position in `blobs`
    blobs: list[bytes] = []
    logs = [ClientLog(first + offset) for offset in range(count)]
    arrivals = Arrivals(count)

    async def client(log_: ClientLog) -> None:
        started = False
        try:
            async with connect(
                url,
                compression=None,
                max_size=64 * 2**20,
                max_queue=64,
                ping_interval=None,
                open_timeout=60,
                close_timeout=2,
            ) as ws:
                await ws.send(json.dumps({"type": "hello"}))
                first_message = await ws.recv(decode=False)
                match = _HEADER.match(bytes(first_message[:64]))
                log_.first_type = match.group(1).decode() if match else "snapshot"
                last = int(match.group(2)) if match else _snapshot_seq(first_message)
                arrivals.arrived()
                started = True
                received = log_.received
                while True:
                    raw = await ws.recv(decode=False)
                    at = time.time()
                    message = bytes(raw)
                    header = _HEADER.match(message, 0, 64)
                    if header is None:
                        log_.closed = f"unexpected message {message[:60]!r}"
                        return
                    kind, seq = header.group(1), int(header.group(2))
                    if kind == b"heartbeat":
                        log_.heartbeats += 1
                        continue
                    prev = int(header.group(3) or -1)
                    if prev != last:
                        log_.gaps += 1
                    if prev < seq - 1:
                        log_.catch_ups += 1
                    last = seq
                    position = index.get(message)
                    if position is None:
                        position = len(blobs)
                        blobs.append(message)
                        if prev == seq - 1:  # a shared frame; a catch-up is this client's own
                            index[message] = position
                    received.append((at, position, seq))
        except ConnectionClosed as closed:
            log_.closed = f"closed by server: {closed}"
        except OSError as error:
            log_.closed = f"connection failed: {error}"
        if not started:
            arrivals.failed(f"client {log_.client}: {log_.closed}")

    tasks = [asyncio.create_task(client(log_)) for log_ in logs]
    try:
        await arrivals.report(conn, 90.0)
        await asyncio.to_thread(conn.recv)  # the parent's "stop"
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    share = cpu.share()
    messages = [_describe(blob) for blob in blobs]
    return WorkerResult(worker, logs, messages, share, sum(len(blob) for blob in blobs))


class Arrivals:
    """A worker's clients coming up: tells the parent when all have their snapshot, or why
    not (the first failure, or a timeout), so that a refused login shows at once."""

    def __init__(self, wanted: int) -> None:
        self.wanted = wanted
        self.connected = 0
        self.failures: list[str] = []
        self._changed = asyncio.Event()

    def arrived(self) -> None:
        self.connected += 1
        if self.connected >= self.wanted:
            self._changed.set()

    def failed(self, why: str) -> None:
        self.failures.append(why)
        self._changed.set()

    async def report(self, conn: Connection, within: float) -> None:
        try:
            async with asyncio.timeout(within):
                await self._changed.wait()
        except TimeoutError:
            pass
        if self.connected < self.wanted:
            why = self.failures[:3] or [
                f"only {self.connected}/{self.wanted} connected within {within:g} s"
            ]
            conn.send(("failed", why))
            raise RuntimeError(f"clients did not connect: {why}")
        conn.send(("ready", self.wanted))


async def receive_from(conn: Connection, within: float, what: str) -> Any:
    """The next object from a worker's pipe. Polls in short slices so that no thread stays
    blocked (which would hang the interpreter's exit); TimeoutError names ``what``, and a
    worker that died gives EOFError."""
    deadline = time.monotonic() + within
    while not await asyncio.to_thread(conn.poll, 0.2):
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: no answer within {within:g} s")
    return await asyncio.to_thread(conn.recv)


def expect_ready(message: Any, what: str) -> None:
    if not (isinstance(message, tuple) and message and message[0] == "ready"):
        raise RuntimeError(f"{what} failed: {message!r}")


_SNAPSHOT_SEQ = re.compile(rb'"seq":(\d+)')


def _snapshot_seq(message: bytes | str) -> int:
    # A 10,000-point snapshot is ~600 kB: parsing 100 of them would hold the worker's
    # loop for seconds while frames pile up. Its header is enough.
    head = message[:256].encode() if isinstance(message, str) else message[:256]
    match = _SNAPSHOT_SEQ.search(head)
    if match is None:
        raise ValueError(f"first message without a seq: {head[:80]!r}")
    return int(match.group(1))


def _describe(blob: bytes) -> MessageInfo:
    data = json.loads(blob)
    emits = sorted(float(reading[0]) for reading in data.get("readings", {}).values())
    return MessageInfo(emits, len(data.get("events", ())))


# ------------------------------------------------------------------------ stalled client


async def open_stalled_client(host: str, port: int, path: str) -> socket.socket:
    """A websocket client that never reads: it sends the upgrade request and then nothing,
    with a small receive buffer so that the server's sends back up soon."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, STALLED_RCVBUF)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, (host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    return sock


def channel_of(hub: Hub, sock: socket.socket) -> ClientChannel | None:
    host, port = sock.getsockname()[:2]
    label = f"{host}:{port}"
    return next((channel for channel in hub.channels if channel.label == label), None)


async def poll_until(condition: Callable[[], bool], within: float, step: float = 0.05) -> bool:
    """Poll ``condition`` (a hub counter) until true or ``within`` seconds have passed; the
    hub offers no event for these, and a 50 ms poll costs nothing next to the load."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(step)
    return True


def lagging(hub: Hub, sock: socket.socket) -> Callable[[], bool]:
    def check() -> bool:
        channel = channel_of(hub, sock)
        return channel is not None and channel.lagging

    return check


def synthetic_events(count: int, start_seq: int) -> list[AlarmEvent]:
    """Notes on one alarm: enough to fill a lagging client's event allowance. The fan-out
    benchmark has no alarm engine; the hub treats every event alike."""
    key = PointKey(SITE, pressure_tag(0))
    now = time.time()
    return [
        AlarmEvent(
            alarm_id=f"{key}/H",
            point=key,
            alarm_type=AlarmType.HIGH,
            kind=EventKind.NOTE,
            state=AlarmState.UNACK,
            priority=Priority.MEDIUM,
            ts=now,
            user="bench",
            comment="fan-out benchmark",
            seq=start_seq + index,
        )
        for index in range(count)
    ]


# ----------------------------------------------------------------------------- analysis


@dataclass(frozen=True)
class Window:
    phase: str  # "alone" or "stalled"
    start: float
    end: float
    server_cpu: float  # this process's CPU time / wall time during the window


def reading_quantiles(
    pairs: Sequence[tuple[float, Sequence[float]]], quantiles: Sequence[float]
) -> list[float]:
    """Nearest-rank quantiles of every (receive − emit) over messages given as (receive
    time, sorted emit times), without materialising millions of latencies: the count of
    latencies ≤ x is a sum of bisections, and x is found by bisection to 1 µs."""
    pairs = [(received, emits) for received, emits in pairs if emits]
    total = sum(len(emits) for _, emits in pairs)
    if total == 0:
        return [math.nan for _ in quantiles]
    low = min(received - emits[-1] for received, emits in pairs)
    high = max(received - emits[0] for received, emits in pairs)

    def at_most(x: float) -> int:
        return sum(
            len(emits) - bisect.bisect_left(emits, received - x) for received, emits in pairs
        )

    results = []
    for q in quantiles:
        target = max(1, math.ceil(q * total))
        lo, hi = low, high
        while hi - lo > 1e-6:
            mid = (lo + hi) / 2
            if at_most(mid) >= target:
                hi = mid
            else:
                lo = mid
        results.append(hi)
    return results


@dataclass
class PhaseFigures:
    phase: str
    seconds: float
    clients: int
    messages: int
    readings: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    client_p50_ms: tuple[float, float, float]  # min, median, max over clients
    client_p99_ms: tuple[float, float, float]
    fanout_p50_ms: float
    fanout_p99_ms: float
    loop_lag_p99_ms: float
    gc_full_max_ms: float  # longest generation-2 collection (a stop of the whole loop)
    server_cpu: float
    per_client: dict[int, tuple[float, float]]  # client → (p50, p99) ms


def phase_figures(
    phase: str,
    chosen: Sequence[Window],
    results: Sequence[WorkerResult],
    lag: LoopLag,
    pauses: GcPauses,
    flushes: dict[int, float],
) -> PhaseFigures:
    every: list[tuple[float, Sequence[float]]] = []
    per_client: dict[int, tuple[float, float]] = {}
    fanout: list[float] = []
    for result in results:
        infos = result.messages
        for client in result.clients:
            mine = [
                (at, position, seq)
                for at, position, seq in client.received
                if any(window.start <= at < window.end for window in chosen)
            ]
            if not mine:
                continue
            pairs = [(at, infos[position].emits) for at, position, _ in mine]
            p50, p99 = reading_quantiles(pairs, (0.5, 0.99))
            per_client[client.client] = (p50 * 1000, p99 * 1000)
            every.extend(pairs)
            fanout.extend(at - flushes[seq] for at, _, seq in mine if seq in flushes)
    p50, p99, top = reading_quantiles(every, (0.5, 0.99, 1.0))
    lags = [lag_ for window in chosen for lag_ in lag.between(window.start, window.end)]
    client_p50 = sorted(value[0] for value in per_client.values())
    client_p99 = sorted(value[1] for value in per_client.values())
    return PhaseFigures(
        phase=phase,
        seconds=sum(window.end - window.start for window in chosen),
        clients=len(per_client),
        messages=len(every),
        readings=sum(len(emits) for _, emits in every),
        p50_ms=p50 * 1000,
        p99_ms=p99 * 1000,
        max_ms=top * 1000,
        client_p50_ms=_spread(client_p50),
        client_p99_ms=_spread(client_p99),
        fanout_p50_ms=nearest_rank(fanout, 0.5) * 1000,
        fanout_p99_ms=nearest_rank(fanout, 0.99) * 1000,
        loop_lag_p99_ms=nearest_rank(lags, 0.99) * 1000,
        gc_full_max_ms=max(
            (p for w in chosen for p in pauses.between(w.start, w.end, 2)), default=0.0
        )
        * 1000,
        server_cpu=_mean([window.server_cpu for window in chosen]),
        per_client=per_client,
    )


def timeline(
    results: Sequence[WorkerResult],
    flushes: dict[int, float],
    start: float,
    end: float,
    step: float = 1.0,
) -> list[tuple[float, int, float, float, float]]:
    """Per ``step`` seconds from ``start``: (offset s, messages, reading p50 ms, reading p99
    ms, fan-out p50 ms) over every client: shows warm-up and disturbances."""
    buckets: dict[int, list[tuple[float, Sequence[float], int]]] = {}
    for result in results:
        for client in result.clients:
            for at, position, seq in client.received:
                if start <= at < end:
                    slot = int((at - start) / step)
                    buckets.setdefault(slot, []).append((at, result.messages[position].emits, seq))
    rows = []
    for slot in sorted(buckets):
        items = buckets[slot]
        p50, p99 = reading_quantiles([(at, emits) for at, emits, _ in items], (0.5, 0.99))
        fanout = [at - flushes[seq] for at, _, seq in items if seq in flushes]
        rows.append(
            (slot * step, len(items), p50 * 1000, p99 * 1000, nearest_rank(fanout, 0.5) * 1000)
        )
    return rows


def _spread(values: Sequence[float]) -> tuple[float, float, float]:
    if not values:
        return (math.nan, math.nan, math.nan)
    return (values[0], statistics.median(values), values[-1])


# ---------------------------------------------------------------------------------- run


@dataclass
class StallReport:
    seconds_to_lag: float  # from connecting until the hub coalesced for it
    lagging_at_end: bool  # still coalescing at the end of its window
    frames_behind: int  # frames it had not been sent at the end of its window
    queued: int


@dataclass
class KickReport:
    events_sent: int
    kicked: bool
    close_code: int | None
    seconds: float
    others_with_all_events: int
    others: int


@dataclass
class FanoutReport:
    clients: int
    workers: int
    points: int
    rate: float
    achieved_rate: float
    batch_interval: float
    heap_objects: int
    gc_freeze: bool
    date: str
    machine: str
    timeline: list[tuple[float, int, float, float, float]]
    phases: list[PhaseFigures]  # all windows of a phase together
    windows: list[PhaseFigures]  # each window alone: shows the run-to-run noise
    stalls: list[StallReport]
    kick: KickReport | None
    gaps: int
    catch_ups: int
    closed_early: list[str]
    hub: dict[str, Any]
    worker_cpu: list[float]


async def run(args: argparse.Namespace, state_dir: Path) -> FanoutReport:
    site = bench_site(args.points)
    catalog = Catalog([site])
    keys = [info.key for info in catalog]
    live = LiveState()
    hub = Hub(live)
    flushes = time_flushes(hub)
    pipeline = Pipeline([live, hub], [])
    app = create_app(DashboardServices(catalog=catalog, live=live, hub=hub))
    # The websocket needs a credential, as in the gateway: a display token (read-only).
    auth = AuthService.open(state_dir)
    _, token = auth.create_display_token("fanout benchmark", actor="benchmark")
    install_auth(app, auth)
    path = f"/ws?token={quote(token)}"
    server = DashboardServer(app, host="127.0.0.1", port=0)
    await server.start()
    pauses = GcPauses()
    pauses.install()
    heap = len(gc.get_objects())
    if args.gc_freeze:
        settle_gc()  # as in alarm_latency.py: as the running gateway does
    url = f"ws://127.0.0.1:{server.port}{path}"
    lag = LoopLag()
    stats = FeedStats()
    background = [
        asyncio.create_task(lag.run(), name="loop-lag"),
        asyncio.create_task(
            feed(pipeline.emit, keys, args.rate, args.batch_interval, stats), name="feeder"
        ),
    ]
    context = multiprocessing.get_context("spawn")
    pipes: list[Connection] = []
    processes = []
    per_worker = math.ceil(args.clients / args.workers)
    first = 0
    for worker in range(args.workers):
        count = min(per_worker, args.clients - first)
        if count <= 0:
            break
        parent_end, child_end = context.Pipe()
        process = context.Process(
            target=_worker_entry, args=(child_end, url, first, count, worker), daemon=True
        )
        process.start()
        child_end.close()  # only the worker holds it now: its exit shows as EOF here
        pipes.append(parent_end)
        processes.append(process)
        first += count
    windows: list[Window] = []
    stalls: list[StallReport] = []
    kick: KickReport | None = None
    results: list[WorkerResult] = []
    try:
        for number, pipe in enumerate(pipes):
            expect_ready(await receive_from(pipe, 120, "client worker"), f"client worker {number}")
        print(f"{args.clients} clients connected; warming up {args.warmup:g} s", flush=True)
        ready_at = time.time()
        await asyncio.sleep(args.warmup)
        # A-B-B-A blocks: a slow drift of the machine's load (other work on it) then
        # weighs on both phases alike. One stalled client serves both B windows.
        phases = ["alone", "stalled", "stalled", "alone"] * args.rounds
        stalled: socket.socket | None = None
        last_stalled = max(n for n, phase in enumerate(phases) if phase == "stalled")
        for number, phase in enumerate(phases):
            if phase == "stalled" and stalled is None and not args.null:
                connected_at = time.monotonic()
                stalled = await open_stalled_client("127.0.0.1", server.port, path)
                if not await poll_until(lagging(hub, stalled), args.stall_timeout):
                    raise RuntimeError(
                        f"the stalled client was not coalesced within {args.stall_timeout:g} s"
                    )
                seconds_to_lag = time.monotonic() - connected_at
            cpu = CpuMeter()
            start = time.time()
            await asyncio.sleep(args.phase)
            end = time.time()
            windows.append(Window(phase, start, end, cpu.share()))
            print(f"  window {number + 1}/{len(phases)}: {phase} {end - start:.1f} s", flush=True)
            if stalled is not None:
                channel = channel_of(hub, stalled)
                if channel is None:
                    raise RuntimeError("the stalled client vanished from the hub")
                stalls.append(
                    StallReport(
                        seconds_to_lag=seconds_to_lag,
                        lagging_at_end=channel.lagging,
                        frames_behind=hub.seq - channel._last_seq,
                        queued=channel.queued,
                    )
                )
                if number + 1 < len(phases) and phases[number + 1] == "stalled":
                    continue
                if number == last_stalled and not args.no_kick:
                    kick = await kick_stalled(hub, stalled, args.clients)
                stalled.close()
                stalled = None
                await asyncio.sleep(args.settle)
        for pipe in pipes:
            pipe.send("stop")
        for pipe in pipes:
            results.append(await receive_from(pipe, 300, "client worker results"))
    finally:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
        await server.stop()
        auth.close()
        pauses.remove()
    if kick is not None:
        kick = _count_kick_events(kick, results)
    phases_out = [
        phase_figures(phase, chosen, results, lag, pauses, flushes)
        for phase in ("alone", "stalled")
        if (chosen := [window for window in windows if window.phase == phase])
    ]
    windows_out = [
        phase_figures(f"{number}:{window.phase}", [window], results, lag, pauses, flushes)
        for number, window in enumerate(windows, 1)
    ]
    for figures in windows_out:
        figures.per_client = {}
    clients = [client for result in results for client in result.clients]
    hub_stats = asdict(hub.stats())
    return FanoutReport(
        clients=args.clients,
        workers=len(processes),
        points=args.points,
        rate=args.rate,
        achieved_rate=stats.rate,
        batch_interval=args.batch_interval,
        heap_objects=heap,
        gc_freeze=args.gc_freeze,
        date=time.strftime("%Y-%m-%d %H:%M:%S %z"),
        machine=machine_line(),
        timeline=timeline(results, flushes, ready_at, time.time()) if args.timeline else [],
        phases=phases_out,
        windows=windows_out,
        stalls=stalls,
        kick=kick,
        gaps=sum(client.gaps for client in clients),
        catch_ups=sum(client.catch_ups for client in clients),
        closed_early=[f"client {c.client}: {c.closed}" for c in clients if c.closed],
        hub=hub_stats,
        worker_cpu=[result.cpu_share for result in results],
    )


def time_flushes(hub: Hub) -> dict[int, float]:
    """Record when each frame is built (seq → wall time), to split a reading's latency into
    waiting for its frame and the fan-out after it. The hub's timer calls ``hub.flush``
    looked up on the instance, so wrapping it there sees every frame."""
    flushes: dict[int, float] = {}
    flush = hub.flush

    def timed_flush() -> None:
        started = time.time()
        before = hub.seq
        flush()
        if hub.seq != before:
            flushes[hub.seq] = started

    hub.flush = timed_flush  # type: ignore[method-assign]
    return flushes


def _mean(values: Sequence[float]) -> float:
    return statistics.mean(values) if values else math.nan


async def kick_stalled(hub: Hub, stalled: socket.socket, others: int) -> KickReport:
    """Push more alarm events than a lagging client may owe: the stalled one must be cut
    (4008), the others must get them all (counted after the run)."""
    channel = channel_of(hub, stalled)
    if channel is None:
        raise RuntimeError("the stalled client vanished from the hub")
    kicked_before = hub.kicked_slow
    started = time.monotonic()
    sent = 0
    while sent < KICK_EVENTS:
        batch = synthetic_events(min(100, KICK_EVENTS - sent), 1_000_000 + sent)
        hub.accept_events(batch)
        sent += len(batch)
        await asyncio.sleep(0.05)
    kicked = await poll_until(lambda: hub.kicked_slow > kicked_before, 10.0)
    seconds = time.monotonic() - started
    await asyncio.sleep(1.0)  # let the last frames reach the other clients
    return KickReport(
        events_sent=sent,
        kicked=kicked,
        close_code=channel.close_code if channel.closed else None,
        seconds=seconds,
        others_with_all_events=0,
        others=others,
    )


def _count_kick_events(kick: KickReport, results: Iterable[WorkerResult]) -> KickReport:
    complete = 0
    for result in results:
        for client in result.clients:
            events = sum(result.messages[position].events for _, position, _ in client.received)
            if events == kick.events_sent:
                complete += 1
    kick.others_with_all_events = complete
    return kick


# ------------------------------------------------------------------------------- output


def print_report(report: FanoutReport) -> None:
    print()
    print(f"date: {report.date}; machine: {report.machine}")
    print(
        f"{report.clients} websocket clients in {report.workers} processes, {report.points:,} "
        f"points, {report.rate:,.0f} readings/s asked, {report.achieved_rate:,.0f} fed "
        f"(batches every {report.batch_interval * 1000:.0f} ms), hub flush 150 ms; "
        f"{report.heap_objects:,} objects tracked by the collector at start"
        + (", then settle_gc() (gc.freeze(), young generation 10,000)"
           if report.gc_freeze else "")
    )
    if report.timeline:
        print("second  msgs  p50 ms  p99 ms  fan-out p50 ms  (from the clients being connected)")
        for offset, count, p50, p99, fanout in report.timeline:
            print(f"{offset:6.0f} {count:5d} {p50:7.1f} {p99:7.1f} {fanout:9.1f}")
    header = (
        f"{'window':9} {'s':>5} {'clients':>7} {'msgs':>7} {'readings':>11} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}  {'client p50 min/med/max':>23}  "
        f"{'client p99 min/med/max':>23}  {'fan-out p50/p99':>15} {'loop lag p99':>12} "
        f"{'srv CPU':>7} {'full GC max':>11}"
    )
    print(header)
    for f in [*report.windows, *report.phases]:
        print(
            f"{f.phase:9} {f.seconds:5.1f} {f.clients:7d} {f.messages:7d} {f.readings:11,d} "
            f"{f.p50_ms:7.1f} {f.p99_ms:7.1f} {f.max_ms:7.1f}  "
            f"{f.client_p50_ms[0]:7.1f}/{f.client_p50_ms[1]:7.1f}/{f.client_p50_ms[2]:7.1f}  "
            f"{f.client_p99_ms[0]:7.1f}/{f.client_p99_ms[1]:7.1f}/{f.client_p99_ms[2]:7.1f}  "
            f"{f.fanout_p50_ms:7.1f}/{f.fanout_p99_ms:7.1f} {f.loop_lag_p99_ms:12.1f} "
            f"{f.server_cpu:7.2f} {f.gc_full_max_ms:11.1f}"
        )
    by_phase = {f.phase: f for f in report.phases}
    if "alone" in by_phase and "stalled" in by_phase:
        alone, stalled = by_phase["alone"], by_phase["stalled"]
        print(
            f"stalled client's effect on the others: p50 {stalled.p50_ms - alone.p50_ms:+.1f} ms,"
            f" p99 {stalled.p99_ms - alone.p99_ms:+.1f} ms"
        )
    for number, stall in enumerate(report.stalls, 1):
        print(
            f"stalled window {number}: the stalled client was coalesced {stall.seconds_to_lag:.1f}"
            f" s after connecting; at the end of the window lagging={stall.lagging_at_end}, "
            f"{stall.frames_behind} frames behind, {stall.queued} messages queued (bounded outbox)"
        )
    if report.kick is not None:
        k = report.kick
        print(
            f"alarm events: {k.events_sent} pushed; stalled client "
            f"{'disconnected with code ' + str(k.close_code) if k.kicked else 'NOT disconnected'}"
            f" after {k.seconds:.2f} s; {k.others_with_all_events}/{k.others} other clients "
            f"received all {k.events_sent}"
        )
    print(
        f"protocol: {report.gaps} sequence gaps, {report.catch_ups} catch-up deltas to the "
        f"measured clients; hub: {report.hub['frames']} frames, {report.hub['kicked_slow']} "
        f"kicked, {report.hub['catch_ups']} catch-ups; client processes CPU "
        + ", ".join(f"{share:.2f}" for share in report.worker_cpu)
    )
    for line in report.closed_early[:10]:
        print(f"  {line}")


def failed(report: FanoutReport) -> list[str]:
    problems = []
    if report.gaps:
        problems.append(f"{report.gaps} sequence gaps")
    if report.closed_early:
        problems.append(f"{len(report.closed_early)} clients closed early")
    if report.kick is not None and (
        not report.kick.kicked or report.kick.others_with_all_events != report.kick.others
    ):
        problems.append("alarm events: stalled client not cut, or others missed events")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="client processes")
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=10_000, help="readings per second")
    parser.add_argument("--batch-interval", type=float, default=0.02, help="seconds")
    parser.add_argument("--phase", type=float, default=5.0, help="seconds per window")
    parser.add_argument(
        "--rounds", type=int, default=1, help="blocks of 4 windows: alone, stalled ×2, alone"
    )
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--settle", type=float, default=1.0, help="seconds after a stall")
    parser.add_argument("--stall-timeout", type=float, default=30.0)
    parser.add_argument("--no-kick", action="store_true", help="skip the alarm-event burst")
    parser.add_argument(
        "--null", action="store_true",
        help="control run: no stalled client in the 'stalled' windows (shows what the window "
        "order alone does to the comparison)",
    )
    parser.add_argument(
        "--gc-freeze", action="store_true",
        help="gc.freeze() and the young generation once the server is up, as the running "
        "gateway does (gateway.runtime.settle_gc)",
    )
    parser.add_argument("--timeline", action="store_true", help="print figures per second")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory(prefix="hazgw-fanout-") as state_dir:
        report = asyncio.run(run(args, Path(state_dir)))
    print_report(report)
    if args.json is not None:
        args.json.write_text(json.dumps(asdict(report), indent=1, ensure_ascii=False))
    problems = failed(report)
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
