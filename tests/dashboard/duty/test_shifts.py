"""The shift schedule: which shift a moment is in, by table, and what the file refuses."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from config.gateway_file import GatewayConfig
from config.shifts import ShiftSchedule, current_shift, previous_shift

SH = ZoneInfo("Asia/Shanghai")
SCHEDULE = ShiftSchedule.model_validate({
    "timezone": "Asia/Shanghai",
    "shifts": [
        {"name": "夜班", "start": "20:00", "officers": ["wang"]},
        {"name": "白班", "start": "08:00", "officers": ["zhang", "li"]},
    ],
})


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=SH).timestamp()


@pytest.mark.parametrize(
    ("moment", "name", "start", "end"),
    [
        ("2026-12-04 08:00:00", "白班", "2026-12-04 08:00", "2026-12-04 20:00"),
        ("2026-12-04 19:59:59", "白班", "2026-12-04 08:00", "2026-12-04 20:00"),
        ("2026-12-04 20:00:00", "夜班", "2026-12-04 20:00", "2026-12-05 08:00"),
        ("2026-12-05 03:00:00", "夜班", "2026-12-04 20:00", "2026-12-05 08:00"),
        ("2026-12-05 07:59:59", "夜班", "2026-12-04 20:00", "2026-12-05 08:00"),
        ("2026-01-01 00:00:00", "夜班", "2025-12-31 20:00", "2026-01-01 08:00"),
    ],
)
def test_current_shift(moment: str, name: str, start: str, end: str) -> None:
    period = current_shift(SCHEDULE, at(moment))
    assert (period.name, period.start, period.end) == (name, at(start + ":00"), at(end + ":00"))


def test_officers_and_previous_shift() -> None:
    assert current_shift(SCHEDULE, at("2026-12-04 09:00:00")).officers == ("zhang", "li")
    previous = previous_shift(SCHEDULE, at("2026-12-04 09:00:00"))
    assert (previous.name, previous.end) == ("夜班", at("2026-12-04 08:00:00"))


def test_three_shifts_cover_the_day() -> None:
    schedule = ShiftSchedule.model_validate({"shifts": [
        {"name": "早班", "start": "00:00"}, {"name": "中班", "start": "08:00"},
        {"name": "晚班", "start": "16:00"},
    ]})
    covered = 0.0
    moment = at("2026-12-04 00:00:00")
    while moment < at("2026-12-05 00:00:00"):
        period = current_shift(schedule, moment)
        assert period.end - period.start == 8 * 3600
        covered += period.end - moment
        moment = period.end
    assert covered == 24 * 3600


@pytest.mark.parametrize(
    ("shifts", "message"),
    [
        ({"shifts": [{"name": "白班", "start": "8:00"}]}, "HH:MM"),
        ({"shifts": [{"name": "白班", "start": "24:00"}]}, "HH:MM"),
        ({"shifts": [{"name": "白班", "start": "08:00"}, {"name": "白班", "start": "20:00"}]},
         "two shifts are named"),
        ({"shifts": [{"name": "甲", "start": "08:00"}, {"name": "乙", "start": "08:00"}]},
         "both start at 08:00"),
        ({"timezone": "Mars/Base", "shifts": [{"name": "甲", "start": "08:00"}]},
         "unknown time zone"),
        ({"shifts": []}, "at least 1"),
    ],
)
def test_bad_schedules(shifts: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ShiftSchedule.model_validate(shifts)


def test_report_email_needs_an_email_channel() -> None:
    with pytest.raises(ValidationError, match="not an email channel"):
        GatewayConfig.model_validate({
            "sites": ["a.yaml"],
            "reports": {"email_channel": "mail", "email_to": ["a@b.cn"]},
        })
    with pytest.raises(ValidationError, match="email_to needs email_channel"):
        GatewayConfig.model_validate({"sites": ["a.yaml"], "reports": {"email_to": ["a@b.cn"]}})
