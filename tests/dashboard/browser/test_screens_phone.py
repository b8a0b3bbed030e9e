"""The duty console on a phone, in Chromium's mobile emulation (390 × 844, touch): active
alarms are cards, and 确认 (with a comment), 搁置 and 趋势 are on screen without horizontal
scrolling; an alarm is acknowledged by tapping."""

from __future__ import annotations

import os

from browser_kit import api_client, hold_gas, sign_in, wait_for_alarm
from playwright.async_api import Browser, expect

from gateway.demo import DemoHandles

HH = "DEMO-CHEM/GT-201/HH"
PHONE = {"width": 390, "height": 844}


async def test_phone_console_acknowledges_an_alarm(demo: DemoHandles, browser: Browser) -> None:
    base = demo.parts.server.url
    async with api_client(base, "admin") as admin:
        with hold_gas(demo.plant, 60.0):
            await wait_for_alarm(admin, HH, {"active_unacknowledged"})
            context = await browser.new_context(
                viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2,
                locale="zh-CN")
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await sign_in(page, base, "operator")
            card = page.locator(f'tr[data-alarm="{HH}"]')
            await expect(card).to_have_attribute("data-state", "active_unacknowledged")
            if os.environ.get("HAZGW_LOOK"):
                await page.screenshot(path="/tmp/phone.png", full_page=True)

            overflow = await page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"the page scrolls sideways by {overflow} px"
            # The card fits the screen, its buttons on it and big enough. (Layout boxes from
            # the page: Playwright's bounding_box is off under mobile emulation's scaling.)
            box = await card.evaluate("e => e.getBoundingClientRect().toJSON()")
            assert box["left"] >= 0 and box["right"] <= 390, box
            for button in ("button.ack", "button.shelve", "button.trend"):
                target = await card.locator(button).evaluate(
                    "e => e.getBoundingClientRect().toJSON()")
                assert target["left"] >= 0 and target["right"] <= 390, (button, target)
                assert target["height"] >= 44, button  # a finger, not a mouse pointer

            await card.locator("button.ack").tap()
            dialog = page.locator("#ack-dialog")
            await expect(dialog).to_be_visible()
            dialog_box = await dialog.evaluate("e => e.getBoundingClientRect().toJSON()")
            assert dialog_box["left"] >= 0 and dialog_box["right"] <= 390, dialog_box
            await dialog.locator("textarea[name=comment]").fill("手机确认：现场已查看")
            await dialog.locator("button[value=ok]").tap()
            alarm = await wait_for_alarm(admin, HH, {"active_acknowledged"})
            assert alarm["acknowledged_by"] == "operator"
            await expect(card).to_have_attribute("data-state", "active_acknowledged")
            await context.close()
    assert errors == []
