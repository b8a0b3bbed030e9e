"""A report's period from what was asked, and its figures gathered from the journal and the
readings' statistics."""

from __future__ import annotations

import asyncio
import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from alerting.events import AlarmEvent
from alerting.journal import AlarmJournal, HistoryQuery
from config.catalog import Catalog
from config.shifts import ShiftSchedule, current_shift
from dashboard.reports.figures import (
    PointStats,
    Report,
    ReportKind,
    StatsError,
    StatsSource,
    build_report,
)

MAX_REPORT_EVENTS = 200_000  # a month of a flooding plant; beyond it the report says so
PAGE = 2_000  # events read per step; benchmarks/reports.py measures the loop's longest wait
BUCKET_S = {ReportKind.DAILY: 60.0, ReportKind.SHIFT: 60.0, ReportKind.MONTHLY: 600.0}


class PeriodError(ValueError):
    """The date or shift asked for does not name a period; the message says what to write."""


@dataclass(frozen=True, slots=True)
class Period:
    kind: ReportKind
    label: str
    start: float
    end: float


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise PeriodError(f"date {text!r}: write YYYY-MM-DD, e.g. 2026-12-04") from error


def _midnight(day: date, zone: tzinfo) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()


def period_of(
    kind: ReportKind,
    when: str | None,
    *,
    zone: tzinfo,
    now: float,
    schedule: ShiftSchedule | None = None,
    shift: str | None = None,
) -> Period:
    """``when``: daily YYYY-MM-DD (default yesterday); monthly YYYY-MM (default last
    month); shift YYYY-MM-DD with ``shift`` the name (default: the last shift ended)."""
    today = datetime.fromtimestamp(now, zone).date()
    if kind is ReportKind.DAILY:
        day = _day(when) if when else today - timedelta(days=1)
        start = _midnight(day, zone)
        return Period(kind, day.isoformat(), start, _midnight(day + timedelta(days=1), zone))
    if kind is ReportKind.MONTHLY:
        if when:
            match = re.fullmatch(r"(\d{4})-(\d{2})(?:-\d{2})?", when)
            if match is None or not 1 <= int(match.group(2)) <= 12:
                raise PeriodError(f"month {when!r}: write YYYY-MM, e.g. 2026-11")
            first = date(int(match.group(1)), int(match.group(2)), 1)
        else:
            first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return Period(kind, first.strftime("%Y-%m"), _midnight(first, zone),
                      _midnight(following, zone))
    if schedule is None:
        raise PeriodError("班报 needs a shift schedule: add shifts: to the gateway file")
    if when is None and shift is None:
        ended = current_shift(schedule, current_shift(schedule, now).start - 1.0)
        return _shift_period(ended.name, ended.start, ended.end, zone)
    day = _day(when) if when else today
    names = [s.name for s in schedule.shifts]
    chosen = next((s for s in schedule.shifts if s.name == shift), None)
    if chosen is None:
        raise PeriodError(f"shift {shift!r}: the schedule has {', '.join(names)}")
    hours, minutes = (int(x) for x in chosen.start.split(":"))
    begun = datetime(day.year, day.month, day.day, hours, minutes, tzinfo=zone).timestamp()
    occurrence = current_shift(schedule, begun + 1.0)
    return _shift_period(occurrence.name, occurrence.start, occurrence.end, zone)


def _shift_period(name: str, start: float, end: float, zone: tzinfo) -> Period:
    label = f"{name} {datetime.fromtimestamp(start, zone).strftime('%Y-%m-%d %H:%M')}"
    return Period(ReportKind.SHIFT, label, start, end)


async def period_events(journal: AlarmJournal, start: float, end: float
                        ) -> tuple[list[AlarmEvent], bool]:
    """The period's events, oldest first, paged out of the journal; True if cut short.

    The journal belongs to the event loop's thread: it is read here, a page at a time,
    letting the loop run between pages of ``PAGE`` events (about 40 ms each here)."""
    events: list[AlarmEvent] = []
    before: int | None = None
    while len(events) < MAX_REPORT_EVENTS:
        page = journal.history(HistoryQuery(since=start, until=end, before_seq=before,
                                            limit=PAGE))
        events.extend(page)
        if len(page) < PAGE:
            events.reverse()
            return events, False
        before = page[-1].seq
        await asyncio.sleep(0)
    events.reverse()
    return events, True


async def gather(
    period: Period,
    *,
    journal: AlarmJournal,
    catalog: Catalog,
    stats: StatsSource | None,
    now: float,
    answer_within_s: float,
) -> Report:
    events, truncated = await period_events(journal, period.start, period.end)
    figures: dict[str, dict[str, PointStats]] | None = None
    errors: dict[str, str] = {}
    if stats is not None:
        figures = {}
        end = min(period.end, now)
        for site in catalog.sites:
            code = site.enterprise.code
            try:
                figures[code] = await stats.stats(code, period.start, max(end, period.start + 1),
                                                  BUCKET_S[period.kind])
            except StatsError as error:
                errors[code] = str(error)
    # Pure and immutable inputs: computed off the event loop's thread.
    return await asyncio.to_thread(functools.partial(
        build_report,
        period.kind, period.label, start=period.start, end=period.end, generated_at=now,
        events=events, catalog=catalog, stats=figures, stats_errors=errors,
        answer_within_s=answer_within_s, truncated=truncated,
    ))
