"""The segment files of one buffer directory: find what survived, append, read back.

A segment is an append-only file of framed records named by its number
(``segments/000000000007.seg``). Only the writer thread appends, always to a segment it
created itself; after a restart it starts a new one, so a file that a crash may have torn
is never written into again. Whole segments are deleted once every record in them has been
committed or dropped.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from gateway.buffer.encoding import EncodingError, read_head
from gateway.buffer.framing import Framed, scan, unframe_at

log = logging.getLogger(__name__)

SUFFIX = ".seg"


def segment_path(folder: Path, number: int) -> Path:
    return folder / f"{number:012d}{SUFFIX}"


def segment_numbers(folder: Path) -> list[int]:
    numbers = []
    for path in folder.glob(f"*{SUFFIX}"):
        if path.stem.isdigit():
            numbers.append(int(path.stem))
    return sorted(numbers)


def fsync_folder(folder: Path) -> None:
    """Make a created or deleted file name durable (the data itself is fsync'd apart)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True)
class Located:
    """Where one intact record is, and which readings it holds."""

    segment: int
    offset: int
    size: int
    first_seq: int
    count: int


@dataclass(slots=True)
class Recovered:
    records: list[Located] = field(default_factory=list)
    damaged_regions: int = 0
    damaged_bytes: int = 0


def recover(folder: Path) -> Recovered:
    """Scan every segment: the intact records in order, and what was damaged.

    A damaged tail of the newest segment (a write torn by a crash) is cut off so that it is
    not counted again at the next start; damage elsewhere is skipped and counted each time
    the buffer opens, until its segment is deleted.
    """
    found = Recovered()
    numbers = segment_numbers(folder)
    last_end = -1
    for number in numbers:
        path = segment_path(folder, number)
        data = path.read_bytes()
        good_end = 0
        torn = False
        for item in scan(data):
            if isinstance(item, Framed):
                located = _located(number, item)
                if located is None or located.first_seq < last_end:
                    found.damaged_regions += 1
                    found.damaged_bytes += item.size
                    continue
                found.records.append(located)
                last_end = located.first_seq + located.count
                good_end = item.offset + item.size
                torn = False
            else:
                found.damaged_regions += 1
                found.damaged_bytes += item.size
                torn = True
        if number == numbers[-1] and torn:
            _cut(path, good_end)
    if found.damaged_regions:
        log.error(
            "buffer %s: skipped %d damaged record(s), %d bytes, while opening",
            folder, found.damaged_regions, found.damaged_bytes,
        )
    return found


def _located(segment: int, item: Framed) -> Located | None:
    try:
        first_seq, count = read_head(item.payload)
    except EncodingError:
        return None
    return Located(segment, item.offset, item.size, first_seq, count)


def _cut(path: Path, size: int) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_payload(folder: Path, record: Located) -> bytes | None:
    """The payload of one record, or None when it no longer checks out (damaged since)."""
    with segment_path(folder, record.segment).open("rb") as file:
        file.seek(record.offset)
        data = file.read(record.size)
    item = unframe_at(data, 0)
    if item is None or item.size != record.size:
        return None
    return bytes(item.payload)


class Appender:
    """Appends framed records to the newest segment and makes them durable (fdatasync).

    Used by one thread only. One call is one write and one sync into one segment, so a
    group commit is either wholly durable or raises. A new segment is started once the
    current one has reached ``segment_bytes`` (it may exceed it by one group commit), and
    after a failed write, so that good records are never appended behind a torn one.
    """

    def __init__(self, folder: Path, first_number: int, segment_bytes: int) -> None:
        self.folder = folder
        self.segment_bytes = segment_bytes
        self.number = first_number - 1
        self._fd: int | None = None
        self._size = 0

    def append(self, frames: list[bytes]) -> list[tuple[int, int, int]]:
        """Write and sync ``frames``: (segment, offset, size) of each, once durable."""
        if self._fd is None or self._size >= self.segment_bytes:
            self._rotate()
        assert self._fd is not None
        placed = []
        offset = self._size
        for data in frames:
            placed.append((self.number, offset, len(data)))
            offset += len(data)
        data = b"".join(frames)
        try:
            view = memoryview(data)
            position = self._size
            while view:
                written = os.pwrite(self._fd, view, position)
                view = view[written:]
                position += written
            os.fdatasync(self._fd)
        except OSError:
            # Take back what may have been half written, so that the next open does not
            # count as damage readings that the retry writes again; if even that fails the
            # scan skips it (counted). Never append behind it: the next commit starts a
            # new segment.
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._size)
            self.close()
            raise
        self._size += len(data)
        return placed

    def _rotate(self) -> None:
        """Start the next segment, its space allocated up front: syncing a write into
        allocated space need not also journal a new file size, which halves an fsync."""
        self.close()
        self.number += 1
        path = segment_path(self.folder, self.number)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            _preallocate(fd, self.segment_bytes)
            os.fsync(fd)
            fsync_folder(self.folder)
        except OSError:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        self._fd = fd
        self._size = 0

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _preallocate(fd: int, size: int) -> None:
    try:
        os.posix_fallocate(fd, 0, size)
    except OSError as exc:
        if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL):
            raise  # ENOSPC above all: the disk is full, say so now
