"""One group commit into framed records (gateway.buffer.records), by table: records of at
most ``record_readings``, numbered on from the first sequence number, and a reading that
is no number left out of its record (and returned apart) while its neighbours are kept."""

from __future__ import annotations

from typing import cast

import pytest

from collectors.readings import Reading
from config.catalog import PointKey
from gateway.buffer.encoding import decode_readings
from gateway.buffer.framing import HEADER, frame
from gateway.buffer.records import encode_records

POINT = PointKey("S", "P")
GARBLED = -1  # stands for a reading whose value is no number


def readings(values: list[int]) -> list[Reading]:
    return [
        Reading(POINT, cast(float, "12,5") if v == GARBLED else float(v), 1_780_000_000.0 + i)
        for i, v in enumerate(values)
    ]


@pytest.mark.parametrize(
    ("values", "size", "chunks", "refused"),
    [
        ([], 3, [], 0),
        ([0, 1, 2, 3, 4], 2, [[0, 1], [2, 3], [4]], 0),
        ([0, 1, 2], 5, [[0, 1, 2]], 0),
        ([0, GARBLED, 2, 3], 2, [[0], [2, 3]], 1),
        ([GARBLED, GARBLED, 2], 2, [[2]], 2),
    ],
)
def test_records(values: list[int], size: int, chunks: list[list[int]], refused: int) -> None:
    records = encode_records(readings(values), 100, size)
    assert [[int(r.value or 0) for r in chunk] for chunk in records.chunks] == chunks
    assert len(records.refused) == refused
    assert len(records.frames) == len(chunks)
    assert [int(r.value or 0) for r in records.kept] == [v for c in chunks for v in c]
    # Each frame holds its chunk, numbered on from 100 without gaps.
    seq = 100
    for framed, chunk in zip(records.frames, records.chunks, strict=True):
        framed_again = frame(framed[HEADER.size :])
        decoded = decode_readings(framed[HEADER.size :])
        assert framed_again == framed
        assert (decoded.first_seq, decoded.readings) == (seq, chunk)
        seq += len(chunk)
