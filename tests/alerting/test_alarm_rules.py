"""Rule evaluation as tables of reading sequences with a frozen clock.

Each case is a point (as in a site file) and steps ``(t, action, expected)``: ``action`` is a
reading (see ``alarm_support.reading``), ``"tick"`` (time passes, no reading) or
``("hb", bool)`` (a status-word heartbeat bit); ``expected`` lists the condition changes the
step must produce, e.g. ``"H+ HH+"`` (became active) or ``"H-"`` (returned), ``""`` none.
"""

from __future__ import annotations

from typing import Any

import pytest
from alarm_support import SITE, evaluator, point, reading, tokens

from collectors.readings import Reading
from config.catalog import PointKey
from config.vocabulary import AlarmType

Step = tuple[float, object, str]

H10 = {"alarms": {"H": {"value": 10, "deadband": 1}}}
L5 = {"alarms": {"L": {"value": 5, "deadband": 1}}}

CASES: list[tuple[str, dict[str, Any], list[Step]]] = [
    # ------------------------------------------------------------------ limits, deadband
    ("H raises at the limit, deadband holds it", H10, [
        (0, 5.0, ""), (1, 9.99, ""), (2, 10.0, "H+"), (3, 9.5, ""), (4, 9.0, ""),
        (5, 8.99, "H-"), (6, 9.99, ""), (7, 10.5, "H+"),
    ]),
    ("H without deadband chatters with the value",
     {"alarms": {"H": {"value": 10, "deadband": 0}}}, [
        (0, 10.0, "H+"), (1, 9.99, "H-"), (2, 10.0, "H+"), (3, 9.99, "H-"),
    ]),
    ("H deadband keeps a noisy signal from chattering", H10, [
        (0, 10.1, "H+"), (1, 9.7, ""), (2, 10.2, ""), (3, 9.6, ""), (4, 10.0, ""), (5, 8.0, "H-"),
    ]),
    ("L raises at the limit, returns above limit + deadband", L5, [
        (0, 7.0, ""), (1, 5.01, ""), (2, 5.0, "L+"), (3, 5.9, ""), (4, 6.0, ""),
        (5, 6.01, "L-"), (6, 4.0, "L+"),
    ]),
    ("LL below L",
     {"alarms": {"L": {"value": 5, "deadband": 0}, "LL": {"value": 2, "deadband": 0}}}, [
        (0, 50.0, ""), (1, 4.0, "L+"), (2, 1.0, "LL+"), (3, 3.0, "LL-"), (4, 6.0, "L-"),
    ]),
    ("a jump past H and HH raises both at once",
     {"alarms": {"H": {"value": 10, "deadband": 0}, "HH": {"value": 20, "deadband": 0}}}, [
        (0, 5.0, ""), (1, 25.0, "H+ HH+"), (2, 15.0, "HH-"), (3, 5.0, "H-"),
    ]),
    ("a fall from HH to low returns both",
     {"alarms": {"H": {"value": 10, "deadband": 0}, "HH": {"value": 20, "deadband": 0},
                 "L": {"value": 2, "deadband": 0}}}, [
        (0, 25.0, "H+ HH+"), (1, 1.0, "L+ H- HH-"),
    ]),
    ("default deadband: 5 % of a level range", {"alarms": {"H": {"value": 50}}}, [
        (0, 50.0, "H+"), (1, 45.01, ""), (2, 45.0, ""), (3, 44.99, "H-"),
    ]),
    ("default deadband: 1 % of a temperature range",
     {"kind": "temperature", "alarms": {"H": {"value": 50}}}, [
        (0, 50.0, "H+"), (1, 49.01, ""), (2, 48.99, "H-"),
    ]),
    # ------------------------------------------------------------------ delays
    ("on-delay: the condition must hold", {"alarms": {"H": {"value": 10, "on_delay": 5}}}, [
        (0, 11.0, ""), (3, 12.0, ""), (4.9, 12.0, ""), (5, 12.0, "H+"),
    ]),
    ("on-delay: a dip below the limit restarts it",
     {"alarms": {"H": {"value": 10, "deadband": 1, "on_delay": 5}}}, [
        (0, 11.0, ""), (2, 9.9, ""), (4, 11.0, ""), (8, 11.0, ""), (9, 11.0, "H+"),
    ]),
    ("on-delay completed by tick between readings",
     {"alarms": {"H": {"value": 10, "on_delay": 5}}}, [
        (0, 11.0, ""), (4, "tick", ""), (5, "tick", "H+"), (6, "tick", ""),
    ]),
    ("on-delay: a short spike never alarms", {"alarms": {"H": {"value": 10, "on_delay": 2}}}, [
        (0, 50.0, ""), (1, 5.0, ""), (3, "tick", ""), (10, "tick", ""),
    ]),
    ("off-delay: the return must hold",
     {"alarms": {"H": {"value": 10, "deadband": 0, "off_delay": 3}}}, [
        (0, 11.0, "H+"), (1, 5.0, ""), (2, 5.0, ""), (4, 5.0, "H-"),
    ]),
    ("off-delay: back above the limit cancels the return",
     {"alarms": {"H": {"value": 10, "deadband": 0, "off_delay": 3}}}, [
        (0, 11.0, "H+"), (1, 5.0, ""), (2, 11.0, ""), (3, 5.0, ""), (5, 5.0, ""), (6, 5.0, "H-"),
    ]),
    ("off-delay completed by tick",
     {"alarms": {"H": {"value": 10, "deadband": 0, "off_delay": 3}}}, [
        (0, 11.0, "H+"), (1, 5.0, ""), (3.9, "tick", ""), (4, "tick", "H-"),
    ]),
    ("on and off delays together",
     {"alarms": {"L": {"value": 5, "deadband": 0, "on_delay": 2, "off_delay": 2}}}, [
        (0, 4.0, ""), (2, 4.0, "L+"), (3, 6.0, ""), (4, 4.0, ""), (5, 6.0, ""),
        (7, "tick", "L-"),
    ]),
    # ------------------------------------------------------------------ quality
    ("a bad reading holds the limit state", H10, [
        (0, 11.0, "H+"), (1, "comm", ""), (2, "decode", ""), (3, 5.0, "H-"),
    ]),
    ("a sensor fault during an alarm does not clear it", H10, [
        (0, 11.0, "H+"), (1, "fault", "SENSOR_FAULT+"), (2, 5.0, "H- SENSOR_FAULT-"),
    ]),
    ("an out-of-range value still alarms", H10, [
        (0, ("oor", 150.0), "H+"), (1, 5.0, "H-"),
    ]),
    # ------------------------------------------------------------------ rate of change
    ("rate of change per second over a window",
     {"alarms": {"rate": {"limit": 1, "per": "second", "window": 4}}}, [
        (0, 0.0, ""), (1, 0.0, ""), (2, 0.0, ""), (3, 0.5, ""), (4, 5.0, "ROC+"),
        (5, 5.0, ""), (6, 5.0, ""), (7, 5.0, ""), (8, 5.0, "ROC-"),
    ]),
    ("rate of change per minute",
     {"alarms": {"rate": {"limit": 60, "per": "minute", "window": 4}}}, [
        (0, 0.0, ""), (2, 0.0, ""), (4, 4.0, "ROC+"), (8, 4.0, "ROC-"),
    ]),
    ("rate needs half a window of history",
     {"alarms": {"rate": {"limit": 1, "per": "second", "window": 10}}}, [
        (0, 0.0, ""), (1, 50.0, ""), (4, 50.0, ""), (5, 60.0, "ROC+"),
    ]),
    ("rise-only rate ignores a fall",
     {"alarms": {"rate": {"limit": 1, "per": "second", "window": 2, "direction": "rise"}}}, [
        (0, 50.0, ""), (1, 40.0, ""), (2, 30.0, ""), (3, 20.0, ""), (4, 45.0, "ROC+"),
    ]),
    ("fall-only rate catches a fall",
     {"alarms": {"rate": {"limit": 1, "per": "second", "window": 2, "direction": "fall"}}}, [
        (0, 50.0, ""), (1, 60.0, ""), (2, 70.0, ""), (3, 60.0, ""), (4, 50.0, "ROC+"),
    ]),
    ("rate deadband holds the alarm while the rate eases",
     {"alarms": {"rate": {"limit": 2, "per": "second", "window": 2, "deadband": 1}}}, [
        (0, 0.0, ""), (1, 1.0, ""), (2, 3.0, ""), (3, 5.0, "ROC+"), (4, 6.5, ""), (5, 8.0, ""),
        (6, 8.5, ""), (7, 8.5, "ROC-"),
    ]),
    # ------------------------------------------------------------------ discrete
    ("discrete: alarm when true", {"kind": "discrete_state", "alarms": {"discrete": {}}}, [
        (0, False, ""), (1, True, "DISCRETE+"), (2, True, ""), (3, False, "DISCRETE-"),
    ]),
    ("discrete: alarm when false",
     {"kind": "discrete_state", "alarms": {"discrete": {"when": False}}}, [
        (0, True, ""), (1, False, "DISCRETE+"), (2, True, "DISCRETE-"),
    ]),
    ("discrete: states of an analog status register",
     {"kind": "analog", "alarms": {"discrete": {"when": [2, 3]}}}, [
        (0, 1.0, ""), (1, 2.0, "DISCRETE+"), (2, 3.0, ""), (3, 0.0, "DISCRETE-"),
        (4, 3.0, "DISCRETE+"),
    ]),
    ("discrete: one state", {"kind": "analog", "alarms": {"discrete": {"when": 4}}}, [
        (0, 3.0, ""), (1, 4.0, "DISCRETE+"), (2, 5.0, "DISCRETE-"),
    ]),
    ("discrete with on-delay",
     {"kind": "discrete_state", "alarms": {"discrete": {"on_delay": 2}}}, [
        (0, True, ""), (1, False, ""), (2, True, ""), (4, "tick", "DISCRETE+"),
    ]),
    ("a discrete point without rules raises nothing", {"kind": "discrete_state"}, [
        (0, True, ""), (1, False, ""), (2, True, ""),
    ]),
    # ------------------------------------------------------------------ comm loss
    ("comm loss after the timeout without readings", {}, [
        (0, 5.0, ""), (29, "tick", ""), (30, "tick", "COMM_LOSS+"), (31, "tick", ""),
        (32, 5.0, "COMM_LOSS-"),
    ]),
    ("comm loss counts from start-up", {}, [
        (29.9, "tick", ""), (30, "tick", "COMM_LOSS+"),
    ]),
    ("comm-loss readings do not keep a point alive", {}, [
        (0, 5.0, ""), (10, "comm", ""), (20, "comm", ""), (30, "tick", "COMM_LOSS+"),
    ]),
    ("decode errors do not keep a point alive", {}, [
        (0, 5.0, ""), (10, "decode", ""), (29, "decode", ""), (30, "tick", "COMM_LOSS+"),
    ]),
    ("sensor-fault readings prove the device answers",
     {"alarms": {"comm_loss": {"timeout": 10}}}, [
        (0, "fault", "SENSOR_FAULT+"), (9, "fault", ""), (18, "fault", ""), (25, "tick", ""),
    ]),
    ("uncertain readings keep a point alive", {"alarms": {"comm_loss": {"timeout": 10}}}, [
        (0, ("oor", 101.0), ""), (9, ("oor", 101.0), ""), (18, "tick", ""),
        (19, "tick", "COMM_LOSS+"),
    ]),
    ("comm-loss timeout configurable", {"alarms": {"comm_loss": {"timeout": "5s"}}}, [
        (0, 5.0, ""), (4.9, "tick", ""), (5, "tick", "COMM_LOSS+"), (6, 5.0, "COMM_LOSS-"),
    ]),
    ("comm loss can be turned off", {"alarms": {"comm_loss": {"enabled": False}}}, [
        (0, 5.0, ""), (500, "tick", ""),
    ]),
    # ------------------------------------------------------------------ sensor fault
    ("sensor fault reading raises, a value clears", {}, [
        (0, 5.0, ""), (1, "fault", "SENSOR_FAULT+"), (2, "fault", ""), (3, "comm", ""),
        (4, 5.0, "SENSOR_FAULT-"),
    ]),
    ("sensor fault with on-delay", {"alarms": {"sensor_fault": {"on_delay": 2}}}, [
        (0, "fault", ""), (1, "fault", ""), (2, "fault", "SENSOR_FAULT+"),
    ]),
    ("sensor fault turned off", {"alarms": {"sensor_fault": {"enabled": False}}}, [
        (0, "fault", ""), (1, 5.0, ""),
    ]),
    ("a fault bit (discrete rule marked fault) is a sensor fault",
     {"kind": "discrete_state", "alarms": {"discrete": {"fault": True}}}, [
        (0, False, ""), (1, True, "SENSOR_FAULT+"), (2, False, "SENSOR_FAULT-"),
    ]),
    ("a fault state code of an analog status register",
     {"kind": "analog", "alarms": {"discrete": {"when": [7], "fault": True}}}, [
        (0, 1.0, ""), (1, 7.0, "SENSOR_FAULT+"), (2, 1.0, "SENSOR_FAULT-"),
    ]),
    # ------------------------------------------------------------------ heartbeat
    ("a heartbeat that stops toggling is a sensor fault",
     {"kind": "discrete_state", "alarms": {"heartbeat": {"timeout": 10}}}, [
        (0, False, ""), (2, True, ""), (4, False, ""), (6, False, ""), (8, False, ""),
        (10, False, ""), (12, False, ""), (13.9, False, ""), (14, False, "SENSOR_FAULT+"),
        (16, True, "SENSOR_FAULT-"), (18, False, ""),
    ]),
    # Watched with a gap of half the timeout, the bit may have toggled unseen: the gap
    # restarts supervision, it does not count as a stall.
    ("a gap of half the timeout restarts heartbeat supervision",
     {"kind": "discrete_state", "alarms": {"heartbeat": {"timeout": 10}}}, [
        (0, False, ""), (2, True, ""), (4, False, ""), (10, False, ""), (12, False, ""),
        (14, False, ""), (16, False, ""), (18, False, ""), (19.9, False, ""),
        (20, False, "SENSOR_FAULT+"),
    ]),
    # The controller comes back after a comm loss with its heartbeat bit as it was: no
    # "heartbeat stalled" on the first good poll; supervision starts again from there.
    ("heartbeat supervision restarts at the first good poll after a reconnect",
     {"kind": "discrete_state", "alarms": {"heartbeat": {"timeout": 10}}}, [
        (0, False, ""), (2, True, ""), (3, "comm", ""), (33, "tick", "COMM_LOSS+"),
        (34, "comm", ""), (35, True, "COMM_LOSS-"), (36, True, ""), (38, True, ""),
        (40, True, ""), (42, True, ""), (44, True, ""), (44.9, True, ""),
        (45, True, "SENSOR_FAULT+"),
    ]),
    ("a stall already reported stays until the bit toggles, across a reconnect",
     {"kind": "discrete_state", "alarms": {"heartbeat": {"timeout": 10}}}, [
        (0, False, ""), (2, True, ""), (4, True, ""), (6, True, ""), (8, True, ""),
        (10, True, ""), (12, True, "SENSOR_FAULT+"), (13, "comm", ""), (14, True, ""),
        (16, False, "SENSOR_FAULT-"),
    ]),
    ("a silent heartbeat device is comm loss, not also a sensor fault",
     {"kind": "discrete_state", "alarms": {"heartbeat": {"timeout": 10}}}, [
        (0, False, ""), (2, True, ""), (4, False, ""), (20, "tick", ""), (34, "tick", "COMM_LOSS+"),
    ]),
    ("a heartbeat never seen is not watched",
     {"kind": "discrete_state", "alarms": {"heartbeat": {"timeout": 10}}}, [
        (0, "comm", ""), (25, "tick", ""),
    ]),
]


