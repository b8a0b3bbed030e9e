"""Numbered readings and bounded ways to wait on a durable buffer."""

from __future__ import annotations

import asyncio
from pathlib import Path

from collectors.readings import Reading
from config.catalog import PointKey
from gateway.buffer import DurableBuffer

POINT = PointKey("TEST", "N")
WAIT = 10.0  # seconds: a bound on every wait, never expected to be reached


def numbered(start: int, count: int) -> list[Reading]:
    """Readings whose value is their number, so order, gaps and duplicates show."""
    return [Reading(POINT, float(n), 1_780_000_000.0 + n) for n in range(start, start + count)]


def numbers(readings: list[Reading]) -> list[int]:
    return [int(r.value) for r in readings if isinstance(r.value, float)]


async def put_durably(buffer: DurableBuffer, readings: list[Reading]) -> None:
    buffer.put(readings)
    async with asyncio.timeout(WAIT):
        await buffer.flushed()


async def drain(buffer: DurableBuffer, max_items: int = 1000) -> list[int]:
    """Take and commit everything pending; the numbers in the order they came."""
    out: list[int] = []
    async with asyncio.timeout(WAIT):
        while len(buffer):
            batch = await buffer.take(max_items, 0)
            out.extend(numbers(batch.readings))
            buffer.commit(batch)
    return out


def segment_files(directory: Path) -> list[str]:
    return sorted(path.name for path in (directory / "segments").glob("*.seg"))
