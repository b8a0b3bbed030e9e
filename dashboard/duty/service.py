"""What the duty-room routes need, handed over in one object (``DashboardServices.duty``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import tzinfo
from zoneinfo import ZoneInfo

from config.shifts import ReportSettings, ShiftPeriod, ShiftSchedule, current_shift
from dashboard.duty.documents import DocumentStore
from dashboard.duty.handovers import HandoverBook
from dashboard.reports.figures import StatsSource

# A handover with no schedule covers the time since the last one, at most this long.
UNSCHEDULED_SHIFT_S = 12 * 3600.0
UNSCHEDULED_NAME = "值班"


@dataclass(frozen=True)
class DutyServices:
    """``book``: the handover book (``<state>/handovers.db``); ``schedule``: the gateway
    file's ``shifts:`` (None: handovers cover the time since the last one); ``stats``: the
    readings' figures for reports (None: no storage, reports say so)."""

    book: HandoverBook
    schedule: ShiftSchedule | None = None
    reports: ReportSettings | None = None
    stats: StatsSource | None = None
    zone_name: str = "Asia/Shanghai"
    # Called after a handover is signed, e.g. to make the 班报 (None: nothing).
    on_handover: Callable[[int], Awaitable[None]] | None = None
    # The enterprise file's uploaded documents (None: uploads answer 503).
    documents: DocumentStore | None = None

    @property
    def zone(self) -> tzinfo:
        return ZoneInfo(self.schedule.timezone if self.schedule else self.zone_name)

    def handed_over(self, now: float) -> ShiftPeriod:
        """The shift being handed over at ``now``: of the current and the previous shift,
        the one whose end is nearer (a handover at 07:50 or at 08:10 both hand over the
        night shift that ends at 08:00)."""
        if self.schedule is None:
            last = self.book.last_handover()
            start = max(
                last.incoming_signed_at or last.outgoing_signed_at if last else 0.0,
                now - UNSCHEDULED_SHIFT_S,
            )
            return ShiftPeriod(UNSCHEDULED_NAME, start, now, ())
        current = current_shift(self.schedule, now)
        if now - current.start < current.end - now:
            return current_shift(self.schedule, current.start - 1.0)
        return current
