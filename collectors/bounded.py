"""A bounded first-in first-out queue that never refuses an item: when full, the oldest
items make room, and the queue counts them.

For buffers in front of something that can fall behind (a database outage): the newest data
is kept, nothing waits, memory stays bounded, and the count shows what was lost. Single
event loop; ``put``/``extend``/``take`` never wait, ``wait``/``take_batch`` do.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class DropOldestQueue(Generic[T]):
    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive: the queue is bounded")
        self.capacity = capacity
        self._items: deque[T] = deque(maxlen=capacity)  # appending to a full deque drops left
        self._dropped = 0
        self._ready = asyncio.Event()

    @property
    def dropped(self) -> int:
        """Items dropped to make room, since the queue was made."""
        return self._dropped

    def put(self, item: T) -> int:
        """Add ``item``; returns how many old items it pushed out (0 or 1)."""
        return self.extend((item,))

    def extend(self, items: Sequence[T]) -> int:
        """Add ``items`` in order; returns how many items (old, or the first of ``items``
        when there are more than ``capacity`` of them) were pushed out."""
        if not items:
            return 0
        overflow = max(0, len(self._items) + len(items) - self.capacity)
        self._items.extend(items)
        self._dropped += overflow
        self._ready.set()
        return overflow

    def take(self, max_items: int) -> list[T]:
        """Up to ``max_items`` of the oldest items, without waiting (maybe none)."""
        items = self._items
        return [items.popleft() for _ in range(min(max_items, len(items)))]

    async def wait(self) -> None:
        """Return once the queue holds an item."""
        while not self._items:
            self._ready.clear()
            await self._ready.wait()

    async def take_batch(self, max_items: int, linger: float) -> list[T]:
        """Wait for a first item, then up to ``linger`` seconds for ``max_items``; returns
        what is there then (1 to ``max_items`` items, oldest first)."""
        if max_items < 1:
            raise ValueError("max_items must be positive")
        await self.wait()
        if len(self._items) < max_items and linger > 0:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + linger
            while len(self._items) < max_items:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                self._ready.clear()
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
                # that arrives as the event is set, and the caller would never stop.
                try:
                    async with asyncio.timeout(remaining):
                        await self._ready.wait()
                except TimeoutError:
                    break
        return self.take(max_items)

    def __iter__(self) -> Iterator[T]:
        """The items, oldest first, without taking them."""
        return iter(self._items)

    def clear(self) -> None:
        """Forget every item (they were handed on some other way); not counted as dropped."""
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)
