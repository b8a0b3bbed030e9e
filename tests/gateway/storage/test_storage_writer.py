"""InfluxWriter against a real local HTTP server with scripted answers: retries, 413 splits,
4xx rejections, outages, shutdown drain, alarm-event lines, and the v2 client's mapping."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from scripted_influx import ScriptedInflux
from storage_helpers import SITE_CODE
from support.waiting import poll_until

from alerting.events import AlarmEvent, AlarmState, EventKind, alarm_id
from collectors.readings import Reading
from config.catalog import Catalog, PointKey
from config.gateway_file import InfluxV1, InfluxV2
from config.vocabulary import AlarmType, Priority
from gateway.buffer import DurableBuffer
from gateway.pipeline import MemoryBuffer, ReadingBuffer
from gateway.sim.ports import free_port
from gateway.storage.lineprotocol import ReadingEncoder, encode_alarm_event_lines
from gateway.storage.transport import Transport
from gateway.storage.v1 import InfluxV1Transport, quote_identifier
from gateway.storage.v2 import InfluxV2Transport
from gateway.storage.writer import InfluxWriter

TS = 1_780_000_000.0


def readings(count: int, start: int = 0, points: int = 20) -> list[Reading]:
    return [
        Reading(PointKey(SITE_CODE, f"PT-{i % points}"), float(i), TS + i)
        for i in range(start, start + count)
    ]


def v1(url: str, create_database: bool = False) -> InfluxV1Transport:
    settings = InfluxV1(kind="influx_v1", url=url, database="hazgw",
                        create_database=create_database)
    return InfluxV1Transport(settings, timeout=5.0)


def make_writer(
    transport: Transport, catalog: Catalog, buffer: ReadingBuffer, **options: float
) -> InfluxWriter:
    settings: dict[str, float] = {
        "initial_retry_delay": 0.01, "max_retry_delay": 0.05, "flush_interval": 0.05,
        "drain_timeout": 5.0,
    }
    settings.update(options)
    batch_size = int(settings.pop("batch_size", 5000))
    return InfluxWriter(
        transport, ReadingEncoder(catalog), buffer, batch_size=batch_size,
        **settings,  # type: ignore[arg-type]
    )


@contextlib.asynccontextmanager
async def running(writer: InfluxWriter) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(writer.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 15)


def expected_lines(catalog: Catalog, batch: Sequence[Reading]) -> list[str]:
    return ReadingEncoder(catalog).encode(batch).lines


async def test_retries_5xx_until_written_once(
    scripted: ScriptedInflux, catalog: Catalog
) -> None:
    scripted.statuses = deque([503, 503, 500])
    buffer = MemoryBuffer(10_000)
    writer = make_writer(v1(scripted.url), catalog, buffer)
    batch = readings(50)
    buffer.put(batch)
    async with running(writer):
        await poll_until(lambda: writer.health.lines_written >= 50, within=15)
        health = writer.health
    assert scripted.stored == expected_lines(catalog, batch)  # all of it, exactly once
    assert [r.status for r in scripted.requests] == [503, 503, 500, 204]
    assert all(r.lines == 50 for r in scripted.requests)  # the same batch, not dropped
    assert health.retries == 3
    assert health.lines_written == 50
    assert health.requests == 1
    assert health.connected is True
    assert health.last_error is not None and "HTTP 500" in health.last_error
    assert health.last_success is not None
    assert health.buffer_length == 0 and health.buffer_dropped == 0
    assert health.rejected_lines == 0


async def test_429_honours_retry_after_up_to_the_cap(
    scripted: ScriptedInflux, catalog: Catalog
) -> None:
    scripted.statuses = deque([429])
    scripted.retry_after = "30"  # far above the cap: the cap must win
    buffer = MemoryBuffer(10_000)
    writer = make_writer(v1(scripted.url), catalog, buffer, max_retry_delay=0.4)
    buffer.put(readings(5))
    async with running(writer):
        await poll_until(lambda: writer.health.lines_written >= 5, within=15)
    first, second = scripted.requests
    assert (first.status, second.status) == (429, 204)
    assert 0.35 <= second.at - first.at < 5.0


async def test_413_halves_the_batch_until_it_fits(
    scripted: ScriptedInflux, catalog: Catalog
) -> None:
    scripted.max_lines = 100
    buffer = MemoryBuffer(10_000)
    writer = make_writer(v1(scripted.url), catalog, buffer, batch_size=1000)
    batch = readings(1000)
    buffer.put(batch)
    async with running(writer):
        await poll_until(lambda: writer.health.lines_written >= 1000, within=15)
        health = writer.health
    assert scripted.stored == expected_lines(catalog, batch)  # in order, none twice
    statuses = [r.status for r in scripted.requests]
    # 1000 → 500 → 250 → 125 are too large (1 + 2 + 4 + 8 requests), 16 halves of 62/63 fit
    assert statuses.count(413) == 15
    assert statuses.count(204) == 16
    assert health.splits == 15
    assert health.requests == 16
    assert health.lines_written == 1000
    assert health.retries == 0 and health.rejected_lines == 0


async def test_413_for_a_single_line_rejects_only_that_line(
    scripted: ScriptedInflux, catalog: Catalog
) -> None:
    scripted.max_line_length = 200
    buffer = MemoryBuffer(10_000)
    writer = make_writer(v1(scripted.url), catalog, buffer, batch_size=10)
    huge = Reading(PointKey(SITE_CODE, "X" * 300), 1.0, TS)
    batch = [*readings(4), huge, *readings(5, start=4)]
    buffer.put(batch)
    async with running(writer):
        await poll_until(lambda: writer.health.batches_written >= 1, within=15)
        health = writer.health
    assert scripted.stored == expected_lines(catalog, [r for r in batch if r is not huge])
    assert health.rejected_lines == 1
    assert health.lines_written == 9
    assert health.last_error is not None and "413" in health.last_error


async def test_400_partial_write_counts_refused_lines_and_moves_on(
    scripted: ScriptedInflux, catalog: Catalog
) -> None:
    scripted.reject_marker = ",tag=PT-3 "
    buffer = MemoryBuffer(10_000)
    writer = make_writer(v1(scripted.url), catalog, buffer, batch_size=100)
    batch = readings(100)
    buffer.put(batch)
    refused = [r for r in batch if r.point.tag == "PT-3"]
    async with running(writer):
        await poll_until(lambda: writer.health.batches_written >= 1, within=15)
        later = readings(10, start=1000, points=3)  # PT-0..PT-2 only: accepted
        buffer.put(later)
        await poll_until(lambda: writer.health.lines_written >= 100 - len(refused) + 10, within=15)
        health = writer.health
    kept = [r for r in batch if r.point.tag != "PT-3"]
    assert scripted.stored == expected_lines(catalog, kept + later)
    assert health.rejected_lines == len(refused) == 5
    assert health.lines_written == 95 + 10
    assert health.retries == 0  # a refused line is never sent again
    assert [r.status for r in scripted.requests] == [400, 204]
    assert health.last_error is not None and "dropped=5" in health.last_error


async def test_400_without_count_rejects_the_whole_request(
    scripted: ScriptedInflux, catalog: Catalog
) -> None:
    scripted.reject_marker = ",tag=PT-3 "
    scripted.partial_write = False
    buffer = MemoryBuffer(10_000)
    writer = make_writer(v1(scripted.url), catalog, buffer, batch_size=40)
    buffer.put(readings(40))
    async with running(writer):
        await poll_until(lambda: writer.health.batches_written >= 1, within=15)
        buffer.put(readings(2, start=500, points=2))
        await poll_until(lambda: writer.health.lines_written >= 2, within=15)
        health = writer.health
    assert health.rejected_lines == 40
    assert health.lines_written == 2
    assert len(scripted.stored) == 2


async def test_target_down_then_up_loses_nothing(catalog: Catalog) -> None:
    port = free_port()
    buffer = MemoryBuffer(10_000)
    writer = make_writer(v1(f"http://127.0.0.1:{port}"), catalog, buffer, batch_size=100)
    first = readings(100)
    buffer.put(first)
    server = ScriptedInflux(port=port)
    async with running(writer):
        await poll_until(lambda: writer.health.retries >= 3, within=15)
        assert writer.health.connected is False
        assert writer.health.last_error is not None
        more = readings(150, start=100)
        buffer.put(more)  # arrives during the outage: waits in the buffer
        await server.start()
        try:
            await poll_until(lambda: writer.health.lines_written >= 250, within=15)
            health = writer.health
        finally:
            await server.stop()
    assert server.stored == expected_lines(catalog, first + more)
    assert health.connected is True
    assert health.lines_written == 250
    assert health.buffer_dropped == 0


async def test_404_recreates_the_database_and_retries(
    scripted: ScriptedInflux, catalog: Catalog
) -> None:
    scripted.statuses = deque([404])
    buffer = MemoryBuffer(10_000)
    writer = make_writer(v1(scripted.url, create_database=True), catalog, buffer)
    buffer.put(readings(10))
    async with running(writer):
        await poll_until(lambda: writer.health.lines_written >= 10, within=15)
    assert scripted.queries == ['CREATE DATABASE "hazgw"'] * 2
    assert writer.health.retries == 1


async def test_cancel_drains_the_buffer(scripted: ScriptedInflux, catalog: Catalog) -> None:
    buffer = MemoryBuffer(10_000)
    # A long linger: without the drain, the last partial batch would wait 30 s.
    writer = make_writer(v1(scripted.url), catalog, buffer, batch_size=10, flush_interval=30)
    batch = readings(10)
    buffer.put(batch)
    task = asyncio.create_task(writer.run())
    await poll_until(lambda: writer.health.batches_written >= 1, within=15)
    tail = readings(5, start=10)
    buffer.put(tail)
    await asyncio.sleep(0)  # the writer is now lingering for a full batch
    task.cancel()
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 10)
    assert loop.time() - started < 5
    assert scripted.stored == expected_lines(catalog, batch + tail)
    assert writer.health.unwritten_at_shutdown == 0
    assert writer.health.running is False
    with pytest.raises(RuntimeError, match="shut down"):
        await writer.write_lines(["m v=1 1"])


async def test_drain_is_bounded_when_the_target_stays_down(
    scripted: ScriptedInflux, catalog: Catalog
) -> None:
    scripted.statuses = deque([503] * 100_000)
    buffer = MemoryBuffer(10_000)
    writer = make_writer(v1(scripted.url), catalog, buffer, batch_size=10, drain_timeout=0.3)
    buffer.put(readings(25))
    task = asyncio.create_task(writer.run())
    await poll_until(lambda: writer.health.retries >= 2, within=15)
    task.cancel()
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 10)
    assert loop.time() - started < 3
    assert scripted.stored == []
    assert writer.health.unwritten_at_shutdown == 25  # 10 in flight + 15 buffered, reported


async def test_write_lines_retries_and_splits_alarm_events(
    scripted: ScriptedInflux, catalog: Catalog
) -> None:
    scripted.statuses = deque([503])
    scripted.max_lines = 2
    events = [
        AlarmEvent(
            alarm_id=alarm_id(PointKey(SITE_CODE, "GT-201"), AlarmType.HIGH_HIGH),
            point=PointKey(SITE_CODE, "GT-201"), alarm_type=AlarmType.HIGH_HIGH,
            kind=EventKind.NOTE, state=AlarmState.ACKED, priority=Priority.CRITICAL,
            ts=TS + i, user="李四", comment=f"第{i}次\n复查", seq=i,
        )
        for i in range(5)
    ]
    lines = encode_alarm_event_lines(events, catalog)
    writer = make_writer(v1(scripted.url), catalog, MemoryBuffer(1000))
    async with running(writer):
        with pytest.raises(TypeError, match="sequence of lines"):
            await writer.write_lines("\n".join(lines))  # a str would go out char by char
        await asyncio.wait_for(writer.write_lines(lines), 10)
    assert scripted.stored == lines
    assert writer.health.retries == 1
    assert writer.health.splits == 2  # 5 → 2 + 3, 3 → 1 + 2
    assert writer.health.lines_written == 5


async def test_unencodable_readings_are_counted_and_the_rest_written(
    scripted: ScriptedInflux, catalog: Catalog
) -> None:
    buffer = MemoryBuffer(1000)
    writer = make_writer(v1(scripted.url), catalog, buffer, batch_size=3)
    good = readings(2)
    buffer.put([good[0], Reading(PointKey(SITE_CODE, "PT-5"), None, TS), good[1]])
    async with running(writer):
        await poll_until(lambda: writer.health.batches_written >= 1, within=15)
    assert scripted.stored == expected_lines(catalog, good)
    assert writer.health.unencodable == 1


async def test_v2_client_errors_map_to_retry_split_and_reject(
    scripted: ScriptedInflux, catalog: Catalog
) -> None:
    """The same policy through influxdb-client's async API (its own HTTP stack and gzip)."""
    scripted.statuses = deque([503, 429])
    scripted.max_lines = 100
    scripted.reject_marker = ",tag=PT-3 "
    transport = InfluxV2Transport(
        InfluxV2(kind="influx_v2", url=scripted.url, org="plant", bucket="hazgw", token="t"),
        timeout=5.0,
    )
    buffer = MemoryBuffer(10_000)
    writer = make_writer(transport, catalog, buffer, batch_size=300)
    batch = readings(300)
    buffer.put(batch)
    async with running(writer):
        await poll_until(lambda: writer.health.batches_written >= 1, within=15)
        health = writer.health
    kept = [r for r in batch if r.point.tag != "PT-3"]
    assert scripted.stored == expected_lines(catalog, kept)
    assert {r.path for r in scripted.requests} == {"/api/v2/write"}
    assert health.retries == 2
    assert health.splits == 3  # 300 → 150 + 150, each → 75 + 75
    assert health.rejected_lines == 15
    assert health.lines_written == 285


