"""The alarm rules of one point, as data: frozen specs built by ``alerting.defaults.resolve``
from the configuration (defaults applied) and read by ``alerting.rules.PointEvaluator``.

Nothing here evaluates anything; a ``RuleSet`` can be compared, printed and shared.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from config.catalog import PointKey
from config.vocabulary import AlarmType, Priority

HIGH_TYPES = frozenset({AlarmType.HIGH, AlarmType.HIGH_HIGH})
LIMIT_TYPES = (AlarmType.LOW_LOW, AlarmType.LOW, AlarmType.HIGH, AlarmType.HIGH_HIGH)


@dataclass(frozen=True, slots=True)
class Annunciation:
    """What the state machine needs to know about an alarm's rule."""

    priority: Priority
    latching: bool = False
    realarm: float | None = None  # seconds


@dataclass(frozen=True, slots=True)
class LimitSpec:
    alarm_type: AlarmType  # HH, H, L or LL
    value: float
    deadband: float
    annunciation: Annunciation
    on_delay: float = 0.0
    off_delay: float = 0.0

    @property
    def high(self) -> bool:
        return self.alarm_type in HIGH_TYPES


@dataclass(frozen=True, slots=True)
class RateSpec:
    limit: float  # in units per second or per minute, as configured
    per_seconds: float  # 1.0 or 60.0: the unit the limit and the reported rate are in
    window: float  # seconds
    direction: str  # rise / fall / both
    deadband: float  # same unit as limit
    annunciation: Annunciation
    on_delay: float = 0.0
    off_delay: float = 0.0


@dataclass(frozen=True, slots=True)
class DiscreteSpec:
    when: bool | frozenset[float]  # a bool, or the states that are alarms
    fault: bool  # contributes to SENSOR_FAULT instead of raising DISCRETE
    annunciation: Annunciation
    on_delay: float = 0.0
    off_delay: float = 0.0

    def matches(self, value: float | bool) -> bool:
        when = self.when
        if isinstance(when, bool):
            return bool(value) is when
        return value in when


@dataclass(frozen=True, slots=True)
class CommSpec:
    timeout: float
    annunciation: Annunciation


@dataclass(frozen=True, slots=True)
class FaultSpec:
    annunciation: Annunciation
    on_delay: float = 0.0
    off_delay: float = 0.0


@dataclass(frozen=True, slots=True)
class HeartbeatSpec:
    timeout: float
    from_status_word: bool  # False: the point's own discrete value is the heartbeat


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Every alarm rule of one point, defaults applied."""

    key: PointKey
    hazard_source: str = ""
    limits: tuple[LimitSpec, ...] = ()
    rate: RateSpec | None = None
    discrete: DiscreteSpec | None = None
    comm: CommSpec | None = None
    fault: FaultSpec | None = None
    heartbeat: HeartbeatSpec | None = None

    def alarms(self) -> Iterator[tuple[AlarmType, Annunciation]]:
        """Every alarm this point can raise."""
        for limit in self.limits:
            yield limit.alarm_type, limit.annunciation
        if self.rate is not None:
            yield AlarmType.RATE_OF_CHANGE, self.rate.annunciation
        if self.discrete is not None and not self.discrete.fault:
            yield AlarmType.DISCRETE, self.discrete.annunciation
        if self.comm is not None:
            yield AlarmType.COMM_LOSS, self.comm.annunciation
        if self.fault is not None:
            yield AlarmType.SENSOR_FAULT, self.fault.annunciation

    def annunciation(self, alarm_type: AlarmType) -> Annunciation | None:
        """How this point's alarm of ``alarm_type`` is annunciated; None if it has none."""
        for kind, annunciation in self.alarms():
            if kind is alarm_type:
                return annunciation
        return None

    def limit(self, alarm_type: AlarmType) -> LimitSpec | None:
        for limit in self.limits:
            if limit.alarm_type is alarm_type:
                return limit
        return None
