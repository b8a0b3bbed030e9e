"""Defaults by point kind (GB/T 50493 gas set points, OEL table, oxygen), and the
configuration errors of alarm rules, through the real loader on temporary site files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alarm_support import SITE, point, pt, site_yaml

from alerting import oel
from alerting.defaults import RuleError, resolve
from alerting.events import AlarmType, Priority
from gateway.config.loader import ConfigError, load_site
from gateway.readings import PointKey


def _rules(**fields: Any):  # type: ignore[no-untyped-def]
    model = point(**fields)
    return resolve(PointKey(SITE, model.tag), model, "HS1")


def _limits(**fields: Any) -> dict[str, tuple[float, Priority]]:
    return {
        spec.alarm_type.value: (spec.value, spec.annunciation.priority)
        for spec in _rules(**fields).limits
    }


# ------------------------------------------------------------------------ gas defaults


def test_combustible_defaults_25_and_50_lel() -> None:
    assert _limits(kind="combustible_gas", unit="%LEL") == {
        "H": (25.0, Priority.HIGH),
        "HH": (50.0, Priority.CRITICAL),
    }


@pytest.mark.parametrize("unit", ["%LEL", "%lel", "LEL", ""])
def test_combustible_units_accepted(unit: str) -> None:
    assert set(_limits(kind="combustible_gas", unit=unit)) == {"H", "HH"}


# 100 %OEL in ppm = OEL(mg/m³) × 24.055 / M, the OEL being the MAC, else the PC-TWA.
TOXIC_PPM = [
    ("H2S", 7.058),  # MAC 10 mg/m³, M 34.08
    ("NH3", 28.250),  # PC-TWA 20, M 17.03
    ("Cl2", 0.339),  # MAC 1, M 70.90
    ("CO", 17.176),  # PC-TWA 20, M 28.01
    ("SO2", 1.877),  # PC-TWA 5, M 64.06
    ("HCl", 4.948),  # MAC 7.5, M 36.46
    ("HCN", 0.924),  # MAC 1 as CN, M(CN) 26.02
    ("NO2", 2.614),  # PC-TWA 5, M 46.01
    ("benzene", 1.847),  # PC-TWA 6, M 78.11
    ("HF", 2.532),  # MAC 2 as F, M(F) 19.00
    ("甲醛", 0.4),  # MAC 0.5, M 30.03
]


@pytest.mark.parametrize(("gas", "ppm"), TOXIC_PPM)
def test_toxic_defaults_from_oel_table(gas: str, ppm: float) -> None:
    limits = _limits(kind="toxic_gas", gas=gas, unit="ppm")
    assert limits["H"][0] == pytest.approx(ppm, abs=0.002)
    assert limits["HH"][0] == pytest.approx(2 * ppm, abs=0.003)
    assert (limits["H"][1], limits["HH"][1]) == (Priority.HIGH, Priority.CRITICAL)
    # never above the rule's maximum: the defaults are rounded down
    entry = oel.lookup(gas)
    assert entry is not None
    assert limits["H"][0] <= entry.limit_ppm and limits["HH"][0] <= 2 * entry.limit_ppm


@pytest.mark.parametrize(
    ("unit", "h", "hh"),
    [
        ("mg/m3", 10.0, 20.0),
        ("mg/m³", 10.0, 20.0),
        ("%OEL", 100.0, 200.0),
        ("ppb", 7058.0, 14116.0),
    ],
)
def test_toxic_defaults_in_other_units(unit: str, h: float, hh: float) -> None:
    limits = _limits(kind="toxic_gas", gas="H2S", unit=unit, range={"low": 0, "high": 50000})
    assert limits["H"][0] == pytest.approx(h, rel=1e-3)
    assert limits["HH"][0] == pytest.approx(hh, rel=1e-3)


@pytest.mark.parametrize("name", ["H2S", "h2s", "硫化氢", "hydrogen sulfide", "7783-06-4"])
def test_oel_lookup_by_formula_name_or_cas(name: str) -> None:
    entry = oel.lookup(name)
    assert entry is not None and entry.formula == "H2S" and entry.basis == "MAC"


def test_oel_basis_is_the_lowest_limit() -> None:
    for entry in oel.TABLE:
        listed = [v for v in (entry.mac, entry.pc_twa, entry.pc_stel) if v is not None]
        assert entry.limit_mg_m3 == min(listed), entry.formula


def test_molar_volume_at_20_c() -> None:
    assert abs(oel.MOLAR_VOLUME_L - 24.055) < 0.001


def test_oxygen_defaults() -> None:
    assert _limits(kind="oxygen", unit="%VOL", range={"low": 0, "high": 30}) == {
        "L": (19.5, Priority.HIGH),
        "H": (23.5, Priority.HIGH),
    }


def test_process_points_have_no_default_limits() -> None:
    for kind in ("level", "temperature", "pressure", "flow", "analog"):
        assert _rules(kind=kind).limits == ()


def test_explicit_limits_replace_the_defaults() -> None:
    limits = _limits(kind="combustible_gas", unit="%LEL", alarms={"HH": {"value": 40}})
    assert limits == {"HH": (40.0, Priority.CRITICAL)}  # gas HH priority by default


def test_defaults_can_be_turned_off() -> None:
    assert _rules(kind="combustible_gas", unit="%LEL", alarms={"defaults": False}).limits == ()


@pytest.mark.parametrize(
    ("kind", "extra", "system"),
    [
        ("combustible_gas", {"unit": "%LEL"}, Priority.HIGH),
        ("toxic_gas", {"gas": "NH3", "unit": "ppm"}, Priority.HIGH),
        ("oxygen", {"unit": "%VOL"}, Priority.HIGH),
        ("level", {}, Priority.MEDIUM),
        ("discrete_state", {}, Priority.MEDIUM),
    ],
)
def test_comm_loss_and_sensor_fault_on_by_default(
    kind: str, extra: dict[str, Any], system: Priority
) -> None:
    rules = _rules(kind=kind, **extra)
    assert rules.comm is not None and rules.comm.timeout == 30.0
    assert rules.fault is not None
    alarms = dict(rules.alarms())
    assert alarms[AlarmType.COMM_LOSS].priority is system
    assert alarms[AlarmType.SENSOR_FAULT].priority is system


@pytest.mark.parametrize(
    ("slot", "priority"),
    [("HH", Priority.HIGH), ("H", Priority.MEDIUM), ("L", Priority.MEDIUM), ("LL", Priority.HIGH)],
)
def test_process_slot_priorities(slot: str, priority: Priority) -> None:
    assert _limits(alarms={slot: {"value": 50}})[slot][1] is priority


def test_explicit_priority_wins() -> None:
    assert _limits(alarms={"H": {"value": 50, "priority": "low"}})["H"][1] is Priority.LOW


def test_rule_errors_name_the_key() -> None:
    with pytest.raises(RuleError) as caught:
        _rules(kind="toxic_gas", gas="XYZ-gas", unit="ppm")
    assert caught.value.path == ("gas",) and "XYZ-gas" in caught.value.message


# ------------------------------------------------------------------ config errors


def _line(text: str, needle: str) -> int:
    # A mapping's issues point at the first line of its value (the loader maps data paths
    # to value nodes), so needles name the first line inside the offending mapping.
    lines = [i + 1 for i, line in enumerate(text.splitlines()) if line.strip().startswith(needle)]
    assert len(lines) == 1, f"{needle!r} found on lines {lines}"
    return lines[0]


def _load(tmp_path: Path, points: list[dict[str, Any]]) -> tuple[str, Path]:
    text = site_yaml(points)
    path = tmp_path / "site.yaml"
    path.write_text(text, encoding="utf-8")
    return text, path


BAD = [
    (
        "combustible first level above 25 %LEL",
        [pt("GT-1", "combustible_gas", unit="%LEL", alarms={"H": {"value": 30}})],
        "value: 30",
        ["GT-1", "above 25 %LEL", "first level"],
    ),
    (
        "combustible second level above 50 %LEL",
        [pt("GT-2", "combustible_gas", unit="%LEL",
            alarms={"H": {"value": 20}, "HH": {"value": 60}})],
        "value: 60",
        ["GT-2", "above 50 %LEL", "second level"],
    ),
    (
        "limits out of order",
        [pt("LT-1", alarms={"H": {"value": 80}, "HH": {"value": 70}})],
        "H:",
        ["LT-1", "LL < L < H < HH", "H 80 is not below HH 70"],
    ),
    (
        "low above high",
        [pt("LT-1", alarms={"L": {"value": 90}, "H": {"value": 80}})],
        "L:",
        ["LT-1", "L 90 is not below H 80"],
    ),
    (
        "limit outside the range",
        [pt("LT-1", alarms={"H": {"value": 120}})],
        "value: 120",
        ["LT-1", "outside the range 0..100"],
    ),
    (
        "deadband that never clears",
        [pt("LT-1", alarms={"H": {"value": 10, "deadband": 15}})],
        "deadband: 15",
        ["LT-1", "deadband 15", "at or beyond the range"],
    ),
    (
        "toxic gas without an OEL",
        [pt("GT-3", "toxic_gas", gas="C4H4S", unit="ppm")],
        "gas: C4H4S",
        ["GT-3", "C4H4S", "explicitly"],
    ),
    (
        "toxic unit without a conversion",
        [pt("GT-4", "toxic_gas", gas="H2S", unit="%")],
        "unit: '%'",
        ["GT-4", "ppm, ppb, mg/m3 or %OEL"],
    ),
    (
        "default toxic second level above the range",
        [pt("GT-5", "toxic_gas", gas="H2S", unit="ppm", range={"low": 0, "high": 10})],
        "low: 0",
        ["GT-5", "HH set point 14.116 ppm lies outside the range 0..10"],
    ),
    (
        "combustible in a unit the defaults cannot use",
        [pt("GT-6", "combustible_gas", unit="ppm")],
        "unit: ppm",
        ["GT-6", "in %LEL"],
    ),
    (
        "analog limits on a discrete point",
        [pt("XS-1", "discrete_state", alarms={"H": {"value": 1}})],
        "value: 1",
        ["XS-1", "takes `discrete:`"],
    ),
    (
        "a state code on a true/false point",
        [pt("XS-2", "discrete_state", alarms={"discrete": {"when": 3}})],
        "when: 3",
        ["XS-2", "`when` must be true or false"],
    ),
    (
        "heartbeat on a point without one",
        [pt("LT-9", alarms={"heartbeat": {"timeout": 10}})],
        "timeout: 10",
        ["LT-9", "no heartbeat"],
    ),
    (
        "comm-loss timeout beyond 100 s",
        [pt("LT-8", alarms={"comm_loss": {"timeout": 120}})],
        "timeout: 120",
        ["LT-8", "below 100 s"],
    ),
    (
        "unknown key in alarms",
        [pt("LT-7", alarms={"HI": {"value": 10}})],
        "value: 10",
        ["LT-7", "unknown key 'HI'"],
    ),
    (
        "bad duration",
        [pt("LT-6", alarms={"H": {"value": 10, "on_delay": "soon"}})],
        "on_delay: soon",
        ["LT-6", "cannot read duration 'soon'"],
    ),
    (
        "fault bit with sensor fault turned off",
        [pt("XF-1", "discrete_state",
            alarms={"discrete": {"fault": True}, "sensor_fault": {"enabled": False}})],
        "fault: true",
        ["XF-1", "needs the sensor_fault alarm"],
    ),
]


@pytest.mark.parametrize(
    ("points", "needle", "words"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_config_error(
    tmp_path: Path, points: list[dict[str, Any]], needle: str, words: list[str]
) -> None:
    text, path = _load(tmp_path, points)
    with pytest.raises(ConfigError) as caught:
        load_site(path)
    rendered = [str(issue) for issue in caught.value.issues]
    line = _line(text, needle)
    matching = [r for r in rendered if r.startswith(f"{path}:{line}: ")]
    assert matching, f"no issue at line {line}: {rendered}"
    for word in words:
        assert any(word in r for r in matching), f"{word!r} not in {matching}"


def test_combustible_at_the_maximum_is_fine(tmp_path: Path) -> None:
    _, path = _load(tmp_path, [pt("GT-1", "combustible_gas", unit="%LEL",
                                  alarms={"H": {"value": 25}, "HH": {"value": 50}})])
    site = load_site(path)
    assert site.points()[0][1].alarms is not None


def test_both_combustible_levels_wrong_gives_two_issues(tmp_path: Path) -> None:
    text, path = _load(tmp_path, [pt("GT-1", "combustible_gas", unit="%LEL",
                                     alarms={"H": {"value": 26}, "HH": {"value": 51}})])
    with pytest.raises(ConfigError) as caught:
        load_site(path)
    lines = sorted(issue.line or 0 for issue in caught.value.issues)
    assert lines == [_line(text, "value: 26"), _line(text, "value: 51")]
    assert all(issue.point == "GT-1" and issue.device == "dev1" for issue in caught.value.issues)


def test_full_featured_point_loads(tmp_path: Path) -> None:
    _, path = _load(tmp_path, [
        pt("PT-1", "pressure", unit="kPa", alarms={
            "HH": {"value": 90, "priority": "critical", "on_delay": "2s", "latching": True},
            "H": {"value": 80, "deadband": 2, "off_delay": "500ms", "realarm": "30m"},
            "L": {"value": 10},
            "LL": {"value": 5},
            "rate": {"limit": 10, "per": "minute", "window": "1m", "direction": "rise"},
            "comm_loss": {"timeout": "20s", "priority": "critical"},
            "sensor_fault": {"priority": "high", "on_delay": 1},
        }),
        pt("XS-1", "discrete_state", hazard_source="HS2",
           alarms={"discrete": {"when": True, "priority": "critical"},
                   "heartbeat": {"timeout": "8s"}}),
    ])
    site = load_site(path)
    (_, pressure), (_, spark) = site.points()
    rules = resolve(PointKey("T1", "PT-1"), pressure)
    assert [spec.alarm_type.value for spec in rules.limits] == ["LL", "L", "H", "HH"]
    hh = rules.limit(AlarmType.HIGH_HIGH)
    h = rules.limit(AlarmType.HIGH)
    assert hh is not None and h is not None
    assert hh.on_delay == 2.0 and hh.annunciation.latching
    assert h.off_delay == 0.5 and h.annunciation.realarm == 1800.0 and h.deadband == 2.0
    assert rules.rate is not None and rules.rate.window == 60.0
    assert rules.comm is not None and rules.comm.timeout == 20.0
    spark_rules = resolve(PointKey("T1", "XS-1"), spark)
    assert spark_rules.heartbeat is not None and spark_rules.heartbeat.timeout == 8.0
    assert not spark_rules.heartbeat.from_status_word
