"""The commit cursor: the sequence number of the first reading not yet committed.

A small checksummed file, overwritten in place. It is not fsync'd on every commit: a cursor
lost to a crash only means that readings the sink already has are sent once more, which the
sink absorbs (the same series and timestamp overwrite themselves). It never causes loss,
because the cursor only moves past readings that were committed or dropped and counted.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

_CURSOR = struct.Struct("<4sQI")  # magic, next uncommitted sequence number, crc32
_MAGIC = b"HZC1"


def encode_cursor(head: int) -> bytes:
    body = struct.pack("<Q", head)
    return _CURSOR.pack(_MAGIC, head, zlib.crc32(body))


def decode_cursor(data: bytes) -> int | None:
    """The stored head, or None for a missing, short or garbled file."""
    if len(data) != _CURSOR.size:
        return None
    magic, head, crc = _CURSOR.unpack(data)
    if magic != _MAGIC or zlib.crc32(struct.pack("<Q", head)) != crc:
        return None
    return int(head)


def read_cursor(path: Path) -> int | None:
    try:
        return decode_cursor(path.read_bytes())
    except FileNotFoundError:
        return None


def write_cursor(path: Path, head: int) -> None:
    """Overwrite the cursor in place: no new file, so no directory change for the journal
    to carry at every commit. A torn cursor fails its checksum and counts as lost."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.pwrite(fd, encode_cursor(head), 0)
    finally:
        os.close(fd)
