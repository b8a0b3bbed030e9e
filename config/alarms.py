"""Alarm rules of a point, as written in the site file (``alarms:`` under a point).

Example (a combustible-gas detector; omit the limits to get the GB/T 50493 defaults)::

    alarms:
      H:  {value: 20, priority: high, deadband: 1}          # 高报 (first level)
      HH: {value: 40, priority: critical, on_delay: 2s}     # 高高报 (second level)
      rate: {limit: 10, per: minute, window: 30s}
      comm_loss: {timeout: 30s}                             # on by default for every point
      sensor_fault: {priority: high}                        # on by default for every point

Kept in its own module so that the alerting package owns its configuration. Rules that need
the point (its kind, range, gas: combustible set points above 25/50 %LEL, toxic set points
above 100/200 %OEL, limits outside the range, defaults that cannot be built) are checked in
``config.checks``; what applies when a key is left out is decided in
``alerting.defaults``. A gas or oxygen point gets the default of each level its file does not
write (``defaults: false`` turns that off).

Durations are seconds, or a string with a unit: ``"500ms"``, ``"30s"``, ``"5m"``, ``"1.5h"``.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from config.base import share_fields_set
from config.durations import Seconds
from config.vocabulary import Priority, normalise_unit

COMM_LOSS_TIMEOUT_DEFAULT = 30.0  # seconds; a line fault must show well inside 100 s
HEARTBEAT_TIMEOUT_DEFAULT = 10.0  # seconds without a toggle; heartbeats toggle every ~2 s

# How %LEL may be written (compared after ``normalise_unit``: any case, spaces ignored). No
# unit at all on a combustible-gas point means %LEL: the standard's set points are in %LEL.
LEL_UNITS = frozenset({"%lel", "lel", "lel%", ""})


def is_lel_unit(unit: str) -> bool:
    """True for %LEL however written (``%LEL``, ``LEL``, ``LEL%``, ``% lel``) and for none."""
    return normalise_unit(unit) in LEL_UNITS


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    @model_validator(mode="after")
    def _share_fields_set(self) -> Any:
        share_fields_set(self)  # one set per combination of written keys, see config.base
        return self


class _Annunciation(_Model):
    priority: Priority | None = Field(
        default=None, description="critical/high/medium/low; default depends on kind and rule"
    )
    latching: bool = Field(
        default=False,
        description="on return the alarm waits for a person's acknowledgement (reset) "
        "even if it was acknowledged while active",
    )
    realarm: Seconds | None = Field(
        default=None, description="re-annunciate an acknowledged alarm still active this long"
    )

    @model_validator(mode="after")
    def _realarm_positive(self) -> _Annunciation:
        if self.realarm is not None and self.realarm <= 0:
            raise ValueError("realarm must be a positive duration (leave it out for none)")
        return self


class _Delays(_Model):
    on_delay: Seconds = Field(default=0.0, description="the condition must last this long")
    off_delay: Seconds = Field(default=0.0, description="the return must last this long")


class Limit(_Annunciation, _Delays):
    """One analog limit: HH 高高, H 高, L 低, LL 低低."""

    value: float
    deadband: float | None = Field(
        default=None,
        ge=0,
        description="hysteresis in engineering units; default: a share of the range by kind "
        "(EEMUA 191: flow/level 5 %, pressure 2 %, temperature 1 %, others 1 %)",
    )


class RateOfChange(_Annunciation, _Delays):
    """Alarm when the value changes faster than ``limit`` per second or per minute,
    measured over the last ``window`` seconds."""

    limit: float = Field(gt=0, description="engineering units per `per`")
    per: Literal["second", "minute"] = "minute"
    window: Seconds = Field(default=60.0, description="seconds the rate is measured over")
    direction: Literal["rise", "fall", "both"] = "both"
    deadband: float = Field(default=0.0, ge=0, description="in the same unit as `limit`")

    @model_validator(mode="after")
    def _sane(self) -> RateOfChange:
        if self.window <= 0:
            raise ValueError("window must be a positive duration")
        if self.deadband >= self.limit:
            raise ValueError(f"deadband {self.deadband} must be below the limit {self.limit}")
        return self


# Keys of `discrete:` that belong to its own DISCRETE alarm. With `fault: true` there is no
# such alarm: the state feeds the point's SENSOR_FAULT alarm, whose settings live under
# `sensor_fault:` (one alarm, one set of settings, whatever the cause of the fault).
_FAULT_STATE_REFUSES = ("priority", "latching", "realarm", "on_delay", "off_delay")


class Discrete(_Annunciation, _Delays):
    """Alarm on a state or a status bit: spark detected, rotary-valve fault, interlock
    tripped. ``fault: true`` makes it the point's sensor-fault alarm (a detector fault bit);
    then priority, latching, realarm and delays are written under ``sensor_fault:`` and
    refused here, so that nothing written is silently ignored."""

    when: bool | int | list[int] = Field(
        default=True, description="alarm when the value is true/false, or equals this state"
    )
    fault: bool = Field(
        default=False, description="this state is a detector/line fault: a SENSOR_FAULT alarm"
    )

    @model_validator(mode="after")
    def _states(self) -> Discrete:
        if isinstance(self.when, list) and not self.when:
            raise ValueError("when: give at least one state")
        if self.fault:
            written = [key for key in _FAULT_STATE_REFUSES if key in self.model_fields_set]
            if written:
                keys = ", ".join(written)
                raise ValueError(
                    "fault: true makes this state the point's SENSOR_FAULT alarm, which takes "
                    f"its priority, latching, realarm and delays from `sensor_fault:`; "
                    f"move {keys} to `sensor_fault:` (or drop fault: true for a DISCRETE alarm)"
                )
        return self


class CommLoss(_Annunciation):
    """No reading proving the device answers for ``timeout`` seconds: a COMM_LOSS alarm."""

    enabled: bool = True
    timeout: Seconds = Field(
        default=COMM_LOSS_TIMEOUT_DEFAULT,
        description="seconds; must stay well inside the 100 s a controller has to show a "
        "line fault",
    )

    @model_validator(mode="after")
    def _timeout(self) -> CommLoss:
        if not 0 < self.timeout < 100:
            raise ValueError(
                f"comm_loss timeout {self.timeout:g} s: must be above 0 and below 100 s "
                "(a line fault must show within 100 s)"
            )
        return self


class SensorFault(_Annunciation, _Delays):
    """Sensor-fault readings (NAMUR NE43 fault currents, fault bits): a SENSOR_FAULT alarm."""

    enabled: bool = True


class Heartbeat(_Model):
    """A heartbeat bit that stops toggling for ``timeout`` seconds is a SENSOR_FAULT.

    The heartbeat is the point's own value on a discrete point, or the ``heartbeat`` bit of
    a Modbus point's status word (fed to the engine by the collector)."""

    timeout: Seconds = Field(default=HEARTBEAT_TIMEOUT_DEFAULT)

    @model_validator(mode="after")
    def _timeout(self) -> Heartbeat:
        if not 0 < self.timeout < 100:
            raise ValueError(f"heartbeat timeout {self.timeout:g} s: must be above 0, below 100 s")
        return self


