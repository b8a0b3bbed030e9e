"""The park's picture of its enterprises, and the park's own alarms. Pure: fed by the
central process with decoded site descriptions, heartbeats and alarm events, evaluated
by ``tick(now)``; the clock is injected, so the rules are tested by tables.

Every central instance keeps one, fed from the same streams, so any instance serves the
whole park's screens. What must be the same on all of them and is written by people (the
duty officer's 叫应 responses) or by one instance (refusal counts) comes in through
``set_response`` / ``set_refused`` from the shared key-value buckets.

Rules:
- 企业离线: no heartbeat for ``offline_after`` seconds (park clock) raises a park alarm for
  the enterprise, at priority high; the next heartbeat clears it.
- 叫应: an enterprise alarm of a priority listed in ``call_after`` (minutes) that is still
  unacknowledged that long after it was raised raises a park alarm for the duty officer to
  call the enterprise. It stays until the officer records who answered and what was done;
  the enterprise's own acknowledgement, when its heartbeat reports one, is shown beside it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from config.vocabulary import Priority
from dashboard.park import (
    ActiveAlarm,
    CallResponse,
    Contact,
    EnterpriseStatus,
    HazardSourceInfo,
    ParkAlarm,
    ParkFigures,
    PointInfo,
)
from gateway.uplink.envelope import EventRecord

Clock = Callable[[], float]
_RANK = {Priority.CRITICAL.value: 4, Priority.HIGH.value: 3, Priority.MEDIUM.value: 2,
         Priority.LOW.value: 1}
_UNACKED = ("active_unacknowledged", "returned_unacknowledged")
_HISTORY = 500  # cleared or answered park alarms kept for the screens


@dataclass
class _Enterprise:
    code: str
    name: str = ""
    first_seen: float = 0.0
    last_heartbeat: float | None = None
    last_data: float | None = None
    backlog: int = 0
    active: list[ActiveAlarm] = field(default_factory=list)
    sources: list[HazardSourceInfo] = field(default_factory=list)
    points: list[PointInfo] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)


def _text(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    return value if isinstance(value, str) else ""


def _num(body: Mapping[str, Any], key: str) -> float | None:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _same_alarm(source: ActiveAlarm | None, park: ParkAlarm) -> bool:
    return (source is not None and source.raised_at is not None
            and park.source_raised_at is not None
            and int(source.raised_at) == int(park.source_raised_at))


class ParkRegistry:
    def __init__(
        self,
        *,
        offline_after: float = 300.0,
        call_after: Mapping[Priority, float] | None = None,
        clock: Clock = time.time,
    ) -> None:
        self.offline_after = offline_after
        self.call_after = {
            p.value: minutes * 60.0
            for p, minutes in (call_after or {Priority.CRITICAL: 5.0}).items()
        }
        self._clock = clock
        self._enterprises: dict[str, _Enterprise] = {}
        self._refused: dict[str, dict[str, int]] = {}
        self._alarms: dict[str, ParkAlarm] = {}
        self._responses: dict[str, CallResponse] = {}
        self._history: deque[ParkAlarm] = deque(maxlen=_HISTORY)
        self._day: str = ""
        self._raised_today: set[tuple[str, int]] = set()

    # ---------------------------------------------------------------------- feeding

    def _get(self, code: str) -> _Enterprise:
        entry = self._enterprises.get(code)
        if entry is None:
            entry = self._enterprises[code] = _Enterprise(code, first_seen=self._clock())
        return entry

    def on_site(self, code: str, body: Mapping[str, Any]) -> None:
        entry = self._get(code)
        entry.name = _text(body, "name") or code
        entry.sources = [
            HazardSourceInfo(_text(s, "id"), _text(s, "name"), int(_num(s, "grade") or 4),
                             _text(s, "kind"))
            for s in body.get("hazard_sources") or [] if isinstance(s, dict)
        ]
        entry.points = [
            PointInfo(_text(p, "tag"), _text(p, "name"), _text(p, "kind"), _text(p, "unit"),
                      _text(p, "source"))
            for p in body.get("points") or [] if isinstance(p, dict)
        ]
        entry.contacts = [
            Contact(_text(c, "name"), _text(c, "role"), _text(c, "phone"))
            for c in body.get("contacts") or [] if isinstance(c, dict)
        ]

    def on_heartbeat(self, code: str, body: Mapping[str, Any], received_at: float) -> None:
        entry = self._get(code)
        if entry.last_heartbeat is not None and received_at < entry.last_heartbeat:
            return  # an older heartbeat delivered late says nothing new
        entry.last_heartbeat = received_at
        entry.last_data = _num(body, "last_data") or entry.last_data
        entry.backlog = int(_num(body, "backlog") or 0)
        entry.active = [
            ActiveAlarm(
                alarm_id=_text(a, "alarm_id"), tag=_text(a, "tag"), alarm_type=_text(a, "type"),
                priority=_text(a, "priority"), state=_text(a, "state"), source=_text(a, "source"),
                raised_at=_num(a, "raised_at"), acked_at=_num(a, "acked_at"),
                acked_by=_text(a, "acked_by") or None,
            )
            for a in body.get("active") or [] if isinstance(a, dict)
        ]

    def on_event(self, event: EventRecord) -> None:
        """Counts raisings for the park's 'alarms today' (each (enterprise, seq) once)."""
        if event.kind != "raised":
            return
        day = self._today(self._clock())
        if datetime.fromtimestamp(event.ts).strftime("%Y-%m-%d") == day:
            self._raised_today.add((event.enterprise, event.seq))

    def set_refused(self, code: str, counts: Mapping[str, int]) -> None:
        self._get(code)
        self._refused[code] = dict(counts)

    def set_response(self, alarm_id: str, response: CallResponse) -> None:
        self._responses[alarm_id] = response
        alarm = self._alarms.get(alarm_id)
        if alarm is not None:
            self._alarms[alarm_id] = replace(alarm, response=response, active=False)

    # ---------------------------------------------------------------------- rules

    def _today(self, now: float) -> str:
        day = datetime.fromtimestamp(now).strftime("%Y-%m-%d")
        if day != self._day:
            self._day = day
            self._raised_today.clear()
        return day

    def online(self, entry: _Enterprise, now: float) -> bool:
        last = entry.last_heartbeat
        return last is not None and now - last <= self.offline_after

    def tick(self, now: float | None = None) -> list[ParkAlarm]:
        """Evaluate the park rules; returns the park alarms raised by this tick."""
        now = self._clock() if now is None else now
        self._today(now)
        raised: list[ParkAlarm] = []
        for code, entry in self._enterprises.items():
            raised += self._offline_rule(code, entry, now)
            raised += self._call_rule(code, entry, now)
        return raised

    def _offline_rule(self, code: str, entry: _Enterprise, now: float) -> list[ParkAlarm]:
        slot = f"offline/{code}"
        current = self._alarms.get(slot)
        silent_since = entry.first_seen if entry.last_heartbeat is None else entry.last_heartbeat
        if now - silent_since > self.offline_after:
            if current is None:
                # The id names the outage (its last heartbeat, the stream's time, the same on
                # every instance and after a restart), so the journal holds it once.
                alarm = ParkAlarm(
                    id=f"{slot}/{int(silent_since)}", kind="offline", enterprise=code,
                    priority=Priority.HIGH.value, raised_at=now, active=True,
                    text=f"企业离线: {entry.name or code} 已 {int(now - silent_since)} 秒无心跳",
                    enterprise_name=entry.name or code, silent_since=silent_since,
                )
                self._alarms[slot] = alarm
                return [alarm]
        elif current is not None:
            self._history.append(replace(current, active=False, cleared_at=now))
            del self._alarms[slot]
        return []

    def _call_rule(self, code: str, entry: _Enterprise, now: float) -> list[ParkAlarm]:
        raised: list[ParkAlarm] = []
        by_id = {a.alarm_id: a for a in entry.active}
        for alarm in entry.active:
            wait = self.call_after.get(alarm.priority)
            if wait is None or alarm.raised_at is None or alarm.state not in _UNACKED:
                continue
            if now - alarm.raised_at < wait:
                continue
            alarm_id = f"call/{code}/{alarm.alarm_id}/{int(alarm.raised_at)}"
            if alarm_id in self._alarms:
                continue
            response = self._responses.get(alarm_id)
            park = ParkAlarm(
                id=alarm_id, kind="call", enterprise=code, priority=alarm.priority,
                raised_at=now, active=response is None, enterprise_alarm=alarm.alarm_id,
                enterprise_name=entry.name or code, tag=alarm.tag, alarm_type=alarm.alarm_type,
                source_raised_at=alarm.raised_at, deadline=alarm.raised_at + wait,
                text=(
                    f"叫应: {entry.name or code} {alarm.tag} {alarm.alarm_type} 报警 "
                    f"{int((now - alarm.raised_at) // 60)} 分钟未确认, 请电话叫应企业负责人"
                ),
                response=response,
            )
            self._alarms[alarm_id] = park
            raised.append(park)
        # The enterprise's own acknowledgement, shown beside the call.
        for alarm_id, park in list(self._alarms.items()):
            if park.kind != "call" or park.enterprise != code:
                continue
            source = by_id.get(park.enterprise_alarm or "")
            if source is not None and source.acked_at is not None:
                park = self._alarms[alarm_id] = replace(
                    park, enterprise_acked_at=source.acked_at, enterprise_acked_by=source.acked_by
                )
            if park.cleared_at is None and not _same_alarm(source, park):
                # Gone from the enterprise's active alarms (or raised anew): the alarm the
                # call was about has cleared there. The call stays until it is answered.
                self._alarms[alarm_id] = replace(park, cleared_at=now)
        return raised

    # ---------------------------------------------------------------------- views

    def enterprises(self, now: float | None = None) -> list[EnterpriseStatus]:
        now = self._clock() if now is None else now
        out = []
        for code in sorted(self._enterprises):
            entry = self._enterprises[code]
            worst = max((a.priority for a in entry.active), key=lambda p: _RANK.get(p, 0),
                        default=None)
            out.append(
                EnterpriseStatus(
                    code=code,
                    name=entry.name or code,
                    online=self.online(entry, now),
                    last_heartbeat=entry.last_heartbeat,
                    data_age=None if entry.last_data is None else max(0.0, now - entry.last_data),
                    worst_priority=worst,
                    grade=min((s.grade for s in entry.sources), default=None),
                    backlog=entry.backlog,
                    active_alarms=list(entry.active),
                    hazard_sources=list(entry.sources),
                    points=list(entry.points),
                    contacts=list(entry.contacts),
                    refused=dict(self._refused.get(code, {})),
                )
            )
        return out

    def alarms(self) -> list[ParkAlarm]:
        """Active park alarms first (newest first), then answered and cleared ones."""
        current = sorted(self._alarms.values(), key=lambda a: (not a.active, -a.raised_at))
        return current + list(reversed(self._history))

    def figures(self, now: float | None = None) -> ParkFigures:
        now = self._clock() if now is None else now
        self._today(now)
        total = len(self._enterprises)
        online = sum(1 for e in self._enterprises.values() if self.online(e, now))
        unanswered = sum(1 for a in self._alarms.values() if a.kind == "call" and a.active)
        return ParkFigures(
            enterprises=total,
            online=online,
            online_rate=online / total if total else 0.0,
            alarms_today=len(self._raised_today),
            unanswered_calls=unanswered,
        )

    def contacts(self, code: str) -> list[Contact]:
        entry = self._enterprises.get(code)
        return list(entry.contacts) if entry is not None else []

    def codes(self) -> Sequence[str]:
        return list(self._enterprises)
