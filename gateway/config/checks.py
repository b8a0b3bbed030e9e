"""Rules that span several entries of a site file: duplicate tags, dangling
references, overlapping registers with conflicting types.

Pure functions over a validated ``Site``; the source map only lends line numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from alerting.defaults import (
    COMBUSTIBLE_FIRST_LEVEL,
    COMBUSTIBLE_SECOND_LEVEL,
    TOXIC_FIRST_LEVEL_OEL,
    TOXIC_SECOND_LEVEL_OEL,
    RuleError,
    floor3,
    oel_in_unit,
    resolve,
)
from alerting.events import AlarmType
from alerting.oel import lookup, normalise_unit
from gateway.config.models import (
    DataType,
    ModbusDeviceBase,
    ModbusRtuSerialDevice,
    MqttDevice,
    PayloadFormat,
    PointBase,
    PointKind,
    RegisterTable,
    SerialLine,
    Site,
)
from gateway.readings import PointKey

if TYPE_CHECKING:
    from gateway.config.loader import ConfigIssue, DataPath, SourceMap


@dataclass(frozen=True, slots=True)
class RegisterUse:
    """One read of a span of registers that a point's decoding depends on."""

    table: RegisterTable
    start: int
    count: int
    layout: str  # what the registers are decoded as; equal layouts may share registers
    tag: str

    @property
    def end(self) -> int:
        return self.start + self.count


def register_uses(device: ModbusDeviceBase) -> list[RegisterUse]:
    uses = []
    for point in device.points:
        source = point.source
        # A bit of a register and the register read whole agree on what the register is.
        layout = (
            "word16"
            if source.type in (DataType.BIT, DataType.INT16, DataType.UINT16)
            else f"{source.type.value}/{source.byte_order.value}"
        )
        if source.type is DataType.BOOL:
            layout = "bool"
        uses.append(
            RegisterUse(source.table, source.address, source.register_count, layout, point.tag)
        )
        if source.status_word is not None:
            word = source.status_word
            uses.append(RegisterUse(word.table, word.address, 1, "word16", point.tag))
    return uses


def _overlap_conflicts(uses: list[RegisterUse]) -> list[tuple[RegisterUse, RegisterUse]]:
    conflicts = []
    ordered = sorted(uses, key=lambda use: (use.table.value, use.start, use.count))
    for index, first in enumerate(ordered):
        for second in ordered[index + 1 :]:
            if second.table is not first.table or second.start >= first.end:
                break
            same_span = (first.start, first.count) == (second.start, second.count)
            if not (same_span and first.layout == second.layout):
                conflicts.append((first, second))
    return conflicts


def check_site(site: Site, source: SourceMap) -> list[ConfigIssue]:
    from gateway.config.loader import ConfigIssue

    issues: list[ConfigIssue] = []

    def add(
        path: DataPath, message: str, device: str | None = None, point: str | None = None
    ) -> None:
        issues.append(ConfigIssue(source.file, source.line_of(path), message, point, device))

    source_ids = {hazard.id for hazard in site.hazard_sources}
    tags: dict[str, str] = {}
    device_ids: set[str] = set()
    serial_lines: dict[str, tuple[str, SerialLine]] = {}
    for d_index, device in enumerate(site.devices):
        device_path: DataPath = ("devices", d_index)
        if device.id in device_ids:
            add((*device_path, "id"), f"duplicate device id {device.id!r}", device.id)
        device_ids.add(device.id)
        for p_index, point in enumerate(device.points):
            point_path: DataPath = (*device_path, "points", p_index)
            if point.tag in tags:
                add(
                    (*point_path, "tag"),
                    f"duplicate tag {point.tag!r} (already on device {tags[point.tag]})",
                    device.id,
                    point.tag,
                )
            else:
                tags[point.tag] = device.id
            if point.hazard_source not in source_ids:
                add(
                    (*point_path, "hazard_source"),
                    f"unknown hazard source {point.hazard_source!r}; "
                    f"known: {', '.join(sorted(source_ids))}",
                    device.id,
                    point.tag,
                )
            _check_alarms(site.enterprise.code, point, point_path, device.id, add)
        if isinstance(device, ModbusRtuSerialDevice):
            line = serial_lines.setdefault(device.serial.port, (device.id, device.serial))
            if line[1] != device.serial:
                add(
                    (*device_path, "serial"),
                    f"serial port {device.serial.port} is already used by device {line[0]} "
                    "with other line settings: one bus has one baud rate and framing",
                    device.id,
                )
        if isinstance(device, ModbusDeviceBase):
            _check_registers(device, device_path, add)
        elif isinstance(device, MqttDevice):
            _check_mqtt(device, device_path, add)
    return issues


Add = Callable[..., None]


def _check_registers(device: ModbusDeviceBase, device_path: DataPath, add: Add) -> None:
    index_of = {point.tag: index for index, point in enumerate(device.points)}
    for first, second in _overlap_conflicts(register_uses(device)):
        add(
            (*device_path, "points", index_of[second.tag], "source"),
            f"{second.table.value} registers {second.start}..{second.end - 1} ({second.layout}) "
            f"overlap point {first.tag}'s {first.start}..{first.end - 1} ({first.layout}) "
            "with a conflicting type",
            device.id,
            second.tag,
        )


