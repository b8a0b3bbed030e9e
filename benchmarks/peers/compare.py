"""hazgw and the ThingsBoard IoT Gateway side by side, on the same simulated devices and the
same publisher, one gateway at a time; one table with both gateways' figures and the ratios.

    make bench-peers          # = .venv/bin/python benchmarks/peers/compare.py

Cases:
  MQTT      4 devices publishing ``{"ts": …, "P0": …, …, "P9": …}`` (10 values a message,
            dated by the device: seconds for hazgw, milliseconds for the peer) through a
            local mosquitto; each gateway is stepped up a ladder of message rates (10 s each)
            and its best rate with nothing lost and lag ≤ 2 s is reported.
  Modbus    10 devices × 50 float32 at 100 ms, and 50 × 50 at 1 s (the memory case):
            20 s measured after 5 s of settling.
  ceiling   hazgw polling 10 × 50 as fast as the devices answer, against a bare pymodbus
            loop (no gateway at all) on the same devices.

hazgw is counted in influxd (readings whose timestamp lies in the window), the peer on its
uplink (a local mosquitto, where the harness answers its session-limits request with "no
limits" and counts telemetry values by timestamp). CPU is the gateway process's user +
system time from /proc over the window (and, for MQTT, until the last reading arrived);
peak RSS its VmHWM. The peer is installed once into its own venv (see install.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import aiomqtt

from benchmarks.peers.bare_modbus import bare_poll
from benchmarks.peers.gateways import (
    Process,
    UplinkCounter,
    hazgw,
    hazgw_site,
    influx_count,
    now,
    peer,
)
from benchmarks.peers.install import PEER_VERSION, ensure_peer
from benchmarks.peers.load import ModbusDevices, MqttPublisher, mqtt_keys, mqtt_topic
from benchmarks.peers.procstat import sample
from benchmarks.peers.report import Figures, Row, render
from benchmarks.peers.tb_config import ModbusSlave, MqttFeed
from gateway.sim.broker import BrokerAddress, mosquitto
from gateway.sim.influx import InfluxdServer, influxd

MQTT_DEVICES = 4
PER_MESSAGE = 10
LAG_LIMIT = 2.0  # seconds: a rate whose backlog takes longer to drain is not sustained

CountFn = Callable[[float, float], Awaitable[int]]
# The device's timestamp in each MQTT message, in the form each gateway documents: hazgw
# reads epoch seconds, the peer epoch milliseconds. Without one the peer stamps values on
# reception to the millisecond and its uplink client keeps one value per key and
# millisecond of a device: at these rates it loses about a third (docs/BENCHMARKS.md).
TS_UNIT = {"hazgw": "s", "peer": "ms"}


class Bench:
    def __init__(self, args: argparse.Namespace, venv: Path, field: BrokerAddress,
                 uplink: UplinkCounter, influx: InfluxdServer, workdir: Path) -> None:
        self.args = args
        self.venv = venv
        self.field = field
        self.uplink = uplink
        self.influx = influx
        self.workdir = workdir
        self.runs = 0

    def _folder(self, name: str) -> Path:
        self.runs += 1
        return self.workdir / f"{self.runs:02d}-{name}"

    @contextlib.asynccontextmanager
    async def gateway(self, kind: str, *, modbus: Sequence[ModbusSlave] = (),
                      mqtt: MqttFeed | None = None):  # type: ignore[no-untyped-def]
        folder = self._folder(kind)
        if kind == "hazgw":
            database = f"run{self.runs}"
            site = hazgw_site(modbus, mqtt, MQTT_DEVICES if mqtt else 0)

            async def count(start: float, end: float) -> int:
                return await influx_count(self.influx, database, start, end)

            async with hazgw(folder, self.influx, database, site) as process:
                yield process, count
        else:
            async def count(start: float, end: float) -> int:
                return self.uplink.count(start, end)

            async with peer(folder, self.venv, self.uplink.broker, modbus=modbus,
                            mqtt=mqtt) as process:
                yield process, count


async def wait_delivering(process: Process, who: str, count: CountFn, since: float,
                          at_least: int = 1, within: float = 120.0,
                          poke: Callable[[], Awaitable[None]] | None = None) -> None:
    deadline = time.monotonic() + within
    while await count(since, now() + 60) < at_least:
        process.check_alive(who)
        if time.monotonic() > deadline:
            raise RuntimeError(f"{who} delivered nothing within {within:g} s; "
                               f"log: {process.log}")
        if poke is not None:
            await poke()
        # Nothing announces a delivery at the far end: poll, bounded above.
        await asyncio.sleep(0.25)


async def drain(count: CountFn, start: float, end: float, since: float,
                stable: float = 3.0, within: float = 90.0) -> tuple[int, float]:
    """Poll the window's count until it has not changed for ``stable`` s. Returns the count
    and the lag: when it last changed, after ``since``."""
    last = await count(start, end)
    changed = time.time()
    deadline = time.monotonic() + within
    while time.time() - changed < stable and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        current = await count(start, end)
        if current != last:
            last, changed = current, time.time()
    return last, max(0.0, changed - since)


# --------------------------------------------------------------------------------- Modbus


async def modbus_case(bench: Bench, kind: str, ports: Sequence[int], points: int,
                      poll_ms: int, seconds: float) -> Figures:
    slaves = [ModbusSlave(f"dev{n}", port, points, poll_ms) for n, port in enumerate(ports)]
    async with bench.gateway(kind, modbus=slaves) as (process, count):
        await wait_delivering(process, kind, count, now() - 5)
        await asyncio.sleep(bench.args.settle)
        t0, s0 = now(), sample(process.pid)
        await asyncio.sleep(seconds)
        t1, s1 = now(), sample(process.pid)
        delivered, lag = await drain(count, t0, t1, since=t1)
        peak = sample(process.pid).peak_rss_bytes
    demand = len(ports) * points * 1000 / poll_ms
    return Figures(delivered, t1 - t0, demand, s1.cpu_s - s0.cpu_s, peak, lag,
                   points=len(ports) * points)


# ----------------------------------------------------------------------------------- MQTT


async def mqtt_ladder(bench: Bench, kind: str, rates: Sequence[float]
                      ) -> tuple[Figures | None, list[tuple[float, Figures]]]:
    feed = MqttFeed(bench.field.host, bench.field.port, mqtt_keys(PER_MESSAGE))
    steps: list[tuple[float, Figures]] = []
    best: Figures | None = None
    async with bench.gateway(kind, mqtt=feed) as (process, count), aiomqtt.Client(
        bench.field.host, bench.field.port
    ) as probe:
        probe_payload = json.dumps({key: 1.0 for key in feed.keys})

        async def poke() -> None:
            for device in range(MQTT_DEVICES):
                await probe.publish(mqtt_topic(device), probe_payload, qos=1)

        # Subscribed once a probe of every device has come through.
        await wait_delivering(process, kind, count, now(), MQTT_DEVICES * PER_MESSAGE,
                              poke=poke)
        await asyncio.sleep(2)
        for rate in rates:
            publisher = MqttPublisher(bench.field.host, bench.field.port, MQTT_DEVICES,
                                      PER_MESSAGE, rate, bench.args.mqtt_seconds,
                                      ts_unit=None if bench.args.receipt_time else TS_UNIT[kind])
            publisher.start()
            s0, t0 = sample(process.pid), now()
            publisher.go()
            sent, seconds = await publisher.finished()
            t1 = now()
            delivered, lag = await drain(count, t0, t0 + 3600, since=t1)
            s1 = sample(process.pid)
            offered = sent * PER_MESSAGE
            figures = Figures(delivered, seconds, offered / seconds, s1.cpu_s - s0.cpu_s,
                              s1.peak_rss_bytes, lag, lost=offered - delivered)
            steps.append((rate, figures))
            print(f"  {kind:6} {rate:>7,.0f} msg/s asked: {sent / seconds:>7,.0f} sent, "
                  f"{figures.rate:>9,.0f} readings/s delivered, lost {figures.lost:,}, "
                  f"lag {lag:.2f} s, {figures.cpu_per_1000:.4f} CPU-s/1000", flush=True)
            if figures.lost > 0 or lag > LAG_LIMIT:
                break
            best = figures
    return best, steps


# ----------------------------------------------------------------------------------- main


def _rates(text: str) -> list[float]:
    return [float(part) for part in text.split(",") if part]


async def run(args: argparse.Namespace) -> int:
    venv = ensure_peer(args.peer_venv)
    rows: list[Row] = []
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="hazgw-peers-") as temp:
        async with mosquitto() as field, mosquitto() as uplink_broker, influxd() as influx:
            uplink = UplinkCounter(uplink_broker)
            ready = asyncio.Event()
            listening = asyncio.create_task(uplink.run(ready))
            await asyncio.wait_for(ready.wait(), 10)
            bench = Bench(args, venv, field, uplink, influx, Path(temp))
            try:
                if "mqtt" in args.cases:
                    print("MQTT, 10 values per message, rate ladder:", flush=True)
                    peer_best = (
                        (await mqtt_ladder(bench, "peer", _rates(args.peer_rates)))[0]
                        if "peer" in args.gateways else None
                    )
                    ours_best, _ = await mqtt_ladder(bench, "hazgw", _rates(args.hazgw_rates))
                    rows.append(Row("MQTT 10 values/msg, best sustained", ours_best,
                                    peer_best))
                for name, devices, points, poll_ms in (
                    ("Modbus 10×50 float32 @100 ms", 10, 50, args.poll_ms or 100),
                    ("Modbus 50×50 float32 @1 s", 50, 50, 1000),
                ):
                    if "modbus" not in args.cases:
                        break
                    print(f"{name}:", flush=True)
                    with ModbusDevices(devices, points) as ports:
                        peer_figures = (
                            await modbus_case(bench, "peer", ports, points, poll_ms, args.seconds)
                            if "peer" in args.gateways else None
                        )
                        ours = await modbus_case(bench, "hazgw", ports, points, poll_ms,
                                                 args.seconds)
                    rows.append(Row(name, ours, peer_figures))
                if "ceiling" in args.cases:
                    print("Modbus ceiling, 10×50 as fast as the devices answer:", flush=True)
                    with ModbusDevices(10, 50) as ports:
                        read, elapsed, cpu = await bare_poll(ports, 50, args.seconds)
                        ours = await modbus_case(bench, "hazgw", ports, 50, 1, args.seconds)
                    bare = read / elapsed
                    rows.append(Row("Modbus 10×50 as fast as possible", ours, None,
                                    note=f"bare pymodbus loop {bare:,.0f} points/s, "
                                         f"{1000 * cpu / read:.4f} CPU-s/1000"))
                    lines.append(
                        f"Modbus ceiling: hazgw {ours.rate:,.0f} readings/s into influxd = "
                        f"{100 * ours.rate / bare:.0f} % of the bare pymodbus loop's "
                        f"{bare:,.0f} points/s (target ≥ 50 %)"
                    )
            finally:
                listening.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listening
    print()
    print(f"hazgw vs ThingsBoard IoT Gateway {PEER_VERSION}, same devices and publisher, "
          f"one gateway at a time, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(render(rows))
    for line in lines + targets(rows):
        print(line)
    return 0


def targets(rows: Sequence[Row]) -> list[str]:
    out = []
    for row in rows:
        ours, theirs = row.hazgw, row.peer
        if ours is None:
            continue
        if row.case.startswith("MQTT") and theirs is not None:
            times = ours.rate / theirs.rate if theirs.rate else float("inf")
            out.append(f"target MQTT ≥ 8× the peer's sustained rate: {times:.1f}× "
                       f"({'met' if times >= 8 else 'NOT met'})")
        if row.peer is not None or row.case.startswith("MQTT"):
            ok = ours.cpu_per_1000 <= 0.005
            out.append(f"target {row.case} ≤ 0.005 CPU-s/1000: {ours.cpu_per_1000:.4f} "
                       f"({'met' if ok else 'NOT met'})")
        if row.case.startswith("Modbus 50×50") and theirs is not None:
            ok = ours.peak_rss <= theirs.peak_rss
            out.append(f"target peak RSS ≤ the peer's: {ours.peak_rss / 2**20:.1f} vs "
                       f"{theirs.peak_rss / 2**20:.1f} MiB ({'met' if ok else 'NOT met'})")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", default="mqtt,modbus,ceiling",
                        help="comma-separated: mqtt, modbus, ceiling")
    parser.add_argument("--seconds", type=float, default=20.0, help="Modbus window")
    parser.add_argument("--settle", type=float, default=5.0)
    parser.add_argument("--mqtt-seconds", type=float, default=10.0)
    parser.add_argument("--peer-rates", default="1000,1500,2000,3000", help="msg/s ladder")
    parser.add_argument("--hazgw-rates", default="4000,8000,12000,16000", help="msg/s ladder")
    parser.add_argument("--peer-venv", type=Path, default=None)
    parser.add_argument("--receipt-time", action="store_true",
                        help="MQTT messages without a device timestamp: each gateway dates "
                             "values on reception (the peer then collapses values)")
    parser.add_argument("--gateways", default="hazgw,peer", help="comma-separated: hazgw, peer")
    parser.add_argument("--poll-ms", type=int, default=None,
                        help="override the first Modbus case's poll period (for profiling)")
    args = parser.parse_args(argv)
    args.cases = set(args.cases.split(","))
    args.gateways = set(args.gateways.split(","))
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
