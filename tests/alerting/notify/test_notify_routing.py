"""Which routes take an alarm: one filter key at a time, then the fire-control room routes."""

from __future__ import annotations

from typing import Any

import pytest
from notify_support import CHEM, DUST, event

from alerting.events import AlarmEvent
from alerting.notify.routing import match_routes, matches
from config.catalog import Catalog
from config.notifications import NotificationSettings, RouteFilter
from config.vocabulary import AlarmType, Priority

HH = AlarmType.HIGH_HIGH


@pytest.mark.parametrize(
    ("rule", "alarm", "expected"),
    [
        ({}, event(), True),
        ({"sites": [CHEM]}, event(), True),
        ({"sites": [DUST]}, event(), False),
        ({"sites": [DUST, CHEM]}, event(), True),
        ({"hazard_sources": ["HS-TF1"]}, event("GT-201"), True),
        ({"hazard_sources": ["HS-TF1"]}, event("TT-301"), False),
        ({"hazard_sources": ["HS-WH1"]}, event("TT-301"), True),
        ({"devices": ["gas-controller"]}, event("GT-202"), True),
        ({"devices": ["gas-controller"]}, event("LT-101"), False),
        ({"tags": ["LT-101"]}, event("LT-101"), True),
        ({"tags": ["LT-101"]}, event("GT-201"), False),
        ({"point_kinds": ["combustible_gas"]}, event("GT-201"), True),
        ({"point_kinds": ["combustible_gas"]}, event("GT-12", site=DUST), True),
        ({"point_kinds": ["combustible_gas"]}, event("GT-202"), False),
        ({"alarm_types": ["HH"]}, event(alarm_type=HH), True),
        ({"alarm_types": ["HH"]}, event(alarm_type=AlarmType.HIGH), False),
        ({"alarm_types": ["H", "HH"]}, event(alarm_type=AlarmType.HIGH), True),
        ({"min_priority": "critical"}, event(priority=Priority.CRITICAL), True),
        ({"min_priority": "critical"}, event(priority=Priority.HIGH), False),
        ({"min_priority": "high"}, event(priority=Priority.CRITICAL), True),
        ({"min_priority": "high"}, event(priority=Priority.HIGH), True),
        ({"min_priority": "high"}, event(priority=Priority.MEDIUM), False),
        ({"min_priority": "low"}, event(priority=Priority.LOW), True),
        ({"priorities": ["medium"]}, event(priority=Priority.MEDIUM), True),
        ({"priorities": ["medium"]}, event(priority=Priority.CRITICAL), False),
        ({"sites": [CHEM], "alarm_types": ["HH"]}, event(alarm_type=AlarmType.LOW), False),
        ({"sites": [CHEM], "min_priority": "high"}, event(priority=Priority.HIGH), True),
        # A point the catalog does not know: site/type/priority filters still work,
        # filters that need the catalog do not match it.
        ({"sites": [CHEM]}, event("XX-999"), True),
        ({"hazard_sources": ["HS-TF1"]}, event("XX-999"), False),
        ({"devices": ["gas-controller"]}, event("XX-999"), False),
        ({"point_kinds": ["combustible_gas"]}, event("XX-999"), False),
        ({"hazard_sources": ["HS-TF1"]}, event("XX-999", hazard_source="HS-TF1"), True),
    ],
)
def test_filter(catalog: Catalog, rule: dict[str, Any], alarm: AlarmEvent, expected: bool) -> None:
    assert matches(RouteFilter.model_validate(rule), alarm, catalog.get(alarm.point)) is expected


FIRE_ROOM = NotificationSettings.model_validate(
    {
        "channels": {
            "shift": {"kind": "webhook", "url": "http://127.0.0.1:9/s"},
            "fire": {"kind": "webhook", "url": "http://127.0.0.1:9/f"},
        },
        "routes": [
            {"name": "general", "escalation": [{"channels": ["shift"]}]},
            {
                "name": "fire-gas",
                "match": {"point_kinds": ["combustible_gas"], "alarm_types": ["HH"]},
                "escalation": [{"channels": ["fire"]}],
            },
            {
                "name": "fire-faults",
                "match": {
                    "point_kinds": ["combustible_gas", "toxic_gas"],
                    "alarm_types": ["SENSOR_FAULT", "COMM_LOSS"],
                },
                "escalation": [{"channels": ["fire"]}],
            },
        ],
    }
)


@pytest.mark.parametrize(
    ("alarm", "routes"),
    [
        (event("GT-201", HH), ["general", "fire-gas"]),
        (event("GT-12", HH, site=DUST), ["general", "fire-gas"]),
        (event("GT-201", AlarmType.HIGH), ["general"]),  # first-level gas alarm: shift only
        (event("GT-202", HH), ["general"]),  # toxic HH: not the fire route for gas
        (event("GT-201", AlarmType.SENSOR_FAULT, value=None), ["general", "fire-faults"]),
        (event("GT-202", AlarmType.COMM_LOSS, value=None), ["general", "fire-faults"]),
        (event("LT-101", AlarmType.COMM_LOSS, value=None), ["general"]),
        (event("LT-101", HH), ["general"]),
    ],
)
def test_fire_control_room_routes(catalog: Catalog, alarm: AlarmEvent, routes: list[str]) -> None:
    found = match_routes(FIRE_ROOM.routes, alarm, catalog.get(alarm.point))
    assert [route.name for route in found] == routes
