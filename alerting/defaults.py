"""From a point's ``alarms:`` section to its ``RuleSet``: what applies when a key is left out.

Limits by kind, used when a point sets none of HH/H/L/LL (and ``defaults`` is not false):

| kind            | first level              | second level              | source              |
|-----------------|--------------------------|---------------------------|---------------------|
| combustible_gas | H 25 %LEL, high          | HH 50 %LEL, critical      | GB/T 50493-2019     |
| toxic_gas       | H 100 %OEL, high         | HH 200 %OEL, critical     | GB/T 50493-2019,    |
|                 |                          |                           | OEL: alerting.oel   |
| oxygen          | L 19.5 %VOL, high        | H 23.5 %VOL, high         | vendor practice (M) |

Every point gets a COMM_LOSS alarm (30 s) and a SENSOR_FAULT alarm unless its file turns
them off; a Modbus point whose status word has a ``heartbeat`` bit also gets a heartbeat
watch (10 s). Priorities left out: gas HH critical / H high; oxygen L and H high, LL and HH
critical; process points HH and LL high, H and L medium (about the 5/15/80 % split
ISA-18.2 asks for comes from most points being process points); rate of change medium;
discrete high; comm loss and sensor fault high on gas and oxygen detectors (a blind
detector is a hazard), medium elsewhere.

Deadbands left out follow EEMUA 191's recommended alarm deadbands as a share of the
measuring range: flow and level 5 %, pressure 2 %, temperature 1 %; 1 % for the others
(gas detectors: 1 %LEL on a 0–100 %LEL head).
"""

from __future__ import annotations

import math

from alerting.events import AlarmType, Priority
from alerting.oel import UnitError, lookup, normalise_unit
from alerting.rules import (
    Annunciation,
    CommSpec,
    DiscreteSpec,
    FaultSpec,
    HeartbeatSpec,
    LimitSpec,
    RateSpec,
    RuleSet,
)
from gateway.config.alarms import LIMIT_ORDER, Limit, PointAlarms
from gateway.config.models import DISCRETE_KINDS, ModbusPoint, PointBase, PointKind, StatusRole
from gateway.readings import PointKey

COMBUSTIBLE_FIRST_LEVEL = 25.0  # %LEL, GB/T 50493-2019: first-level set point ≤ 25 %LEL
COMBUSTIBLE_SECOND_LEVEL = 50.0  # %LEL, second level ≤ 50 %LEL
TOXIC_FIRST_LEVEL_OEL = 1.0  # × OEL
TOXIC_SECOND_LEVEL_OEL = 2.0
OXYGEN_LOW = 19.5  # %VOL, deficiency
OXYGEN_HIGH = 23.5  # %VOL, enrichment

GAS_KINDS = frozenset({PointKind.COMBUSTIBLE_GAS, PointKind.TOXIC_GAS})
SAFETY_KINDS = GAS_KINDS | {PointKind.OXYGEN}

_DEADBAND_SHARE = {
    PointKind.FLOW: 0.05,
    PointKind.LEVEL: 0.05,
    PointKind.PRESSURE: 0.02,
    PointKind.PRESSURE_DIFFERENCE: 0.02,
    PointKind.TEMPERATURE: 0.01,
}
_DEFAULT_DEADBAND_SHARE = 0.01

_SLOT_PRIORITY_GAS = {
    "HH": Priority.CRITICAL, "H": Priority.HIGH, "L": Priority.MEDIUM, "LL": Priority.HIGH,
}
_SLOT_PRIORITY_OXYGEN = {
    "HH": Priority.CRITICAL, "H": Priority.HIGH, "L": Priority.HIGH, "LL": Priority.CRITICAL,
}
_SLOT_PRIORITY_PROCESS = {
    "HH": Priority.HIGH, "H": Priority.MEDIUM, "L": Priority.MEDIUM, "LL": Priority.HIGH,
}
RATE_PRIORITY = Priority.MEDIUM
DISCRETE_PRIORITY = Priority.HIGH
HEARTBEAT_TIMEOUT = 10.0

_LEL_UNITS = frozenset({"%lel", "lel", "lel%", ""})
_VOL_UNITS = frozenset({"%vol", "%v/v", "vol%", "%", ""})


