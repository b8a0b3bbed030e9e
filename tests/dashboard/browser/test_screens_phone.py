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


async def test_first_ack_in_three_key_presses(demo: DemoHandles, browser: Browser) -> None:
    """Tab to the skip link, Enter to the first 确认, Enter opens its dialog; inputs have
    labels; the priority chips meet WCAG AA contrast."""
    base = demo.parts.server.url
    async with api_client(base, "admin") as admin:
        with hold_gas(demo.plant, 60.0):
            await wait_for_alarm(admin, HH, {"active_unacknowledged"})
            context = await browser.new_context(viewport={"width": 1600, "height": 900},
                                                locale="zh-CN")
            page = await context.new_page()
            await sign_in(page, base, "operator")
            await expect(page.locator("#alarm-rows button.ack").first).to_be_visible()
            await page.keyboard.press("Tab")
            assert await page.evaluate("document.activeElement.id") == "skip-to-ack"
            await page.keyboard.press("Enter")
            focused = await page.evaluate(
                "[document.activeElement.className, document.activeElement.closest('tr')"
                "?.dataset.priority]")
            assert focused == ["small primary ack", "critical"]
            await page.keyboard.press("Enter")
            await expect(page.locator("#ack-dialog")).to_be_visible()
            await page.keyboard.press("Escape")

            unlabelled = await page.evaluate("""() => [...document.querySelectorAll(
                '#tab-active input, #tab-active select')].filter((e) => !e.labels?.length
                && !e.getAttribute('aria-label')).map((e) => e.id)""")
            assert unlabelled == [], unlabelled
            ratios = await page.evaluate("""() => {
                const lum = (rgb) => {
                    const [r, g, b] = rgb.match(/\\d+/g).slice(0, 3).map((v) => {
                    v = v / 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
                return [...document.querySelectorAll('#alarm-rows .chip')].map((c) => {
                    const s = getComputedStyle(c);
                    const a = lum(s.color), b = lum(s.backgroundColor);
                    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); });
            }""")
            assert ratios and min(ratios) >= 4.5, ratios
            await context.close()
