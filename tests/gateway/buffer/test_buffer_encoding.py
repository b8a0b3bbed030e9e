"""Reading encoding: every field kind comes back exactly (tables)."""

from __future__ import annotations

import struct

import pytest

from collectors.readings import Quality, Reading, Reason, bad
from config.catalog import PointKey
from gateway.buffer.encoding import (
    EncodingError,
    decode_readings,
    encode_readings,
    read_head,
)

P = PointKey("DEMO-CHEM", "LT-101")
CN = PointKey("化工园区-01", "可燃气体 GT-203")
TS = 1_780_000_000.123456789


def exact(reading: Reading) -> tuple[object, ...]:
    """Every field, floats by their bits (NaN equals itself, -0.0 differs from 0.0)."""
    value: object = reading.value
    if isinstance(reading.value, float):
        value = ("float", struct.pack("<d", reading.value))
    elif isinstance(reading.value, bool):
        value = ("bool", reading.value)
    return (reading.point, value, struct.pack("<d", reading.ts), reading.quality,
            reading.reason)


CASES = [
    Reading(P, 12.5, TS),
    Reading(P, -0.0, TS),
    Reading(P, 0.0, 0.0),
    Reading(P, 1e308, TS),
    Reading(P, -5e-324, TS),
    # (A Reading never holds NaN or infinity: the collectors make those bad readings.)
    Reading(P, -1e308, TS, Quality.UNCERTAIN, Reason.OUT_OF_RANGE),
    Reading(P, True, TS),
    Reading(P, False, TS),
    Reading(P, None, TS, Quality.BAD, Reason.DECODE_ERROR),
    bad(CN, TS, Reason.COMM_LOSS),
    bad(CN, -1.5, Reason.SENSOR_FAULT),
    Reading(CN, 42.0, TS, Quality.UNCERTAIN, Reason.STALE),
    Reading(PointKey("", ""), 1.0, TS),
    Reading(PointKey("a\nb,c=d", "tag with space\\"), 1.0, TS),
    Reading(PointKey("lone surrogate \udc80", "😀"), 1.0, TS),  # any str, exactly
]


@pytest.mark.parametrize("reading", CASES, ids=range(len(CASES)))
def test_one_reading_round_trips(reading: Reading) -> None:
    decoded = decode_readings(encode_readings(7, [reading]))
    assert decoded.first_seq == 7
    assert [exact(r) for r in decoded.readings] == [exact(reading)]


def test_a_mixed_record_round_trips_in_order() -> None:
    readings = CASES * 3
    decoded = decode_readings(encode_readings(2**40 + 3, readings))
    assert decoded.first_seq == 2**40 + 3
    assert [exact(r) for r in decoded.readings] == [exact(r) for r in readings]
    # booleans stay booleans and floats stay floats: no silent 1.0 / True confusion
    assert [type(r.value) for r in decoded.readings] == [type(r.value) for r in readings]


def test_an_integer_value_comes_back_as_an_equal_float() -> None:
    (reading,) = decode_readings(encode_readings(0, [Reading(P, 3, TS)])).readings
    assert reading.value == 3 and isinstance(reading.value, float)


def test_empty_record() -> None:
    payload = encode_readings(5, [])
    assert read_head(payload) == (5, 0)
    assert decode_readings(payload).readings == []


def test_head_without_decoding() -> None:
    assert read_head(encode_readings(99, CASES)) == (99, len(CASES))


def test_repeated_points_are_stored_once() -> None:
    one = len(encode_readings(0, [Reading(CN, 1.0, TS)]))
    hundred = len(encode_readings(0, [Reading(CN, float(i), TS) for i in range(100)]))
    per_reading = (hundred - one) / 99
    assert per_reading == 1 + 1 + 4 + 8 + 8  # state, kind, point index, value, ts


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (encode_readings(0, CASES)[:-1], "ends early"),
        (encode_readings(0, CASES) + b"\0", "trailing bytes"),
        (encode_readings(0, [Reading(P, 1.0, TS)]).replace(b"good", b"fine"), "unknown quality"),
        (b"\1\2", "shorter than its head"),
    ],
)
def test_undecodable_payloads_raise(payload: bytes, why: str) -> None:
    with pytest.raises(EncodingError):
        decode_readings(payload)
