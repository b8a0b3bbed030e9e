"""The ISA-18.2 alarm state machine as an explicit transition table.

An alarm's ``AlarmRecord`` moves between the states of ``alerting.events.AlarmState`` on
stimuli: its condition becoming active or returning (from ``alerting.rules``), a person's
actions (acknowledge, shelve, unshelve, remove from service, return to service, note) and
timers (shelf expiry, re-alarm). ``TRANSITIONS`` lists every allowed (state, stimulus)
pair and the steps it takes; a pair not in the table is refused with
``InvalidTransition`` (HTTP 409). Each step that names an event kind produces one
``AlarmEvent``; a step without one changes nothing visible (a condition change while the
alarm is shelved is tracked, not annunciated).

States (ISA-18.2 / IEC 62682 figure "alarm state transition diagram"):

- NORMAL: condition clear, nothing to answer.
- UNACK (active, unacknowledged): annunciated, awaiting a person (叫应).
- ACKED (active, acknowledged).
- RTN_UNACK (returned, unacknowledged): the condition cleared before anyone answered;
  the alarm stays until acknowledged (a person must see every alarm).
- SHELVED: suppressed by a named person, with a reason, until a time; unshelved by a
  person or automatically when the time is up. If its condition is then active it is
  raised afresh.
- OUT_OF_SERVICE: removed from service (maintenance); returned by a person.

Latching (per rule): a latched alarm acknowledged while active does not go back to normal
on return; it goes to RTN_UNACK and waits for a person's acknowledgement (the reset).

Condition stimuli are facts and are never refused: an ACTIVATE while already active (e.g.
after a restart) is a silent no-op.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from alerting.events import AlarmEvent, AlarmState, EventKind
from config.catalog import PointKey
from config.vocabulary import AlarmType, Priority

N = AlarmState.NORMAL
U = AlarmState.UNACK
A = AlarmState.ACKED
R = AlarmState.RTN_UNACK
S = AlarmState.SHELVED
O = AlarmState.OUT_OF_SERVICE  # noqa: E741 - one letter like its neighbours in the table


class Stimulus(StrEnum):
    ACTIVATE = "activate"  # the condition became active
    RETURN = "return"  # the condition returned (non-latching rule)
    RETURN_LATCHED = "return_latched"  # the condition returned (latching rule)
    ACK = "ack"
    SHELVE = "shelve"
    UNSHELVE = "unshelve"  # by a person, condition clear
    UNSHELVE_ACTIVE = "unshelve_active"  # by a person, condition active
    EXPIRE = "expire"  # the shelf ran out, condition clear
    EXPIRE_ACTIVE = "expire_active"
    REMOVE = "remove"  # remove from service
    RESTORE = "restore"  # return to service, condition clear
    RESTORE_ACTIVE = "restore_active"
    REALARM = "realarm"  # re-alarm time of an acknowledged, still active alarm ran out
    NOTE = "note"  # 闭环处置: a person writes what was done


@dataclass(frozen=True, slots=True)
class Step:
    state: AlarmState
    event: EventKind | None  # None: silent


def _steps(*pairs: tuple[AlarmState, EventKind | None]) -> tuple[Step, ...]:
    return tuple(Step(state, event) for state, event in pairs)


_K = EventKind
_SILENT = None


def _table() -> dict[tuple[AlarmState, Stimulus], tuple[Step, ...]]:
    St = Stimulus
    table: dict[tuple[AlarmState, Stimulus], tuple[Step, ...]] = {
        # NORMAL
        (N, St.ACTIVATE): _steps((U, _K.RAISED)),
        (N, St.RETURN): _steps((N, _SILENT)),
        (N, St.RETURN_LATCHED): _steps((N, _SILENT)),
        (N, St.SHELVE): _steps((S, _K.SHELVED)),
        (N, St.REMOVE): _steps((O, _K.REMOVED_FROM_SERVICE)),
        (N, St.NOTE): _steps((N, _K.NOTE)),
        # UNACK: active, unacknowledged
        (U, St.ACTIVATE): _steps((U, _SILENT)),
        (U, St.RETURN): _steps((R, _K.RETURNED)),
        (U, St.RETURN_LATCHED): _steps((R, _K.RETURNED)),
        (U, St.ACK): _steps((A, _K.ACKNOWLEDGED)),
        (U, St.SHELVE): _steps((S, _K.SHELVED)),
        (U, St.REMOVE): _steps((O, _K.REMOVED_FROM_SERVICE)),
        (U, St.NOTE): _steps((U, _K.NOTE)),
        # ACKED: active, acknowledged
        (A, St.ACTIVATE): _steps((A, _SILENT)),
        (A, St.RETURN): _steps((N, _K.RETURNED)),
        (A, St.RETURN_LATCHED): _steps((R, _K.RETURNED)),
        (A, St.SHELVE): _steps((S, _K.SHELVED)),
        (A, St.REMOVE): _steps((O, _K.REMOVED_FROM_SERVICE)),
        (A, St.REALARM): _steps((U, _K.REALARMED)),
        (A, St.NOTE): _steps((A, _K.NOTE)),
        # RTN_UNACK: returned, unacknowledged
        (R, St.ACTIVATE): _steps((U, _K.RAISED)),
        (R, St.RETURN): _steps((R, _SILENT)),
        (R, St.RETURN_LATCHED): _steps((R, _SILENT)),
        (R, St.ACK): _steps((N, _K.ACKNOWLEDGED)),
        (R, St.SHELVE): _steps((S, _K.SHELVED)),
        (R, St.REMOVE): _steps((O, _K.REMOVED_FROM_SERVICE)),
        (R, St.NOTE): _steps((R, _K.NOTE)),
        # SHELVED
        (S, St.ACTIVATE): _steps((S, _SILENT)),
        (S, St.RETURN): _steps((S, _SILENT)),
        (S, St.RETURN_LATCHED): _steps((S, _SILENT)),
        (S, St.SHELVE): _steps((S, _K.SHELVED)),  # re-shelve: new reason and expiry
        (S, St.UNSHELVE): _steps((N, _K.UNSHELVED)),
        (S, St.UNSHELVE_ACTIVE): _steps((N, _K.UNSHELVED), (U, _K.RAISED)),
        (S, St.EXPIRE): _steps((N, _K.UNSHELVED)),
        (S, St.EXPIRE_ACTIVE): _steps((N, _K.UNSHELVED), (U, _K.RAISED)),
        (S, St.REMOVE): _steps((O, _K.REMOVED_FROM_SERVICE)),
        (S, St.NOTE): _steps((S, _K.NOTE)),
        # OUT_OF_SERVICE
        (O, St.ACTIVATE): _steps((O, _SILENT)),
        (O, St.RETURN): _steps((O, _SILENT)),
        (O, St.RETURN_LATCHED): _steps((O, _SILENT)),
        (O, St.RESTORE): _steps((N, _K.RETURNED_TO_SERVICE)),
        (O, St.RESTORE_ACTIVE): _steps((N, _K.RETURNED_TO_SERVICE), (U, _K.RAISED)),
        (O, St.NOTE): _steps((O, _K.NOTE)),
    }
    return table


# (state, stimulus) → steps. Anything not listed is refused.
TRANSITIONS: dict[tuple[AlarmState, Stimulus], tuple[Step, ...]] = _table()

CONDITION_STIMULI = frozenset({Stimulus.ACTIVATE, Stimulus.RETURN, Stimulus.RETURN_LATCHED})

_ACTION_WORDS = {
    Stimulus.ACK: "acknowledge",
    Stimulus.SHELVE: "shelve",
    Stimulus.UNSHELVE: "unshelve",
    Stimulus.UNSHELVE_ACTIVE: "unshelve",
    Stimulus.EXPIRE: "expire the shelf of",
    Stimulus.EXPIRE_ACTIVE: "expire the shelf of",
    Stimulus.REMOVE: "remove from service",
    Stimulus.RESTORE: "return to service",
    Stimulus.RESTORE_ACTIVE: "return to service",
    Stimulus.REALARM: "re-alarm",
}


class InvalidTransition(Exception):
    """The action is not allowed in the alarm's state (HTTP 409)."""

    def __init__(self, alarm_id: str, state: AlarmState, stimulus: Stimulus) -> None:
        self.alarm_id = alarm_id
        self.state = state
        self.stimulus = stimulus
        word = _ACTION_WORDS.get(stimulus, stimulus.value)
        super().__init__(f"cannot {word} alarm {alarm_id}: it is {state.value}")


