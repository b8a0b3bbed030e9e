"""The storage sink's health as /api/health shows it, and the buffer's default size: a
fresh gateway is not degraded, an overflow is reported with its count and time and stops
degrading after a window, damage found at start is reported."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from collectors.readings import Reading
from config.catalog import Catalog, PointKey
from config.gateway_file import BufferSettings, InfluxV1, StorageSettings
from config.site import Site
from gateway.buffer import BufferOptions, DurableBuffer
from gateway.buffer.options import MIB
from gateway.sinks import (
    OVERFLOW_WINDOW,
    AlarmHistory,
    Storage,
    buffer_options,
    expected_rate,
    storage_component,
)
from gateway.storage.factory import build_writer
from gateway.validation import load_site

EXAMPLES = Path(__file__).resolve().parents[2] / "config" / "examples"
NOW = 1_780_000_000.0


def settings(**buffer: object) -> StorageSettings:
    return StorageSettings(
        target=InfluxV1(kind="influx_v1", url="http://127.0.0.1:9"),
        buffer=BufferSettings(**buffer),  # type: ignore[arg-type]
    )


def storage_on(buffer: DurableBuffer) -> Storage:
    writer = build_writer(settings(), Catalog([]), buffer)
    return Storage(settings(), buffer, writer, AlarmHistory(writer, Catalog([])), opened_at=NOW)


def example_sites() -> list[Site]:
    return [load_site(path) for path in sorted(EXAMPLES.glob("*.yaml"))
            if not path.name.startswith("gateway")]


def test_default_size_holds_a_day_at_the_estimated_rate() -> None:
    sites = example_sites()
    rate = expected_rate(sites)
    assert rate > 0
    options = buffer_options(settings(), sites)
    assert options.max_bytes >= rate * 24 * 3600 * 40
    assert options.max_bytes >= 64 * MIB
    fast = buffer_options(settings(readings_per_second=10_000), sites)
    assert fast.max_bytes == 10_000 * 24 * 3600 * 40  # 34.6 GB: a day at 10k/s
    fixed = buffer_options(settings(max_bytes=5 * MIB, commit_interval=0.02, commit_every=1),
                           sites)
    assert (fixed.max_bytes, fixed.commit_interval, fixed.commit_every) == (5 * MIB, 0.02, 1)


async def test_fresh_gateway_is_not_degraded(tmp_path: Path) -> None:
    with DurableBuffer.open(tmp_path) as buffer:
        status = storage_component(storage_on(buffer), NOW + 1)
    assert status.ok, status.detail
    assert status.counters["dropped"] == 0 and status.counters["lines_written"] == 0


@pytest.mark.parametrize(
    ("later", "ok"), [(1.0, False), (OVERFLOW_WINDOW - 1, False), (OVERFLOW_WINDOW + 1, True)]
)
async def test_overflow_is_reported_with_count_and_time_then_stops_degrading(
    tmp_path: Path, later: float, ok: bool
) -> None:
    options = BufferOptions(max_bytes=64 * 1024, record_readings=100, memory_readings=0)
    buffer = DurableBuffer.open(tmp_path, options, clock=lambda: NOW)
    try:
        point = PointKey("S", "P")
        for start in range(0, 40_000, 1000):
            buffer.put([Reading(point, float(n), NOW + n) for n in range(start, start + 1000)])
            async with asyncio.timeout(10):
                await buffer.flushed()
        assert buffer.health.dropped > 0
        status = storage_component(storage_on(buffer), NOW + later)
    finally:
        buffer.close()
    assert status.ok is ok
    assert status.counters["dropped"] == buffer.health.dropped  # the count stays for good
    if not ok:
        assert status.detail is not None
        assert f"{buffer.health.dropped} oldest readings dropped" in status.detail
        assert "2026-05-28" in status.detail  # when: NOW as a UTC date
