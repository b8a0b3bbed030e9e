"""The state machine: every (state, stimulus) pair goes where the documentation says, with
the documented events, or is refused."""

from __future__ import annotations

import itertools

import pytest

from alerting.events import AlarmState, EventKind
from alerting.statemachine import (
    AlarmRecord,
    Context,
    InvalidTransition,
    Stimulus,
    allowed,
    apply,
    stimulus_for_restore,
    stimulus_for_return,
    stimulus_for_unshelve,
)
from config.catalog import PointKey
from config.vocabulary import AlarmType, Priority

N, U, A, R, S, OOS = (
    AlarmState.NORMAL,
    AlarmState.UNACK,
    AlarmState.ACKED,
    AlarmState.RTN_UNACK,
    AlarmState.SHELVED,
    AlarmState.OUT_OF_SERVICE,
)
St = Stimulus
K = EventKind

# The documentation, written out independently of the implementation's table:
# (state, stimulus) → (final state, event kinds). Pairs not listed are refused.
EXPECTED: dict[tuple[AlarmState, Stimulus], tuple[AlarmState, tuple[EventKind, ...]]] = {
    (N, St.ACTIVATE): (U, (K.RAISED,)),
    (N, St.RETURN): (N, ()),
    (N, St.RETURN_LATCHED): (N, ()),
    (N, St.SHELVE): (S, (K.SHELVED,)),
    (N, St.REMOVE): (OOS, (K.REMOVED_FROM_SERVICE,)),
    (N, St.NOTE): (N, (K.NOTE,)),
    (U, St.ACTIVATE): (U, ()),
    (U, St.RETURN): (R, (K.RETURNED,)),
    (U, St.RETURN_LATCHED): (R, (K.RETURNED,)),
    (U, St.ACK): (A, (K.ACKNOWLEDGED,)),
    (U, St.SHELVE): (S, (K.SHELVED,)),
    (U, St.REMOVE): (OOS, (K.REMOVED_FROM_SERVICE,)),
    (U, St.NOTE): (U, (K.NOTE,)),
    (A, St.ACTIVATE): (A, ()),
    (A, St.RETURN): (N, (K.RETURNED,)),
    (A, St.RETURN_LATCHED): (R, (K.RETURNED,)),  # latched: waits for the reset
    (A, St.SHELVE): (S, (K.SHELVED,)),
    (A, St.REMOVE): (OOS, (K.REMOVED_FROM_SERVICE,)),
    (A, St.REALARM): (U, (K.REALARMED,)),
    (A, St.NOTE): (A, (K.NOTE,)),
    (R, St.ACTIVATE): (U, (K.RAISED,)),
    (R, St.RETURN): (R, ()),
    (R, St.RETURN_LATCHED): (R, ()),
    (R, St.ACK): (N, (K.ACKNOWLEDGED,)),
    (R, St.SHELVE): (S, (K.SHELVED,)),
    (R, St.REMOVE): (OOS, (K.REMOVED_FROM_SERVICE,)),
    (R, St.NOTE): (R, (K.NOTE,)),
    (S, St.ACTIVATE): (S, ()),
    (S, St.RETURN): (S, ()),
    (S, St.RETURN_LATCHED): (S, ()),
    (S, St.SHELVE): (S, (K.SHELVED,)),
    (S, St.UNSHELVE): (N, (K.UNSHELVED,)),
    (S, St.UNSHELVE_ACTIVE): (U, (K.UNSHELVED, K.RAISED)),
    (S, St.EXPIRE): (N, (K.UNSHELVED,)),
    (S, St.EXPIRE_ACTIVE): (U, (K.UNSHELVED, K.RAISED)),
    (S, St.REMOVE): (OOS, (K.REMOVED_FROM_SERVICE,)),
    (S, St.NOTE): (S, (K.NOTE,)),
    (OOS, St.ACTIVATE): (OOS, ()),
    (OOS, St.RETURN): (OOS, ()),
    (OOS, St.RETURN_LATCHED): (OOS, ()),
    (OOS, St.RESTORE): (N, (K.RETURNED_TO_SERVICE,)),
    (OOS, St.RESTORE_ACTIVE): (U, (K.RETURNED_TO_SERVICE, K.RAISED)),
    (OOS, St.NOTE): (OOS, (K.NOTE,)),
}

