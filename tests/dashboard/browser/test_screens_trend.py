"""The trend page in Chromium on the demo: any point is picked, two points of different units
are overlaid on two axes, a third unit is refused with a message, and the chart exports as
PNG and the data as CSV."""

from __future__ import annotations

import os

from browser_kit import open_screen, sign_in
from playwright.async_api import Browser, expect

from gateway.demo import DemoHandles


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
