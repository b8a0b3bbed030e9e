"""Signing in, roles and the language toggle, in a real browser against the demo."""

from __future__ import annotations

import re

from browser_kit import api_client, hold_gas, open_screen, sign_in, wait_for_alarm
from playwright.async_api import Browser, expect

from gateway.demo import DemoHandles

HH = "DEMO-CHEM/GT-201/HH"


async def test_login_redirects_signs_in_and_remembers_english(
    demo: DemoHandles, browser: Browser
) -> None:
    base = demo.parts.server.url
    screen = await open_screen(browser)
    page = screen.page
    # No session: the console sends the browser to the login page, remembering where to.
    await page.goto(base + "/console")
    await page.wait_for_url("**/login?next=%2Fconsole*", timeout=5000)
    await page.fill("#username", "operator")
    await page.fill("#password", "wrong password")
    await page.click("#login-submit")
    await expect(page.locator("#login-error")).to_have_text("用户名或密码错误", timeout=5000)
    assert page.url.startswith(base + "/login")

    await page.fill("#password", "demo")
    await page.click("#login-submit")
    await page.wait_for_url(base + "/console", timeout=5000)
    await expect(page.locator("#user-badge")).to_contain_text("operator")
    await expect(page.locator("#user-badge")).to_contain_text("操作员")
    await expect(page.locator("#conn-state")).to_have_text("已连接", timeout=5000)
    await expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    # English, remembered across a reload; and back.
    await page.click("button.lang-toggle")
    await expect(page.locator("#conn-state")).to_have_text("Connected")
    await expect(page.locator("[data-tab=history]")).to_have_text("History")
    await page.reload()
    await expect(page.locator("#conn-state")).to_have_text("Connected", timeout=5000)
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await page.click("button.lang-toggle")
    await expect(page.locator("[data-tab=history]")).to_have_text("历史记录")

    # Signing out ends the session: the console is behind the login page again.
    await page.click("#logout")
    await page.wait_for_url(re.compile(r".*/login.*"), timeout=5000)
    await page.goto(base + "/console")
    await page.wait_for_url("**/login?next=%2Fconsole*", timeout=5000)
    assert screen.errors == []


async def test_viewer_has_no_acknowledge_button_and_the_api_refuses(
    demo: DemoHandles, browser: Browser
) -> None:
    base = demo.parts.server.url
    async with api_client(base, "operator") as operator:
        with hold_gas(demo.plant, 60.0):  # 60 %LEL: past both alarm levels
            await wait_for_alarm(operator, HH, {"active_unacknowledged"})
            screen = await open_screen(browser)
            page = screen.page
            await sign_in(page, base, "viewer")
            row = page.locator(f'tr[data-alarm="{HH}"]')
            await expect(row).to_be_visible(timeout=5000)
            await expect(row).to_have_attribute("data-state", "active_unacknowledged")
            # Absent, not merely disabled.
            await expect(page.locator("button.ack")).to_have_count(0)
            await expect(page.locator("button.shelve")).to_have_count(0)
            await expect(page.locator("button.note")).to_have_count(0)
            await expect(page.locator("#ack-selected")).to_have_count(0)
            await expect(page.locator("#ack-visible")).to_have_count(0)
            await expect(page.locator("input.pick")).to_have_count(0)
            await expect(page.locator("#read-only")).to_be_visible()
            # Trends are for everyone.
            await expect(row.locator("button.trend")).to_have_count(1)

            # The API refuses the viewer's session too (the browser's own cookie).
            one = await page.request.post(
                f"{base}/api/alarms/{HH}/ack", data={"comment": "viewer tries"}
            )
            assert one.status == 403, await one.text()
            many = await page.request.post(f"{base}/api/alarms/ack", data={"ids": [HH]})
            assert many.status == 403, await many.text()
            shelve = await page.request.post(
                f"{base}/api/alarms/{HH}/shelve", data={"reason": "x", "minutes": 5}
            )
            assert shelve.status == 403, await shelve.text()
            still = await operator.get(f"/api/alarms/{HH}")
            assert still.json()["alarm"]["state"] == "active_unacknowledged"
            assert screen.errors == []
