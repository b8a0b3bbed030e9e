"""Integration with a real InfluxDB 1.6 (v1 API): readings and alarm events round trip,
a real field-type conflict, and an influxd stopped (or killed) mid-run loses nothing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from storage_helpers import SITE_CODE
from support.waiting import poll_until

from alerting.events import AlarmEvent, AlarmState, EventKind, alarm_id
from collectors.readings import Quality, Reading, Reason, bad
from config.catalog import Catalog, PointKey
from config.gateway_file import InfluxV1, StorageSettings
from config.vocabulary import AlarmType, Priority
from gateway.pipeline import MemoryBuffer, Pipeline
from gateway.sim.influx import InfluxdServer
from gateway.storage import build_writer, encode_alarm_event_lines
from gateway.storage.writer import InfluxWriter

pytestmark = pytest.mark.integration

TS = 1_780_000_000.0
NS = 1_780_000_000_000_000_000
DB = "hazgw"


def settings(url: str, **changes: Any) -> StorageSettings:
    values: dict[str, Any] = {
        "target": InfluxV1(kind="influx_v1", url=url, database=DB),
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


async def test_readings_round_trip(influx: InfluxdServer, catalog: Catalog) -> None:
    buffer = MemoryBuffer(10_000)
    pipeline = Pipeline([], [buffer])
    writer = build_writer(settings(influx.url), catalog, buffer)  # creates the database
    odd = PointKey("厂 A", "T 1,a=b")  # not in the catalog, and needing every tag escape
    pipeline.emit([
        Reading(key("LT-101"), 12.5, TS),
        Reading(key("SD-301"), True, TS + 1),
        Reading(key("SD-301"), False, TS + 2),
        Reading(key("GT-201"), 120.5, TS + 3, Quality.UNCERTAIN, Reason.OUT_OF_RANGE),
        bad(key("LT-101"), TS + 4.000001, Reason.COMM_LOSS),
        Reading(odd, 2.0, TS + 5),
    ])
    async with running(writer):
        await poll_until(lambda: writer.health.lines_written >= 6, within=15)
    rows = await influx.rows("SELECT * FROM reading GROUP BY * ORDER BY time", DB)
    got = sorted(
        (r["time"], r["site"], r["tag"], r["kind"], r["source"], r["quality"], r["value"],
         r["reason"])
        for r in rows
    )
    assert got == [
        (NS, SITE_CODE, "LT-101", "level", "HS-TF1", "good", 12.5, None),
        (NS + 1_000_000_000, SITE_CODE, "SD-301", "discrete_state", "HS-DUST", "good", 1.0,
         None),
        (NS + 2_000_000_000, SITE_CODE, "SD-301", "discrete_state", "HS-DUST", "good", 0.0,
         None),
        (NS + 3_000_000_000, SITE_CODE, "GT-201", "combustible_gas", "HS-TF1", "uncertain",
         120.5, "out_of_range"),
        (NS + 4_000_001_000, SITE_CODE, "LT-101", "level", "HS-TF1", "bad", None, "comm_loss"),
        (NS + 5_000_000_000, "厂 A", "T 1,a=b", "", "", "good", 2.0, None),
    ]
    # One field type for the whole measurement: float.
    fields = await influx.rows("SHOW FIELD KEYS FROM reading", DB)
    assert {(f["fieldKey"], f["fieldType"]) for f in fields} == {
        ("value", "float"), ("reason", "string"),
    }
    # quality is a tag: filterable without scanning values.
    bad_rows = await influx.rows("SELECT reason FROM reading WHERE quality = 'bad'", DB)
    assert [r["reason"] for r in bad_rows] == ["comm_loss"]


async def test_alarm_events_round_trip(influx: InfluxdServer, catalog: Catalog) -> None:
    comment = '已到现场 "检查" C:\\阀门\n关闭 a,b=c'
    events = [
        AlarmEvent(
            alarm_id=alarm_id(key("GT-201"), AlarmType.HIGH), point=key("GT-201"),
            alarm_type=AlarmType.HIGH, kind=EventKind.RAISED, state=AlarmState.UNACK,
            priority=Priority.HIGH, ts=TS, value=31.5, limit=25.0, seq=1,
        ),
        AlarmEvent(
            alarm_id=alarm_id(key("GT-201"), AlarmType.HIGH), point=key("GT-201"),
            alarm_type=AlarmType.HIGH, kind=EventKind.ACKNOWLEDGED, state=AlarmState.ACKED,
            priority=Priority.HIGH, ts=TS + 10, user="张三", comment=comment, seq=2,
        ),
    ]
    writer = build_writer(settings(influx.url), catalog, MemoryBuffer(1000))
    async with running(writer):
        await asyncio.wait_for(writer.write_lines(encode_alarm_event_lines(events, catalog)), 10)
    rows = await influx.rows("SELECT * FROM alarm_event GROUP BY * ORDER BY time", DB)
    rows.sort(key=lambda r: r["time"])
    assert [(r["time"], r["event"], r["state"], r["seq"]) for r in rows] == [
        (NS + 1, "raised", "active_unacknowledged", 1),
        (NS + 10_000_000_000 + 2, "acknowledged", "active_acknowledged", 2),
    ]
    raised, acked = rows
    assert (raised["value"], raised["limit"], raised["user"]) == (31.5, 25.0, None)
    assert raised["alarm_id"] == f"{SITE_CODE}/GT-201/H"
    assert (raised["site"], raised["tag"], raised["type"], raised["priority"],
            raised["source"]) == (SITE_CODE, "GT-201", "H", "high", "HS-TF1")
    assert acked["user"] == "张三"
    # Line breaks are stored as the two characters \n (see docs/storage.md); the rest exact.
    assert acked["comment"] == comment.replace("\n", "\\n")


async def test_real_field_type_conflict_is_counted_not_retried(
    influx: InfluxdServer, catalog: Catalog
) -> None:
    await influx.create_database(DB)
    # Someone else wrote `value` as a string into this shard: our floats now conflict.
    async with influx.session.post(
        f"{influx.url}/write", params={"db": DB}, data=f'reading,tag=X value="oops" {NS}'
    ) as response:
        assert response.status == 204
    buffer = MemoryBuffer(10_000)
    writer = build_writer(settings(influx.url), catalog, buffer)
    buffer.put([Reading(key("LT-101"), float(i), TS + i) for i in range(10)])
    async with running(writer):
        await poll_until(lambda: writer.health.batches_written >= 1, within=15)
        # Other lines (another measurement) still go through.
        await writer.write_lines([f"other,tag=Y value=1.0 {NS}"])
    health = writer.health
    assert health.rejected_lines == 10
    assert health.retries == 0
    assert health.last_error is not None and "field type conflict" in health.last_error
    assert await influx.rows("SELECT count(value) FROM other", DB) == [{"time": 0, "count": 1}]


@pytest.mark.parametrize("how", ["stop", "kill"])
async def test_influxd_restarted_mid_run_loses_nothing(
    influx: InfluxdServer, catalog: Catalog, how: str
) -> None:
    buffer = MemoryBuffer(100_000)
    pipeline = Pipeline([], [buffer])
    writer = build_writer(settings(influx.url, batch_size=200), catalog, buffer)
    batch_size, batches = 50, 40
    tags = [info.key for info in catalog if info.key.tag.startswith("PT-")]

    def emit(number: int) -> None:
        pipeline.emit([
            Reading(tags[i % len(tags)], float(i), TS + number * batch_size + i)
            for i in range(batch_size)
        ])

    async with running(writer):
        for number in range(10):
            emit(number)
        await poll_until(lambda: writer.health.lines_written >= 10 * batch_size, within=15)
        await (influx.stop() if how == "stop" else influx.kill())
        for number in range(10, 30):
            emit(number)  # the database is away: these wait in the buffer
        await poll_until(lambda: writer.health.retries >= 2, within=15)
        assert writer.health.connected is False
        assert writer.health.buffer_length > 0
        await influx.start()
        for number in range(30, batches):
            emit(number)
        await poll_until(lambda: writer.health.lines_written >= batches * batch_size, within=30)
        health = writer.health
    count = await influx.rows("SELECT count(value) FROM reading", DB)
    assert count == [{"time": 0, "count": batches * batch_size}]
    assert health.buffer_dropped == 0
    assert health.rejected_lines == 0
    assert health.connected is True
