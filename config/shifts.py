"""The gateway file's ``shifts:`` (班次) and ``reports:`` sections, and which shift a moment is in.

    shifts:
      timezone: Asia/Shanghai
      shifts:
        - {name: 白班, start: "08:00", officers: [zhang, li]}
        - {name: 夜班, start: "20:00", officers: [wang]}

A shift runs from its start to the next shift's start (the last one wraps past midnight
to the first), so the schedule covers the day with no gap and no overlap by construction;
two shifts starting at the same minute are an error. ``current_shift`` is pure: a moment
in, the shift and its period out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from config.base import Model
from config.durations import Seconds

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name!r} (e.g. Asia/Shanghai)") from error
    return name


class Shift(Model):
    name: str = Field(min_length=1, max_length=40, description="班次名称, e.g. 白班")
    start: str = Field(description='local start time, "HH:MM"; runs until the next shift starts')
    officers: list[str] = Field(default=[], description="user names on duty in this shift")

    @field_validator("start")
    @classmethod
    def _clock(cls, value: str) -> str:
        if _CLOCK.match(value) is None:
            raise ValueError(f'shift start {value!r} must be a time of day "HH:MM" (24 h)')
        return value

    @property
    def minute(self) -> int:
        hours, minutes = self.start.split(":")
        return int(hours) * 60 + int(minutes)


class ShiftSchedule(Model):
    timezone: str = Field(default="Asia/Shanghai", description="the duty room's time zone")
    shifts: list[Shift] = Field(min_length=1, max_length=12)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_zone(value)

    @model_validator(mode="after")
    def _distinct(self) -> ShiftSchedule:
        names: set[str] = set()
        starts: dict[int, str] = {}
        for shift in self.shifts:
            if shift.name in names:
                raise ValueError(f"two shifts are named {shift.name!r}")
            names.add(shift.name)
            if shift.minute in starts:
                raise ValueError(
                    f"shifts {starts[shift.minute]!r} and {shift.name!r} both start at "
                    f"{shift.start}"
                )
            starts[shift.minute] = shift.name
        return self


class ReportSettings(Model):
    """Scheduled reports (日报 / 班报 / 月报) into ``<state>/reports`` and, with
    ``email_to``, by the ``notifications:`` email channel named ``email_channel``."""

    daily_at: str = Field(default="00:10", description='local time the 日报 of yesterday is made')
    shift: bool = Field(default=True, description="a 班报 after every shift (needs shifts:)")
    monthly: bool = Field(default=True, description="a 月报 on the first day of each month")
    answer_within: Seconds = Field(
        default=300.0, description="叫应: an alarm acknowledged within this counts as answered"
    )
    email_channel: str | None = Field(default=None, description="a notifications email channel")
    email_to: list[str] = Field(default=[], description="report recipients")

    @field_validator("daily_at")
    @classmethod
    def _clock(cls, value: str) -> str:
        if _CLOCK.match(value) is None:
            raise ValueError(f'daily_at {value!r} must be a time of day "HH:MM" (24 h)')
        return value

    @model_validator(mode="after")
    def _email(self) -> ReportSettings:
        if self.email_to and self.email_channel is None:
            raise ValueError("email_to needs email_channel: the notifications email channel")
        return self


@dataclass(frozen=True, slots=True)
class ShiftPeriod:
    """One occurrence of a shift: its name, who is on it, and when it runs ([start, end))."""

    name: str
    start: float
    end: float
    officers: tuple[str, ...]


def _ordered(schedule: ShiftSchedule) -> list[Shift]:
    return sorted(schedule.shifts, key=lambda shift: shift.minute)


def current_shift(schedule: ShiftSchedule, ts: float) -> ShiftPeriod:
    """The shift ``ts`` (epoch seconds) falls in, with its period in epoch seconds."""
    zone = ZoneInfo(schedule.timezone)
    local = datetime.fromtimestamp(ts, zone)
    shifts = _ordered(schedule)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    # Candidates: every shift's start yesterday, today and tomorrow; the latest start not
    # after ``ts`` is the current shift, the next start ends it. Wall-clock arithmetic in the
    # zone, so a daylight-saving change (not in China, elsewhere) keeps "08:00" at 08:00.
    starts: list[tuple[datetime, Shift]] = []
    for day in (-1, 0, 1):
        base = (midnight + timedelta(days=day)).replace(tzinfo=None)
        for shift in shifts:
            naive = base + timedelta(minutes=shift.minute)
            starts.append((naive.replace(tzinfo=zone), shift))
    starts.sort(key=lambda item: item[0].timestamp())
    index = max(i for i, (at, _) in enumerate(starts) if at.timestamp() <= ts)
    begun, shift = starts[index]
    ended = starts[index + 1][0]
    return ShiftPeriod(shift.name, begun.timestamp(), ended.timestamp(), tuple(shift.officers))


def previous_shift(schedule: ShiftSchedule, ts: float) -> ShiftPeriod:
    """The shift that ended last at or before ``ts``."""
    return current_shift(schedule, current_shift(schedule, ts).start - 1.0)
