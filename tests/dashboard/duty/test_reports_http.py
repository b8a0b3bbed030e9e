"""Reports through the assembled app: the daily report's figures match the journal, and the
PDF and the Excel file, read back, carry them; the readings' figures come from a real
influxd."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pypdf
import pytest
from authkit import SITE, FakeClock, make_site, running_app

from alerting.events import EventKind
from alerting.journal import HistoryQuery
from collectors.readings import Quality, Reading, Reason
from config.catalog import Catalog, PointKey
from config.gateway_file import InfluxV1, StorageSettings
from config.shifts import ReportSettings
from dashboard.duty.handovers import HandoverBook
from dashboard.duty.service import DutyServices
from gateway.sim.influx import influxd, influxd_available
from gateway.storage.lineprotocol import ReadingEncoder
from gateway.storage.stats import build_stats_source

SH = ZoneInfo("Asia/Shanghai")
DB = "hazgw_reports"


def day_of(ts: float) -> str:
    return datetime.fromtimestamp(ts, SH).date().isoformat()


async def test_daily_report_matches_the_journal(tmp_path: Path, clock: FakeClock) -> None:
    clock.now = datetime(2026, 12, 4, 9, 0, tzinfo=SH).timestamp()
    day_start = datetime(2026, 12, 4, tzinfo=SH).timestamp()
    with HandoverBook(tmp_path / "handovers.db") as book:
        duty = DutyServices(book, reports=ReportSettings(answer_within=300))
        async with running_app(tmp_path, make_site(), clock=clock, duty=duty) as app:
            level = app.raise_alarm("LT-1", 16.0)  # H, high
            gas = app.raise_alarm("GT-1", 30.0)  # gas first level
            async with app.login("operator") as operator:
                clock.advance(60)
                await operator.post(f"/api/alarms/{level}/ack", json={"comment": "现场确认"})
                await operator.post(f"/api/alarms/{level}/notes", json={"text": "=关闭进料阀"})
                clock.advance(900)
                await operator.post(f"/api/alarms/{gas}/ack", json={})
            async with app.login("viewer") as viewer:
                figures = (await viewer.get("/api/reports/daily", params={
                    "date": "2026-12-04", "format": "json"})).json()
                pdf = await viewer.get("/api/reports/daily", params={"date": "2026-12-04"})
                xlsx = await viewer.get("/api/reports/daily",
                                        params={"date": "2026-12-04", "format": "xlsx"})
                bad = await viewer.get("/api/reports/daily", params={"date": "12/04/2026"})
                shift = await viewer.get("/api/reports/shift")
            events = app.journal.history(HistoryQuery(since=day_start, limit=1000,
                                                      ascending=True))

    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.json()["detail"]
    assert shift.status_code == 422 and "shifts:" in shift.json()["detail"]
    # The journal's own count of raisings and acknowledgements for the day.
    raised = [e for e in events if e.kind is EventKind.RAISED]
    acks = [e for e in events if e.kind is EventKind.ACKNOWLEDGED]
    notes = [e for e in events if e.kind is EventKind.NOTE]
    assert (len(raised), len(acks), len(notes)) == (2, 2, 1)

    assert (figures["label"], figures["start"]) == ("2026-12-04", day_start)
    source = figures["sites"][0]["sources"][0]
    assert source["raised"] == len(raised)
    assert source["acknowledged"] == len(acks) and source["not_acknowledged"] == 0
    assert source["ack_max_s"] == 960.0 and source["ack_mean_s"] == 510.0
    assert source["answered_in_time"] == 1  # 60 s yes, 960 s no (deadline 300 s)
    assert source["notes"] == 1 and source["alarms_with_note"] == 1
    by_colour = {"critical": "红色", "high": "橙色", "medium": "黄色", "low": "蓝色"}
    for priority, colour in by_colour.items():
        assert source["by_priority"][colour] == sum(
            1 for e in raised if e.priority.value == priority)
    assert sorted(tag for tag, _, _ in source["top"]) == ["GT-1", "LT-1"]
    assert figures["sites"][0]["stats_error"].startswith("未配置数据库")

    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-disposition"] == (
        'attachment; filename="report-daily-2026-12-04.pdf"')
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    for words in ("监测日报 2026-12-04", "测试化工", "1号罐区", "报警次数", "叫应及时",
                  "1 / 2", "=关闭进料阀", "LT-1"):
        assert words in text, words

    book_ = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert book_.sheetnames == ["概要", "点位", "设备", "处置"]
    summary = list(book_["概要"].iter_rows(values_only=True))
    header = summary[3]
    row = dict(zip(header, summary[4], strict=True))
    assert (row["危险源"], row["报警次数"], row["已确认"], row["叫应及时"], row["处置记录"]) == (
        "1号罐区", 2, 2, 1, 1)
    assert row["最长确认用时(秒)"] == 960.0
    notes_sheet = list(book_["处置"].iter_rows(values_only=True))
    assert notes_sheet[1][-1] == "'=关闭进料阀"  # shown as text, never run as a formula


@pytest.mark.integration
@pytest.mark.skipif(not influxd_available(), reason="influxd is not installed")
async def test_reading_figures_from_influxd(tmp_path: Path, clock: FakeClock) -> None:
    clock.now = datetime(2026, 12, 5, 1, 0, tzinfo=SH).timestamp()
    start = datetime(2026, 12, 4, 8, 0, tzinfo=SH).timestamp()
    level, flow = PointKey(SITE, "LT-1"), PointKey(SITE, "FT-1")
    readings = [Reading(level, 10.0 + i % 3, start + 60 * i) for i in range(120)]  # 2 h
    readings.append(Reading(level, None, start + 30, Quality.BAD, Reason.COMM_LOSS))
    readings.append(Reading(level, 25.0, start + 90, Quality.UNCERTAIN, Reason.OUT_OF_RANGE))
    readings += [Reading(flow, 22.7, start + 60 * i) for i in range(30)]
    async with influxd() as server:
        await server.create_database(DB)
        body = ReadingEncoder(Catalog([make_site()])).encode(readings).body()
        async with server.session.post(f"{server.url}/write",
                                       params={"db": DB, "precision": "ns"}, data=body) as r:
            assert r.status == 204, await r.text()
        stats = build_stats_source(StorageSettings(target=InfluxV1(
            kind="influx_v1", url=server.url, database=DB, create_database=False)))
        with HandoverBook(tmp_path / "handovers.db") as book:
            duty = DutyServices(book, stats=stats)
            async with (
                running_app(tmp_path, make_site(), clock=clock, duty=duty) as app,
                app.login("viewer") as viewer,
            ):
                figures = (await viewer.get("/api/reports/daily", params={
                    "date": "2026-12-04", "format": "json"})).json()
                xlsx = await viewer.get("/api/reports/daily",
                                        params={"date": "2026-12-04", "format": "xlsx"})
    site = figures["sites"][0]
    assert site["stats_error"] is None
    points = {p["tag"]: p for p in site["sources"][0]["points"]}
    lt = points["LT-1"]
    assert (lt["min"], lt["max"], lt["stored"]) == (10.0, 25.0, 121)  # the bad one is not data
    assert lt["mean"] == pytest.approx((sum(10.0 + i % 3 for i in range(120)) + 25.0) / 121)
    # The gauges poll every 0.1 s: a day expects 864,000 readings of each point.
    assert lt["expected"] == 864_000
    assert points["FT-1"]["stored"] == 30 and points["FT-1"]["mean"] == pytest.approx(22.7)
    assert points["TT-9"]["expected"] is None  # MQTT: no fixed rate
    devices = {d["device"]: d["online_rate"] for d in site["devices"]}
    assert devices["gauges"] == pytest.approx(120 / 1440)  # 2 h of minutes with data
    assert devices["weather"] == 0.0
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content))["点位"]
    rows = {row[2]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["FT-1"][9] == 22.7  # the mean, rounded: no 22.700000000000003
