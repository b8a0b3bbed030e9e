"""A store-and-forward buffer on disk, behind the pipeline's ``ReadingBuffer`` protocol.

``put`` only appends to an in-memory hand-off and returns. A writer thread takes what was
put every ``commit_interval`` seconds (or every ``commit_every`` readings), encodes it into
records, appends them to a segment file and fsyncs: one group commit. Only then are the
readings offered to ``take``. A reading leaves the buffer when the batch holding it is
committed; ``take`` always starts at the oldest uncommitted reading, so a batch the sink
failed to store (or a process that died) is handed out again, in order.

What ``kill -9`` or a power cut can lose: the readings put since the last group commit,
nothing committed to disk before. A restart may hand out again readings whose commit had
not yet reached the cursor file; the sink absorbs them (same series and timestamp).

Threading: the event loop calls ``put``, ``take``, ``commit`` and ``quarantine``; the writer
thread does the encoding, writing, fsync, cursor and segment deletion. One lock guards the
shared state and is only held for bookkeeping, never across I/O.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from alerting.sqlite import make_folders
from collectors.readings import Reading
from gateway.buffer.cursor import read_cursor, write_cursor
from gateway.buffer.encoding import EncodingError, decode_readings
from gateway.buffer.index import PendingIndex, Record
from gateway.buffer.options import BufferOptions
from gateway.buffer.quarantine import FILE_NAME as QUARANTINE_FILE
from gateway.buffer.quarantine import append_quarantine
from gateway.buffer.records import encode_records
from gateway.buffer.segments import (
    Appender,
    Located,
    read_payload,
    recover,
    segment_numbers,
    segment_path,
)
from gateway.pipeline import Batch

log = logging.getLogger(__name__)

CURSOR_FILE = "cursor"
SEGMENT_FOLDER = "segments"
PRIVATE_FOLDER_MODE = 0o700


@dataclass(frozen=True, slots=True)
class BufferHealth:
    pending: int  # durable readings not yet committed (including a batch the sink is writing)
    staged: int  # readings put but not yet durable
    bytes: int  # on-disk size of the pending records
    dropped: int  # oldest readings dropped because the buffer was full
    last_drop_at: float | None
    skipped_corrupt: int  # damaged records skipped (torn tail, bad checksum)
    skipped_bytes: int
    quarantined: int  # readings moved to the quarantine file
    unencodable: int  # readings dropped because they could not be stored (no number)
    write_errors: int
    last_error: str | None
    writer_alive: bool


@dataclass(frozen=True, slots=True)
class DurableBatch(Batch):
    """A batch that knows which readings of its buffer it covers: [start, end)."""

    start: int
    end: int
    origin: object


class DurableBuffer:
    """Open with ``DurableBuffer.open(directory)``; close with ``close()`` (or ``aclose``)."""

    def __init__(
        self,
        directory: Path,
        options: BufferOptions,
        *,
        records: Sequence[Located],
        head: int,
        next_seq: int,
        skipped_corrupt: int,
        skipped_bytes: int,
        segments: Sequence[int],
        clock: Callable[[], float] = time.time,
        name: str = "sink",
    ) -> None:
        self.directory = directory
        self.options = options
        self.name = name
        self._clock = clock
        self._segment_folder = directory / SEGMENT_FOLDER
        self._cursor_path = directory / CURSOR_FILE
        self.quarantine_path = directory / QUARANTINE_FILE
        self._token = object()
        self._cond = threading.Condition(threading.Lock())  # never taken twice by one thread
        # --- shared state, guarded by _cond
        self._index = PendingIndex(records, head)
        self._head_dirty = False
        self._staging: deque[Reading] = deque()
        self._writing = 0  # readings the writer thread took from staging and is writing
        self._staged_since = 0.0
        self._put_count = 0
        self._resolved = 0  # readings put that are durable or were dropped, in put order
        self._flush_wanted = False
        self._stopping = False
        self._closed = False
        self._dropped = 0
        self._last_drop_at: float | None = None
        self._skipped_corrupt = skipped_corrupt
        self._skipped_bytes = skipped_bytes
        self._quarantined = 0
        self._unencodable = 0
        self._write_errors = 0
        self._last_error: str | None = None
        # --- writer thread only
        self._next_seq = next_seq
        self._segments: deque[int] = deque(segments)
        first_new = (segments[-1] + 1) if segments else 1
        self._appender = Appender(
            self._segment_folder, first_new, options.effective_segment_bytes
        )
        self._wake_retry = threading.Event()
        # --- event loop side
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed = asyncio.Event()
        self._thread = threading.Thread(
            target=self._writer_main, name=f"buffer-{name}", daemon=True
        )

    @classmethod
    def open(
        cls,
        directory: Path,
        options: BufferOptions | None = None,
        *,
        clock: Callable[[], float] = time.time,
        name: str = "sink",
    ) -> DurableBuffer:
        """Recover what is on disk (skipping and counting damage) and start the writer.

        Blocking I/O proportional to the data held: call it before the event loop starts
        or through ``asyncio.to_thread``.
        """
        options = options or BufferOptions()
        segment_folder = directory / SEGMENT_FOLDER
        # Readings waiting for the sink live in the private state folder: 0700 like it.
        make_folders(segment_folder, PRIVATE_FOLDER_MODE)
        found = recover(segment_folder)
        stored_head = read_cursor(directory / CURSOR_FILE)
        if stored_head is not None:
            head = stored_head
        else:  # lost: send again everything still on disk
            head = found.records[0].first_seq if found.records else 0
        last_end = found.records[-1].first_seq + found.records[-1].count if found.records else 0
        buffer = cls(
            directory,
            options,
            records=found.records,
            head=head,
            next_seq=max(head, last_end),
            skipped_corrupt=found.damaged_regions,
            skipped_bytes=found.damaged_bytes,
            segments=segment_numbers(segment_folder),
            clock=clock,
            name=name,
        )
        if buffer._index.pending:
            log.info(
                "%s buffer: %d readings from before the restart are waiting", name,
                buffer._index.pending,
            )
        buffer._thread.start()
        return buffer

    # ------------------------------------------------------------ ReadingBuffer protocol

    def put(self, readings: Sequence[Reading]) -> None:
        """Hand readings to the writer thread; never waits for the disk."""
        if not readings:
            return
        with self._cond:
            if self._closed:
                raise RuntimeError(f"{self.name} buffer is closed")
            wake = not self._staging
            if wake:
                self._staged_since = time.monotonic()
            self._staging.extend(readings)
            self._put_count += len(readings)
            overflow = len(self._staging) - self.options.max_staged
            if overflow > 0:
                for _ in range(overflow):
                    self._staging.popleft()
                self._resolved += overflow
                self._count_drop(overflow, "the disk is not keeping up")
            if wake or len(self._staging) >= self.options.commit_every:
                self._cond.notify()

    async def take(self, max_items: int, linger: float) -> Batch:
        """The oldest uncommitted readings, at most ``max_items``: waits for a first durable
        reading, then up to ``linger`` seconds for a full batch."""
        if max_items < 1:
            raise ValueError("max_items must be positive")
        self._loop = asyncio.get_running_loop()
        while True:
            await self._wait_for(lambda: self._index.pending > 0, None)
            if self._index.pending < max_items and linger > 0:
                await self._wait_for(lambda: self._index.pending >= max_items, linger)
            batch = await self._assemble(max_items)
            if batch is not None and batch.readings:
                return batch

    def commit(self, batch: Batch) -> None:
        """The sink has stored ``batch``: its readings (and any before them) leave."""
        taken = self._own(batch)
        with self._cond:
            self._advance(taken.end)
            self._cond.notify()
        self._changed.set()  # called on the loop: wakes ``until`` waiters there

    @property
    def dropped(self) -> int:
        return self._dropped

    def __len__(self) -> int:
        """Readings not yet committed, durable or still on their way to the disk."""
        return self._index.pending + self._writing + len(self._staging)

    # ------------------------------------------------------------------- the rest

    def quarantine(self, batch: Batch, answer: str) -> None:
        """Move a batch the sink keeps rejecting to the quarantine file, with the server's
        answer, so that it no longer blocks the readings behind it."""
        taken = self._own(batch)
        append_quarantine(self.quarantine_path, taken.readings, answer, self._clock())
        with self._cond:
            moved = self._advance(taken.end)
            self._quarantined += len(taken.readings)
            self._cond.notify()
        self._changed.set()
        log.error(
            "%s buffer: quarantined %d readings (%d left the buffer) to %s: %s",
            self.name, len(taken.readings), moved, self.quarantine_path, answer,
        )

    async def flushed(self, *, now: bool = True) -> None:
        """Return once every reading put before the call is durable (or was dropped).
        ``now``: commit at once; otherwise wait for the next group commit (at most
        ``commit_interval``), which keeps commits large under a steady stream."""
        self._loop = asyncio.get_running_loop()
        with self._cond:
            target = self._put_count
            if self._resolved >= target:
                return
            if now:
                self._flush_wanted = True
                self._cond.notify()
        await self._wait_for(lambda: self._resolved >= target, None)

    async def until(self, condition: Callable[[BufferHealth], bool]) -> BufferHealth:
        """Wait until ``condition`` holds for the health, re-checked at every commit (of the
        sink or of the writer thread) and every write failure; the health that satisfied
        it."""
        self._loop = asyncio.get_running_loop()
        await self._wait_for(lambda: condition(self.health), None)
        return self.health

    @property
    def health(self) -> BufferHealth:
        with self._cond:
            return BufferHealth(
                pending=self._index.pending,
                staged=len(self._staging) + self._writing,
                bytes=self._index.bytes,
                dropped=self._dropped,
                last_drop_at=self._last_drop_at,
                skipped_corrupt=self._skipped_corrupt,
                skipped_bytes=self._skipped_bytes,
                quarantined=self._quarantined,
                unencodable=self._unencodable,
                write_errors=self._write_errors,
                last_error=self._last_error,
                writer_alive=self._thread.is_alive(),
            )

    def close(self) -> None:
        """Make what was put durable, store the cursor and stop the writer thread."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._stopping = True
            self._cond.notify()
        self._wake_retry.set()
        if self._thread.is_alive():
            self._thread.join()
        self._appender.close()

    async def aclose(self) -> None:
        await asyncio.to_thread(self.close)

    def __enter__(self) -> DurableBuffer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ------------------------------------------------------------- event loop side

    async def _wait_for(self, condition: Callable[[], bool], within: float | None) -> None:
        """Until ``condition`` holds (re-checked whenever the writer reports progress) or
        ``within`` seconds have passed."""
        loop = asyncio.get_running_loop()
        deadline = None if within is None else loop.time() + within
        while True:
            self._changed.clear()
            if condition():
                return
            if deadline is None:
                await self._changed.wait()
                continue
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation.
            try:
                async with asyncio.timeout(remaining):
                    await self._changed.wait()
            except TimeoutError:
                return

    def _own(self, batch: Batch) -> DurableBatch:
        if not isinstance(batch, DurableBatch) or batch.origin is not self._token:
            raise ValueError(f"{self.name} buffer: batch was not taken from this buffer")
        return batch

    async def _assemble(self, max_items: int) -> DurableBatch | None:
        """The batch from the head; None if the head moved while records were read."""
        with self._cond:
            head = self._index.head
            plan = self._index.plan(max_items)
        missing = [record.where for record, readings in plan if readings is None]
        loaded = await asyncio.to_thread(self._load, missing) if missing else {}
        with self._cond:
            if self._index.head != head:
                return None
            out: list[Reading] = []
            end = head
            for record, cached in plan:
                readings = cached if cached is not None else loaded.get(record.first)
                if readings is None:
                    if not out:  # damaged since it was opened: skip it, counted
                        self._skipped_corrupt += 1
                        self._skipped_bytes += record.where.size
                        lost = self._advance(record.end)
                        log.error(
                            "%s buffer: record of %d readings at %s:%d no longer reads back;"
                            " skipped (%d readings lost)", self.name, record.where.count,
                            segment_path(self._segment_folder, record.where.segment),
                            record.where.offset, lost,
                        )
                        return None
                    break
                start = max(record.first, head) - record.first
                part = readings[start : start + max_items - len(out)]
                out.extend(part)
                end = record.first + start + len(part)
                if len(out) >= max_items:
                    break
            return DurableBatch(out, head, end, self._token)

    def _load(self, where: list[Located]) -> dict[int, list[Reading] | None]:
        """Read and decode records that are no longer in memory (in a worker thread)."""
        loaded: dict[int, list[Reading] | None] = {}
        for located in where:
            try:
                payload = read_payload(self._segment_folder, located)
                loaded[located.first_seq] = (
                    None if payload is None else decode_readings(payload).readings
                )
            except (FileNotFoundError, EncodingError):
                loaded[located.first_seq] = None
        return loaded

    # --------------------------------------------------- bookkeeping (under _cond)

    def _advance(self, new_head: int) -> int:
        """Readings up to ``new_head`` leave; the cursor is due to be stored."""
        passed = self._index.advance(new_head)
        self._head_dirty = True
        return passed

    def _count_drop(self, count: int, why: str) -> None:
        before = self._dropped
        self._dropped += count
        self._last_drop_at = self._clock()
        if before == 0 or self._dropped // 10000 > before // 10000:
            log.error(
                "%s buffer full (%s): dropped %d oldest readings so far",
                self.name, why, self._dropped,
            )

    def _enforce_bounds(self) -> None:
        dropped = self._index.drop_oldest(self.options.max_bytes)
        if dropped:
            self._head_dirty = True
            self._count_drop(dropped, f"more than {self.options.max_bytes} bytes")
        self._index.evict(self.options.memory_readings)

    # ---------------------------------------------------------------- writer thread

    def _writer_main(self) -> None:
        try:
            self._housekeep()
            while True:
                with self._cond:
                    work = self._next_work()
                    stopping = self._stopping
                if work:
                    written = self._persist(work)
                else:
                    written = True
                    self._mark_resolved(0)
                self._housekeep()
                if stopping:
                    with self._cond:
                        left = len(self._staging)
                    if left and written:
                        continue  # write everything that was put before the close
                    if left:
                        log.error(
                            "%s buffer: %d readings could not be made durable at shutdown",
                            self.name, left,
                        )
                    return
        except Exception as exc:
            # Visible, not hidden: health shows writer_alive=False and the error.
            log.exception("%s buffer: writer thread failed", self.name)
            with self._cond:
                self._last_error = f"writer thread failed: {exc!r}"
            self._notify_loop()
            raise

    def _next_work(self) -> list[Reading]:
        """Wait (holding _cond) until there is something to do; take staged readings."""
        options = self.options
        while not (self._staging or self._stopping or self._flush_wanted or self._head_dirty):
            self._cond.wait()
        if self._staging and not self._stopping and not self._flush_wanted:
            deadline = self._staged_since + options.commit_interval
            while (
                len(self._staging) < options.commit_every
                and not self._stopping
                and not self._flush_wanted
            ):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
        # At most one commit's worth at a time: after a stall a huge backlog is written as
        # a series of ordinary commits, each offered to take as soon as it is durable.
        staging = self._staging
        count = min(len(staging), options.commit_every)
        if count == len(staging):  # the usual commit: all of it, copied in C
            work = list(staging)
            staging.clear()
        else:
            take = staging.popleft
            work = [take() for _ in range(count)]
        self._writing = count
        if not self._staging:
            self._flush_wanted = False
        return work

    def _persist(self, readings: list[Reading]) -> bool:
        """Encode, append and sync one group commit; False if the disk refused it."""
        records = encode_records(readings, self._next_seq, self.options.record_readings)
        frames, chunks, kept = records.frames, records.chunks, records.kept
        refused = len(records.refused)
        if refused:
            log.error(
                "%s buffer: %d reading(s) cannot be stored and are dropped, e.g. %r",
                self.name, refused, records.refused[0],
            )
            with self._cond:
                self._unencodable += refused
                self._resolved += refused
        try:
            placed = self._appender.append(frames) if frames else []
        except OSError as exc:
            self._write_failed(kept, exc)
            return False
        self._next_seq += len(kept)
        if not self._segments or self._segments[-1] != self._appender.number:
            self._segments.append(self._appender.number)
        with self._cond:
            first = self._next_seq - len(kept)
            for (segment, offset, frame_size), chunk in zip(placed, chunks, strict=True):
                where = Located(segment, offset, frame_size, first, len(chunk))
                self._index.append(Record(where, chunk))
                first += len(chunk)
            self._writing = 0
            self._enforce_bounds()
        self._mark_resolved(len(kept))
        return True

    def _write_failed(self, readings: list[Reading], exc: OSError) -> None:
        with self._cond:
            self._write_errors += 1
            self._last_error = f"{type(exc).__name__}: {exc}"
            # Back in front of what was put meanwhile, in order; still bounded.
            self._staging.extendleft(reversed(readings))
            self._writing = 0
            overflow = len(self._staging) - self.options.max_staged
            if overflow > 0:
                for _ in range(overflow):
                    self._staging.popleft()
                self._resolved += overflow
                self._count_drop(overflow, "the disk is failing")
            errors = self._write_errors
        self._notify_loop()
        if errors == 1 or errors % 100 == 0:
            log.error(
                "%s buffer: cannot write to %s (%d failures so far): %s",
                self.name, self._segment_folder, errors, exc,
            )
        self._wake_retry.wait(self.options.retry_delay)

    def _mark_resolved(self, count: int) -> None:
        with self._cond:
            self._resolved += count
        self._notify_loop()

    def _notify_loop(self) -> None:
        loop = self._loop
        if loop is None:
            return
        # A closed loop raises RuntimeError: nobody is waiting on it any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._changed.set)

    def _housekeep(self) -> None:
        """Store the cursor if it moved; delete segments nothing refers to any more."""
        with self._cond:
            head = self._index.head
            dirty = self._head_dirty
            self._head_dirty = False
            first_live = self._index.first_segment
        if dirty:
            try:
                write_cursor(self._cursor_path, head)
            except OSError as exc:
                with self._cond:
                    self._head_dirty = True
                    self._write_errors += 1
                    self._last_error = f"cursor: {exc}"
                log.error("%s buffer: cannot store the cursor: %s", self.name, exc)
                self._wake_retry.wait(self.options.retry_delay)
        current = self._appender.number
        while self._segments and self._segments[0] != current and (
            first_live is None or self._segments[0] < first_live
        ):
            segment_path(self._segment_folder, self._segments.popleft()).unlink(missing_ok=True)

