"""The path every batch of readings takes from a collector onwards.

``emit`` is synchronous and never waits: live state, alarms and websockets are
updated at once, and each sink's buffer takes a copy. A sink that falls behind
(a database outage) therefore never delays an alarm; its buffer is bounded and
counts what it must drop. The durable store-and-forward buffer replaces
``MemoryBuffer`` behind the same ``ReadingBuffer`` protocol.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from collectors.readings import Reading

log = logging.getLogger(__name__)



class ReadingObserver(Protocol):
    """Sees every batch, synchronously, in order (live state, alarm engine, websocket hub)."""

    def accept(self, readings: Sequence[Reading]) -> None: ...


@dataclass(frozen=True, slots=True)
class Batch:
    readings: list[Reading]


class ReadingBuffer(Protocol):
    """What stands between the pipeline and one sink."""

    def put(self, readings: Sequence[Reading]) -> None: ...

    async def take(self, max_items: int, linger: float) -> Batch: ...

    def commit(self, batch: Batch) -> None:
        """The sink has stored the batch; a durable buffer may now forget it."""
        ...

    @property
    def dropped(self) -> int: ...

    def __len__(self) -> int: ...


class MemoryBuffer:
    """Bounded in-memory buffer. When full it drops the *oldest* readings and counts them,
    so that a long outage keeps the newest data and the count shows what was lost."""

    def __init__(self, capacity: int, name: str = "sink") -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self.name = name
        self._items: deque[Reading] = deque()
        self._dropped = 0
        self._ready = asyncio.Event()

    def put(self, readings: Sequence[Reading]) -> None:
        self._items.extend(readings)
        overflow = len(self._items) - self.capacity
        if overflow > 0:
            for _ in range(overflow):
                self._items.popleft()
            if self._dropped == 0 or (self._dropped + overflow) // 10000 > self._dropped // 10000:
                log.error(
                    "%s buffer full (%d readings): dropped %d oldest readings so far",
                    self.name,
                    self.capacity,
                    self._dropped + overflow,
                )
            self._dropped += overflow
        if self._items:
            self._ready.set()

    async def take(self, max_items: int, linger: float) -> Batch:
        """Wait for a first reading, then up to ``linger`` seconds for a full batch."""
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        if len(self._items) < max_items and linger > 0:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + linger
            while len(self._items) < max_items:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                self._ready.clear()
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
                # that arrives as the event is set, and the writer would never stop.
                try:
                    async with asyncio.timeout(remaining):
                        await self._ready.wait()
                except TimeoutError:
                    break
        count = min(max_items, len(self._items))
        return Batch([self._items.popleft() for _ in range(count)])

    def commit(self, batch: Batch) -> None:
        """Nothing to do: taken readings already left memory."""

    @property
    def dropped(self) -> int:
        return self._dropped

    def __len__(self) -> int:
        return len(self._items)


class Pipeline:
    def __init__(
        self, observers: Sequence[ReadingObserver], buffers: Sequence[ReadingBuffer]
    ) -> None:
        self.observers = list(observers)
        self.buffers = list(buffers)
        self.readings_in = 0
        self.batches_in = 0

    def emit(self, readings: Sequence[Reading]) -> None:
        if not readings:
            return
        self.readings_in += len(readings)
        self.batches_in += 1
        for observer in self.observers:
            observer.accept(readings)
        for buffer in self.buffers:
            buffer.put(readings)
