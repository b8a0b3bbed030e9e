"""Alarm rules checked against the site file: defaults that cannot be built, gas set points
above GB/T 50493-2019's (25/50 %LEL, 100/200 %OEL), limits outside the measuring range,
deadbands that never clear.

A check over a validated site, handed to the config loader by the gateway's validator, so
that ``check-config``, ``run`` and a reload refuse the same files.
"""

from __future__ import annotations

from collections.abc import Callable

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
from alerting.oel import lookup
from config.catalog import PointKey
from config.issues import ConfigIssue, DataPath, SourceMap
from config.points import PointBase, PointKind
from config.site import Site
from config.vocabulary import AlarmType, normalise_unit

Add = Callable[..., None]


def check_alarm_rules(site: Site, source: SourceMap) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []

    def add(
        path: DataPath, message: str, device: str | None = None, point: str | None = None
    ) -> None:
        issues.append(ConfigIssue(source.file, source.line_of(path), message, point, device))

    for d_index, device in enumerate(site.devices):
        for p_index, point in enumerate(device.points):
            point_path: DataPath = ("devices", d_index, "points", p_index)
            _check_alarms(site.enterprise.code, point, point_path, device.id, add)
    return issues


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
