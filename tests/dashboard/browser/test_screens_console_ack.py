"""Acknowledgement rules on the console, in Chromium: 确认全部可见 leaves out critical and
high alarms; a critical alarm's dialog asks for a disposition and a comment, which the
journal keeps; 停用 / 投用 are offered to an engineer and not to an operator."""

from __future__ import annotations

from browser_kit import (
    CONSOLE_SIZE,
    api_client,
    hold_gas,
    open_screen,
    sign_in,
    wait_for_alarm,
)
from playwright.async_api import Browser, expect

from gateway.demo import DemoHandles

H = "DEMO-CHEM/GT-201/H"
HH = "DEMO-CHEM/GT-201/HH"


async def test_bulk_ack_leaves_out_urgent_alarms_and_critical_needs_a_disposition(
    demo: DemoHandles, browser: Browser
) -> None:
    base = demo.parts.server.url
    console = await open_screen(browser, CONSOLE_SIZE)
    desk = console.page
    await sign_in(desk, base, "operator", "/console")
    async with api_client(base, "viewer") as viewer:
        with hold_gas(demo.plant, 55.0):
            await wait_for_alarm(viewer, HH, {"active_unacknowledged"})
            await wait_for_alarm(viewer, H, {"active_unacknowledged"})
            row = desk.locator(f'tr[data-alarm="{HH}"]')
            await expect(row).to_be_visible()
            # An operator is not offered 停用.
            await expect(row.locator("button.out-of-service")).to_have_count(0)

            await desk.click("#ack-visible")
            await expect(desk.locator("#toast")).to_contain_text("未随批量确认")
            for alarm in (H, HH):
                assert (await viewer.get(f"/api/alarms/{alarm}")).json()["alarm"]["state"] == (
                    "active_unacknowledged"
                )

            await row.locator("button.ack").click()
            dialog = desk.locator("#ack-dialog")
            await expect(dialog.locator(".disposition")).to_be_visible()
            await dialog.locator("select[name=disposition]").select_option("false_alarm")
            await dialog.locator("textarea[name=comment]").fill("标定气残留")
            await dialog.locator("button[value=ok]").click()
            await expect(row).to_have_attribute("data-state", "active_acknowledged")
            events = (await viewer.get(f"/api/alarms/{HH}")).json()["events"]
            ack = next(e for e in events if e["kind"] == "acknowledged")
            assert ack["comment"] == "处置结论：误报。标定气残留"
            assert ack["user"] == "operator"

    engineer = await open_screen(browser, CONSOLE_SIZE)
    await sign_in(engineer.page, base, "engineer", "/console")
    await expect(
        engineer.page.locator(f'tr[data-alarm="{H}"] button.out-of-service')
    ).to_be_visible()
    assert console.errors == [] and engineer.errors == []
