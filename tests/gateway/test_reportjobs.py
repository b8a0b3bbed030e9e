"""Scheduled reports: which are due when (a table over a clock), and one made into the
state folder and mailed to a real local SMTP server (the demo's inbox, aiosmtpd)."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pypdf
import pytest

from alerting.journal import AlarmJournal
from config.catalog import Catalog
from config.notifications import EmailChannel
from config.shifts import ReportSettings, ShiftSchedule
from config.site import Site
from dashboard.reports.figures import ReportKind
from gateway.reportjobs import Due, ReportJobs, due_reports
from gateway.sim.inbox import DemoInbox

SH = ZoneInfo("Asia/Shanghai")
SETTINGS = ReportSettings(daily_at="00:10")
SCHEDULE = ShiftSchedule.model_validate(
    {"shifts": [{"name": "白班", "start": "08:00"}, {"name": "夜班", "start": "20:00"}]}
)


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=SH).timestamp()


@pytest.mark.parametrize(
    ("since", "now", "due"),
    [
        ("2026-12-04 00:00", "2026-12-04 00:09", []),
        ("2026-12-04 00:00", "2026-12-04 00:10", [Due(ReportKind.DAILY, "2026-12-03")]),
        ("2026-12-04 00:10", "2026-12-04 00:11", []),  # not twice
        ("2026-12-01 00:00", "2026-12-01 00:30",
         [Due(ReportKind.DAILY, "2026-11-30"), Due(ReportKind.MONTHLY, "2026-11")]),
        ("2026-12-04 08:00", "2026-12-04 08:05", [Due(ReportKind.SHIFT, "2026-12-03", "夜班")]),
        ("2026-12-04 08:05", "2026-12-04 20:04", []),
        ("2026-12-04 19:00", "2026-12-04 20:05", [Due(ReportKind.SHIFT, "2026-12-04", "白班")]),
        # A gateway down for a day catches up in order of the check.
        ("2026-12-03 23:00", "2026-12-04 23:00",
         [Due(ReportKind.DAILY, "2026-12-03"), Due(ReportKind.SHIFT, "2026-12-03", "夜班"),
          Due(ReportKind.SHIFT, "2026-12-04", "白班")]),
    ],
)
def test_due_reports(since: str, now: str, due: list[Due]) -> None:
    assert due_reports(SETTINGS, SCHEDULE, SH, at(since), at(now)) == due


def site() -> Site:
    return Site.model_validate({
        "enterprise": {"name": "测试化工", "code": "T-REP"},
        "hazard_sources": [{"id": "HS-1", "name": "1号罐区", "grade": 2, "kind": "tank_farm"}],
        "devices": [{"id": "w", "transport": "mqtt", "broker": {"host": "127.0.0.1"},
                     "subscriptions": [{"topic": "t", "format": "object"}],
                     "points": [{"tag": "TT-9", "name": "气温", "kind": "temperature",
                                 "unit": "°C", "range": {"low": -40, "high": 60},
                                 "hazard_source": "HS-1"}]}],
    })


async def test_daily_report_into_the_folder_and_by_email(tmp_path: Path) -> None:
    inbox = DemoInbox()
    await inbox.start()
    try:
        channel = EmailChannel.model_validate({
            "kind": "email", "host": "127.0.0.1", "port": inbox.smtp_port, "security": "none",
            "from": "hazgw@example.cn", "to": ["alarms@example.cn"]})
        now = at("2026-12-04 00:10")
        with AlarmJournal(tmp_path / "alarms.db") as journal:
            jobs = ReportJobs(
                ReportSettings(email_channel="mail", email_to=["duty@example.cn"]),
                journal=journal, catalog=Catalog([site()]), stats=None, schedule=None,
                zone=SH, folder=tmp_path / "reports", email=channel, clock=lambda: now,
            )
            assert await jobs.run_due(now - 60, now)
            assert await jobs.run_due(now - 60, now)  # again: nothing new
        pdf = tmp_path / "reports/daily/report-daily-2026-12-03.pdf"
        xlsx = pdf.with_suffix(".xlsx")
        assert jobs.written == [pdf, xlsx]
        text = pypdf.PdfReader(io.BytesIO(pdf.read_bytes())).pages[0].extract_text()
        assert "监测日报 2026-12-03" in text and "未配置数据库" in text
        assert openpyxl.load_workbook(xlsx)["概要"]["A1"].value == "监测日报 2026-12-03"
        assert [d.subject for d in inbox.deliveries] == ["[hazgw] 监测日报 2026-12-03"]
        assert "report-daily-2026-12-03.xlsx" in inbox.deliveries[0].body
    finally:
        await inbox.stop()