class RuleError(ValueError):
    """A point's alarm rules cannot be built. ``path`` is relative to the point."""

    def __init__(self, message: str, path: tuple[str | int, ...] = ("alarms",)) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


def slot_priority(kind: PointKind, slot: str) -> Priority:
    if kind in GAS_KINDS:
        return _SLOT_PRIORITY_GAS[slot]
    if kind is PointKind.OXYGEN:
        return _SLOT_PRIORITY_OXYGEN[slot]
    return _SLOT_PRIORITY_PROCESS[slot]


def system_priority(kind: PointKind) -> Priority:
    return Priority.HIGH if kind in SAFETY_KINDS else Priority.MEDIUM


def default_deadband(point: PointBase) -> float:
    if point.range is None:
        return 0.0
    share = _DEADBAND_SHARE.get(point.kind, _DEFAULT_DEADBAND_SHARE)
    return share * (point.range.high - point.range.low)


def default_limits(point: PointBase) -> dict[str, Limit]:
    """The kind's default limits in the point's unit; empty for kinds without defaults."""
    unit = normalise_unit(point.unit)
    if point.kind is PointKind.COMBUSTIBLE_GAS:
        if unit not in _LEL_UNITS:
            raise RuleError(
                f"combustible-gas defaults are in %LEL, the point's unit is {point.unit!r}: "
                "use unit %LEL or write the limits explicitly",
                ("unit",),
            )
        return {
            "H": Limit(value=COMBUSTIBLE_FIRST_LEVEL, priority=Priority.HIGH),
            "HH": Limit(value=COMBUSTIBLE_SECOND_LEVEL, priority=Priority.CRITICAL),
        }
    if point.kind is PointKind.TOXIC_GAS:
        gas = point.gas or ""
        oel = lookup(gas)
        if oel is None:
            raise RuleError(
                f"no occupational exposure limit known for gas {gas!r} (see alerting/oel.py): "
                "write the H (≤ 100 %OEL) and HH (≤ 200 %OEL) limits explicitly",
                ("gas",),
            )
        try:
            full = oel.limit_in(point.unit)
        except UnitError as error:
            raise RuleError(str(error), ("unit",)) from error
        return {
            "H": Limit(value=_floor3(full * TOXIC_FIRST_LEVEL_OEL), priority=Priority.HIGH),
            "HH": Limit(value=_floor3(full * TOXIC_SECOND_LEVEL_OEL), priority=Priority.CRITICAL),
        }
    if point.kind is PointKind.OXYGEN:
        if unit not in _VOL_UNITS:
            raise RuleError(
                f"oxygen defaults are in %VOL, the point's unit is {point.unit!r}: "
                "use unit %VOL or write the limits explicitly",
                ("unit",),
            )
        return {
            "L": Limit(value=OXYGEN_LOW, priority=Priority.HIGH),
            "H": Limit(value=OXYGEN_HIGH, priority=Priority.HIGH),
        }
    return {}


def _floor3(value: float) -> float:
    """Round down to 3 decimals: a default set point must never exceed the rule's maximum."""
    return math.floor(value * 1000.0 + 1e-9) / 1000.0


def has_status_heartbeat(point: PointBase) -> bool:
    if not isinstance(point, ModbusPoint) or point.source.status_word is None:
        return False
    return StatusRole.HEARTBEAT in point.source.status_word.bits


