"""The unit of data that flows through the gateway: one reading of one point.

A reading is frozen: once a collector has produced it, nobody downstream may
change it. The quality and reason travel with the value, so that a dead device
never looks like a frozen value and a sensor fault is never shown as a number.

A reading never holds NaN or an infinity: ``Reading`` refuses one, and producers turn a
number that is not finite into a BAD ``decode_error`` reading through ``number_reading``.
Storage, alarms and the displays rely on it and do not check again.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from math import isfinite
from typing import NamedTuple

from config.catalog import PointKey


class Quality(StrEnum):
    GOOD = "good"
    UNCERTAIN = "uncertain"
    BAD = "bad"


class Reason(StrEnum):
    """Why a reading is not good. ``NONE`` only goes with ``Quality.GOOD``."""

    NONE = ""
    COMM_LOSS = "comm_loss"
    SENSOR_FAULT = "sensor_fault"
    OUT_OF_RANGE = "out_of_range"
    DECODE_ERROR = "decode_error"
    STALE = "stale"
    # The controller's status-word heartbeat stopped moving: its values may be frozen.
    HEARTBEAT_STALLED = "heartbeat_stalled"


Value = float | bool | None


class _Fields(NamedTuple):
    point: PointKey
    value: Value
    ts: float
    quality: Quality
    reason: Reason


class Reading(_Fields):
    """One value of one point at one moment.

    ``ts`` is seconds since the Unix epoch (UTC). ``value`` is None exactly when
    there is no trustworthy number to show (comm loss, sensor fault, decode error);
    a float value is always finite.

    Immutable (a named tuple: the gateway builds ~100k a second, and a tuple is built
    and read in C where a frozen dataclass runs Python code per field). ``Reading(...)``
    checks every invariant; ``good_readings`` builds a whole decoded batch after one check.
    """

    __slots__ = ()

    def __new__(
        cls,
        point: PointKey,
        value: Value,
        ts: float,
        quality: Quality = Quality.GOOD,
        reason: Reason = Reason.NONE,
    ) -> Reading:
        # The hot path builds ~100k readings/s: a class test and one C call per float.
        if value.__class__ is float and not isfinite(value):  # type: ignore[arg-type]
            raise ValueError(f"{point}: a reading never holds {value}: make it bad (decode_error)")
        if quality is Quality.GOOD:
            if reason is not Reason.NONE:
                raise ValueError(f"{point}: a good reading carries no reason, got {reason}")
        else:
            if reason is Reason.NONE:
                raise ValueError(f"{point}: a {quality} reading needs a reason")
            if reason in (Reason.SENSOR_FAULT, Reason.COMM_LOSS) and value is not None:
                raise ValueError(f"{point}: a {reason} reading must not carry a value")
        return _new(cls, (point, value, ts, quality, reason))

    @property
    def is_good(self) -> bool:
        return self.quality is Quality.GOOD

    def __repr__(self) -> str:
        return (
            f"Reading(point={self.point!r}, value={self.value!r}, ts={self.ts!r}, "
            f"quality={self.quality!r}, reason={self.reason!r})"
        )


_new = tuple.__new__
_GOOD = Quality.GOOD
_NONE = Reason.NONE


def good_readings(
    points: Sequence[PointKey], values: Sequence[float], ts: float
) -> list[Reading] | None:
    """GOOD readings of ``points`` with ``values`` (floats) at ``ts``, checked as a batch:
    the sum of floats is finite only if every one of them is (a NaN or an infinity carries
    into the sum). Returns None when the batch holds a value that is not finite (or the
    sum overflowed): the caller then builds that batch reading by reading.
    """
    if not isfinite(sum(values)):
        return None
    return [_new(Reading, (point, value, ts, _GOOD, _NONE))
            for point, value in zip(points, values, strict=True)]


def good_in_range(point: PointKey, value: float, ts: float) -> Reading:
    """A GOOD reading of a float the caller has already found within finite bounds (so it
    is finite: NaN fails every comparison). The per-value form of ``good_within``, for
    decoders that meet values one at a time (MQTT object payloads); no other check."""
    return _new(Reading, (point, value, ts, _GOOD, _NONE))


def good_within(
    points: Sequence[PointKey],
    values: Sequence[float],
    lows: Sequence[float],
    highs: Sequence[float],
    ts: float,
) -> list[Reading | None]:
    """GOOD readings of ``points`` whose float value lies in its point's [low, high], and
    None in place of each one that does not. The bounds must be finite floats: a value
    between two of them is finite (NaN fails every comparison), so this one comparison
    per value is the whole check. The caller judges the Nones (``condition``)."""
    return [
        _new(Reading, (point, value, ts, _GOOD, _NONE)) if low <= value <= high else None
        for point, value, low, high in zip(points, values, lows, highs, strict=True)
    ]


def bad(point: PointKey, ts: float, reason: Reason) -> Reading:
    """A reading with no value: the device or sensor cannot be trusted."""
    return Reading(point=point, value=None, ts=ts, quality=Quality.BAD, reason=reason)


def number_reading(
    point: PointKey,
    number: float,
    ts: float,
    quality: Quality = Quality.GOOD,
    reason: Reason = Reason.NONE,
) -> Reading:
    """A reading of a measured number, or BAD ``decode_error`` when the number is NaN or
    infinite (a float32 NaN register, a scale that overflows, JSON ``1e999``): no
    instrument measures those. The one way producers turn a number into a reading."""
    if not isfinite(number):
        return Reading(point, None, ts, Quality.BAD, Reason.DECODE_ERROR)
    return Reading(point, number, ts, quality, reason)
