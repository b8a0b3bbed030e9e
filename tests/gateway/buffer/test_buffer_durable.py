"""The durable buffer: order, re-delivery, restart, damage, the size bound, quarantine."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from buffer_helpers import WAIT, drain, numbered, numbers, put_durably, segment_files

from collectors.readings import Reading
from gateway.buffer import BufferOptions, DurableBuffer
from gateway.buffer.encoding import encode_readings
from gateway.buffer.framing import frame
from gateway.pipeline import Batch, MemoryBuffer, ReadingBuffer


class Clock:
    def __init__(self, now: float = 1_780_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def opened(tmp_path: Path) -> Iterator[list[DurableBuffer]]:
    """Buffers a test opens are closed even when it fails."""
    buffers: list[DurableBuffer] = []
    yield buffers
    for buffer in buffers:
        buffer.close()


def open_buffer(
    opened: list[DurableBuffer], directory: Path, clock: Clock | None = None, **options: int
) -> DurableBuffer:
    buffer = DurableBuffer.open(directory, BufferOptions(**options), clock=clock or Clock())
    opened.append(buffer)
    return buffer


async def take(buffer: DurableBuffer, max_items: int, linger: float = 0) -> Batch:
    async with asyncio.timeout(WAIT):
        return await buffer.take(max_items, linger)


def test_it_is_a_reading_buffer(tmp_path: Path, opened: list[DurableBuffer]) -> None:
    buffers: list[ReadingBuffer] = [open_buffer(opened, tmp_path), MemoryBuffer(10)]
    assert all(len(b) == 0 and b.dropped == 0 for b in buffers)


async def test_order_is_kept_across_take_and_commit(
    tmp_path: Path, opened: list[DurableBuffer]
) -> None:
    buffer = open_buffer(opened, tmp_path, record_readings=7)
    for start in range(0, 100, 10):
        buffer.put(numbered(start, 10))
    async with asyncio.timeout(WAIT):
        await buffer.flushed()
    assert len(buffer) == 100
    assert await drain(buffer, max_items=13) == list(range(100))
    assert len(buffer) == 0
    assert buffer.health.pending == 0


async def test_an_uncommitted_batch_is_taken_again(
    tmp_path: Path, opened: list[DurableBuffer]
) -> None:
    buffer = open_buffer(opened, tmp_path)
    await put_durably(buffer, numbered(0, 50))
    first = await take(buffer, 20)
    assert numbers(first.readings) == list(range(20))
    # the sink failed: no commit. The next take starts at the same reading.
    again = await take(buffer, 30)
    assert numbers(again.readings) == list(range(30))
    buffer.commit(again)
    assert numbers((await take(buffer, 100)).readings) == list(range(30, 50))
    # a stale commit of the older, overlapping batch changes nothing
    buffer.commit(first)
    assert len(buffer) == 20


async def test_take_waits_for_durable_readings_and_lingers_for_a_full_batch(
    tmp_path: Path, opened: list[DurableBuffer]
) -> None:
    buffer = open_buffer(opened, tmp_path, commit_every=10)
    waiting = asyncio.create_task(take(buffer, 30, linger=WAIT))
    buffer.put(numbered(0, 10))
    buffer.put(numbered(10, 10))
    buffer.put(numbered(20, 10))
    batch = await waiting
    assert numbers(batch.readings) == list(range(30))


async def test_restart_keeps_what_was_not_committed(
    tmp_path: Path, opened: list[DurableBuffer]
) -> None:
    buffer = open_buffer(opened, tmp_path, record_readings=16)
    await put_durably(buffer, numbered(0, 100))
    buffer.commit(await take(buffer, 30))
    await take(buffer, 30)  # being written when the process stops: not committed
    buffer.close()

    reopened = open_buffer(opened, tmp_path)
    assert len(reopened) == 70
    assert reopened.health.pending == 70
    assert reopened.health.skipped_corrupt == 0
    await put_durably(reopened, numbered(100, 5))
    assert await drain(reopened, max_items=9) == list(range(30, 105))
    reopened.close()

    empty = open_buffer(opened, tmp_path)
    assert len(empty) == 0
    assert await drain(empty) == []


async def test_a_lost_cursor_sends_again_but_loses_nothing(
    tmp_path: Path, opened: list[DurableBuffer]
) -> None:
    buffer = open_buffer(opened, tmp_path)
    await put_durably(buffer, numbered(0, 40))
    buffer.commit(await take(buffer, 10))
    buffer.close()
    (tmp_path / "cursor").write_bytes(b"garbage")

    reopened = open_buffer(opened, tmp_path)
    assert await drain(reopened) == list(range(40))


async def test_segments_are_deleted_once_committed(
    tmp_path: Path, opened: list[DurableBuffer]
) -> None:
    one_record = len(frame(encode_readings(0, numbered(0, 10))))
    # segments of about one record each, so that every group commit starts a new file
    buffer = open_buffer(opened, tmp_path, max_bytes=4 * one_record, record_readings=10)
    for start in range(0, 40, 10):
        await put_durably(buffer, numbered(start, 10))
    assert len(segment_files(tmp_path)) == 4
    assert await drain(buffer, max_items=10) == list(range(40))
    buffer.close()
    assert segment_files(tmp_path) == ["000000000004.seg"]  # the one being written stays


async def test_a_small_bound_drops_the_oldest_and_counts_exactly(
    tmp_path: Path, opened: list[DurableBuffer]
) -> None:
    one_record = len(frame(encode_readings(0, numbered(0, 10))))
    clock = Clock(1_790_000_000.0)
    buffer = open_buffer(
        opened, tmp_path, clock, max_bytes=3 * one_record, record_readings=10
    )
    await put_durably(buffer, numbered(0, 10))
    await put_durably(buffer, numbered(10, 10))
    await put_durably(buffer, numbered(20, 10))
    assert buffer.dropped == 0
    assert buffer.health.last_drop_at is None
    await put_durably(buffer, numbered(30, 10))
    clock.now += 60
    await put_durably(buffer, numbered(40, 10))
    health = buffer.health
    assert buffer.dropped == health.dropped == 20
    assert health.last_drop_at == 1_790_000_060.0
    assert health.bytes == 3 * one_record
    assert health.pending == len(buffer) == 30
    assert await drain(buffer) == list(range(20, 50))
    buffer.close()
    assert segment_files(tmp_path) == ["000000000005.seg"]


async def test_dropping_under_a_batch_being_written_counts_only_the_rest(
    tmp_path: Path, opened: list[DurableBuffer]
) -> None:
    one_record = len(frame(encode_readings(0, numbered(0, 10))))
    buffer = open_buffer(opened, tmp_path, max_bytes=2 * one_record, record_readings=10)
    await put_durably(buffer, numbered(0, 10))
    await put_durably(buffer, numbered(10, 10))
    inflight = await take(buffer, 4)
    buffer.commit(inflight)  # 0..3 are stored
    writing = await take(buffer, 10)  # 4..13, while the buffer overflows under it
    await put_durably(buffer, numbered(20, 10))  # drops record 0..9: only 4..9 are lost
    assert buffer.dropped == 6
    buffer.commit(writing)  # 10..13 were stored after all
    assert await drain(buffer) == list(range(14, 30))


async def test_readings_waiting_for_the_disk_are_bounded_too(
    tmp_path: Path, opened: list[DurableBuffer]
) -> None:
    clock = Clock()
    # the writer waits an hour for a group commit: the hand-off has to hold everything
    buffer = DurableBuffer.open(
        tmp_path, BufferOptions(commit_interval=3600, max_staged=25), clock=clock
    )
    opened.append(buffer)
    buffer.put(numbered(0, 20))
    buffer.put(numbered(20, 20))
    assert buffer.dropped == 15
    assert buffer.health.last_drop_at == clock.now
    assert buffer.health.staged == 25
    async with asyncio.timeout(WAIT):
        await buffer.flushed()
    assert await drain(buffer) == list(range(15, 40))


async def test_a_torn_tail_is_skipped_counted_and_cut(
    tmp_path: Path, opened: list[DurableBuffer]
) -> None:
    buffer = open_buffer(opened, tmp_path, record_readings=10)
    await put_durably(buffer, numbered(0, 30))
    buffer.close()
    (name,) = segment_files(tmp_path)
    path = tmp_path / "segments" / name
    used = len(path.read_bytes().rstrip(b"\0"))
    with path.open("r+b") as file:
        file.truncate(used - 5)  # the last record half written when the power went

    reopened = open_buffer(opened, tmp_path)
    assert reopened.health.skipped_corrupt == 1
    assert reopened.health.skipped_bytes > 0
    assert await drain(reopened) == list(range(20))
    await put_durably(reopened, numbered(30, 5))
    assert await drain(reopened) == list(range(30, 35))
    reopened.close()

    again = open_buffer(opened, tmp_path)
    assert again.health.skipped_corrupt == 0  # the torn tail was cut, not counted twice


@pytest.mark.parametrize("where", ["last", "middle"])
async def test_a_bad_checksum_skips_one_record_and_opens(
    tmp_path: Path, opened: list[DurableBuffer], where: str
) -> None:
    buffer = open_buffer(opened, tmp_path, record_readings=10)
    await put_durably(buffer, numbered(0, 30))
    buffer.close()
    (name,) = segment_files(tmp_path)
    path = tmp_path / "segments" / name
    data = bytearray(path.read_bytes())
    record = len(data.rstrip(b"\0")) // 3  # three records of the same size
    garble = 2 * record + record // 2 if where == "last" else record + record // 2
    data[garble] ^= 0xFF
    path.write_bytes(bytes(data))

    reopened = open_buffer(opened, tmp_path)
    assert reopened.health.skipped_corrupt == 1
    expected = list(range(20)) if where == "last" else [*range(10), *range(20, 30)]
    assert await drain(reopened) == expected


async def test_a_segment_of_garbage_does_not_stop_the_buffer(
    tmp_path: Path, opened: list[DurableBuffer]
) -> None:
    buffer = open_buffer(opened, tmp_path)
    await put_durably(buffer, numbered(0, 10))
    buffer.close()
    (tmp_path / "segments" / "000000000099.seg").write_bytes(b"\xde\xad" * 1000)

    reopened = open_buffer(opened, tmp_path)
    assert reopened.health.skipped_corrupt == 1
    assert reopened.health.skipped_bytes == 2000
    await put_durably(reopened, numbered(10, 10))
    assert await drain(reopened) == list(range(20))


async def test_quarantine_writes_the_batch_and_the_answer_and_the_rest_flows(
    tmp_path: Path, opened: list[DurableBuffer]
) -> None:
    clock = Clock(1_780_000_000.0)
    buffer = open_buffer(opened, tmp_path, clock)
    mixed: list[Reading] = [
        *numbered(0, 3),
        Reading(numbered(0, 1)[0].point, True, 5.0),
    ]
    await put_durably(buffer, mixed)
    await put_durably(buffer, numbered(10, 5))
    rejected = await take(buffer, 4)
    answer = '400 Bad Request: {"error":"partial write: field type conflict"}'
    buffer.quarantine(rejected, answer)
    assert buffer.health.quarantined == 4
    assert await drain(buffer) == list(range(10, 15))

    (line,) = (tmp_path / "quarantine.jsonl").read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    assert record["answer"] == answer
    assert record["quarantined_at"] == "2026-05-28T20:26:40+00:00"
    assert record["count"] == 4
    assert record["readings"][0] == {
        "site": "TEST", "tag": "N", "value": 0.0, "ts": 1_780_000_000.0,
        "quality": "good", "reason": "",
    }
    assert record["readings"][3]["value"] is True
    buffer.close()
    assert len(open_buffer(opened, tmp_path)) == 0  # quarantined readings do not come back


async def test_a_batch_from_elsewhere_is_refused(
    tmp_path: Path, opened: list[DurableBuffer]
) -> None:
    first = open_buffer(opened, tmp_path / "a")
    second = open_buffer(opened, tmp_path / "b")
    await put_durably(first, numbered(0, 5))
    batch = await take(first, 5)
    with pytest.raises(ValueError, match="not taken from this buffer"):
        second.commit(batch)
    with pytest.raises(ValueError, match="not taken from this buffer"):
        first.commit(Batch(batch.readings))
    with pytest.raises(ValueError, match="not taken from this buffer"):
        second.quarantine(batch, "no")
    assert len(first) == 5


async def test_put_after_close_is_refused(tmp_path: Path, opened: list[DurableBuffer]) -> None:
    buffer = open_buffer(opened, tmp_path)
    buffer.put(numbered(0, 5))
    await buffer.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        buffer.put(numbered(5, 1))
    # what was put before the close was made durable by it
    assert await drain(open_buffer(opened, tmp_path)) == list(range(5))


async def test_close_makes_everything_put_durable(
    tmp_path: Path, opened: list[DurableBuffer]
) -> None:
    # a group commit would wait an hour; close must not
    buffer = DurableBuffer.open(
        tmp_path, BufferOptions(commit_interval=3600, commit_every=10, record_readings=4)
    )
    opened.append(buffer)
    buffer.put(numbered(0, 95))
    assert len(buffer) == 95
    assert buffer.health.staged == 95
    await buffer.aclose()
    assert await drain(open_buffer(opened, tmp_path)) == list(range(95))


async def test_a_failing_disk_is_counted_and_nothing_is_lost(
    tmp_path: Path, opened: list[DurableBuffer]
) -> None:
    one_record = len(frame(encode_readings(0, numbered(0, 10))))
    # one segment per commit, so that the next commit has to create a file
    buffer = DurableBuffer.open(
        tmp_path,
        BufferOptions(max_bytes=4 * one_record, record_readings=10, retry_delay=0.01),
    )
    opened.append(buffer)
    await put_durably(buffer, numbered(0, 10))
    segments = tmp_path / "segments"
    segments.rename(tmp_path / "away")
    buffer.put(numbered(10, 10))
    async with asyncio.timeout(WAIT):
        health = await buffer.until(lambda h: h.write_errors > 0)
    assert health.last_error is not None and "FileNotFoundError" in health.last_error
    assert health.staged == 10 and len(buffer) == 20
    (tmp_path / "away").rename(segments)
    async with asyncio.timeout(WAIT):
        await buffer.flushed()
    assert await drain(buffer) == list(range(20))
    assert buffer.dropped == 0


async def test_a_record_damaged_after_opening_is_skipped_when_read(
    tmp_path: Path, opened: list[DurableBuffer]
) -> None:
    # nothing kept in memory: every take reads the segment
    buffer = open_buffer(opened, tmp_path, record_readings=10, memory_readings=0)
    await put_durably(buffer, numbered(0, 30))
    (name,) = segment_files(tmp_path)
    path = tmp_path / "segments" / name
    data = bytearray(path.read_bytes())
    record = len(data.rstrip(b"\0")) // 3
    data[record + record // 2] ^= 0xFF  # bit rot under a running gateway
    path.write_bytes(bytes(data))
    assert await drain(buffer) == [*range(10), *range(20, 30)]
    assert buffer.health.skipped_corrupt == 1
    assert buffer.health.pending == 0


async def test_a_reading_that_cannot_be_stored_is_dropped_counted_and_the_rest_kept(
    tmp_path: Path, opened: list[DurableBuffer]
) -> None:
    buffer = open_buffer(opened, tmp_path, record_readings=2)
    first, second, third = numbered(0, 3)
    # a value that is no number, past the type checker: refused, never the writer's death
    garbled = Reading(second.point, cast(float, "12,5"), second.ts)
    await put_durably(buffer, [first, garbled, third])
    assert await drain(buffer) == [0, 2]
    health = buffer.health
    assert (health.unencodable, health.writer_alive, health.dropped) == (1, True, 0)