@dataclass(frozen=True, slots=True)
class AlarmRecord:
    """Everything known about one alarm now. Replaced, never mutated."""

    alarm_id: str
    point: PointKey
    alarm_type: AlarmType
    priority: Priority
    hazard_source: str = ""
    state: AlarmState = AlarmState.NORMAL
    active: bool = False  # the condition, after filters, whatever the state
    latching: bool = False
    value: float | bool | None = None
    limit: float | None = None
    raised_at: float | None = None
    acked_at: float | None = None
    acked_by: str | None = None
    returned_at: float | None = None
    shelved_at: float | None = None
    shelved_by: str | None = None
    shelved_until: float | None = None
    shelve_reason: str | None = None
    removed_at: float | None = None
    removed_by: str | None = None
    removed_reason: str | None = None
    changed_at: float | None = None
    last_seq: int = 0


@dataclass(frozen=True, slots=True)
class Context:
    """What comes with a stimulus."""

    now: float
    user: str | None = None
    comment: str | None = None
    value: float | bool | None = None
    limit: float | None = None
    until: float | None = None  # shelve: when the shelf expires


def stimulus_for_return(record: AlarmRecord) -> Stimulus:
    return Stimulus.RETURN_LATCHED if record.latching else Stimulus.RETURN


def stimulus_for_unshelve(record: AlarmRecord, *, expired: bool) -> Stimulus:
    if expired:
        return Stimulus.EXPIRE_ACTIVE if record.active else Stimulus.EXPIRE
    return Stimulus.UNSHELVE_ACTIVE if record.active else Stimulus.UNSHELVE


