"""Helpers for the alarm tests: a frozen clock, points and sites from compact dicts,
readings by shorthand."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from alerting.defaults import resolve
from alerting.engine import AlarmEngine, EngineSettings
from alerting.journal import AlarmJournal
from alerting.rules import ConditionChange, PointEvaluator
from collectors.readings import Quality, Reading, Reason, bad
from config.catalog import Catalog, PointKey
from config.mqtt import MqttPoint
from gateway.validation import load_site

SITE = "T1"


class Clock:
    """A frozen clock the test moves by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


def point(tag: str = "P1", **fields: Any) -> MqttPoint:
    data: dict[str, Any] = {"tag": tag, "name": f"测点{tag}", "hazard_source": "HS1"}
    data.update(fields)
    data.setdefault("kind", "level")
    if data["kind"] != "discrete_state":
        data.setdefault("range", {"low": 0, "high": 100})
    return MqttPoint.model_validate(data)


def evaluator(start: float = 0.0, **fields: Any) -> PointEvaluator:
    model = point(**fields)
    return PointEvaluator(resolve(PointKey(SITE, model.tag), model, "HS1"), start, set())


def tokens(changes: Sequence[ConditionChange] | None) -> str:
    """``[H active, HH active]`` → ``"H+ HH+"`` (order as produced)."""
    if not changes:
        return ""
    return " ".join(f"{c.alarm_type.value}{'+' if c.active else '-'}" for c in changes)


def reading(key: PointKey, ts: float, action: object) -> Reading:
    """Shorthand: a number or bool is a good reading; ``"fault"``, ``"comm"``, ``"decode"``
    and ``"stale"`` are bad readings with that reason; ``("oor", x)`` is uncertain
    out-of-range with value x."""
    if isinstance(action, bool | int | float):
        return Reading(key, action, ts)
    if action == "fault":
        return bad(key, ts, Reason.SENSOR_FAULT)
    if action == "comm":
        return bad(key, ts, Reason.COMM_LOSS)
    if action == "decode":
        return bad(key, ts, Reason.DECODE_ERROR)
    if action == "stale":
        return bad(key, ts, Reason.STALE)
    if isinstance(action, tuple) and action[0] == "oor":
        return Reading(key, float(action[1]), ts, Quality.UNCERTAIN, Reason.OUT_OF_RANGE)
    raise ValueError(f"unknown reading shorthand {action!r}")


def site_yaml(points: Sequence[dict[str, Any]], code: str = SITE) -> str:
    """A site file with one MQTT device holding ``points``; hazard sources HS1 and HS2."""
    document = {
        "enterprise": {"name": "测试化工有限公司", "code": code},
        "hazard_sources": [
            {"id": "HS1", "name": "1号罐区", "grade": 2, "kind": "tank_farm"},
            {"id": "HS2", "name": "1号除尘系统", "grade": 3, "kind": "dust_line"},
        ],
        "devices": [
            {
                "id": "dev1",
                "transport": "mqtt",
                "broker": {"host": "127.0.0.1", "port": 1883},
                "subscriptions": [{"topic": "t/#", "format": "object"}],
                "points": list(points),
            }
        ],
    }
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def write_site(directory: Path, points: Sequence[dict[str, Any]], name: str = "site.yaml") -> Path:
    path = directory / name
    path.write_text(site_yaml(points), encoding="utf-8")
    return path


def pt(tag: str, kind: str = "level", **fields: Any) -> dict[str, Any]:
    """A point entry for ``site_yaml``."""
    data: dict[str, Any] = {"tag": tag, "name": f"测点{tag}", "kind": kind, "hazard_source": "HS1"}
    if kind != "discrete_state":
        data["range"] = {"low": 0, "high": 100}
    data.update(fields)
    return data


# A catalog used by engine, journal and route tests: every kind of rule on a few points.
STANDARD_POINTS = [
    pt("GT-1", "combustible_gas", unit="%LEL"),  # defaults: H 25 high, HH 50 critical
    pt("LT-1", alarms={"H": {"value": 80, "deadband": 0}, "L": {"value": 10, "deadband": 0}}),
    pt("LT-2", alarms={"H": {"value": 80, "deadband": 0, "latching": True}}),
    pt("LT-3", alarms={"H": {"value": 80, "deadband": 0, "realarm": 60}}),
    pt("XS-1", "discrete_state", hazard_source="HS2",
       alarms={"discrete": {"when": True, "priority": "critical"}}),
    pt("TT-1", "temperature", alarms={"comm_loss": {"enabled": False},
                                      "sensor_fault": {"enabled": False}}),
]


def standard_catalog(directory: Path) -> Catalog:
    return Catalog([load_site(write_site(directory, STANDARD_POINTS))])


def open_engine(
    directory: Path, clock: Clock, catalog: Catalog | None = None,
    settings: EngineSettings | None = None,
) -> tuple[AlarmEngine, AlarmJournal]:
    journal = AlarmJournal(directory / "alarms.db")
    engine = AlarmEngine(
        catalog or standard_catalog(directory), journal, clock=clock, settings=settings
    )
    return engine, journal


def key(tag: str) -> PointKey:
    return PointKey(SITE, tag)