def _run(fields: dict[str, Any], steps: list[Step]) -> list[str]:
    ev = evaluator(start=0.0, **fields)
    key = PointKey(SITE, "P1")
    produced = []
    for t, action, _ in steps:
        if action == "tick":
            changes = ev.tick(t)
        elif isinstance(action, tuple) and action[0] == "hb":
            changes = ev.heartbeat(bool(action[1]), t)
        else:
            changes = ev.evaluate(reading(key, t, action), t)
        produced.append(tokens(changes))
    return produced


@pytest.mark.parametrize(("fields", "steps"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule_sequence(fields: dict[str, Any], steps: list[Step]) -> None:
    assert _run(fields, steps) == [expected for _, _, expected in steps]


def test_out_of_order_rate_sample_is_skipped() -> None:
    ev = evaluator(alarms={"rate": {"limit": 1, "per": "second", "window": 2}})
    key = PointKey(SITE, "P1")
    for t, v in ((0, 0.0), (1, 0.0), (2, 0.0)):
        ev.evaluate(Reading(key, v, t), t)
    # A sample stamped in the past (an MQTT batch arriving late) must not make a rate.
    assert ev.evaluate(Reading(key, 50.0, 0.5), 3) is None


STATUS_WORD_POINT = {
    "kind": "combustible_gas", "unit": "%LEL",
    "alarms": {"heartbeat": {"timeout": 6}, "comm_loss": {"timeout": 60}},
}


def test_status_word_heartbeat_needs_a_modbus_status_word() -> None:
    # An MQTT point has no status word, so it cannot watch a heartbeat bit: a rule error.
    from alerting.defaults import RuleError

    with pytest.raises(RuleError, match="no heartbeat"):
        evaluator(**STATUS_WORD_POINT)


def test_status_word_heartbeat_stall_and_recovery() -> None:
    from alerting.defaults import resolve
    from alerting.rules import PointEvaluator
    from config.modbus import ModbusPoint

    model = ModbusPoint.model_validate({
        "tag": "GT-9", "name": "探测器", "kind": "combustible_gas", "unit": "%LEL",
        "range": {"low": 0, "high": 100}, "hazard_source": "HS1",
        "source": {"table": "holding", "address": 0,
                   "status_word": {"address": 1, "bits": {"fault": 0, "heartbeat": 15}}},
    })
    rules = resolve(PointKey(SITE, "GT-9"), model)
    assert rules.heartbeat is not None and rules.heartbeat.from_status_word
    assert rules.heartbeat.timeout == 10.0  # on by default for a status word with a heartbeat
    ev = PointEvaluator(rules, 0.0, set())
    key = PointKey(SITE, "GT-9")
    seen = []
    for t in range(0, 30, 2):
        beat = (t // 2) % 2 == 1 if t < 8 else True  # toggles until t=6, then stuck high
        seen.append(tokens(ev.evaluate(Reading(key, 3.0, float(t)), float(t))))
        seen.append(tokens(ev.heartbeat(beat, float(t))))
    # stuck since t=6 (last change); device heard at t=16 → stalled by then
    assert "SENSOR_FAULT+" in seen
    # entries alternate reading/heartbeat, two per even second: index 16 is the reading at
    # t=16, when the device had been heard 10 s after the bit last toggled (t=6)
    assert seen.index("SENSOR_FAULT+") == 16
    assert tokens(ev.heartbeat(False, 31.0)) == "SENSOR_FAULT-"


def test_values_of_changes() -> None:
    ev = evaluator(alarms={"H": {"value": 10, "deadband": 0}})
    key = PointKey(SITE, "P1")
    changes = ev.evaluate(Reading(key, 12.5, 1.0), 1.0)
    assert changes is not None
    (change,) = changes
    assert (change.alarm_type, change.active, change.value, change.limit) == (
        AlarmType.HIGH, True, 12.5, 10.0
    )


def test_quiet_reading_allocates_no_change_list() -> None:
    ev = evaluator(alarms={"H": {"value": 10}, "L": {"value": 2}})
    key = PointKey(SITE, "P1")
    for t in range(100):
        assert ev.evaluate(Reading(key, 5.0, float(t)), float(t)) is None
    assert ev.idle
    assert ev.alive_at == 99.0


def test_seeded_condition_returns_on_the_next_normal_reading() -> None:
    ev = evaluator(alarms={"H": {"value": 10, "deadband": 0}})
    ev.seed(AlarmType.HIGH)
    key = PointKey(SITE, "P1")
    assert tokens(ev.evaluate(Reading(key, 11.0, 1.0), 1.0)) == ""  # still active: no change
    assert tokens(ev.evaluate(Reading(key, 5.0, 2.0), 2.0)) == "H-"


def test_pending_evaluators_register_for_ticks() -> None:
    from alerting.defaults import resolve
    from alerting.rules import PointEvaluator

    pending: set[PointEvaluator] = set()
    model = point(alarms={"H": {"value": 10, "on_delay": 5}})
    ev = PointEvaluator(resolve(PointKey(SITE, "P1"), model), 0.0, pending)
    ev.evaluate(Reading(PointKey(SITE, "P1"), 11.0, 0.0), 0.0)
    assert ev in pending and ev.pending
    assert tokens(ev.tick(5.0)) == "H+"
    assert not ev.pending
