"""The park wall in Chromium at 1920x1080: the enterprise tiles, and the drill-down to one
enterprise drawn like the enterprise's own wall: a card per hazard source and a cell per
point, each in the colour of its worst active alarm (unacknowledged ones blink), grey when
the enterprise is offline; back to the park with one click."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from browser_kit import WALL_SIZE, open_screen, sign_in
from playwright.async_api import Browser, expect

from config.catalog import Catalog
from dashboard.app import create_app
from dashboard.auth.demo import create_demo_users
from dashboard.auth.service import AuthService
from dashboard.hub import Hub
from dashboard.live import LiveState
from dashboard.park import (
    ActiveAlarm,
    CallResponse,
    EnterpriseStatus,
    HazardSourceInfo,
    JournalEntry,
    ParkAlarm,
    ParkFigures,
    PointInfo,
)
from dashboard.server import DashboardServer
from dashboard.services import DashboardServices


def _alarm(tag: str, alarm_type: str, priority: str, state: str) -> ActiveAlarm:
    return ActiveAlarm(f"E1/{tag}/{alarm_type}", tag, alarm_type, priority, state, "HS-1",
                       1.0, None, None)


class Park:
    def __init__(self) -> None:
        self.e1 = EnterpriseStatus(
            code="E1", name="恒信化工", online=True, last_heartbeat=1.0, data_age=1.5,
            worst_priority="critical", grade=1, backlog=0,
            active_alarms=[
                _alarm("LT-101", "HH", "critical", "active_unacknowledged"),
                _alarm("PT-102", "H", "high", "active_acknowledged"),
            ],
            hazard_sources=[
                HazardSourceInfo("HS-1", "液氨罐区", 1, "tank_farm"),
                HazardSourceInfo("HS-2", "甲醇仓库", 3, "warehouse"),
            ],
            points=[
                PointInfo("LT-101", "1#罐液位", "level", "m", "HS-1"),
                PointInfo("PT-102", "1#罐压力", "pressure", "MPa", "HS-1"),
                PointInfo("TT-103", "1#罐温度", "temperature", "℃", "HS-1"),
                PointInfo("GD-201", "可燃气体", "gas", "%LEL", "HS-2"),
            ],
        )
        self.e2 = EnterpriseStatus(
            code="E2", name="中远仓储", online=False, last_heartbeat=None, data_age=None,
            worst_priority=None, grade=3, backlog=12,
            hazard_sources=[HazardSourceInfo("HS-9", "危化品库", 3, "warehouse")],
            points=[PointInfo("GD-901", "可燃气体", "gas", "%LEL", "HS-9")],
        )

    def enterprises(self) -> list[EnterpriseStatus]:
        return [self.e1, self.e2]

    def alarms(self) -> list[ParkAlarm]:
        return [ParkAlarm("offline/E2", "offline", "E2", "high", 1.0, "企业离线: 中远仓储", True)]

    def figures(self) -> ParkFigures:
        return ParkFigures(2, 1, 0.5, 3, 0)

    async def record_response(self, alarm_id: str, response: CallResponse) -> ParkAlarm | None:
        return None

    def journal(self) -> list[JournalEntry]:
        return []

    def now(self) -> float:
        return 1.0

    def shifts(self) -> None:
        return None


async def test_park_wall_drills_down_to_sources_and_points_in_alarm_colours(
    browser: Browser, tmp_path: Path,
) -> None:
    live = LiveState()
    park = Park()
    # Signed in, as on a central instance: the page's gateway watch asks /api/me.
    auth = AuthService.open(tmp_path)
    create_demo_users(auth)
    app = create_app(DashboardServices(
        catalog=Catalog([]), live=live, hub=Hub(live), park=park, auth=auth,
    ))
    server = DashboardServer(app, host="127.0.0.1", port=0)
    await server.start()
    try:
        screen = await open_screen(browser, viewport=WALL_SIZE)
        page = screen.page
        await sign_in(page, server.url, "viewer", "/park", live=False)
        tile = page.locator('.ent[data-code="E1"]')
        await expect(tile).to_have_class("ent prio-critical")
        await expect(page.locator('.ent[data-code="E2"]')).to_have_class("ent offline")
        await tile.click()
        await expect(page.locator("#drill-title")).to_contain_text("恒信化工")
        await expect(page.locator("#tiles")).to_be_hidden()
        cards = page.locator("#drill-cards .hs")
        await expect(cards).to_have_count(2)
        await expect(cards.nth(0)).to_have_class("hs prio-critical unacked")
        await expect(cards.nth(0)).to_contain_text("液氨罐区")
        await expect(cards.nth(0)).to_contain_text("一级重大危险源")
        await expect(cards.nth(1)).to_have_class("hs ok")
        points = cards.nth(0).locator(".pt")
        await expect(points).to_have_count(3)
        await expect(points.nth(0)).to_have_class("pt prio-critical unacked")
        await expect(points.nth(0)).to_contain_text("LT-101")
        await expect(points.nth(0)).to_contain_text("未确认")
        await expect(points.nth(1)).to_have_class("pt prio-high")
        await expect(points.nth(2)).to_have_class("pt ok")
        await expect(points.nth(2)).to_contain_text("正常")
        # The colours are live: the next heartbeat's alarms redraw the cells.
        park.e1 = replace(park.e1, active_alarms=[], worst_priority=None)
        await expect(points.nth(0)).to_have_class("pt ok", timeout=5000)
        await expect(cards.nth(0)).to_have_class("hs ok")
        park.e1 = replace(
            park.e1, active_alarms=[_alarm("LT-101", "HH", "critical", "active_unacknowledged")]
        )
        await expect(points.nth(0)).to_have_class("pt prio-critical unacked", timeout=5000)
        if os.environ.get("HAZGW_LOOK"):
            await page.screenshot(path="/tmp/park-drill.png")
        await page.click("#drill-back")
        await expect(page.locator("#tiles")).to_be_visible()
        await expect(page.locator("#drill")).to_be_hidden()
        await page.locator('.ent[data-code="E2"]').click()
        await expect(page.locator("#drill-state")).to_have_text("企业离线")
        await expect(page.locator("#drill-cards .hs")).to_have_class("hs offline")
        await expect(page.locator("#drill-cards .pt")).to_have_class("pt offline")
        if os.environ.get("HAZGW_LOOK"):
            await page.screenshot(path="/tmp/park-drill-offline.png")
        assert screen.errors == []
        await screen.context.close()
    finally:
        await server.stop()
        auth.close()
