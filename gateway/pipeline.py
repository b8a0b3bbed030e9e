"""The path every batch of readings takes from a collector onwards.

``emit`` is synchronous and never waits: live state, alarms and websockets are
updated at once, and each sink's buffer takes a copy. A sink that falls behind
(a database outage) therefore never delays an alarm; its buffer is bounded and
counts what it must drop. The durable store-and-forward buffer replaces
``MemoryBuffer`` behind the same ``ReadingBuffer`` protocol.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from collectors.bounded import DropOldestQueue
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


@runtime_checkable
class QuarantineBuffer(Protocol):
    """A buffer that can set aside a batch its sink refused, with the sink's answer, so
    that it no longer blocks the readings behind it (the durable buffer)."""

    def quarantine(self, batch: Batch, answer: str) -> None: ...


class MemoryBuffer:
    """Bounded in-memory buffer. When full it drops the *oldest* readings and counts them,
    so that a long outage keeps the newest data and the count shows what was lost."""

    def __init__(self, capacity: int, name: str = "sink") -> None:
        self.name = name
        self._queue: DropOldestQueue[Reading] = DropOldestQueue(capacity)

    @property
    def capacity(self) -> int:
        return self._queue.capacity

    def put(self, readings: Sequence[Reading]) -> None:
        before = self._queue.dropped
        if self._queue.extend(readings):
            dropped = self._queue.dropped
            # The first drop, then every 10 000: a count that keeps rising stays visible.
            if before == 0 or dropped // 10000 > before // 10000:
                log.error(
                    "%s buffer full (%d readings): dropped %d oldest readings so far",
                    self.name,
                    self.capacity,
                    dropped,
                )

    async def take(self, max_items: int, linger: float) -> Batch:
        """Wait for a first reading, then up to ``linger`` seconds for a full batch."""
        return Batch(await self._queue.take_batch(max_items, linger))

    def commit(self, batch: Batch) -> None:
        """Nothing to do: taken readings already left memory."""

    @property
    def dropped(self) -> int:
        return self._queue.dropped

    def __len__(self) -> int:
        return len(self._queue)


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
