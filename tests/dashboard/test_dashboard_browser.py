"""The live page in Debian's Chromium, driven by Playwright, against the real server."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from dashboard_testkit import Gateway
from playwright.async_api import Browser, Page, async_playwright, expect

from collectors.readings import Quality, Reading, Reason, bad
from config.catalog import PointKey
from dashboard.app import create_app
from dashboard.server import DashboardServer

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = Path(__file__).parents[2] / "docs" / "screenshot-live.png"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium() -> str:
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is not installed (apt-get install chromium)")
    return str(CHROMIUM)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()


def row(page: Page, point: str) -> str:
    return f'tr[data-point="{point}"]'


async def test_live_page_updates_marks_faults_and_shows_disconnection(
    server: DashboardServer, gateway: Gateway, browser: Browser
) -> None:
    now = time.time()
    gateway.feed(
        [
            Reading(PointKey("DEMO-CHEM", "LT-101"), 12.34, now),
            Reading(PointKey("DEMO-CHEM", "GT-202"), 3.2, now),
            Reading(
                PointKey("DEMO-CHEM", "PT-102"), 2.71, now, Quality.UNCERTAIN, Reason.OUT_OF_RANGE
            ),
            bad(PointKey("DEMO-CHEM", "GT-301"), now, Reason.COMM_LOSS),
            Reading(PointKey("DEMO-DUST", "PDT-301"), 812.0, now),
            Reading(PointKey("DEMO-DUST", "TT-302"), 41.5, now),
            Reading(PointKey("DEMO-DUST", "XS-303"), False, now),
        ]
    )
    page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await page.goto(server.url + "/")
    await expect(page.locator("#conn-state")).to_have_text("已连接", timeout=5000)
    level = page.locator(row(page, "DEMO-CHEM/LT-101"))
    await expect(level.locator("td.value")).to_have_text("12.34", timeout=2000)

    # A value fed into the hub after the page loaded arrives over the websocket.
    gateway.feed([Reading(PointKey("DEMO-CHEM", "LT-101"), 15.5, now + 1)])
    await expect(level.locator("td.value")).to_have_text("15.50", timeout=2000)

    # A sensor fault: the label, never a number.
    gateway.feed([bad(PointKey("DEMO-CHEM", "GT-201"), now + 2, Reason.SENSOR_FAULT)])
    fault = page.locator(row(page, "DEMO-CHEM/GT-201"))
    await expect(fault.locator(".label")).to_have_text("传感器故障", timeout=2000)
    await expect(fault).to_have_class("q-bad")
    assert not re.search(r"\d", await fault.locator("td.value").inner_text())
    comm = page.locator(row(page, "DEMO-CHEM/GT-301"))
    await expect(comm.locator(".label")).to_have_text("通讯中断")
    assert not re.search(r"\d", await comm.locator("td.value").inner_text())
    uncertain = page.locator(row(page, "DEMO-CHEM/PT-102"))
    await expect(uncertain.locator(".label")).to_have_text("超量程")
    await expect(uncertain).to_have_class("q-uncertain")
    # Grouped by site and hazard source.
    await expect(page.locator("section.site")).to_have_count(2)
    warehouse = page.locator('section.source[data-source="HS-WH1"] tr[data-point]')
    await expect(warehouse).to_have_count(1)
    await expect(page.locator("#disconnected-banner")).to_be_hidden()
    assert errors == []
    SCREENSHOT.parent.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOT), full_page=True)

    # The gateway goes away: the banner says so and the values are greyed out.
    await server.stop()
    banner = page.locator("#disconnected-banner")
    await expect(banner).to_be_visible(timeout=3000)
    await expect(banner).to_contain_text("连接断开")
    await expect(page.locator("body")).to_have_class("stale")
    await expect(page.locator("#conn-state")).to_have_text("连接断开")

    # It comes back (same gateway run): the page reconnects by itself, resumes from its
    # last sequence number and shows what changed meanwhile.
    gateway.feed([Reading(PointKey("DEMO-CHEM", "LT-101"), 16.0, now + 3)])
    gateway.hub.flush()
    again = DashboardServer(create_app(gateway.services()), port=server.port)
    await again.start()
    try:
        await expect(banner).to_be_hidden(timeout=8000)
        await expect(level.locator("td.value")).to_have_text("16.00", timeout=2000)
        await expect(page.locator("body")).not_to_have_class("stale")
        assert gateway.hub.stats().resumed == 1
    finally:
        await page.close()
        await again.stop()
