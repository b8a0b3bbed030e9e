"""Integration of the v2 path: influxdb-client's async API writing to a real VictoriaMetrics
(``/api/v2/write``), read back with /api/v1/export. VictoriaMetrics turns
``reading,tags value=v`` into metric ``reading_value{tags}`` and keeps milliseconds."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from storage_helpers import SITE_CODE
from support.waiting import poll_until

from collectors.readings import Quality, Reading, Reason, bad
from config.catalog import Catalog, PointKey
from config.gateway_file import InfluxV2, StorageSettings
from gateway.pipeline import MemoryBuffer, Pipeline
from gateway.sim.influx import VictoriaMetricsServer
from gateway.storage import build_writer
from gateway.storage.writer import InfluxWriter

pytestmark = pytest.mark.integration


def settings(url: str, **changes: Any) -> StorageSettings:
    values: dict[str, Any] = {
        "target": InfluxV2(kind="influx_v2", url=url, org="plant", bucket="hazgw", token="t"),
        "flush_interval": 0.05,
        "max_retry_delay": 0.2,
        "timeout": 5.0,
    }
    values.update(changes)
    return StorageSettings(**values)


@contextlib.asynccontextmanager
async def running(writer: InfluxWriter) -> AsyncIterator[None]:
    task = asyncio.create_task(writer.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 15)


def key(tag: str) -> PointKey:
    return PointKey(SITE_CODE, tag)


def samples(series: list[dict[str, Any]]) -> dict[tuple[str, str], list[tuple[int, float]]]:
    """(tag, quality) → [(ms, value)]"""
    out: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for s in series:
        labels = s["metric"]
        out[(labels["tag"], labels["quality"])] = sorted(
            zip(s["timestamps"], s["values"], strict=True)
        )
    return out


async def test_readings_through_influxdb_client(
    vm: VictoriaMetricsServer, catalog: Catalog
) -> None:
    # Recent timestamps: VictoriaMetrics keeps one month here.
    ts = round(time.time()) - 120.0
    ms = int(ts * 1000)
    buffer = MemoryBuffer(10_000)
    writer = build_writer(settings(vm.url), catalog, buffer)
    Pipeline([], [buffer]).emit([
        Reading(key("LT-101"), 12.5, ts + 0.0014),  # 1.4 ms: cut to 1 ms
        Reading(key("SD-301"), True, ts + 1),
        Reading(key("GT-201"), 120.5, ts + 2, Quality.UNCERTAIN, Reason.OUT_OF_RANGE),
        bad(key("LT-101"), ts + 3, Reason.COMM_LOSS),
    ])
    async with running(writer):
        await poll_until(lambda: writer.health.lines_written >= 4, within=15)
        health = writer.health
    assert health.target.startswith("influx_v2 ") and "bucket=hazgw" in health.target
    values = await vm.export('{__name__="reading_value"}')
    for series in values:
        labels = series["metric"]
        assert labels["site"] == SITE_CODE
        info = catalog[key(labels["tag"])]
        assert (labels["kind"], labels["source"]) == (info.kind.value,
                                                      info.hazard_source.id)
    assert samples(values) == {
        ("LT-101", "good"): [(ms + 1, 12.5)],
        ("SD-301", "good"): [(ms + 1000, 1.0)],
        ("GT-201", "uncertain"): [(ms + 2000, 120.5)],
    }
    # A bad reading has no value sample; its (string) reason arrives as its own metric,
    # and the quality tag survives.
    reasons = samples(await vm.export('{__name__="reading_reason"}'))
    assert set(reasons) == {("GT-201", "uncertain"), ("LT-101", "bad")}
    assert reasons[("LT-101", "bad")][0][0] == ms + 3000


async def test_victoria_metrics_restarted_mid_run_loses_nothing(
    vm: VictoriaMetricsServer, catalog: Catalog
) -> None:
    ts = round(time.time()) - 600.0
    buffer = MemoryBuffer(100_000)
    pipeline = Pipeline([], [buffer])
    writer = build_writer(settings(vm.url, batch_size=100), catalog, buffer)
    point = key("PT-1")

    def emit(start: int, count: int) -> None:
        pipeline.emit(
            [Reading(point, float(i), ts + i * 0.01) for i in range(start, start + count)]
        )

    async with running(writer):
        emit(0, 300)
        await poll_until(lambda: writer.health.lines_written >= 300, within=15)
        await vm.stop()
        emit(300, 500)
        await poll_until(lambda: writer.health.retries >= 2, within=15)
        assert writer.health.connected is False
        await vm.start()
        emit(800, 200)
        await poll_until(lambda: writer.health.lines_written >= 1000, within=30)
        health = writer.health
    series = await vm.export('{__name__="reading_value",tag="PT-1"}')
    assert len(series) == 1
    assert series[0]["values"] == [float(i) for i in range(1000)]
    assert health.buffer_dropped == 0 and health.rejected_lines == 0
