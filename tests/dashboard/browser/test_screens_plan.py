"""The plant plan in Chromium on the demo: the shipped plan shows every placed detector in
its live state; a gas alarm turns its detector red and blinking until acknowledged, and its
hazard source with it; a click opens its value, alarms and trend; zoom works."""

from __future__ import annotations

import os

from browser_kit import api_client, hold_gas, open_screen, sign_in, wait_for_alarm
from playwright.async_api import Browser, expect

from gateway.demo import DemoHandles

HH = "DEMO-CHEM/GT-201/HH"


async def test_plan_shows_live_detectors(demo: DemoHandles, browser: Browser) -> None:
    base = demo.parts.server.url
    screen = await open_screen(browser)
    page = screen.page
    await sign_in(page, base, "viewer", "/plan")
    assert page.url.endswith("/plan?site=DEMO-CHEM")
    level = page.locator('.mark[data-id="DEMO-CHEM/LT-101"]')
    await expect(level).to_have_attribute("data-state", "normal", timeout=5000)
    await expect(page.locator(".mark.point")).to_have_count(9)
    image = await page.request.get(base + "/api/plans/DEMO-CHEM/image")
    assert image.ok and image.headers["content-type"].startswith("image/svg+xml")
    assert "default-src 'none'" in image.headers["content-security-policy"]

    gas = page.locator('.mark[data-id="DEMO-CHEM/GT-201"]')
    source = page.locator('.mark[data-id="HS-TF1"]')
    async with api_client(base, "operator") as operator:
        with hold_gas(demo.plant, 60.0):
            await wait_for_alarm(operator, HH, {"active_unacknowledged"})
            await expect(gas).to_have_class("mark point s-alarm p-critical blink")
            await expect(source).to_have_attribute("data-state", "alarm")
            await expect(gas.locator("text.state")).to_have_text("报警·紧急")
            if os.environ.get("HAZGW_LOOK"):
                await page.screenshot(path="/tmp/plan.png")
            for alarm_id in (HH, "DEMO-CHEM/GT-201/H"):
                # A critical alarm is acknowledged with a disposition and a comment.
                answer = await operator.post(
                    f"/api/alarms/{alarm_id}/ack",
                    json={"disposition": "real", "comment": "已到现场"},
                )
                assert answer.status_code == 200, answer.text
            await expect(gas).to_have_class("mark point s-alarm p-critical")  # no blink

            await gas.click()
            await expect(page.locator("#detail")).to_be_visible()
            await expect(page.locator("#detail-title")).to_contain_text("GT-201")
            # The alarm's type in words (the gateway's vocabulary), not its code.
            await expect(page.locator("#detail-alarms")).to_contain_text("高高报")
            href = await page.locator("#detail-trend").get_attribute("href")
            assert href == "/trend?point=DEMO-CHEM%2FGT-201&range=8h"

    await page.click("#zoom-in")
    box = await page.evaluate("window.hazgwPlan.box")
    assert box[2] < 1000 and box[0] >= 0
    await page.click("#zoom-reset")
    assert await page.evaluate("window.hazgwPlan.box") == [0, 0, 1000, 600]
    await page.select_option("#plan-site", "DEMO-DUST")
    await expect(page.locator('.mark[data-id="DEMO-DUST/PDT-301"]')).to_have_count(1)
    assert screen.errors == []
