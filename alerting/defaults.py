"""From a point's ``alarms:`` section to its ``RuleSet``: what applies when a key is left out.

Limits by kind. Each level of the table that the point's file does not write gets its
default (a file that writes only ``H`` on a gas point still gets ``HH``); ``defaults: false``
gives no default limits at all, an explicit choice. Written and filled limits together must
be ordered LL < L < H < HH.

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
from itertools import pairwise

from alerting.oel import UnitError, lookup
from alerting.specs import (
    Annunciation,
    CommSpec,
    DiscreteSpec,
    FaultSpec,
    HeartbeatSpec,
    LimitSpec,
    RateSpec,
    RuleSet,
)
from config.alarms import LIMIT_ORDER, Limit, PointAlarms, is_lel_unit
from config.catalog import PointKey
from config.modbus import ModbusPoint, StatusRole
from config.points import DISCRETE_KINDS, PointBase, PointKind
from config.sharing import SharedValues
from config.vocabulary import AlarmType, Priority, normalise_unit

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

# Most points resolve to the same few specs (the default comm-loss and sensor-fault alarms
# above all): one frozen instance each instead of four per point.
_SPECS = SharedValues()

_VOL_UNITS = frozenset({"%vol", "%v/v", "vol%", "%", ""})

# The levels each kind has defaults for: the ones a file leaves out are filled in.
DEFAULT_LEVELS: dict[PointKind, tuple[str, ...]] = {
    PointKind.COMBUSTIBLE_GAS: ("H", "HH"),
    PointKind.TOXIC_GAS: ("H", "HH"),
    PointKind.OXYGEN: ("L", "H"),
}


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
        if not is_lel_unit(point.unit):  # the site model refuses these; kept as a guard
            raise RuleError(
                f"combustible-gas defaults are in %LEL, the point's unit is {point.unit!r}: "
                "use unit %LEL",
                ("unit",),
            )
        return {
            "H": Limit(value=COMBUSTIBLE_FIRST_LEVEL, priority=Priority.HIGH),
            "HH": Limit(value=COMBUSTIBLE_SECOND_LEVEL, priority=Priority.CRITICAL),
        }
    if point.kind is PointKind.TOXIC_GAS:
        full = oel_in_unit(point)
        return {
            "H": Limit(value=floor3(full * TOXIC_FIRST_LEVEL_OEL), priority=Priority.HIGH),
            "HH": Limit(value=floor3(full * TOXIC_SECOND_LEVEL_OEL), priority=Priority.CRITICAL),
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


def oel_in_unit(point: PointBase) -> float:
    """100 %OEL of a toxic-gas point's gas in the point's unit. In %OEL that is 100 whatever
    the gas; otherwise the gas must be in the OEL table and the unit convertible (ppm, ppb,
    mg/m3). Raises ``RuleError`` naming the key that stops it."""
    if normalise_unit(point.unit) == "%oel":
        return 100.0
    gas = point.gas or ""
    oel = lookup(gas)
    if oel is None:
        raise RuleError(
            f"no occupational exposure limit known for gas {gas!r} (see alerting/oel.py): "
            "write the H (≤ 100 %OEL) and HH (≤ 200 %OEL) limits explicitly",
            ("gas",),
        )
    try:
        return oel.limit_in(point.unit)
    except UnitError as error:
        raise RuleError(str(error), ("unit",)) from error


def floor3(value: float) -> float:
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
    chosen = _chosen_limits(point, alarms)
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
        limits=tuple(_SPECS.share(limit) for limit in limits),
        rate=_SPECS.share_optional(rate),
        discrete=_SPECS.share_optional(discrete),
        comm=_SPECS.share_optional(comm),
        fault=_SPECS.share_optional(fault),
        heartbeat=_SPECS.share_optional(heartbeat),
    )


def _chosen_limits(point: PointBase, alarms: PointAlarms) -> dict[str, Limit]:
    """The written limits, plus the default of each level the kind has one for and the
    file leaves out (unless ``defaults: false``)."""
    written = {
        name: limit for name in LIMIT_ORDER if (limit := alarms.limit(name)) is not None
    }
    if written and point.kind in DISCRETE_KINDS:
        name = next(iter(written))
        raise RuleError(
            f"a {point.kind.value} point reads true/false: it takes `discrete:`, "
            f"not analog limits ({name})",
            ("alarms", name),
        )
    if not alarms.defaults:
        return written
    missing = [name for name in DEFAULT_LEVELS.get(point.kind, ()) if name not in written]
    if not missing:
        return written
    try:
        defaults = default_limits(point)
    except RuleError as error:
        if not written:
            raise
        which = "its default" if len(missing) == 1 else "their defaults"
        raise RuleError(
            f"{' and '.join(missing)} not written and {which} cannot be used: {error.message}",
            error.path,
        ) from error
    filled = {name: defaults[name] for name in missing}
    chosen = {
        name: written[name] if name in written else filled[name]
        for name in LIMIT_ORDER
        if name in written or name in filled
    }
    _check_order(chosen, frozenset(filled))
    return chosen


def _check_order(chosen: dict[str, Limit], filled: frozenset[str]) -> None:
    """Written and filled-in limits together must be ordered LL < L < H < HH. The written
    ones alone were checked by the model; a clash here involves a default."""
    present = [name for name in LIMIT_ORDER if name in chosen]
    for low_name, high_name in pairwise(present):
        low, high = chosen[low_name].value, chosen[high_name].value
        if low < high:
            continue
        default_name, written_name = (
            (low_name, high_name) if low_name in filled else (high_name, low_name)
        )

        def label(name: str, value: float) -> str:
            return f"{name} {value:g}" + (" (default)" if name in filled else "")

        raise RuleError(
            f"limits must be ordered LL < L < H < HH: {label(low_name, low)} is not below "
            f"{label(high_name, high)}; write {default_name} too, or set defaults: false",
            ("alarms", written_name),
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
