"""Modbus polling throughput: registers/s and reads/s through the real collector.

100 simulated devices (by default), each with 100 holding registers holding 50 float32
points, are polled as fast as their connections allow (poll interval 10 ms). The
simulated devices run in a child process so that the collector has the event loop to
itself, as it would in the gateway.

Layouts:
  servers  one Modbus TCP server per device: 100 connections, 100 collectors (default)
  units    one server with 100 unit ids: one connection, one collector (a busy gateway
           or serial server: requests strictly in turn)

    .venv/bin/python benchmarks/modbus_poll.py [--layout servers|units] [--seconds 15]

Prints registers/s, reads/s and readings/s, and checks that every reading was good.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection

from collectors.modbus import ModbusCollector, build_modbus_collectors
from collectors.readings import Reading
from config.modbus import ByteOrder, DataType
from config.site import Site
from gateway.sim.modbus_devices import SimModbusServer, encode

ORDERS = list(ByteOrder)


def value_of(device: int, index: int) -> float:
    return float(device * 1000 + index) / 4.0


# ------------------------------------------------------------------ device process


def serve(layout: str, devices: int, registers: int, conn: Connection) -> None:
    asyncio.run(_serve(layout, devices, registers, conn))


async def _serve(layout: str, devices: int, registers: int, conn: Connection) -> None:
    units = list(range(1, devices + 1)) if layout == "units" else [1]
    count = devices if layout == "servers" else 1
    servers = [SimModbusServer(units, size=max(registers, 16)) for _ in range(count)]
    for number in range(devices):
        server = servers[number] if layout == "servers" else servers[0]
        unit = 1 if layout == "servers" else number + 1
        words: list[int] = []
        for index in range(registers // 2):
            words += encode(value_of(number, index), DataType.FLOAT32, ORDERS[index % 4])
        server.write_registers(unit, "holding", 0, words)
    for server in servers:
        await server.start()
    conn.send([server.port for server in servers])
    loop = asyncio.get_running_loop()
    # Serve until the parent says stop (or goes away).
    await loop.run_in_executor(None, conn.recv)
    for server in servers:
        await server.stop()


# ------------------------------------------------------------------ collector side


def make_site(layout: str, ports: Sequence[int], devices: int, registers: int) -> Site:
    device_specs = []
    for number in range(devices):
        port = ports[number] if layout == "servers" else ports[0]
        unit = 1 if layout == "servers" else number + 1
        points = [
            {
                "tag": f"D{number:03d}-{index:03d}",
                "name": f"点 {number}/{index}",
                "kind": "analog",
                "range": {"low": -1e9, "high": 1e9},
                "hazard_source": "HS-1",
                "source": {"table": "holding", "address": 2 * index, "type": "float32",
                           "byte_order": ORDERS[index % 4].value},
            }
            for index in range(registers // 2)
        ]
        device_specs.append({
            "id": f"dev-{number:03d}", "transport": "modbus_tcp", "host": "127.0.0.1",
            "port": port, "unit": unit, "poll_interval": 0.01, "timeout": 2.0,
            "points": points,
        })
    return Site.model_validate({
        "enterprise": {"name": "基准测试", "code": "BENCH"},
        "hazard_sources": [{"id": "HS-1", "name": "罐区", "grade": 2, "kind": "tank_farm"}],
        "devices": device_specs,
    })


class Counter:
    def __init__(self) -> None:
        self.readings = 0
        self.batches = 0
        self.not_good = 0
        self.wrong = 0

    def __call__(self, readings: Sequence[Reading]) -> None:
        self.batches += 1
        self.readings += len(readings)
        for reading in readings:
            if not reading.is_good:
                self.not_good += 1
        # Spot check one value per batch against what the device holds.
        last = readings[-1]
        number, index = (int(part) for part in last.point.tag[1:].split("-"))
        if last.value != value_of(number, index):
            self.wrong += 1


async def measure(collectors: Sequence[ModbusCollector], seconds: float, warmup: float) -> None:
    counter = Counter()
    tasks = [asyncio.create_task(c.run(counter)) for c in collectors]
    try:
        await asyncio.sleep(warmup)
        start_readings = counter.readings
        start_requests = sum(c.health.counters.get("requests", 0) for c in collectors)
        started = time.perf_counter()
        cpu_started = time.process_time()
        await asyncio.sleep(seconds)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        readings = counter.readings - start_readings
        requests = sum(c.health.counters.get("requests", 0) for c in collectors) - start_requests
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    registers = readings * 2  # float32 points
    print(f"  measured       {elapsed:.1f} s (after {warmup:.0f} s warm-up)")
    print(f"  reads/s        {requests / elapsed:,.0f}")
    print(f"  registers/s    {registers / elapsed:,.0f}")
    print(f"  readings/s     {readings / elapsed:,.0f}")
    print(f"  collector CPU  {cpu / elapsed:.0%} of one core")
    print(f"  not good       {counter.not_good}   wrong values {counter.wrong}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--layout", choices=("servers", "units"), default="servers")
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--registers", type=int, default=100, help="per device, even, ≤ 124")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args()
    if not 2 <= args.registers <= 124 or args.registers % 2:
        parser.error("--registers must be even and 2..124 (one request per device)")

    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(
        target=serve, args=(args.layout, args.devices, args.registers, child), daemon=True
    )
    process.start()
    try:
        if not parent.poll(30):
            raise SystemExit("the simulated devices did not start within 30 s")
        ports: list[int] = parent.recv()
        site = make_site(args.layout, ports, args.devices, args.registers)
        collectors = build_modbus_collectors([site])
        print(f"Modbus poll benchmark: {args.devices} devices × {args.registers} registers, "
              f"layout {args.layout} ({len(collectors)} connection(s))")
        asyncio.run(measure(collectors, args.seconds, args.warmup))
    finally:
        parent.send("stop")
        process.join(10)
        if process.is_alive():
            process.terminate()


if __name__ == "__main__":
    main()
