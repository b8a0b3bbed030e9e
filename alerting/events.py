"""Alarm vocabulary shared by the engine, the journal, notifications and the web API."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gateway.readings import PointKey


class Priority(StrEnum):
    """ISA-18.2 priorities and the colours of the Chinese warning scale."""

    CRITICAL = "critical"  # 红 red
    HIGH = "high"  # 橙 orange
    MEDIUM = "medium"  # 黄 yellow
    LOW = "low"  # 蓝 blue

    @property
    def colour(self) -> str:
        return _COLOURS[self]

    @property
    def rank(self) -> int:
        """0 is the most urgent."""
        return _RANKS[self]


_COLOURS = {
    Priority.CRITICAL: "red",
    Priority.HIGH: "orange",
    Priority.MEDIUM: "yellow",
    Priority.LOW: "blue",
}
_RANKS = {Priority.CRITICAL: 0, Priority.HIGH: 1, Priority.MEDIUM: 2, Priority.LOW: 3}

NORMAL_COLOUR = "green"  # a hazard source without annunciated alarms


def status_colour(priority: Priority | None) -> str:
    """The colour of a hazard source whose worst annunciated alarm has ``priority``."""
    return NORMAL_COLOUR if priority is None else priority.colour


class AlarmType(StrEnum):
    HIGH_HIGH = "HH"  # 高高
    HIGH = "H"  # 高
    LOW = "L"  # 低
    LOW_LOW = "LL"  # 低低
    RATE_OF_CHANGE = "ROC"
    DISCRETE = "DISCRETE"  # spark, valve fault, interlock, detector fault bit
    COMM_LOSS = "COMM_LOSS"  # no good reading for too long: a system alarm
    SENSOR_FAULT = "SENSOR_FAULT"  # fault current, fault bit, dead heartbeat: a system alarm


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