LIMIT_ORDER = ("LL", "L", "H", "HH")


class PointAlarms(_Model):
    HH: Limit | None = Field(default=None, description="高高 high-high")
    H: Limit | None = Field(default=None, description="高 high (first level for gas)")
    L: Limit | None = Field(default=None, description="低 low")
    LL: Limit | None = Field(default=None, description="低低 low-low")
    rate: RateOfChange | None = None
    discrete: Discrete | None = None
    comm_loss: CommLoss = CommLoss()
    sensor_fault: SensorFault = SensorFault()
    heartbeat: Heartbeat | None = None
    defaults: bool = Field(
        default=True,
        description="give each level of a gas or oxygen point that the file does not write its "
        "default (combustible/toxic: H and HH, oxygen: L and H); false: no default limits at "
        "all, an explicit choice",
    )

    @model_validator(mode="after")
    def _ordered(self) -> PointAlarms:
        # The written limits alone; with the kind's defaults filled in, the order is checked
        # again in ``alerting.defaults.resolve``.
        limits = [(name, getattr(self, name)) for name in LIMIT_ORDER]
        present = [(name, limit.value) for name, limit in limits if limit is not None]
        for (low_name, low), (high_name, high) in pairwise(present):
            if not low < high:
                raise ValueError(
                    f"limits must be ordered LL < L < H < HH: {low_name} {low:g} is not below "
                    f"{high_name} {high:g}"
                )
        return self

    def limit(self, name: str) -> Limit | None:
        limit: Limit | None = getattr(self, name)
        return limit