async def test_v1_sends_gzip_auth_database_and_retention_policy(
    scripted: ScriptedInflux, catalog: Catalog
) -> None:
    settings = InfluxV1(kind="influx_v1", url=scripted.url + "/", database="厂 db",
                        retention_policy="hazgw_400d", username="hazgw", password="s3cret")
    transport = InfluxV1Transport(settings)
    assert "s3cret" not in transport.description
    buffer = MemoryBuffer(100)
    writer = make_writer(transport, catalog, buffer)
    buffer.put(readings(3))
    async with running(writer):
        await poll_until(lambda: writer.health.lines_written >= 3, within=15)
    (request,) = scripted.requests
    assert request.path == "/write"
    assert request.params == {"db": "厂 db", "rp": "hazgw_400d", "precision": "ns"}
    assert request.headers["Content-Encoding"] == "gzip"
    assert request.headers["Authorization"] == "Basic aGF6Z3c6czNjcmV0"  # hazgw:s3cret
    assert scripted.queries == ['CREATE DATABASE "厂 db"']


@pytest.mark.parametrize(
    ("name", "quoted"),
    [("hazgw", '"hazgw"'), ('my"db', '"my\\"db"'), ("a\\b", '"a\\\\b"'), ("厂 db", '"厂 db"')],
)
def test_quote_identifier(name: str, quoted: str) -> None:
    assert quote_identifier(name) == quoted


