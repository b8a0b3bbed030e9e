"""From an engineering value to a reading with a quality: the range check shared by
every transport. Pure; the transports handle comm loss, decoding and fault currents."""

from __future__ import annotations

from collectors.readings import Quality, Reading, Reason, number_reading
from config.catalog import PointKey
from config.points import DISCRETE_KINDS, PointBase


def condition(key: PointKey, point: PointBase, value: float | bool, ts: float) -> Reading:
    """Flag, never clamp: an out-of-range value keeps its number and becomes uncertain.
    NaN or an infinity (a scale overflowing, say) becomes BAD decode_error."""
    if point.kind in DISCRETE_KINDS:
        return Reading(key, bool(value), ts)
    number = float(value)
    span = point.range
    # NaN fails the comparison too; ``number_reading`` then makes it a decode error.
    if span is not None and not span.low <= number <= span.high:
        return number_reading(key, number, ts, Quality.UNCERTAIN, Reason.OUT_OF_RANGE)
    return number_reading(key, number, ts)