def _check_mqtt(device: MqttDevice, device_path: DataPath, add: Add) -> None:
    keys: dict[str, str] = {}
    for index, point in enumerate(device.points):
        key = point.payload_key
        if key in keys:
            add(
                (*device_path, "points", index, "key"),
                f"payload key {key!r} already maps to point {keys[key]}",
                device.id,
                point.tag,
            )
        keys[key] = point.tag
    tags = {point.tag for point in device.points}
    for index, subscription in enumerate(device.subscriptions):
        if subscription.format is PayloadFormat.VALUE and subscription.point not in tags:
            add(
                (*device_path, "subscriptions", index, "point"),
                f"subscription {subscription.topic!r} names point {subscription.point!r}, "
                "which this device does not have",
                device.id,
            )


# Gas set points GB/T 50493-2019 allows at most, by limit: combustible in %LEL (the site
# model makes every combustible-gas point %LEL), toxic as a multiple of 100 %OEL.
_COMBUSTIBLE_MAXIMUM = {
    AlarmType.HIGH: (COMBUSTIBLE_FIRST_LEVEL, "first"),
    AlarmType.HIGH_HIGH: (COMBUSTIBLE_SECOND_LEVEL, "second"),
}
_TOXIC_MAXIMUM = {
    AlarmType.HIGH: (TOXIC_FIRST_LEVEL_OEL, "first"),
    AlarmType.HIGH_HIGH: (TOXIC_SECOND_LEVEL_OEL, "second"),
}
# A written set point equal to the maximum, give or take float rounding, is allowed.
_TOLERANCE = 1e-9


def _check_alarms(site: str, point: PointBase, point_path: DataPath, device: str, add: Add) -> None:
    """Alarm rules that need the point: defaults that cannot be built, gas set points above
    GB/T 50493-2019's (25/50 %LEL, 100/200 %OEL), limits outside the measuring range,
    deadbands that never clear."""
    try:
        rules = resolve(PointKey(site, point.tag), point)
    except RuleError as error:
        add((*point_path, *error.path), error.message, device, point.tag)
        return
    combustible = point.kind is PointKind.COMBUSTIBLE_GAS
    # No unit on a combustible-gas point means %LEL (see PointBase): say so in messages.
    unit = f" {point.unit}" if point.unit else (" %LEL" if combustible else "")
    toxic = _toxic_oel(point)
    for limit in rules.limits:
        name = limit.alarm_type.value
        # Only the limits the file writes have a line of their own; a default points at the
        # kind (or range) that chose it.
        written = point.alarms is not None and point.alarms.limit(name) is not None
        path: DataPath = (
            (*point_path, "alarms", name, "value") if written else (*point_path, "kind")
        )
        maximum = _COMBUSTIBLE_MAXIMUM.get(limit.alarm_type)
        if combustible and maximum and limit.value > maximum[0] * (1 + _TOLERANCE):
            add(
                path,
                f"combustible-gas {name} set point {limit.value:g}{unit} is above "
                f"{maximum[0]:g} %LEL, the most GB/T 50493-2019 allows for the "
                f"{maximum[1]} level",
                device,
                point.tag,
            )
        share = _TOXIC_MAXIMUM.get(limit.alarm_type)
        if toxic is not None and share is not None:
            full, basis = toxic
            most = full * share[0]
            if limit.value > most * (1 + _TOLERANCE):
                # In %OEL the figure says it all; in ppm or mg/m³ say which OEL it comes from.
                what = f", {share[0] * 100:g} %OEL{basis}" if basis else ""
                add(
                    path,
                    f"toxic-gas {name} set point {limit.value:g}{unit} is above "
                    f"{_down3(most)}{unit}{what}, the most GB/T 50493-2019 allows for the "
                    f"{share[1]} level",
                    device,
                    point.tag,
                )
        span = point.range
        if span is None:
            continue
        if not span.low <= limit.value <= span.high:
            add(
                path if written else (*point_path, "range"),
                f"{name} set point {limit.value:g}{unit} lies outside the range "
                f"{span.low:g}..{span.high:g}{unit}: the alarm could not work as intended",
                device,
                point.tag,
            )
            continue
        clear_at = limit.value - limit.deadband if limit.high else limit.value + limit.deadband
        if (limit.high and clear_at <= span.low) or (not limit.high and clear_at >= span.high):
            add(
                (*point_path, "alarms", name, "deadband") if written else path,
                f"{name} deadband {limit.deadband:g}{unit} would return the alarm only at "
                f"{clear_at:g}{unit}, at or beyond the range {span.low:g}..{span.high:g}",
                device,
                point.tag,
            )


def _down3(value: float) -> str:
    """The value rounded down to 3 decimals, as written: a figure the engineer can copy
    (``:g`` could round it up past the maximum)."""
    return f"{floor3(value):.3f}".rstrip("0").rstrip(".")


def _toxic_oel(point: PointBase) -> tuple[float, str] | None:
    """100 %OEL of a toxic-gas point in its unit, and words saying what it is (`` of H2S
    (MAC 10 mg/m³)``, empty in %OEL); None when the gas is not in the OEL table or the unit
    cannot be converted: then its written limits cannot be compared with the standard."""
    if point.kind is not PointKind.TOXIC_GAS:
        return None
    try:
        full = oel_in_unit(point)
    except RuleError:
        return None
    oel = lookup(point.gas or "")
    if normalise_unit(point.unit) == "%oel" or oel is None:
        return full, ""
    return full, f" of {oel.formula} ({oel.basis} {oel.limit_mg_m3:g} mg/m³)"
