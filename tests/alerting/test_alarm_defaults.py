"""Defaults by point kind (GB/T 50493 gas set points, OEL table, oxygen), and the
configuration errors of alarm rules, through the real loader on temporary site files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alarm_support import SITE, point, pt, site_yaml

from alerting import oel
from alerting.defaults import RuleError, resolve
from alerting.specs import Annunciation
from config.catalog import PointKey
from config.issues import ConfigError
from config.vocabulary import AlarmType, Priority
from gateway.validation import load_site


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


LEL = {"kind": "combustible_gas", "unit": "%LEL"}
NH3 = {"kind": "toxic_gas", "gas": "NH3", "unit": "ppm"}
O2 = {"kind": "oxygen", "unit": "%VOL", "range": {"low": 0, "high": 30}}
HIGH, CRITICAL, MEDIUM = Priority.HIGH, Priority.CRITICAL, Priority.MEDIUM

# A level the file does not write gets its default; the written ones keep their settings.
# Before, writing any limit dropped every default: a gas point whose file gave only H had
# no second-level (HH) alarm, silently.
FILL = [
    ("combustible H written: HH 50 filled", LEL, {"H": {"value": 20}},
     {"H": (20.0, HIGH), "HH": (50.0, CRITICAL)}),
    ("combustible HH written: H 25 filled", LEL, {"HH": {"value": 40}},
     {"H": (25.0, HIGH), "HH": (40.0, CRITICAL)}),
    ("combustible L written: both levels filled", LEL, {"L": {"value": 5}},
     {"L": (5.0, MEDIUM), "H": (25.0, HIGH), "HH": (50.0, CRITICAL)}),
    ("combustible both written: nothing filled", LEL,
     {"H": {"value": 10, "priority": "medium"}, "HH": {"value": 20}},
     {"H": (10.0, MEDIUM), "HH": (20.0, CRITICAL)}),
    ("toxic H written: HH from the OEL", NH3, {"H": {"value": 20}},
     {"H": (20.0, HIGH), "HH": (56.5, CRITICAL)}),
    ("toxic HH written: H from the OEL", NH3, {"HH": {"value": 40}},
     {"H": (28.25, HIGH), "HH": (40.0, CRITICAL)}),
    ("toxic in %OEL, gas not in the table: 100/200", {**NH3, "gas": "C4H4S", "unit": "%OEL",
                                                      "range": {"low": 0, "high": 300}},
     {"H": {"value": 90}}, {"H": (90.0, HIGH), "HH": (200.0, CRITICAL)}),
    ("oxygen L written: H 23.5 filled", O2, {"L": {"value": 19}},
     {"L": (19.0, HIGH), "H": (23.5, HIGH)}),
    ("oxygen H written: L 19.5 filled", O2, {"H": {"value": 22}},
     {"L": (19.5, HIGH), "H": (22.0, HIGH)}),
    ("oxygen LL and HH written: L and H filled", O2,
     {"LL": {"value": 18}, "HH": {"value": 25}},
     {"LL": (18.0, CRITICAL), "L": (19.5, HIGH), "H": (23.5, HIGH), "HH": (25.0, CRITICAL)}),
    ("defaults false: only what is written", LEL, {"H": {"value": 20}, "defaults": False},
     {"H": (20.0, HIGH)}),
    ("defaults false, nothing written: no limits at all", LEL, {"defaults": False}, {}),
    ("oxygen, defaults false", O2, {"L": {"value": 19}, "defaults": False}, {"L": (19.0, HIGH)}),
    ("a process kind has no defaults to fill", {"kind": "level"}, {"H": {"value": 80}},
     {"H": (80.0, MEDIUM)}),
]


@pytest.mark.parametrize(
    ("fields", "alarms", "expected"), [f[1:] for f in FILL], ids=[f[0] for f in FILL]
)
def test_missing_levels_get_their_defaults(
    fields: dict[str, Any], alarms: dict[str, Any], expected: dict[str, tuple[float, Priority]]
) -> None:
    assert _limits(**fields, alarms=alarms) == expected


def test_a_filled_level_has_the_default_deadband_and_the_written_one_its_own() -> None:
    rules = _rules(**LEL, alarms={"H": {"value": 20, "deadband": 3, "on_delay": 2}})
    h, hh = rules.limit(AlarmType.HIGH), rules.limit(AlarmType.HIGH_HIGH)
    assert h is not None and hh is not None
    assert (h.deadband, h.on_delay) == (3.0, 2.0)
    assert (hh.value, hh.deadband, hh.on_delay, hh.annunciation.latching) == (50.0, 1.0, 0.0, False)


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
        "combustible in another unit than %LEL",
        [pt("GT-6", "combustible_gas", unit="ppm")],
        "- tag: GT-6",
        ["GT-6", "measures in %LEL", "'ppm'"],
    ),
    (
        "written HH below the default H",
        [pt("GT-7", "combustible_gas", unit="%LEL", alarms={"HH": {"value": 20}})],
        "value: 20",
        ["GT-7", "LL < L < H < HH", "H 25 (default) is not below HH 20", "defaults: false"],
    ),
    (
        "written oxygen L above the default H",
        [pt("AT-1", "oxygen", unit="%VOL", range={"low": 0, "high": 30},
            alarms={"L": {"value": 24}})],
        "value: 24",
        ["AT-1", "L 24 is not below H 23.5 (default)"],
    ),
    (
        "written oxygen LL above the default L",
        [pt("AT-2", "oxygen", unit="%VOL", range={"low": 0, "high": 30},
            alarms={"LL": {"value": 20}})],
        "value: 20",
        ["AT-2", "LL 20 is not below L 19.5 (default)"],
    ),
    (
        "toxic gas without an OEL, only H written",
        [pt("GT-3", "toxic_gas", gas="C4H4S", unit="ppm", alarms={"H": {"value": 5}})],
        "gas: C4H4S",
        ["GT-3", "HH not written", "C4H4S"],
    ),
    (
        "oxygen in ppm, only L written",
        [pt("AT-3", "oxygen", unit="ppm", alarms={"L": {"value": 5}})],
        "unit: ppm",
        ["AT-3", "H not written", "in %VOL"],
    ),
    (
        "toxic first level above 100 %OEL (ppm)",
        [pt("GT-8", "toxic_gas", gas="H2S", unit="ppm", alarms={"H": {"value": 7.1}})],
        "value: 7.1",
        ["GT-8", "toxic-gas H set point 7.1 ppm is above 7.058 ppm", "100 %OEL of H2S",
         "first level"],
    ),
    (
        "toxic second level above 200 %OEL (ppm)",
        [pt("GT-8", "toxic_gas", gas="H2S", unit="ppm",
            alarms={"H": {"value": 5}, "HH": {"value": 15}})],
        "value: 15",
        ["GT-8", "HH set point 15 ppm is above 14.116 ppm", "200 %OEL of H2S", "second level"],
    ),
    (
        "toxic first level above 100 %OEL (mg/m3)",
        [pt("GT-8", "toxic_gas", gas="NH3", unit="mg/m3", alarms={"H": {"value": 25}})],
        "value: 25",
        ["GT-8", "H set point 25 mg/m3 is above 20 mg/m3", "100 %OEL of NH3"],
    ),
    (
        "toxic second level above 200 %OEL (mg/m³)",
        [pt("GT-8", "toxic_gas", gas="CO", unit="mg/m³", alarms={"HH": {"value": 41}})],
        "value: 41",
        ["GT-8", "HH set point 41 mg/m³ is above 40 mg/m³"],
    ),
    (
        "toxic first level above 100 %OEL (ppb)",
        [pt("GT-8", "toxic_gas", gas="H2S", unit="ppb", range={"low": 0, "high": 50000},
            alarms={"H": {"value": 7100}})],
        "value: 7100",
        ["GT-8", "H set point 7100 ppb is above 7058.426 ppb"],
    ),
    (
        "toxic first level above 100 %OEL (%OEL)",
        [pt("GT-8", "toxic_gas", gas="C4H4S", unit="%OEL", range={"low": 0, "high": 300},
            alarms={"H": {"value": 120}, "HH": {"value": 180}})],
        "value: 120",
        ["GT-8", "H set point 120 %OEL is above 100 %OEL", "first level"],
    ),
    (
        "settings under a fault state's discrete",
        [pt("XF-2", "discrete_state", alarms={"discrete": {"fault": True, "priority": "high"}})],
        "fault: true",
        ["XF-2", "SENSOR_FAULT", "sensor_fault", "priority"],
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


# ------------------------------------------------ combustible gas is measured in %LEL


COMBUSTIBLE_UNITS = [
    ("%LEL", True), ("%lel", True), ("LEL", True), ("LEL%", True), ("% LEL", True),
    ("", True),  # no unit: taken as %LEL
    ("ppm", False), ("%VOL", False), ("%", False), ("mg/m3", False), ("ppb", False),
]


@pytest.mark.parametrize(("unit", "accepted"), COMBUSTIBLE_UNITS)
def test_combustible_gas_points_must_be_in_lel(
    tmp_path: Path, unit: str, accepted: bool
) -> None:
    # Limits within 25/50: before, any unit loaded, and the 25/50 %LEL check compared
    # numbers in ppm or %VOL with %LEL.
    text, path = _load(tmp_path, [pt("GT-1", "combustible_gas", unit=unit,
                                     alarms={"H": {"value": 20}, "HH": {"value": 40}})])
    if accepted:
        assert load_site(path).points()[0][1].unit == unit
        return
    with pytest.raises(ConfigError) as caught:
        load_site(path)
    (issue,) = caught.value.issues
    assert (issue.point, issue.device, issue.line) == ("GT-1", "dev1", _line(text, "- tag: GT-1"))
    assert "measures in %LEL" in issue.message and repr(unit) in issue.message


def test_combustible_check_names_lel_when_the_unit_is_left_out(tmp_path: Path) -> None:
    _, path = _load(tmp_path, [pt("GT-1", "combustible_gas", alarms={"H": {"value": 30}})])
    with pytest.raises(ConfigError) as caught:
        load_site(path)
    (issue,) = caught.value.issues
    assert "H set point 30 %LEL is above 25 %LEL" in issue.message


# ---------------------------------------------- toxic set points against the OEL


TOXIC_FINE = [
    ("at 100/200 %OEL in ppm", {"gas": "H2S", "unit": "ppm"},
     {"H": {"value": 7.058}, "HH": {"value": 14.116}}),
    ("at 100/200 %OEL in mg/m3", {"gas": "NH3", "unit": "mg/m3"},
     {"H": {"value": 20}, "HH": {"value": 40}}),
    ("below, in %OEL", {"gas": "CO", "unit": "%OEL", "range": {"low": 0, "high": 300}},
     {"H": {"value": 50}, "HH": {"value": 200}}),
    ("gas not in the table: not checked", {"gas": "C4H4S", "unit": "ppm"},
     {"H": {"value": 50}, "HH": {"value": 90}}),
    ("unit without a conversion: not checked", {"gas": "H2S", "unit": "%"},
     {"H": {"value": 50}, "HH": {"value": 90}}),
    ("defaults false: written limits still within", {"gas": "H2S", "unit": "ppm"},
     {"H": {"value": 5}, "defaults": False}),
]


@pytest.mark.parametrize(
    ("fields", "alarms"), [t[1:] for t in TOXIC_FINE], ids=[t[0] for t in TOXIC_FINE]
)
def test_toxic_limits_within_the_oel_load(
    tmp_path: Path, fields: dict[str, Any], alarms: dict[str, Any]
) -> None:
    _, path = _load(tmp_path, [pt("GT-1", "toxic_gas", **fields, alarms=alarms)])
    assert load_site(path).points()[0][1].alarms is not None


def test_toxic_check_applies_with_defaults_off(tmp_path: Path) -> None:
    text, path = _load(tmp_path, [pt("GT-1", "toxic_gas", gas="H2S", unit="ppm",
                                     alarms={"H": {"value": 8}, "defaults": False})])
    with pytest.raises(ConfigError) as caught:
        load_site(path)
    (issue,) = caught.value.issues
    assert issue.line == _line(text, "value: 8") and "above 7.058 ppm" in issue.message


# ------------------------------------------------- a fault state's own settings


@pytest.mark.parametrize(
    "extra",
    [{"priority": "critical"}, {"latching": True}, {"latching": False}, {"realarm": "30m"},
     {"on_delay": "2s"}, {"off_delay": 1}],
    ids=lambda extra: next(iter(extra)),
)
def test_fault_state_refuses_settings_it_would_ignore(
    tmp_path: Path, extra: dict[str, Any]
) -> None:
    # Before, these were accepted and silently had no effect.
    text, path = _load(tmp_path, [pt("GF-1", "discrete_state",
                                     alarms={"discrete": {"fault": True, **extra}})])
    with pytest.raises(ConfigError) as caught:
        load_site(path)
    (issue,) = caught.value.issues
    assert (issue.point, issue.line) == ("GF-1", _line(text, "fault: true"))
    name = next(iter(extra))
    assert f"move {name} to `sensor_fault:`" in issue.message


def test_fault_state_takes_sensor_fault_settings(tmp_path: Path) -> None:
    _, path = _load(tmp_path, [pt("GF-1", "discrete_state", alarms={
        "discrete": {"fault": True, "when": False},
        "sensor_fault": {"priority": "critical", "latching": True, "on_delay": 2},
    })])
    (_, model), = load_site(path).points()
    rules = resolve(PointKey(SITE, "GF-1"), model)
    assert rules.discrete is not None and rules.discrete.fault and rules.discrete.when is False
    assert rules.fault is not None and rules.fault.on_delay == 2.0
    assert dict(rules.alarms())[AlarmType.SENSOR_FAULT].priority is Priority.CRITICAL
    assert AlarmType.DISCRETE not in dict(rules.alarms())


def test_plain_discrete_keeps_its_settings(tmp_path: Path) -> None:
    _, path = _load(tmp_path, [pt("XS-1", "discrete_state", alarms={
        "discrete": {"fault": False, "priority": "critical", "on_delay": 1, "latching": True},
    })])
    (_, model), = load_site(path).points()
    rules = resolve(PointKey(SITE, "XS-1"), model)
    assert rules.discrete is not None and rules.discrete.on_delay == 1.0
    assert dict(rules.alarms())[AlarmType.DISCRETE] == Annunciation(Priority.CRITICAL, True)
