"""The park's 班报 on file, clock injected: which shifts are due between two checks, the
files a shift leaves (report JSON, ledger CSV), none written twice, and the job's start
(the last finished shift's report when it is missing, only once the journal is loaded)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from config.shifts import Shift, ShiftSchedule
from dashboard.park import CallResponse, JournalEntry
from gateway.park.reports import ParkShiftReports, finished_shifts, report_stem
from tests.support.waiting import poll_until

ZONE = ZoneInfo("Asia/Shanghai")
SCHEDULE = ShiftSchedule(shifts=[Shift(name="白班", start="08:00", officers=["zhang"]),
                                 Shift(name="夜班", start="20:00")])


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZONE).timestamp()


@pytest.mark.parametrize(
    ("since", "now", "expected"),
    [
        ("2026-12-05 19:00", "2026-12-05 20:04", []),  # the grace is not over
        ("2026-12-05 19:00", "2026-12-05 20:05", [("白班", "2026-12-05 08:00")]),
        ("2026-12-05 20:05", "2026-12-05 21:00", []),  # already due at the last check
        # a day asleep: both shifts that ended meanwhile, oldest first
        ("2026-12-05 07:00", "2026-12-06 09:00",
         [("夜班", "2026-12-04 20:00"), ("白班", "2026-12-05 08:00"),
          ("夜班", "2026-12-05 20:00")]),
    ],
)
def test_finished_shifts(since: str, now: str, expected: list[tuple[str, str]]) -> None:
    due = finished_shifts(SCHEDULE, at(since), at(now))
    assert [(p.name, datetime.fromtimestamp(p.start, ZONE).strftime("%Y-%m-%d %H:%M"))
            for p in due] == expected


def _entries() -> list[JournalEntry]:
    return [
        JournalEntry("call/E1/a/1", "call", "E1", "一号企业", "critical",
                     at("2026-12-05 09:00"), "a", tag="LT-1", alarm_type="HH",
                     response=CallResponse("张三", at("2026-12-05 09:06"), "已处置", "zhang"),
                     responded_at=at("2026-12-05 09:06")),
        JournalEntry("call/E2/b/1", "call", "E2", "二号企业", "critical",
                     at("2026-12-05 21:00"), "b"),  # the night shift's
    ]


async def test_the_job_files_the_last_shift_once_the_journal_is_loaded(tmp_path: Path) -> None:
    now = [at("2026-12-05 20:30")]
    loaded = asyncio.Event()
    reports = ParkShiftReports(SCHEDULE, tmp_path / "reports", _entries, loaded,
                               lambda: now[0])
    task = asyncio.create_task(reports.run())
    try:
        await asyncio.sleep(0.05)
        assert reports.written == []  # waits for the journal's mirror
        loaded.set()
        await poll_until(lambda: reports.written, within=5, message="the day shift filed")
        (path,) = reports.written
        assert path.name == "park-shift-2026-12-05-白班.json"
        body = json.loads(path.read_text(encoding="utf-8"))
        assert (body["shift"], body["officers"], body["calls"], body["answered"]) == (
            "白班", ["zhang"], 1, 1)
        assert body["answer_median_s"] == 360.0
        ledger = (tmp_path / "reports" / "park-shift-2026-12-05-白班.csv").read_text("utf-8")
        assert ledger.startswith("\ufeff编号 id") and "张三" in ledger and "二号企业" not in ledger
        # Already on file: not written again (a restart, another check).
        (period,) = finished_shifts(SCHEDULE, at("2026-12-05 20:00"), at("2026-12-05 20:30"))
        assert report_stem(SCHEDULE, period) == path.stem
        assert reports.write(period, now[0]) is None
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
