"""The pending index: what moving the head passes, what a drop costs, gaps (tables)."""

from __future__ import annotations

import pytest
from buffer_helpers import numbered

from gateway.buffer.index import PendingIndex, Record
from gateway.buffer.segments import Located

SIZE = 100  # bytes of every record here


def records(*runs: tuple[int, int]) -> list[Located]:
    """Records of (first sequence number, count), one per segment."""
    return [Located(n, 0, SIZE, first, count) for n, (first, count) in enumerate(runs)]


THREE = records((0, 10), (10, 10), (20, 10))
GAP = records((0, 10), (20, 10))  # 10..19 were damaged and skipped at open


@pytest.mark.parametrize(
    ("on_disk", "head", "pending", "listed"),
    [
        (THREE, 0, 30, 3),
        (THREE, 5, 25, 3),
        (THREE, 10, 20, 2),  # the first record is wholly committed: not listed
        (THREE, 30, 0, 0),
        (GAP, 0, 20, 2),
        (GAP, 15, 10, 1),  # a head inside the gap
        ([], 7, 0, 0),
    ],
)
def test_opening(on_disk: list[Located], head: int, pending: int, listed: int) -> None:
    index = PendingIndex(on_disk, head)
    assert (index.head, index.pending, len(index), index.bytes) == (
        head, pending, listed, listed * SIZE
    )


@pytest.mark.parametrize(
    ("on_disk", "steps", "passed", "pending", "listed"),
    [
        (THREE, [5], [5], 25, 3),
        (THREE, [5, 10], [5, 5], 20, 2),
        (THREE, [25], [25], 5, 1),
        (THREE, [30], [30], 0, 0),
        (THREE, [12, 4, 12], [12, 0, 0], 18, 2),  # backwards or in place: nothing moves
        (GAP, [20], [10], 10, 1),  # the gap holds no readings to count
        (GAP, [15, 25], [10, 5], 5, 1),
    ],
)
def test_advance(
    on_disk: list[Located], steps: list[int], passed: list[int], pending: int, listed: int
) -> None:
    index = PendingIndex(on_disk, 0)
    assert [index.advance(step) for step in steps] == passed
    assert (index.pending, len(index), index.bytes) == (pending, listed, listed * SIZE)


@pytest.mark.parametrize(
    ("head", "max_bytes", "dropped", "new_head", "listed"),
    [
        (0, 300, 0, 0, 3),
        (0, 299, 10, 10, 2),
        (0, 150, 20, 20, 1),
        (0, 10, 20, 20, 1),  # the newest record stays, even alone over the bound
        (4, 250, 6, 10, 2),  # 0..3 were committed: only 4..9 are lost
    ],
)
def test_drop_oldest(head: int, max_bytes: int, dropped: int, new_head: int, listed: int) -> None:
    index = PendingIndex(THREE, 0)
    index.advance(head)
    assert index.drop_oldest(max_bytes) == dropped
    assert (index.head, len(index), index.pending) == (new_head, listed, 30 - new_head)


def in_memory(first: int, count: int, segment: int = 0) -> Record:
    return Record(Located(segment, 0, SIZE, first, count), numbered(first, count))


def test_append_counts_and_keeps_readings_in_memory_within_the_bound() -> None:
    index = PendingIndex([], 0)
    added = [in_memory(n, 10) for n in range(0, 30, 10)]
    for record in added:
        index.append(record)
    assert (index.pending, index.bytes, index.cached) == (30, 3 * SIZE, 30)
    index.evict(15)
    assert [r.readings is not None for r in added] == [False, False, True]
    assert index.cached == 10
    index.advance(30)  # the last one leaves: its readings are let go too
    assert (index.pending, index.cached, len(index)) == (0, 0, 0)


@pytest.mark.parametrize(
    ("head", "max_items", "planned"),
    [
        (0, 10, [0]),
        (0, 11, [0, 10]),
        (5, 5, [0]),
        (5, 6, [0, 10]),
        (5, 100, [0, 10, 20]),
    ],
)
def test_plan_names_the_records_that_hold_the_next_readings(
    head: int, max_items: int, planned: list[int]
) -> None:
    index = PendingIndex(THREE, 0)
    index.advance(head)
    assert [record.first for record, readings in index.plan(max_items)] == planned
    assert all(readings is None for _, readings in index.plan(max_items))  # on disk only
