"""The park's rules by table, with an injected clock: 企业离线 and 叫应."""

from __future__ import annotations

import pytest

from config.vocabulary import Priority
from dashboard.park import CallResponse
from gateway.park.registry import ParkRegistry

T0 = 1_800_000_000.0


def heartbeat(*active: dict[str, object]) -> dict[str, object]:
    return {"v": 1, "enterprise": "E1", "gateway": "gw1", "last_data": T0, "backlog": 0,
            "active": list(active)}


def red(state: str = "active_unacknowledged", acked_at: float | None = None) -> dict[str, object]:
    return {"alarm_id": "E1/GT-1/high_high", "tag": "GT-1", "type": "high_high",
            "priority": "critical", "state": state, "raised_at": T0, "acked_at": acked_at,
            "acked_by": "张三" if acked_at else None, "source": "HS-1"}


@pytest.mark.parametrize(
    ("silence", "offline"),
    [(0.0, False), (299.0, False), (301.0, True), (3600.0, True)],
)
def test_offline_after_five_minutes_without_heartbeat(silence: float, offline: bool) -> None:
    now = [T0]
    registry = ParkRegistry(offline_after=300.0, clock=lambda: now[0])
    registry.on_site("E1", {"name": "一号企业", "hazard_sources": [{"id": "HS-1", "grade": 2}]})
    registry.on_heartbeat("E1", heartbeat(), T0)
    now[0] = T0 + silence
    raised = registry.tick()
    assert [a.kind for a in raised] == (["offline"] if offline else [])
    status = registry.enterprises()[0]
    assert status.online is not offline
    assert status.grade == 2
    assert registry.figures().online == (0 if offline else 1)
    # The next heartbeat clears it.
    registry.on_heartbeat("E1", heartbeat(), now[0])
    registry.tick()
    assert not any(a.active and a.kind == "offline" for a in registry.alarms())


@pytest.mark.parametrize(
    ("minutes", "state", "calls"),
    [
        (4.9, "active_unacknowledged", 0),
        (5.1, "active_unacknowledged", 1),
        (5.1, "returned_unacknowledged", 1),
        (5.1, "active_acknowledged", 0),
    ],
)
def test_call_rule_for_red_alarms_unacknowledged(minutes: float, state: str, calls: int) -> None:
    registry = ParkRegistry(call_after={Priority.CRITICAL: 5.0}, clock=lambda: T0)
    registry.on_heartbeat("E1", heartbeat(red(state)), T0 + minutes * 60)
    raised = registry.tick(T0 + minutes * 60)
    assert len([a for a in raised if a.kind == "call"]) == calls
    assert registry.figures(T0 + minutes * 60).unanswered_calls == calls


def test_call_shows_enterprise_ack_and_officer_response() -> None:
    registry = ParkRegistry(call_after={Priority.CRITICAL: 5.0}, clock=lambda: T0)
    registry.on_heartbeat("E1", heartbeat(red()), T0 + 400)
    (call,) = registry.tick(T0 + 400)
    registry.on_heartbeat("E1", heartbeat(red("active_acknowledged", T0 + 500)), T0 + 500)
    registry.tick(T0 + 500)
    shown = next(a for a in registry.alarms() if a.id == call.id)
    assert shown.enterprise_acked_at == T0 + 500 and shown.enterprise_acked_by == "张三"
    assert shown.active  # still awaits the officer's record
    registry.set_response(call.id, CallResponse("李四", T0 + 520, "已电话确认, 现场排查", "duty"))
    shown = next(a for a in registry.alarms() if a.id == call.id)
    assert not shown.active and shown.response is not None
    assert registry.figures(T0 + 600).unanswered_calls == 0


def test_park_alarms_carry_structured_fields_for_the_screens_and_the_journal() -> None:
    now = [T0]
    registry = ParkRegistry(offline_after=300.0, call_after={Priority.CRITICAL: 5.0},
                            clock=lambda: now[0])
    registry.on_site("E1", {"name": "一号企业"})
    registry.on_heartbeat("E1", heartbeat(red()), T0 + 400)
    (call,) = registry.tick(T0 + 400)
    assert (call.enterprise_name, call.tag, call.alarm_type) == ("一号企业", "GT-1", "high_high")
    assert call.source_raised_at == T0 and call.deadline == T0 + 300
    # Silent from the heartbeat at T0 + 400: the outage is named by it, on every instance.
    now[0] = T0 + 800
    (off,) = registry.tick()
    assert off.id == f"offline/E1/{int(T0 + 400)}" and off.silent_since == T0 + 400
    assert off.enterprise_name == "一号企业"


def test_a_call_is_stamped_cleared_when_its_enterprise_alarm_is_gone() -> None:
    registry = ParkRegistry(call_after={Priority.CRITICAL: 5.0}, clock=lambda: T0)
    registry.on_heartbeat("E1", heartbeat(red()), T0 + 400)
    (call,) = registry.tick(T0 + 400)
    registry.on_heartbeat("E1", heartbeat(), T0 + 450)
    registry.tick(T0 + 450)
    shown = next(a for a in registry.alarms() if a.id == call.id)
    assert shown.cleared_at == T0 + 450
    assert shown.active  # cleared at the enterprise; the officer's record is still owed
    registry.tick(T0 + 500)
    assert next(a for a in registry.alarms() if a.id == call.id).cleared_at == T0 + 450
