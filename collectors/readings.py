"""The unit of data that flows through the gateway: one reading of one point.

A reading is frozen: once a collector has produced it, nobody downstream may
change it. The quality and reason travel with the value, so that a dead device
never looks like a frozen value and a sensor fault is never shown as a number.

A reading never holds NaN or an infinity: ``Reading`` refuses one, and producers turn a
number that is not finite into a BAD ``decode_error`` reading through ``number_reading``.
Storage, alarms and the displays rely on it and do not check again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from math import isfinite

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


@dataclass(frozen=True, slots=True)
class Reading:
    """One value of one point at one moment.

    ``ts`` is seconds since the Unix epoch (UTC). ``value`` is None exactly when
    there is no trustworthy number to show (comm loss, sensor fault, decode error);
    a float value is always finite.
    """

    point: PointKey
    value: Value
    ts: float
    quality: Quality = Quality.GOOD
    reason: Reason = Reason.NONE

    def __post_init__(self) -> None:
        value = self.value
        # The hot path builds ~100k readings/s: a class test and one C call per float.
        if value.__class__ is float and not isfinite(value):
            raise ValueError(
                f"{self.point}: a reading never holds {value}: make it bad (decode_error)"
            )
        if self.quality is Quality.GOOD and self.reason is not Reason.NONE:
            raise ValueError(f"{self.point}: a good reading carries no reason, got {self.reason}")
        if self.quality is not Quality.GOOD and self.reason is Reason.NONE:
            raise ValueError(f"{self.point}: a {self.quality} reading needs a reason")
        if self.reason in (Reason.SENSOR_FAULT, Reason.COMM_LOSS) and self.value is not None:
            raise ValueError(f"{self.point}: a {self.reason} reading must not carry a value")

    @property
    def is_good(self) -> bool:
        return self.quality is Quality.GOOD


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