async def test_refused_batch_on_a_durable_buffer_is_quarantined_with_the_answer(
    scripted: ScriptedInflux, catalog: Catalog, tmp_path: Path
) -> None:
    """A 400 after which sending again cannot help: the batch goes to the quarantine file
    with the server's answer instead of being committed, and the readings behind it flow."""
    scripted.reject_marker = ",tag=PT-3 "
    buffer = DurableBuffer.open(tmp_path)
    try:
        writer = make_writer(v1(scripted.url), catalog, buffer, batch_size=20)
        buffer.put(readings(20))
        async with running(writer):
            await poll_until(lambda: writer.health.batches_written >= 1, within=15)
            buffer.put(readings(10, start=100, points=3))
            await poll_until(lambda: writer.health.lines_written >= 19 + 10, within=15)
            await asyncio.wait_for(buffer.until(lambda h: h.pending == 0), 10)
        health = writer.health
        assert health.quarantined == 20 and buffer.health.quarantined == 20
        entries = [json.loads(line) for line in buffer.quarantine_path.read_text().splitlines()]
        assert len(entries) == 1 and entries[0]["count"] == 20
        assert "dropped=1" in entries[0]["answer"] and "400" in entries[0]["answer"]
        assert [r["tag"] for r in entries[0]["readings"]][:4] == ["PT-0", "PT-1", "PT-2", "PT-3"]
    finally:
        buffer.close()


async def test_writes_again_within_a_second_after_a_long_outage(
    catalog: Catalog,
) -> None:
    """The back-off grows through an outage, but a target that does not answer at all is
    tried again every half second: writing resumes within a second of its return."""
    port = free_port()
    buffer = MemoryBuffer(10_000)
    writer = make_writer(
        v1(f"http://127.0.0.1:{port}"), catalog, buffer, batch_size=100,
        initial_retry_delay=0.5, max_retry_delay=30.0,
    )
    buffer.put(readings(100))
    server = ScriptedInflux(port=port)
    async with running(writer):
        # Six failures would have grown a plain exponential back-off to 16 s.
        await poll_until(lambda: writer.health.retries >= 6, within=15)
        await server.start()
        back_at = time.monotonic()
        try:
            await poll_until(lambda: writer.health.lines_written == 100, within=5)
            assert time.monotonic() - back_at < 1.0
        finally:
            await server.stop()