def stimulus_for_restore(record: AlarmRecord) -> Stimulus:
    return Stimulus.RESTORE_ACTIVE if record.active else Stimulus.RESTORE


def allowed(state: AlarmState, stimulus: Stimulus) -> bool:
    return (state, stimulus) in TRANSITIONS


def apply(
    record: AlarmRecord, stimulus: Stimulus, context: Context
) -> tuple[AlarmRecord, list[AlarmEvent]]:
    """Take ``stimulus``: the new record and the events it produced (possibly none).
    Raises ``InvalidTransition`` for a pair the table does not list."""
    steps = TRANSITIONS.get((record.state, stimulus))
    if steps is None:
        raise InvalidTransition(record.alarm_id, record.state, stimulus)
    record = _condition(record, stimulus, context)
    events: list[AlarmEvent] = []
    for index, step in enumerate(steps):
        if index:
            # A second step is the alarm coming back active after an unshelve or a return to
            # service: the system raises it, not the person who acted.
            context = replace(context, user=None, comment="condition active on return")
        record = _enter(record, step, context)
        if step.event is not None:
            events.append(_event(record, step.event, context))
    return record, events


def _condition(record: AlarmRecord, stimulus: Stimulus, context: Context) -> AlarmRecord:
    """Track the condition, whatever the state (shelved alarms too)."""
    if stimulus is Stimulus.ACTIVATE:
        return replace(record, active=True, value=context.value, limit=context.limit)
    if stimulus in (Stimulus.RETURN, Stimulus.RETURN_LATCHED):
        value = context.value if context.value is not None else record.value
        return replace(record, active=False, value=value)
    return record


def _enter(record: AlarmRecord, step: Step, context: Context) -> AlarmRecord:
    now = context.now
    kind = step.event
    if kind is None:
        return replace(record, state=step.state)
    changes: dict[str, object] = {"state": step.state, "changed_at": now}
    if kind is EventKind.RAISED:
        changes.update(raised_at=now, acked_at=None, acked_by=None, returned_at=None)
    elif kind is EventKind.RETURNED:
        changes.update(returned_at=now)
    elif kind is EventKind.ACKNOWLEDGED:
        changes.update(acked_at=now, acked_by=context.user)
    elif kind is EventKind.REALARMED:
        changes.update(acked_at=None, acked_by=None)
    elif kind is EventKind.SHELVED:
        changes.update(
            shelved_at=now,
            shelved_by=context.user,
            shelved_until=context.until,
            shelve_reason=context.comment,
            acked_at=None,
            acked_by=None,
        )
    elif kind is EventKind.UNSHELVED:
        changes.update(shelved_at=None, shelved_by=None, shelved_until=None, shelve_reason=None)
    elif kind is EventKind.REMOVED_FROM_SERVICE:
        changes.update(
            removed_at=now,
            removed_by=context.user,
            removed_reason=context.comment,
            shelved_at=None,
            shelved_by=None,
            # Out of service until (None: until a person returns it): the one "until" field.
            shelved_until=context.until,
            shelve_reason=None,
            acked_at=None,
            acked_by=None,
        )
    elif kind is EventKind.RETURNED_TO_SERVICE:
        changes.update(removed_at=None, removed_by=None, removed_reason=None, shelved_until=None)
    elif kind is EventKind.NOTE:
        del changes["changed_at"]  # a note is not a change of the alarm
    return replace(record, **changes)  # type: ignore[arg-type]


_SYSTEM_EVENTS = frozenset({EventKind.RAISED, EventKind.RETURNED, EventKind.REALARMED})


def _event(record: AlarmRecord, kind: EventKind, context: Context) -> AlarmEvent:
    return AlarmEvent(
        alarm_id=record.alarm_id,
        point=record.point,
        alarm_type=record.alarm_type,
        kind=kind,
        state=record.state,
        priority=record.priority,
        ts=context.now,
        value=record.value,
        limit=record.limit,
        user=None if kind in _SYSTEM_EVENTS else context.user,
        comment=context.comment,
        hazard_source=record.hazard_source,
        until=(
            record.shelved_until
            if kind in (EventKind.SHELVED, EventKind.REMOVED_FROM_SERVICE)
            else None
        ),
    )
