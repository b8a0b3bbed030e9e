"""DropOldestQueue: bounded, drops and counts the oldest, hands out in order."""

from __future__ import annotations

import asyncio

import pytest

from collectors.bounded import DropOldestQueue

# (operation, argument, returned, contents after, dropped so far), capacity 3
STEPS: list[tuple[str, object, object, list[int], int]] = [
    ("extend", [], 0, [], 0),
    ("put", 1, 0, [1], 0),
    ("extend", [2, 3], 0, [1, 2, 3], 0),
    ("put", 4, 1, [2, 3, 4], 1),  # full: the oldest makes room
    ("extend", [5, 6], 2, [4, 5, 6], 3),
    ("take", 2, [4, 5], [6], 3),  # oldest first
    ("extend", [7, 8, 9, 10, 11], 3, [9, 10, 11], 6),  # more than capacity: newest kept
    ("take", 10, [9, 10, 11], [], 6),
    ("take", 10, [], [], 6),  # empty: nothing, no wait
]


def test_steps() -> None:
    queue: DropOldestQueue[int] = DropOldestQueue(3)
    for operation, argument, returned, contents, dropped in STEPS:
        result = getattr(queue, operation)(argument)
        assert result == returned, (operation, argument)
        assert queue.take(0) == [] and len(queue) == len(contents), (operation, argument)
        assert bool(queue) is bool(contents)
        assert queue.dropped == dropped, (operation, argument)
        # Look without disturbing: take everything, then put it back in the same order.
        inside = queue.take(len(queue))
        assert inside == contents, (operation, argument)
        queue.extend(inside)


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="bounded"):
        DropOldestQueue[int](0)


async def test_wait_returns_once_an_item_is_put() -> None:
    queue: DropOldestQueue[str] = DropOldestQueue(10)
    waiter = asyncio.create_task(queue.wait())
    await asyncio.sleep(0)
    assert not waiter.done()
    queue.put("x")
    await asyncio.wait_for(waiter, 1)
    await asyncio.wait_for(queue.wait(), 1)  # an item waiting: returns at once


async def test_take_batch_returns_a_full_batch_without_lingering() -> None:
    queue: DropOldestQueue[int] = DropOldestQueue(100)
    queue.extend(list(range(10)))
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await queue.take_batch(4, linger=30.0) == [0, 1, 2, 3]
    assert loop.time() - started < 1.0
    assert await queue.take_batch(100, linger=0) == [4, 5, 6, 7, 8, 9]


async def test_take_batch_lingers_for_more_then_gives_what_came() -> None:
    queue: DropOldestQueue[int] = DropOldestQueue(100)
    batch = asyncio.create_task(queue.take_batch(3, linger=5.0))
    await asyncio.sleep(0)
    queue.put(1)  # the first item starts the linger
    await asyncio.sleep(0)
    assert not batch.done()
    queue.extend([2, 3])  # a full batch ends it early
    assert await asyncio.wait_for(batch, 1) == [1, 2, 3]
    queue.put(4)
    assert await asyncio.wait_for(queue.take_batch(3, linger=0.05), 1) == [4]  # linger ran out
    with pytest.raises(ValueError, match="positive"):
        await queue.take_batch(0, linger=0)


def test_iterating_shows_the_oldest_first_and_takes_nothing_and_clear_is_not_a_drop() -> None:
    queue: DropOldestQueue[int] = DropOldestQueue(3)
    queue.extend([1, 2, 3, 4])
    assert list(queue) == [2, 3, 4] and len(queue) == 3
    assert list(queue) == [2, 3, 4]  # still there
    queue.clear()
    assert list(queue) == [] and queue.dropped == 1
