"""Restart recovery as a pure function, by table: what the journal held, the rules as
configured now, and what the engine is to keep, journal and seed."""

from __future__ import annotations

import pytest
from alarm_support import SITE, evaluator

from alerting.events import AlarmState, EventKind, alarm_id
from alerting.recovery import RULE_GONE, recover
from alerting.rules import PointEvaluator
from alerting.statemachine import AlarmRecord
from config.catalog import PointKey
from config.vocabulary import AlarmType, Priority

NOW = 2_000_000.0
H_RULE = {"alarms": {"H": {"value": 80, "priority": "high", "deadband": 0}}}


def stored(
    tag: str,
    state: AlarmState,
    *,
    active: bool,
    priority: Priority = Priority.HIGH,
    latching: bool = False,
) -> AlarmRecord:
    point = PointKey(SITE, tag)
    return AlarmRecord(
        alarm_id=alarm_id(point, AlarmType.HIGH),
        point=point,
        alarm_type=AlarmType.HIGH,
        priority=priority,
        hazard_source="HS1",
        state=state,
        active=active,
        latching=latching,
        raised_at=NOW - 100,
    )


@pytest.mark.parametrize(
    ("record", "configured", "kept_state", "events", "changed", "seeded"),
    [
        pytest.param(
            stored("P1", AlarmState.UNACK, active=True), True,
            AlarmState.UNACK, [], False, True, id="active-alarm-is-seeded",
        ),
        pytest.param(
            stored("P1", AlarmState.ACKED, active=True, priority=Priority.CRITICAL), True,
            AlarmState.ACKED, [], True, True, id="priority-from-the-configuration",
        ),
        pytest.param(
            stored("P1", AlarmState.RTN_UNACK, active=False), True,
            AlarmState.RTN_UNACK, [], False, False, id="returned-unacked-waits-not-seeded",
        ),
        pytest.param(
            stored("P1", AlarmState.UNACK, active=True), False,
            AlarmState.RTN_UNACK, [EventKind.RETURNED], True, False, id="rule-gone-returns",
        ),
        pytest.param(
            stored("P1", AlarmState.RTN_UNACK, active=False), False,
            AlarmState.RTN_UNACK, [], False, False, id="rule-gone-already-returned-stays",
        ),
    ],
)
def test_recovery(
    record: AlarmRecord,
    configured: bool,
    kept_state: AlarmState,
    events: list[EventKind],
    changed: bool,
    seeded: bool,
) -> None:
    evaluators: dict[PointKey, PointEvaluator] = {}
    if configured:
        evaluators[record.point] = evaluator(NOW, tag=record.point.tag, **H_RULE)
    result = recover([record], evaluators, NOW)
    (kept,) = result.records
    assert kept.state is kept_state
    assert kept.priority is Priority.HIGH or not configured
    assert [event.kind for event in result.events] == events
    assert all(event.comment == RULE_GONE and event.ts == NOW for event in result.events)
    assert (result.changed == [kept]) is changed
    assert [(ev.rules.key, t) for ev, t in result.seeds] == (
        [(record.point, AlarmType.HIGH)] if seeded else []
    )
