"""Escalation ladders (叫应), as pure state driven by an injected ``now``.

When an alarm is raised, level 1 of every matching route is due at once. If nobody
acknowledges it within level 1's ``escalate_after``, level 2 is due; then level 3 after
level 2's. Acknowledgement (or clearing, shelving, removal from service) stops it.

An alarm that returns to normal without acknowledgement keeps escalating: under
ISA-18.2 a returned-unacknowledged alarm still awaits a person, and an unanswered
call is exactly what 叫应 must bring to someone's attention.

A repeated RAISED (the alarm came back before anyone acknowledged it) notifies level 1
again but keeps the ladder's timeline: re-raising must never postpone escalation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from alerting.events import AlarmEvent


@dataclass(frozen=True, slots=True)
class Dispatch:
    """One alarm to be told to one level of one route."""

    route: str
    level: int  # 1-based
    event: AlarmEvent  # the RAISED event of the alarm
    waited: float | None = None  # for an escalation: seconds left unacknowledged
    due_at: float | None = None  # when this level fell due (the ledger's start of it)
    deadline: float | None = None  # when the alarm escalates past this level (None: top)


@dataclass(frozen=True, slots=True)
class Ladder:
    """A route's escalation timing: ``timeouts[i]`` is the wait after level i+1."""

    route: str
    timeouts: tuple[float, ...]

    def __post_init__(self) -> None:
        if any(timeout <= 0 for timeout in self.timeouts):
            raise ValueError(f"route {self.route}: escalation timeouts must be positive")

    @property
    def levels(self) -> int:
        return len(self.timeouts) + 1


@dataclass(slots=True)
class _Track:
    event: AlarmEvent
    started: float
    level: int
    next_at: float | None


class EscalationTracker:
    def __init__(self, ladders: Mapping[str, Ladder]) -> None:
        self._ladders = dict(ladders)
        # alarm_id -> route -> track: resolving an alarm is one lookup.
        self._tracks: dict[str, dict[str, _Track]] = {}

    def raised(
        self,
        event: AlarmEvent,
        routes: Sequence[str],
        now: float,
        started: float | None = None,
    ) -> list[Dispatch]:
        """Level 1 of each route is due now; new ladders start their clocks at ``started``
        (default ``now``; an earlier time resumes a ladder after a restart, and levels
        already overdue then come out of the next ``due``)."""
        start = now if started is None else started
        tracks = self._tracks.setdefault(event.alarm_id, {})
        due = []
        for route in routes:
            ladder = self._ladders[route]
            track = tracks.get(route)
            if track is None:
                first = ladder.timeouts[0] if ladder.timeouts else None
                track = _Track(event, start, 1, None if first is None else start + first)
                tracks[route] = track
            else:
                track.event = event  # the newest values go into later escalations
            # A repeated raise re-notifies level 1 inside the running ladder: its deadline is
            # the ladder's, not a new one.
            deadline = track.next_at if track.level == 1 else None
            due.append(Dispatch(route, 1, event, due_at=track.started, deadline=deadline))
        if not tracks:
            del self._tracks[event.alarm_id]
        return due

    def resolve(self, alarm_id: str) -> list[str]:
        """Someone answered (acknowledged, cleared, shelved, removed from service):
        stop the ladders; return the routes that were escalating."""
        tracks = self._tracks.pop(alarm_id, None)
        return list(tracks) if tracks else []

    def due(self, now: float) -> list[Dispatch]:
        """Escalations whose time has come, oldest level first. After a long pause (a
        clock jump, a stalled loop) every overdue level is returned, not just one."""
        result = []
        for tracks in self._tracks.values():
            for route, track in tracks.items():
                ladder = self._ladders[route]
                while track.next_at is not None and track.next_at <= now:
                    track.level += 1
                    due_at = track.next_at
                    waited = due_at - track.started
                    track.next_at = (
                        due_at + ladder.timeouts[track.level - 1]
                        if track.level < ladder.levels
                        else None
                    )
                    result.append(
                        Dispatch(
                            route, track.level, track.event, waited,
                            due_at=due_at, deadline=track.next_at,
                        )
                    )
        return result

    def next_deadline(self) -> float | None:
        deadlines = [
            track.next_at
            for tracks in self._tracks.values()
            for track in tracks.values()
            if track.next_at is not None
        ]
        return min(deadlines, default=None)

    def level_of(self, alarm_id: str, route: str) -> int | None:
        track = self._tracks.get(alarm_id, {}).get(route)
        return None if track is None else track.level

    def __len__(self) -> int:
        """Alarms with a ladder still running or at its top, awaiting acknowledgement."""
        return len(self._tracks)
