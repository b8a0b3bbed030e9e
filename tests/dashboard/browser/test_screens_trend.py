"""The trend page in Chromium on the demo: any point is picked, two points of different units
are overlaid on two axes, a third unit is refused with a message, and the chart exports as
PNG and the data as CSV."""

from __future__ import annotations

import os

from browser_kit import WALL_SIZE, api_client, hold_gas, open_screen, sign_in, wait_for_alarm
from playwright.async_api import Browser, expect

from gateway.demo import DemoHandles

HH = "DEMO-CHEM/GT-201/HH"


async def test_any_point_overlaid_and_exported(browser: Browser, demo: DemoHandles) -> None:
    base = demo.parts.server.url
    screen = await open_screen(browser)
    page = screen.page
    await sign_in(page, base, "viewer", "/trend", live=False)
    await expect(page.locator("#chart")).to_contain_text("请选择点位")
    # Any point: picked from the list of all points, not only from an alarm.
    await page.select_option("#pick-point", "DEMO-CHEM/LT-101")
    await page.click("#pick-add")
    await page.select_option("#pick-point", "DEMO-CHEM/LT-102")
    await page.click("#pick-add")
    await page.select_option("#pick-point", "DEMO-CHEM/GT-201")
    await page.click("#pick-add")
    await expect(page.locator("#chart canvas")).to_have_count(1)
    legend = page.locator("#chart .u-legend")
    for words in ("LT-101", "LT-102", "GT-201"):
        await expect(legend).to_contain_text(words)
    await expect(page.locator("#chart .u-axis")).to_have_count(3)  # time, m, %LEL
    assert "point=DEMO-CHEM%2FGT-201" in page.url and "range=8h" in page.url

    await page.click("#presets [data-range='1h']")
    one_hour = page.locator("#presets [data-range='1h']")
    await expect(one_hour).to_have_attribute("aria-pressed", "true")
    await expect(page.locator("#chart-info")).to_contain_text("每 5 秒")

    async with page.expect_download() as download_info:
        await page.click("#export-png")
    png = await download_info.value
    path = await png.path()
    assert path is not None and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    csv_href = await page.locator("#export-csv").get_attribute("href")
    answer = await page.request.get(base + str(csv_href))
    assert answer.ok and (await answer.text()).lstrip("\ufeff").startswith("时间,时间戳(秒),LT-101")

    if os.environ.get("HAZGW_LOOK"):
        await page.screenshot(path="/tmp/trend-chart.png", full_page=True)
    # A third unit has no axis: refused with a message, the chart stays.
    await page.select_option("#pick-point", "DEMO-CHEM/TT-101")
    await page.click("#pick-add")
    await expect(page.locator("#load-error")).to_contain_text("最多两种单位")
    await expect(page.locator("#picked .picked-point")).to_have_count(3)
    await expect(page.locator("#chart canvas")).to_have_count(1)
    if os.environ.get("HAZGW_LOOK"):
        await page.screenshot(path="/tmp/trend.png", full_page=True)
    assert screen.errors == []


async def test_trends_open_from_the_wall_and_the_console(browser: Browser,
                                                         demo: DemoHandles) -> None:
    base = demo.parts.server.url
    wall = await open_screen(browser, WALL_SIZE)
    await sign_in(wall.page, base, "operator", "/wall")
    cell = wall.page.locator('.val[data-point="DEMO-CHEM/LT-101"]')
    async with wall.context.expect_page() as opened:
        await cell.click()
    trend = await opened.value
    await trend.wait_for_load_state()
    assert "/trend?point=DEMO-CHEM%2FLT-101&range=8h" in trend.url
    await expect(trend.locator("#picked")).to_contain_text("LT-101")

    async with api_client(base, "admin") as admin:
        with hold_gas(demo.plant, 60.0):
            await wait_for_alarm(admin, HH, {"active_unacknowledged"})
            console = await open_screen(browser)
            await sign_in(console.page, base, "operator")
            row = console.page.locator(f'tr[data-alarm="{HH}"]')
            await row.locator("button.trend").click()
            await expect(console.page.locator("#trend-dialog")).to_be_visible()
            link = console.page.locator("#trend-page-link")
            await expect(link).to_have_attribute(
                "href", "/trend?point=DEMO-CHEM%2FGT-201&range=8h")
    assert wall.errors == [] and console.errors == []
