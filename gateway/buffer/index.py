"""Which durable readings are still waiting, counted by sequence number. Pure bookkeeping.

The head is the sequence number of the first reading that has not left the buffer; every
record (one framed run of readings in a segment) that still holds a reading at or after the
head is listed, oldest first. Readings leave by moving the head: a commit, a quarantine, a
drop of the oldest when the bytes run over, or a record that no longer reads back. Sequence
numbers may have gaps (a damaged record skipped at open), so counts are taken per record.

Not thread-safe: the buffer calls it under its lock.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from collectors.readings import Reading
from gateway.buffer.segments import Located


@dataclass(slots=True, eq=False)
class Record:
    where: Located
    readings: list[Reading] | None  # kept in memory while it fits, else read from disk

    @property
    def first(self) -> int:
        return self.where.first_seq

    @property
    def end(self) -> int:
        return self.where.first_seq + self.where.count


class PendingIndex:
    def __init__(self, records: Iterable[Located], head: int) -> None:
        self._records: deque[Record] = deque(
            Record(r, None) for r in records if r.first_seq + r.count > head
        )
        self._in_memory: deque[Record] = deque()  # records with readings, oldest first
        self.head = head
        self.pending = sum(r.end - max(r.first, head) for r in self._records)
        self.bytes = sum(r.where.size for r in self._records)
        self.cached = 0  # readings held in memory

    def __iter__(self) -> Iterator[Record]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    @property
    def first_segment(self) -> int | None:
        """The oldest segment still needed; older ones can be deleted."""
        return self._records[0].where.segment if self._records else None

    def append(self, record: Record) -> None:
        """A record just made durable (its readings in memory)."""
        self._records.append(record)
        if record.readings is not None:
            self._in_memory.append(record)
            self.cached += record.where.count
        self.bytes += record.where.size
        self.pending += max(0, record.end - max(record.first, self.head))

    def advance(self, new_head: int) -> int:
        """Move the head forward to ``new_head``: how many waiting readings that passed."""
        if new_head <= self.head:
            return 0
        passed = 0
        while self._records and self._records[0].first < new_head:
            record = self._records[0]
            passed += max(0, min(record.end, new_head) - max(record.first, self.head))
            if record.end > new_head:
                break
            self._records.popleft()
            self.bytes -= record.where.size
            if self._in_memory and self._in_memory[0] is record:
                self._in_memory.popleft()
            self._forget_readings(record)
        self.head = new_head
        self.pending -= passed
        return passed

    def drop_oldest(self, max_bytes: int) -> int:
        """Drop whole records, oldest first, until the bytes fit (the newest record always
        stays): how many waiting readings were dropped."""
        dropped = 0
        while self.bytes > max_bytes and len(self._records) > 1:
            dropped += self.advance(self._records[0].end)
        return dropped

    def evict(self, max_readings: int) -> None:
        """Keep at most ``max_readings`` in memory; older records are read from disk."""
        while self.cached > max_readings and self._in_memory:
            self._forget_readings(self._in_memory.popleft())

    def plan(self, max_items: int) -> list[tuple[Record, list[Reading] | None]]:
        """The records holding the next ``max_items`` readings from the head, with their
        readings if they are in memory (else None: read them from disk)."""
        out: list[tuple[Record, list[Reading] | None]] = []
        wanted = max_items
        for record in self._records:
            out.append((record, record.readings))
            wanted -= record.end - max(record.first, self.head)
            if wanted <= 0:
                break
        return out

    def _forget_readings(self, record: Record) -> None:
        if record.readings is not None:
            self.cached -= record.where.count
            record.readings = None
