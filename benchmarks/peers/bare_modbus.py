"""The ceiling any Python Modbus gateway has here: a bare pymodbus loop, one task per
device reading its registers and converting them to floats as fast as the devices answer.
Run in a child process so that its CPU is its own."""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection

from pymodbus.client import AsyncModbusTcpClient


async def _poll(port: int, points: int, deadline: float, counts: list[int]) -> None:
    client = AsyncModbusTcpClient("127.0.0.1", port=port, timeout=2, retries=0)
    await client.connect()
    float32 = AsyncModbusTcpClient.DATATYPE.FLOAT32
    while time.monotonic() < deadline:
        response = await client.read_holding_registers(0, count=2 * points, device_id=1)
        values = client.convert_from_registers(response.registers, data_type=float32)
        counts[0] += len(values)  # type: ignore[arg-type]
    client.close()


def _run(ports: Sequence[int], points: int, seconds: float, conn: Connection) -> None:
    counts = [0]

    async def main() -> None:
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(_poll(port, points, deadline, counts) for port in ports))

    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    asyncio.run(main())
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    conn.send((counts[0], elapsed, cpu))


async def bare_poll(ports: Sequence[int], points: int, seconds: float) -> tuple[int, float, float]:
    """Points read, seconds, CPU seconds."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_run, args=(list(ports), points, seconds, child),
                              daemon=True)
    process.start()
    loop = asyncio.get_running_loop()
    if not await loop.run_in_executor(None, parent.poll, seconds + 60):
        process.kill()
        raise RuntimeError("the bare pymodbus loop did not finish")
    result: tuple[int, float, float] = parent.recv()
    process.join(10)
    return result
