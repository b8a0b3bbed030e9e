"""Record framing, the cursor file and the scan that finds damage: tables, no I/O."""

from __future__ import annotations

import pytest

from gateway.buffer.cursor import decode_cursor, encode_cursor
from gateway.buffer.framing import HEADER, MAGIC, Damaged, Framed, frame, scan, unframe_at

A = frame(b"first record")
B = frame(b"")
C = frame(bytes(range(256)) * 4)


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x40]) + data[index + 1 :]


@pytest.mark.parametrize("payload", [b"", b"x", b"\0" * 100, MAGIC * 3, bytes(range(256))])
def test_frame_round_trip(payload: bytes) -> None:
    data = frame(payload)
    record = unframe_at(data, 0)
    assert record is not None
    assert bytes(record.payload) == payload
    assert record.size == len(data) == HEADER.size + len(payload)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (A[:-1], "torn payload"),
        (A[: HEADER.size - 1], "torn header"),
        (b"", "nothing"),
        (flip(A, 0), "bad magic"),
        (flip(A, 5), "length garbled"),
        (flip(A, 9), "checksum garbled"),
        (flip(A, len(A) - 1), "payload garbled"),
        (b"\0" * 64, "free space"),
    ],
)
def test_unframe_refuses_damage(data: bytes, why: str) -> None:
    assert unframe_at(data, 0) is None, why


def kinds(data: bytes) -> list[tuple[str, int, int]]:
    return [
        ("record" if isinstance(item, Framed) else "damaged", item.offset, item.size)
        for item in scan(data)
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (A + B + C, [("record", 0, len(A)), ("record", len(A), len(B)),
                     ("record", len(A + B), len(C))]),
        # preallocated free space behind the records is not damage
        (A + B + b"\0" * 500, [("record", 0, len(A)), ("record", len(A), len(B))]),
        # a write torn by a crash: one damaged stretch at the end, free space not counted
        (A + C[:-7], [("record", 0, len(A)), ("damaged", len(A), len(C) - 7)]),
        (A + C[:-7] + b"\0" * 300, [("record", 0, len(A)), ("damaged", len(A), len(C) - 7)]),
        (A + C[:3], [("record", 0, len(A)), ("damaged", len(A), 3)]),
        # a bad checksum in the middle costs only that record: the scan resumes behind it
        (A + flip(C, 40) + B, [("record", 0, len(A)), ("damaged", len(A), len(C)),
                               ("record", len(A + C), len(B))]),
        # garbage that contains the magic but is no record
        (MAGIC + b"junk" + A, [("damaged", 0, 8), ("record", 8, len(A))]),
        (b"garbage", [("damaged", 0, 7)]),
        (b"", []),
    ],
)
def test_scan(data: bytes, expected: list[tuple[str, int, int]]) -> None:
    assert kinds(data) == expected


def test_scan_yields_payloads() -> None:
    payloads = [bytes(item.payload) for item in scan(A + B + C) if isinstance(item, Framed)]
    assert payloads == [b"first record", b"", bytes(range(256)) * 4]
    damaged = [item for item in scan(A + b"xx") if isinstance(item, Damaged)]
    assert damaged == [Damaged(len(A), 2)]


@pytest.mark.parametrize("head", [0, 1, 2**32 + 5, 2**64 - 1])
def test_cursor_round_trip(head: int) -> None:
    assert decode_cursor(encode_cursor(head)) == head


@pytest.mark.parametrize(
    "data",
    [b"", encode_cursor(7)[:-1], flip(encode_cursor(7), 6), flip(encode_cursor(7), 0),
     encode_cursor(7) + b"\0"],
)
def test_cursor_refuses_damage(data: bytes) -> None:
    assert decode_cursor(data) is None
