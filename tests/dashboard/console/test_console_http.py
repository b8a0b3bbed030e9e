"""Console data and config reload through the real assembled app on uvicorn."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from authkit import SITE, AppKit, FakeClock, make_site, running_app

from config.gateway_file import InfluxV1, StorageSettings
from dashboard.routes.commissioning import ReloadResult
from gateway.sim.ports import free_port
from gateway.storage.query import build_trend_source


@pytest.fixture
async def app(tmp_path: Path, clock: FakeClock) -> AsyncIterator[AppKit]:
    async with running_app(tmp_path, make_site(), clock=clock) as kit:
        yield kit


def parse_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


async def test_history_csv(app: AppKit) -> None:
    level = app.raise_alarm("LT-1", 16.0)
    app.clock.advance(30)
    gas = app.raise_alarm("GT-1", 30.0)
    app.clock.advance(30)
    async with app.login("operator") as operator:
        response = await operator.post(f"/api/alarms/{level}/ack",
                                       json={"comment": "=1+1 现场确认"})
        assert response.status_code == 200
    async with app.login("viewer") as viewer:
        response = await viewer.get("/api/alarms/history.csv", params={"tz": "Asia/Shanghai"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"].startswith(
            'attachment; filename="alarm-history-'
        )
        assert response.headers["x-hazgw-truncated"] == "false"
        rows = parse_csv(response.content)
        assert response.headers["x-hazgw-rows"] == str(len(rows))
        # Newest first, as the history API.
        assert [(r["报警编号"], r["事件"]) for r in rows] == [
            (level, "确认"), (gas, "报警"), (level, "报警"),
        ]
        assert rows[0]["操作人"] == "operator" and rows[0]["说明"] == "'=1+1 现场确认"
        assert "时间(UTC+08:00)" in rows[0]

        # The history filters apply.
        response = await viewer.get("/api/alarms/history.csv",
                                    params={"type": "H", "kind": "raised", "tag": "LT-1"})
        assert [(r["报警编号"], r["事件"]) for r in parse_csv(response.content)] == [
            (level, "报警")
        ]
        response = await viewer.get("/api/alarms/history.csv", params={"limit": 1})
        assert response.headers["x-hazgw-truncated"] == "true"
        assert len(parse_csv(response.content)) == 1
        response = await viewer.get("/api/alarms/history.csv", params={"tz": "Mars/Base"})
        assert response.status_code == 422
        # The alarms router still answers its own routes next to it.
        assert (await viewer.get(f"/api/alarms/{level}")).json()["alarm"]["id"] == level


async def test_shift_summary(app: AppKit) -> None:
    old = app.raise_alarm("GT-1", 30.0)  # before the shift: open, but not "of the shift"
    app.clock.advance(9 * 3600)
    level = app.raise_alarm("LT-1", 16.0)
    async with app.login("operator") as operator:
        await operator.post(f"/api/alarms/{level}/ack", json={"comment": "ok"})
        await operator.post(f"/api/alarms/{level}/notes", json={"text": "已关进料阀"})
        response = await operator.get("/api/shift-summary", params={"hours": 8})
    assert response.status_code == 200
    body = response.json()
    assert body["to"] == app.clock() and body["from"] == app.clock() - 8 * 3600
    assert [a["id"] for a in body["alarms"]] == [level]
    assert [e["kind"] for e in body["alarms"][0]["events"]] == ["raised", "acknowledged", "note"]
    assert body["alarms"][0]["state"] == "active_acknowledged"
    assert {o["id"]: o["unacknowledged"] for o in body["open"]} == {level: False, old: True}
    assert body["counts"] == {"raised": 1, "acknowledged": 1, "open": 2, "unacknowledged": 1,
                              "events": 3}
    async with app.login("viewer") as viewer:
        longer = (await viewer.get("/api/shift-summary", params={"hours": 10})).json()
        assert longer["counts"]["raised"] == 2
        assert (await viewer.get("/api/shift-summary", params={"hours": 0})).status_code == 422
        assert (await viewer.get("/api/shift-summary", params={"hours": 169})).status_code == 422


async def test_trend_without_storage_is_503(app: AppKit) -> None:
    async with app.login("viewer") as viewer:
        response = await viewer.get("/api/trend", params={"site": SITE, "tag": "LT-1"})
        assert response.status_code == 503 and "no storage configured" in response.json()["detail"]
        response = await viewer.get("/api/trend", params={"site": SITE, "tag": "NOPE"})
        assert response.status_code == 404
        response = await viewer.get("/api/trend",
                                    params={"site": SITE, "tag": "LT-1", "range": "2h"})
        assert response.status_code == 422


async def test_trend_with_the_database_away_is_502(tmp_path: Path, clock: FakeClock) -> None:
    storage = StorageSettings(
        target=InfluxV1(kind="influx_v1", url=f"http://127.0.0.1:{free_port()}"), timeout=2.0
    )
    trend = build_trend_source(storage)
    async with (
        running_app(tmp_path, make_site(), clock=clock, trend=trend) as app,
        app.login("viewer") as viewer,
    ):
        response = await viewer.get("/api/trend", params={"site": SITE, "tag": "LT-1"})
        assert response.status_code == 502
        assert "trend query failed: influx_v1 http://127.0.0.1" in response.json()["detail"]


# ------------------------------------------------------------------------- reload


class Reloader:
    """A reload whose outcome the test decides, and which can be held half-way."""

    def __init__(self) -> None:
        self.result = ReloadResult(sites=1, points=4)
        self.calls = 0
        self.hold: asyncio.Event | None = None
        self.entered = asyncio.Event()

    async def __call__(self) -> ReloadResult:
        self.calls += 1
        self.entered.set()
        if self.hold is not None:
            await self.hold.wait()
        return self.result


async def test_config_reload(tmp_path: Path, clock: FakeClock) -> None:
    reloader = Reloader()
    async with running_app(tmp_path, make_site(), clock=clock, reload=reloader) as app:
        for role in ("viewer", "operator"):
            async with app.login(role) as client:
                assert (await client.post("/api/config/reload")).status_code == 403
        assert reloader.calls == 0

        async with app.login("engineer") as engineer:
            reloader.result = ReloadResult(errors=[
                "sites/a.yaml:12: device gauges point LT-1: range low 5 must be below high 1",
                "sites/b.yaml: cannot read file",
            ])
            response = await engineer.post("/api/config/reload")
            assert response.status_code == 422
            assert response.json() == {"errors": list(reloader.result.errors)}

            reloader.result = ReloadResult(sites=2, points=17)
            response = await engineer.post("/api/config/reload")
            assert response.status_code == 202
            assert response.json() == {"sites": 2, "points": 17}

            # One reload at a time.
            reloader.hold = asyncio.Event()
            reloader.entered.clear()
            first = asyncio.create_task(engineer.post("/api/config/reload"))
            await asyncio.wait_for(reloader.entered.wait(), 10)
            second = await engineer.post("/api/config/reload")
            assert second.status_code == 409
            reloader.hold.set()
            assert (await asyncio.wait_for(first, 10)).status_code == 202

        entries = [(e.user, e.action) for e in app.auth.audit_log()
                   if e.action.startswith("config.")]
        assert entries == [("engineer", "config.reload"), ("engineer", "config.reload"),
                           ("engineer", "config.reload_rejected")]
        rejected = app.auth.audit_log(action="config.reload_rejected")[0]
        assert rejected.detail is not None and "sites/a.yaml:12" in rejected.detail


async def test_reload_not_wired_is_501(app: AppKit) -> None:
    async with app.login("admin") as admin:
        assert (await admin.post("/api/config/reload")).status_code == 501
