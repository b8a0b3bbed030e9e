"""Escalation ladders as pure state: scripted timelines against an injected ``now``."""

from __future__ import annotations

import pytest
from notify_support import T0, event

from alerting.events import AlarmEvent
from alerting.notify.escalation import EscalationTracker, Ladder
from config.vocabulary import AlarmType

# Ladder: level 1 now, level 2 after 300 s without ack, level 3 600 s after that.
LADDERS = {
    "general": Ladder("general", (300.0, 600.0)),
    "fire": Ladder("fire", (120.0,)),
    "single": Ladder("single", ()),
}
A = event("GT-201", AlarmType.HIGH_HIGH)
B = event("LT-101", AlarmType.HIGH, value=18.2, limit=18.0)

# A script is a list of (seconds after T0, action, alarm, routes); after every step the
# tracker's due() is polled at that time and the (route, level, alarm tag) produced are
# compared with the expected ones.
Step = tuple[float, str, AlarmEvent | None, tuple[str, ...]]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        pytest.param(
            [
                (0, "raise", A, ("general",)),
                (299, "poll", None, ()),
                (300, "poll", None, ()),
                (899, "poll", None, ()),
                (900, "poll", None, ()),
                (99999, "poll", None, ()),
            ],
            [
                (0, "general", 1, "GT-201"),
                (300, "general", 2, "GT-201"),
                (900, "general", 3, "GT-201"),
            ],
            id="nobody-answers-three-levels-then-stops",
        ),
        pytest.param(
            [(0, "raise", A, ("general",)), (200, "ack", A, ()), (99999, "poll", None, ())],
            [(0, "general", 1, "GT-201")],
            id="ack-before-level-2",
        ),
        pytest.param(
            [
                (0, "raise", A, ("general",)),
                (300, "poll", None, ()),
                (400, "ack", A, ()),
                (99999, "poll", None, ()),
            ],
            [(0, "general", 1, "GT-201"), (300, "general", 2, "GT-201")],
            id="ack-between-level-2-and-3",
        ),
        pytest.param(
            [(0, "raise", A, ("general",)), (100, "returned", A, ()), (300, "poll", None, ())],
            [(0, "general", 1, "GT-201"), (300, "general", 2, "GT-201")],
            id="return-to-normal-unacked-keeps-escalating",
        ),
        pytest.param(
            [
                (0, "raise", A, ("general",)),
                (250, "raise", A, ("general",)),
                (300, "poll", None, ()),
            ],
            [
                (0, "general", 1, "GT-201"),
                (250, "general", 1, "GT-201"),
                (300, "general", 2, "GT-201"),
            ],
            id="re-raise-tells-level-1-but-keeps-timeline",
        ),
        pytest.param(
            [
                (0, "raise", A, ("general", "fire")),
                (120, "poll", None, ()),
                (300, "poll", None, ()),
                (10000, "poll", None, ()),
            ],
            [
                (0, "general", 1, "GT-201"),
                (0, "fire", 1, "GT-201"),
                (120, "fire", 2, "GT-201"),
                (300, "general", 2, "GT-201"),
                (10000, "general", 3, "GT-201"),
            ],
            id="two-routes-two-ladders",
        ),
        pytest.param(
            [(0, "raise", A, ("general",)), (5000, "poll", None, ())],
            [
                (0, "general", 1, "GT-201"),
                (5000, "general", 2, "GT-201"),
                (5000, "general", 3, "GT-201"),
            ],
            id="clock-jump-fires-every-overdue-level",
        ),
        pytest.param(
            [
                (0, "raise", A, ("general",)),
                (10, "raise", B, ("general",)),
                (305, "ack", A, ()),
                (310, "poll", None, ()),
                (909, "poll", None, ()),
                (910, "poll", None, ()),
            ],
            [
                (0, "general", 1, "GT-201"),
                (10, "general", 1, "LT-101"),
                (305, "general", 2, "GT-201"),
                (310, "general", 2, "LT-101"),
                (910, "general", 3, "LT-101"),
            ],
            id="alarms-escalate-independently",
        ),
        pytest.param(
            [(0, "raise", A, ("single",)), (99999, "poll", None, ())],
            [(0, "single", 1, "GT-201")],
            id="one-level-ladder-never-escalates",
        ),
        pytest.param(
            [
                (0, "raise", A, ("general",)),
                (100, "ack", A, ()),
                (200, "raise", A, ("general",)),
                (499, "poll", None, ()),
                (500, "poll", None, ()),
            ],
            [
                (0, "general", 1, "GT-201"),
                (200, "general", 1, "GT-201"),
                (500, "general", 2, "GT-201"),
            ],
            id="raised-again-after-ack-starts-a-new-ladder",
        ),
        pytest.param(
            [(0, "raise", A, ()), (99999, "poll", None, ())],
            [],
            id="no-route-no-ladder",
        ),
    ],
)
def test_escalation_timeline(
    script: list[Step], expected: list[tuple[float, str, int, str]]
) -> None:
    tracker = EscalationTracker(LADDERS)
    produced: list[tuple[float, str, int, str]] = []
    for offset, action, alarm, routes in script:
        now = T0 + offset
        # The due() poll runs first: escalations due at the same instant as an ack were
        # already due when it arrived (the notifier's timer polls continuously).
        for dispatch in tracker.due(now):
            produced.append((offset, dispatch.route, dispatch.level, dispatch.event.point.tag))
        if action == "raise":
            assert alarm is not None
            for dispatch in tracker.raised(alarm, list(routes), now):
                produced.append((offset, dispatch.route, dispatch.level, dispatch.event.point.tag))
        elif action == "ack":
            assert alarm is not None
            tracker.resolve(alarm.alarm_id)
        # "returned" (back to normal, unacknowledged) resolves nothing: see the notifier
        # test of the same name, which feeds the real RETURNED event.
    assert produced == expected


def test_escalation_reports_how_long_nobody_answered() -> None:
    tracker = EscalationTracker(LADDERS)
    tracker.raised(A, ["general"], T0)
    assert tracker.next_deadline() == T0 + 300
    (second,) = tracker.due(T0 + 300.4)
    assert (second.level, second.waited) == (2, 300.0)
    assert tracker.next_deadline() == T0 + 900
    (third,) = tracker.due(T0 + 900)
    assert (third.level, third.waited) == (3, 900.0)
    assert tracker.next_deadline() is None
    assert len(tracker) == 1  # still awaiting acknowledgement at the top of the ladder
    assert tracker.level_of(A.alarm_id, "general") == 3
    assert tracker.resolve(A.alarm_id) == ["general"]
    assert len(tracker) == 0
    assert tracker.resolve(A.alarm_id) == []


def test_escalation_carries_the_newest_values() -> None:
    tracker = EscalationTracker(LADDERS)
    tracker.raised(A, ["general"], T0)
    newer = event("GT-201", AlarmType.HIGH_HIGH, value=77.0, ts=T0 + 100)
    tracker.raised(newer, ["general"], T0 + 100)
    (second,) = tracker.due(T0 + 300)
    assert second.event.value == 77.0


def test_ladder_rejects_non_positive_timeouts() -> None:
    with pytest.raises(ValueError, match="positive"):
        Ladder("bad", (0.0,))