KEY = PointKey("T1", "LT-1")
PAIRS = list(itertools.product(AlarmState, Stimulus))


def _record(state: AlarmState, **fields: object) -> AlarmRecord:
    return AlarmRecord(
        alarm_id="T1/LT-1/H", point=KEY, alarm_type=AlarmType.HIGH, priority=Priority.HIGH,
        hazard_source="HS1", state=state, **fields,  # type: ignore[arg-type]
    )


def test_every_pair_is_covered() -> None:
    assert len(PAIRS) == len(AlarmState) * len(Stimulus) == 84


@pytest.mark.parametrize(("state", "stimulus"), PAIRS, ids=[f"{s.name}-{t.name}" for s, t in PAIRS])
def test_transition(state: AlarmState, stimulus: Stimulus) -> None:
    record = _record(state)
    context = Context(now=100.0, user="张三", comment="c", value=12.0, limit=10.0, until=700.0)
    expected = EXPECTED.get((state, stimulus))
    if expected is None:
        assert not allowed(state, stimulus)
        with pytest.raises(InvalidTransition) as caught:
            apply(record, stimulus, context)
        assert caught.value.state is state and "T1/LT-1/H" in str(caught.value)
        return
    new, events = apply(record, stimulus, context)
    final, kinds = expected
    assert new.state is final
    assert tuple(event.kind for event in events) == kinds
    for event in events:
        assert event.alarm_id == "T1/LT-1/H" and event.ts == 100.0
        assert event.hazard_source == "HS1" and event.priority is Priority.HIGH
    if events:
        assert events[-1].state is final


def test_condition_is_tracked_while_shelved() -> None:
    shelved = _record(S)
    active, events = apply(shelved, St.ACTIVATE, Context(1.0, value=30.0, limit=25.0))
    assert events == [] and active.active and active.value == 30.0 and active.state is S
    assert stimulus_for_unshelve(active, expired=False) is St.UNSHELVE_ACTIVE
    assert stimulus_for_unshelve(active, expired=True) is St.EXPIRE_ACTIVE
    back, events = apply(active, St.RETURN, Context(2.0, value=1.0))
    assert events == [] and not back.active
    assert stimulus_for_unshelve(back, expired=False) is St.UNSHELVE


def test_guards_pick_the_variant() -> None:
    assert stimulus_for_return(_record(A, latching=True)) is St.RETURN_LATCHED
    assert stimulus_for_return(_record(A, latching=False)) is St.RETURN
    assert stimulus_for_restore(_record(OOS, active=True)) is St.RESTORE_ACTIVE
    assert stimulus_for_restore(_record(OOS, active=False)) is St.RESTORE


def test_event_fields_name_the_person_and_times() -> None:
    raised, (event,) = apply(_record(N), St.ACTIVATE, Context(10.0, value=30.0, limit=25.0))
    assert (event.value, event.limit, event.user) == (30.0, 25.0, None)
    assert raised.raised_at == 10.0 and raised.active
    acked, (event,) = apply(raised, St.ACK, Context(20.0, user="李四", comment="已派人检查"))
    assert (event.user, event.comment) == ("李四", "已派人检查")
    assert (acked.acked_at, acked.acked_by) == (20.0, "李四")
    shelved, (event,) = apply(acked, St.SHELVE, Context(30.0, "王五", "检修", until=630.0))
    assert event.until == 630.0 and shelved.shelved_by == "王五"
    assert shelved.shelve_reason == "检修" and shelved.acked_at is None
    back, (unshelved, reraised) = apply(shelved, St.EXPIRE_ACTIVE, Context(630.0))
    assert (unshelved.user, reraised.user) == (None, None)
    assert back.shelved_until is None and back.raised_at == 630.0 and back.state is U


def test_second_step_is_raised_by_the_system_not_the_person() -> None:
    record = _record(OOS, active=True)
    _, (restored, raised) = apply(record, St.RESTORE_ACTIVE, Context(1.0, user="赵六"))
    assert restored.user == "赵六" and raised.user is None
