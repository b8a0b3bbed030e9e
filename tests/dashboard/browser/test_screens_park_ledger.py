"""The park's 叫应 ledger and shift report in Chromium, at 1920x1080 and on a 390x844 phone,
in Chinese and English, under the Content-Security-Policy with no violation: the report's
figures, the per-enterprise table, the ledger's rows (who called whom, who answered, when,
what was done, the enterprise's own ack), the window buttons and the CSV link."""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from browser_kit import WALL_SIZE, open_screen, sign_in
from playwright.async_api import Browser, ViewportSize, expect

from config.catalog import Catalog
from config.shifts import Shift, ShiftSchedule
from dashboard.app import create_app
from dashboard.auth.demo import create_demo_users
from dashboard.auth.service import AuthService
from dashboard.hub import Hub
from dashboard.live import LiveState
from dashboard.park import (
    CallResponse,
    Contact,
    EnterpriseStatus,
    JournalEntry,
    ParkAlarm,
    ParkFigures,
)
from dashboard.server import DashboardServer
from dashboard.services import DashboardServices

PHONE: ViewportSize = {"width": 390, "height": 844}
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""
NOW = time.time()
BOSS = (Contact("张三", "主要负责人", "13800000000"),)


def _entries() -> list[JournalEntry]:
    return [
        JournalEntry(
            "call/E1/E1/LT-101/HH/1", "call", "E1", "恒信化工", "critical", NOW - 3 * 3600, "a",
            tag="LT-101", alarm_type="HH", enterprise_alarm="E1/LT-101/HH",
            source_raised_at=NOW - 3 * 3600 - 360, deadline=NOW - 3 * 3600 - 60,
            contacts=BOSS,
            response=CallResponse("张三", NOW - 3 * 3600 + 420, "已电话确认, 现场关闭进料阀",
                                  "operator"),
            responded_at=NOW - 3 * 3600 + 430, enterprise_acked_at=NOW - 3 * 3600 + 600,
            enterprise_acked_by="王五", cleared_at=NOW - 2 * 3600,
        ),
        JournalEntry(
            "offline/E2/1", "offline", "E2", "中远仓储", "high", NOW - 2 * 3600, "b",
            silent_since=NOW - 2 * 3600 - 300, cleared_at=NOW - 3600,
        ),
        JournalEntry(
            "call/E3/E3/GD-201/H/1", "call", "E3", "华盛石化", "critical", NOW - 600, "b",
            tag="GD-201", alarm_type="HH", enterprise_alarm="E3/GD-201/HH",
            source_raised_at=NOW - 900, deadline=NOW - 600,
            contacts=(Contact("李四", "安全负责人", "13900000000"),),
        ),
    ]


class Park:
    def enterprises(self) -> list[EnterpriseStatus]:
        return []

    def alarms(self) -> list[ParkAlarm]:
        return []

    def figures(self) -> ParkFigures:
        return ParkFigures(0, 0, 0.0, 0, 0)

    async def record_response(self, alarm_id: str, response: CallResponse) -> ParkAlarm | None:
        return None

    def journal(self) -> list[JournalEntry]:
        return _entries()

    def now(self) -> float:
        return time.time()

    def shifts(self) -> ShiftSchedule:
        # One 24 h shift that began 5 h ago: every entry above is in it.
        start = datetime.fromtimestamp(NOW - 5 * 3600, ZoneInfo("Asia/Shanghai"))
        return ShiftSchedule(shifts=[Shift(name="白班", start=start.strftime("%H:%M"))])


async def test_park_ledger_page_in_both_languages_on_wall_and_phone(
    browser: Browser, tmp_path: Path,
) -> None:
    live = LiveState()
    auth = AuthService.open(tmp_path)
    create_demo_users(auth)
    app = create_app(DashboardServices(
        catalog=Catalog([]), live=live, hub=Hub(live), park=Park(), auth=auth,
    ))
    server = DashboardServer(app, host="127.0.0.1", port=0)
    await server.start()
    look = os.environ.get("HAZGW_LOOK")
    try:
        for name, viewport in (("wall", WALL_SIZE), ("phone", PHONE)):
            screen = await open_screen(browser, viewport=viewport)
            await screen.context.add_init_script(WATCH)
            page = screen.page
            await sign_in(page, server.url, "viewer", "/park/ledger", live=False)
            rows = page.locator("#ledger tbody tr")
            await expect(rows).to_have_count(3)
            # Newest first: the open call to 华盛石化, then the outage, then the answered call.
            await expect(rows.nth(0)).to_have_class("st-open")
            await expect(rows.nth(0)).to_contain_text("待叫应")
            await expect(rows.nth(2)).to_have_class("st-answered")
            await expect(rows.nth(2)).to_contain_text("operator → 主要负责人 张三 13800000000")
            await expect(rows.nth(2)).to_contain_text("现场关闭进料阀")
            await expect(rows.nth(2)).to_contain_text("用时 7 分钟")
            await expect(rows.nth(2)).to_contain_text("王五")
            figures = page.locator("#figures .pl-fig")
            await expect(figures).to_have_count(9)
            await expect(figures.nth(1)).to_contain_text("2")  # calls
            await expect(figures.nth(3)).to_have_class("pl-fig bad")  # one overdue
            await expect(page.locator("#by-enterprise tbody tr")).to_have_count(3)
            csv = await page.locator("#csv").get_attribute("href")
            assert csv is not None and csv.startswith("/api/park/ledger.csv?shift=current")
            await expect(page.locator("#window")).to_contain_text("白班 · ")
            if look:
                await page.screenshot(path=f"/tmp/parkjournal-{name}-zh.png", full_page=True)
            await page.click("[data-lang-toggle]")
            await expect(rows.nth(0)).to_contain_text("Awaiting call")
            await expect(rows.nth(2)).to_contain_text("(after 7 min)")
            await expect(page.locator("h1")).to_have_text("Park call ledger and shift report")
            await expect(rows.nth(1)).to_contain_text(
                "Enterprise offline: 中远仓储, no heartbeat since"
            )
            if look:
                await page.screenshot(path=f"/tmp/parkjournal-{name}-en.png", full_page=True)
            await page.click('[data-window="week"]')
            await expect(page.locator('[data-window="week"]')).to_have_class("pl-btn on")
            assert await page.evaluate("window.__cspViolations") == []
            assert screen.errors == []
            await screen.context.close()
    finally:
        await server.stop()
        auth.close()
