"""What the park's screens show, as the dashboard sees it: enterprises, park alarms and the
park's figures. The central process builds these (from the uplinks it consumes) and hands
the dashboard a ``ParkSource``; the dashboard never reaches into the process itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


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
    unacknowledged too long)."""

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
