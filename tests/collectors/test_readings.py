"""A reading never holds NaN or an infinity; producers make such a number a BAD
decode_error reading through one helper. Pure tables."""

from __future__ import annotations

import math

import pytest

from collectors.readings import Quality, Reading, Reason, number_reading
from config.catalog import PointKey

KEY = PointKey("S", "PT-1")
TS = 1_700_000_000.0
G, U, B = Quality.GOOD, Quality.UNCERTAIN, Quality.BAD


@pytest.mark.parametrize(
    ("value", "quality", "reason"),
    [
        (math.nan, G, Reason.NONE),
        (math.inf, G, Reason.NONE),
        (-math.inf, G, Reason.NONE),
        (math.nan, U, Reason.OUT_OF_RANGE),
        (math.inf, U, Reason.STALE),
        (math.nan, B, Reason.DECODE_ERROR),
        (float("-inf"), B, Reason.OUT_OF_RANGE),
    ],
)
def test_a_reading_refuses_a_value_that_is_not_finite(
    value: float, quality: Quality, reason: Reason
) -> None:
    with pytest.raises(ValueError, match=r"S/PT-1: a reading never holds (nan|inf|-inf)"):
        Reading(KEY, value, TS, quality, reason)


@pytest.mark.parametrize(
    ("value", "quality", "reason"),
    [
        (12.5, G, Reason.NONE),
        (-0.0, G, Reason.NONE),
        (1.7976931348623157e308, U, Reason.OUT_OF_RANGE),  # the largest float is finite
        (5e-324, G, Reason.NONE),
        (7, G, Reason.NONE),
        (True, G, Reason.NONE),
        (None, B, Reason.COMM_LOSS),
    ],
)
def test_finite_values_and_none_are_readings(
    value: float | bool | None, quality: Quality, reason: Reason
) -> None:
    assert Reading(KEY, value, TS, quality, reason).value == value


@pytest.mark.parametrize(
    ("number", "quality", "reason", "expected"),
    [
        (12.5, G, Reason.NONE, (12.5, G, Reason.NONE)),
        (-3.0, U, Reason.OUT_OF_RANGE, (-3.0, U, Reason.OUT_OF_RANGE)),
        (math.nan, G, Reason.NONE, (None, B, Reason.DECODE_ERROR)),
        (math.inf, G, Reason.NONE, (None, B, Reason.DECODE_ERROR)),
        (-math.inf, U, Reason.OUT_OF_RANGE, (None, B, Reason.DECODE_ERROR)),
        (float("1e999"), U, Reason.STALE, (None, B, Reason.DECODE_ERROR)),
    ],
)
def test_number_reading_makes_a_non_finite_number_a_decode_error(
    number: float, quality: Quality, reason: Reason,
    expected: tuple[float | None, Quality, Reason],
) -> None:
    reading = number_reading(KEY, number, TS, quality, reason)
    assert (reading.value, reading.quality, reading.reason) == expected
    assert (reading.point, reading.ts) == (KEY, TS)
