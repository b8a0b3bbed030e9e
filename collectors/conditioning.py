"""From an engineering value to a reading with a quality: the range check shared by
every transport. Pure; the transports handle comm loss, decoding and fault currents."""

from __future__ import annotations

import math

from collectors.readings import Quality, Reading, Reason
from config.catalog import PointKey
from config.points import DISCRETE_KINDS, PointBase


def condition(key: PointKey, point: PointBase, value: float | bool, ts: float) -> Reading:
    """Flag, never clamp: an out-of-range value keeps its number and becomes uncertain."""
    if point.kind in DISCRETE_KINDS:
        return Reading(key, bool(value), ts)
    number = float(value)
    if not math.isfinite(number):
        return Reading(key, None, ts, Quality.BAD, Reason.DECODE_ERROR)
    span = point.range
    if span is not None and not span.low <= number <= span.high:
        return Reading(key, number, ts, Quality.UNCERTAIN, Reason.OUT_OF_RANGE)
    return Reading(key, number, ts)
