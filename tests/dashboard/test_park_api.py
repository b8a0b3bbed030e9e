"""The park's API over the real app: /api/enterprises, the drill-down, /api/park, /park,
and the 叫应 response that needs a signed-in operator."""

from __future__ import annotations

import httpx

from config.catalog import Catalog
from config.shifts import Shift, ShiftSchedule
from dashboard.app import create_app
from dashboard.hub import Hub
from dashboard.live import LiveState
from dashboard.park import (
    CallResponse,
    EnterpriseStatus,
    HazardSourceInfo,
    JournalEntry,
    ParkAlarm,
    ParkFigures,
    PointInfo,
)
from dashboard.services import DashboardServices


class StubPark:
    def __init__(self) -> None:
        self.responses: list[tuple[str, CallResponse]] = []
        self.schedule: ShiftSchedule | None = None

    def enterprises(self) -> list[EnterpriseStatus]:
        return [
            EnterpriseStatus(
                code="E1", name="一号企业", online=True, last_heartbeat=1.0, data_age=2.5,
                worst_priority="critical", grade=1, backlog=0,
                hazard_sources=[HazardSourceInfo("HS-1", "罐区", 1, "tank_farm")],
                points=[PointInfo("LT-101", "液位", "level", "m", "HS-1")],
            ),
            EnterpriseStatus(code="E2", name="二号企业", online=False, last_heartbeat=None,
                             data_age=None, worst_priority=None, grade=None, backlog=12),
        ]

    def alarms(self) -> list[ParkAlarm]:
        return [ParkAlarm("call/E1/x/1", "call", "E1", "critical", 1.0, "叫应", True)]

    def figures(self) -> ParkFigures:
        return ParkFigures(2, 1, 0.5, 3, 1)

    async def record_response(self, alarm_id: str, response: CallResponse) -> ParkAlarm | None:
        self.responses.append((alarm_id, response))
        return None

    def journal(self) -> list[JournalEntry]:
        return [
            JournalEntry("call/E1/x/1", "call", "E1", "一号企业", "critical", NOW - 3600, "a",
                         tag="LT-101", alarm_type="HH", source_raised_at=NOW - 3900,
                         deadline=NOW - 3600,
                         response=CallResponse("张三", NOW - 3000, "已处置", "duty"),
                         responded_at=NOW - 2990),
            JournalEntry("offline/E2/1", "offline", "E2", "二号企业", "high", NOW - 7200, "b",
                         silent_since=NOW - 7500, cleared_at=NOW - 6000),
            JournalEntry("call/E1/y/2", "call", "E1", "一号企业", "critical", NOW - 20 * 3600,
                         "a"),
        ]

    def now(self) -> float:
        return NOW

    def shifts(self) -> ShiftSchedule | None:
        return self.schedule


NOW = 1_780_000_000.0


async def test_park_api_lists_enterprises_and_guards_the_response() -> None:
    live = LiveState()
    park = StubPark()
    app = create_app(DashboardServices(catalog=Catalog([]), live=live, hub=Hub(live), park=park))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://park") as client:
        listed = (await client.get("/api/enterprises")).json()["enterprises"]
        assert [(e["code"], e["online"], e["worst_priority"]) for e in listed] == [
            ("E1", True, "critical"), ("E2", False, None)
        ]
        assert "points" not in listed[0]  # the list is light; the drill-down has the points
        one = (await client.get("/api/enterprises/E1")).json()
        assert one["points"][0]["tag"] == "LT-101" and one["grade"] == 1
        assert (await client.get("/api/enterprises/NOPE")).status_code == 404
        overview = (await client.get("/api/park")).json()
        assert overview["figures"]["online_rate"] == 0.5
        assert overview["alarms"][0]["kind"] == "call"
        page = await client.get("/park")
        assert page.status_code == 200 and "园区" in page.text
        # Nobody signed in: who records a 叫应 response is never taken from the request.
        answer = await client.post(
            "/api/park/alarms/call/E1/x/1/response",
            json={"answered_by": "张三", "answered_at": 1.0, "action": "已处置"},
        )
        assert answer.status_code == 401
        assert park.responses == []


async def test_park_ledger_csv_and_shift_report_default_to_the_last_eight_hours() -> None:
    live = LiveState()
    park = StubPark()
    app = create_app(DashboardServices(catalog=Catalog([]), live=live, hub=Hub(live),
                                       park=park))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://park") as client:
        ledger = (await client.get("/api/park/ledger")).json()
        assert (ledger["since"], ledger["until"]) == (NOW - 8 * 3600, NOW)
        assert [(r["id"], r["status"]) for r in ledger["rows"]] == [
            ("offline/E2/1", "cleared"), ("call/E1/x/1", "answered")
        ]
        assert ledger["rows"][1]["answer_s"] == 600.0
        day = (await client.get("/api/park/ledger", params={"since": NOW - 86400})).json()
        assert len(day["rows"]) == 3
        report = (await client.get("/api/park/report")).json()
        assert (report["calls"], report["answered"], report["offline_enterprises"]) == (1, 1, 1)
        assert report["enterprises"][1]["offline_s"] == 1500.0
        exported = await client.get("/api/park/ledger.csv", params={"tz": "Asia/Shanghai"})
        assert exported.headers["content-type"].startswith("text/csv")
        assert exported.text.startswith("\ufeff编号 id") and exported.text.count("\n") == 3
        assert (await client.get("/api/park/ledger.csv", params={"tz": "Mars/Base"})
                ).status_code == 422
        assert (await client.get("/api/park/report", params={"since": NOW, "until": NOW - 1})
                ).status_code == 422
        page = await client.get("/park/ledger")
        assert page.status_code == 200 and "叫应台账" in page.text
        # Shifts: without a schedule, this shift is the last 8 hours, the previous the 8
        # before; with one, the schedule's periods (NOW is 04:26:40 in Shanghai: 夜班).
        current = (await client.get("/api/park/report", params={"shift": "current"})).json()
        assert (current["since"], current["until"], current["shift"]) == (
            NOW - 8 * 3600, NOW, None)
        before = (await client.get("/api/park/ledger", params={"shift": "previous"})).json()
        assert (before["since"], before["until"]) == (NOW - 16 * 3600, NOW - 8 * 3600)
        park.schedule = ShiftSchedule(shifts=[Shift(name="白班", start="08:00"),
                                              Shift(name="夜班", start="20:00")])
        night = (await client.get("/api/park/report", params={"shift": "current"})).json()
        assert night["shift"] == "夜班" and night["until"] - night["since"] == 12 * 3600
        assert night["since"] == NOW - (8 * 3600 + 26 * 60 + 40)
        day = (await client.get("/api/park/ledger", params={"shift": "previous"})).json()
        assert day["shift"] == "白班" and day["until"] == night["since"]
        assert (await client.get("/api/park/report", params={"shift": "current", "since": 1})
                ).status_code == 422
