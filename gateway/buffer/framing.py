"""How records sit in a segment file: ``MAGIC | length | crc32 | payload``.

The checksum covers the length and the payload, so a record whose length or body was torn
by a crash or garbled on disk is recognised. The magic lets a scan find the next record
after a damaged one instead of giving up on the rest of the file. Pure functions, no I/O.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

MAGIC = b"HZB1"
HEADER = struct.Struct("<4sII")  # magic, payload length, crc32(length bytes + payload)
MAX_PAYLOAD = 64 * 1024 * 1024  # larger lengths can only be garbage


def _checksum(length: int, payload: bytes | memoryview) -> int:
    return zlib.crc32(payload, zlib.crc32(struct.pack("<I", length)))


def frame(payload: bytes) -> bytes:
    """One record as written to disk."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"record payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    return HEADER.pack(MAGIC, len(payload), _checksum(len(payload), payload)) + payload


@dataclass(frozen=True, slots=True)
class Framed:
    """A record found intact at ``offset``; ``size`` counts header and payload."""

    offset: int
    size: int
    payload: memoryview


@dataclass(frozen=True, slots=True)
class Damaged:
    """Bytes that are not an intact record: a torn write or a bad checksum."""

    offset: int
    size: int


def unframe_at(data: bytes | memoryview, offset: int) -> Framed | None:
    """The intact record starting exactly at ``offset``, or None."""
    view = memoryview(data)
    end_of_header = offset + HEADER.size
    if end_of_header > len(view):
        return None
    magic, length, crc = HEADER.unpack_from(view, offset)
    if magic != MAGIC or length > MAX_PAYLOAD or end_of_header + length > len(view):
        return None
    payload = view[end_of_header : end_of_header + length]
    if _checksum(length, payload) != crc:
        return None
    return Framed(offset, HEADER.size + length, payload)


def scan(data: bytes) -> Iterator[Framed | Damaged]:
    """Every intact record of a segment, in order, and every damaged stretch between them.

    Segments are preallocated, so the space after the last record is zeros: that is free
    space, not damage. After damage the scan resumes at the next magic that starts an
    intact record, so one bad record costs only itself; a torn tail comes out as one
    ``Damaged`` at the end (without the free space behind it).
    """
    position = 0
    while position < len(data):
        record = unframe_at(data, position)
        if record is not None:
            yield record
            position += record.size
            continue
        if not data[position:].lstrip(b"\0"):
            return
        resume = data.find(MAGIC, position + 1)
        while resume != -1 and unframe_at(data, resume) is None:
            resume = data.find(MAGIC, resume + 1)
        end = len(data.rstrip(b"\0")) if resume == -1 else resume
        yield Damaged(position, end - position)
        if resume == -1:
            return
        position = resume