def resolve(key: PointKey, point: PointBase, hazard_source: str = "") -> RuleSet:
    """The point's effective rules. Raises ``RuleError`` naming the offending key."""
    alarms = point.alarms if point.alarms is not None else PointAlarms()
    discrete_kind = point.kind in DISCRETE_KINDS
    limits: list[LimitSpec] = []
    chosen: dict[str, Limit]
    if alarms.has_limits:
        if discrete_kind:
            name = next(name for name in LIMIT_ORDER if alarms.limit(name) is not None)
            raise RuleError(
                f"a {point.kind.value} point reads true/false: it takes `discrete:`, "
                f"not analog limits ({name})",
                ("alarms", name),
            )
        chosen = {}
        for name in LIMIT_ORDER:
            explicit = alarms.limit(name)
            if explicit is not None:
                chosen[name] = explicit
    elif alarms.defaults:
        chosen = default_limits(point)
    else:
        chosen = {}
    for name in LIMIT_ORDER:
        limit = chosen.get(name)
        if limit is None:
            continue
        limits.append(
            LimitSpec(
                alarm_type=AlarmType(name),
                value=limit.value,
                deadband=limit.deadband if limit.deadband is not None else default_deadband(point),
                annunciation=Annunciation(
                    limit.priority or slot_priority(point.kind, name),
                    limit.latching,
                    limit.realarm,
                ),
                on_delay=limit.on_delay,
                off_delay=limit.off_delay,
            )
        )

    rate = None
    if alarms.rate is not None:
        if discrete_kind:
            raise RuleError("a discrete point has no rate of change", ("alarms", "rate"))
        spec = alarms.rate
        rate = RateSpec(
            limit=spec.limit,
            per_seconds=1.0 if spec.per == "second" else 60.0,
            window=spec.window,
            direction=spec.direction,
            deadband=spec.deadband,
            annunciation=Annunciation(
                spec.priority or RATE_PRIORITY, spec.latching, spec.realarm
            ),
            on_delay=spec.on_delay,
            off_delay=spec.off_delay,
        )

    fault = None
    if alarms.sensor_fault.enabled:
        sensor = alarms.sensor_fault
        fault = FaultSpec(
            Annunciation(
                sensor.priority or system_priority(point.kind), sensor.latching, sensor.realarm
            ),
            sensor.on_delay,
            sensor.off_delay,
        )

    discrete = None
    if alarms.discrete is not None:
        discrete = _discrete(point, alarms)
        if discrete.fault and fault is None:
            raise RuleError(
                "discrete: fault: true needs the sensor_fault alarm, which is turned off",
                ("alarms", "discrete", "fault"),
            )

    comm = None
    if alarms.comm_loss.enabled:
        loss = alarms.comm_loss
        comm = CommSpec(
            loss.timeout,
            Annunciation(loss.priority or system_priority(point.kind), loss.latching, loss.realarm),
        )

    heartbeat = None
    if alarms.heartbeat is not None:
        if not discrete_kind and not has_status_heartbeat(point):
            raise RuleError(
                "heartbeat: this point has no heartbeat; watch a discrete point's value, or "
                "a Modbus point whose status word has a `heartbeat` bit",
                ("alarms", "heartbeat"),
            )
        if fault is None:
            raise RuleError(
                "heartbeat: a stalled heartbeat is a sensor-fault alarm, which is turned off",
                ("alarms", "heartbeat"),
            )
        heartbeat = HeartbeatSpec(alarms.heartbeat.timeout, from_status_word=not discrete_kind)
    elif fault is not None and has_status_heartbeat(point):
        heartbeat = HeartbeatSpec(HEARTBEAT_TIMEOUT, from_status_word=True)

    return RuleSet(
        key=key,
        hazard_source=hazard_source,
        limits=tuple(limits),
        rate=rate,
        discrete=discrete,
        comm=comm,
        fault=fault,
        heartbeat=heartbeat,
    )


def _discrete(point: PointBase, alarms: PointAlarms) -> DiscreteSpec:
    spec = alarms.discrete
    assert spec is not None
    when: bool | frozenset[float]
    raw = spec.when
    if point.kind in DISCRETE_KINDS:
        states = raw if isinstance(raw, list) else [raw]
        if len(states) != 1 or states[0] not in (0, 1):
            raise RuleError(
                f"a {point.kind.value} point reads true/false: `when` must be true or false",
                ("alarms", "discrete", "when"),
            )
        when = bool(states[0])
    elif isinstance(raw, bool):
        when = raw
    else:
        when = frozenset(float(state) for state in (raw if isinstance(raw, list) else [raw]))
    return DiscreteSpec(
        when=when,
        fault=spec.fault,
        annunciation=Annunciation(spec.priority or DISCRETE_PRIORITY, spec.latching, spec.realarm),
        on_delay=spec.on_delay,
        off_delay=spec.off_delay,
    )
