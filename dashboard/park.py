"""What the park's screens show, as the dashboard sees it: enterprises, park alarms and the
park's figures. The central process builds these (from the uplinks it consumes) and hands
the dashboard a ``ParkSource``; the dashboard never reaches into the process itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from config.shifts import ShiftSchedule


@dataclass(frozen=True, slots=True)
class ActiveAlarm:
    """An alarm active at an enterprise, as its last heartbeat reported it."""

    alarm_id: str
    tag: str
    alarm_type: str
    priority: str
    state: str
    source: str
    raised_at: float | None
    acked_at: float | None
    acked_by: str | None


@dataclass(frozen=True, slots=True)
class HazardSourceInfo:
    id: str
    name: str
    grade: int
    kind: str


@dataclass(frozen=True, slots=True)
class PointInfo:
    tag: str
    name: str
    kind: str
    unit: str
    source: str


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    role: str
    phone: str


@dataclass(frozen=True, slots=True)
class EnterpriseStatus:
    code: str
    name: str
    online: bool
    last_heartbeat: float | None  # when the park last heard the enterprise (epoch s)
    data_age: float | None  # seconds since the newest reading the enterprise sent
    worst_priority: str | None  # of its active alarms: critical/high/medium/low
    grade: int | None  # its highest major-hazard grade (1 is the highest)
    backlog: int  # readings waiting at the edge
    active_alarms: Sequence[ActiveAlarm] = ()
    hazard_sources: Sequence[HazardSourceInfo] = ()
    points: Sequence[PointInfo] = ()
    contacts: Sequence[Contact] = ()
    refused: dict[str, int] = field(default_factory=dict)  # messages refused, by reason


@dataclass(frozen=True, slots=True)
class CallResponse:
    """What the duty officer recorded for a 叫应 call."""

    answered_by: str
    answered_at: float
    action: str
    recorded_by: str


@dataclass(frozen=True, slots=True)
class ParkAlarm:
    """A park-level alarm: ``offline`` (企业离线) or ``call`` (叫应: an enterprise alarm
    unacknowledged too long). ``text`` is the Chinese line for logs; screens build their
    line in either language from the structured fields after ``response``."""

    id: str
    kind: str
    enterprise: str
    priority: str
    raised_at: float
    text: str
    active: bool
    cleared_at: float | None = None
    enterprise_alarm: str | None = None  # for a call: the enterprise's alarm id
    enterprise_acked_at: float | None = None  # the enterprise's own acknowledgement
    enterprise_acked_by: str | None = None
    response: CallResponse | None = None
    enterprise_name: str = ""
    tag: str | None = None  # for a call: the enterprise alarm's point
    alarm_type: str | None = None  # for a call: HH, H, L, LL, ...
    source_raised_at: float | None = None  # for a call: when the enterprise alarm was raised
    deadline: float | None = None  # for a call: when the enterprise's ack fell due
    silent_since: float | None = None  # for offline: the last heartbeat (or first sight)


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One park alarm's life as the park journal holds it (``gateway.park.journal``): who
    raised it and when, whom to call, the officer's record of the call, the enterprise's
    own acknowledgement, when it cleared. Each fact is written once: a later writer
    (the other central instance, the same one after a restart) can add a missing fact but
    never change one that is there (``dashboard.parkledger.merge``)."""

    id: str
    kind: str  # offline / call
    enterprise: str
    enterprise_name: str
    priority: str
    raised_at: float
    raised_by: str  # the central instance whose write of the raise won
    tag: str | None = None
    alarm_type: str | None = None
    enterprise_alarm: str | None = None
    source_raised_at: float | None = None
    deadline: float | None = None
    silent_since: float | None = None
    contacts: tuple[Contact, ...] = ()  # whom the officer calls: the enterprise's contacts
    response: CallResponse | None = None
    responded_at: float | None = None  # when the officer's record reached the journal
    enterprise_acked_at: float | None = None
    enterprise_acked_by: str | None = None
    cleared_at: float | None = None


@dataclass(frozen=True, slots=True)
class ParkFigures:
    enterprises: int
    online: int
    online_rate: float  # 在线率, 0..1
    alarms_today: int  # enterprise alarms raised since local midnight
    unanswered_calls: int  # 叫应 alarms without a recorded response


class ParkSource(Protocol):
    def enterprises(self) -> Sequence[EnterpriseStatus]: ...

    def alarms(self) -> Sequence[ParkAlarm]: ...

    def figures(self) -> ParkFigures: ...

    async def record_response(
        self, alarm_id: str, response: CallResponse
    ) -> ParkAlarm | None: ...

    def journal(self) -> Sequence[JournalEntry]:
        """Every park alarm the park journal holds (any instance: the same)."""
        ...

    def now(self) -> float: ...

    def shifts(self) -> ShiftSchedule | None:
        """The park duty room's shifts (the shift report's windows), if configured."""
        ...
