"""Alarm vocabulary shared by the engine, the journal, notifications and the web API."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from config.catalog import PointKey
from config.vocabulary import AlarmType, Priority


class AlarmState(StrEnum):
    NORMAL = "normal"
    UNACK = "active_unacknowledged"
    ACKED = "active_acknowledged"
    RTN_UNACK = "returned_unacknowledged"
    SHELVED = "shelved"
    OUT_OF_SERVICE = "out_of_service"


class EventKind(StrEnum):
    RAISED = "raised"
    RETURNED = "returned"  # condition cleared (may still await acknowledgement)
    ACKNOWLEDGED = "acknowledged"
    CLEARED = "cleared"  # not emitted by the engine: a returned/acknowledged event with state
    # normal is what clears an alarm (the event says what happened, the state where it went)
    SHELVED = "shelved"
    UNSHELVED = "unshelved"
    REMOVED_FROM_SERVICE = "out_of_service"
    RETURNED_TO_SERVICE = "in_service"
    NOTE = "note"  # 闭环处置: action taken
    NOTIFIED = "notified"
    NOTIFY_FAILED = "notify_failed"
    ESCALATED = "escalated"
    REALARMED = "realarmed"  # an acknowledged alarm still active after its re-alarm time


# States in which an alarm is shown to the operator and colours its hazard source.
ANNUNCIATED_STATES = frozenset({AlarmState.UNACK, AlarmState.ACKED, AlarmState.RTN_UNACK})
# States that await a person's acknowledgement (叫应: unanswered alarms escalate).
UNACKNOWLEDGED_STATES = frozenset({AlarmState.UNACK, AlarmState.RTN_UNACK})
# Process-condition alarms versus system alarms about the measurement itself.
SYSTEM_ALARM_TYPES = frozenset({AlarmType.COMM_LOSS, AlarmType.SENSOR_FAULT})


@dataclass(frozen=True, slots=True)
class AlarmEvent:
    """One transition or action on one alarm. Journalled before it is published."""

    alarm_id: str  # stable: "<site>/<tag>/<type>"
    point: PointKey
    alarm_type: AlarmType
    kind: EventKind
    state: AlarmState  # the state after this event
    priority: Priority
    ts: float
    value: float | bool | None = None
    limit: float | None = None
    user: str | None = None
    comment: str | None = None
    seq: int = 0  # assigned by the journal
    hazard_source: str = ""  # id of the point's hazard source (empty if unknown)
    until: float | None = None  # for a shelved event: when the shelf expires


def alarm_id(point: PointKey, alarm_type: AlarmType) -> str:
    return f"{point.site}/{point.tag}/{alarm_type.value}"
