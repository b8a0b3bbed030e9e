"""Alarm KPIs on the real demo gateway: the gas detector GT-201 is driven over its limits and
back six times (12 raises within a few minutes: a flood, and chattering), GET
/api/alarms/kpi reports it per duty post, and the console's 报警指标 tab shows the figures
with their targets, red where over, in Chinese and in English (screenshots in /tmp)."""

from __future__ import annotations

import time

from browser_kit import CONSOLE_SIZE, api_client, hold_gas, open_screen, sign_in, wait_for_alarm
from playwright.async_api import Browser, expect

from gateway.demo import DemoHandles

H = "DEMO-CHEM/GT-201/H"
HH = "DEMO-CHEM/GT-201/HH"
CYCLES = 6


async def test_a_flood_of_gas_alarms_in_the_kpis_and_on_the_console(
    demo: DemoHandles, browser: Browser
) -> None:
    base = demo.parts.server.url
    since = time.time() - 1.0
    async with api_client(base, "viewer") as viewer:
        for _ in range(CYCLES):
            with hold_gas(demo.plant, 55.0):
                await wait_for_alarm(viewer, HH, {"active_unacknowledged"})
                await wait_for_alarm(viewer, H, {"active_unacknowledged"})
            with hold_gas(demo.plant, 0.0):
                await wait_for_alarm(viewer, HH, {"returned_unacknowledged"})
                await wait_for_alarm(viewer, H, {"returned_unacknowledged"})
        answer = await viewer.get(
            "/api/alarms/kpi", params={"since": since, "until": time.time() + 1.0}
        )
        assert answer.status_code == 200, answer.text
        kpi = answer.json()
        gas = {item["alarm_id"]: item["count"] for item in kpi["top"]}
        assert gas[H] == CYCLES and gas[HH] == CYCLES
        assert kpi["alarms"] >= 2 * CYCLES and kpi["peak_10min"] >= 2 * CYCLES
        assert len(kpi["floods"]) == 1 and kpi["flood_share"] > kpi["targets"]["flood_share"]
        posts = {row["id"]: row for row in kpi["posts"]}
        # The demo's routes: the shift takes medium and above (both), the fire-control room
        # HH of combustible gas (the six HH raises).
        assert posts["shift"]["label"] == "当班人员" and posts["shift"]["alarms"] >= 2 * CYCLES
        assert posts["fire-control-room"]["alarms"] == CYCLES
        fire = (await viewer.get(
            "/api/alarms/kpi",
            params={"since": since, "until": time.time() + 1.0, "post": "fire-control-room"},
        )).json()
        assert fire["alarms"] == CYCLES and [c["alarm_id"] for c in fire["top"]] == [HH]

    screen = await open_screen(browser, CONSOLE_SIZE)
    desk = screen.page
    await sign_in(desk, base, "viewer", "/console")
    await desk.click('[data-tab="kpi"]')
    # Over the last 24 h the flood (begun seconds ago) is a tiny share of the time, but the
    # peak of 12 in 10 minutes is over its target of 10.
    peak = desk.locator('[data-kpi="kpi.peak"]')
    await expect(peak).to_have_class("kpi-card over", timeout=5000)
    await expect(peak.locator(".goal")).to_have_text("目标 ≤ 10 · 超出目标")
    flood = desk.locator('[data-kpi="kpi.flood"]')
    await expect(flood.locator(".goal")).to_have_text("目标 ≤ 1.0 %")
    await expect(flood.locator(".d")).to_contain_text("1 次泛滥")
    await expect(desk.locator("#kpi-tables")).to_contain_text("GT-201")
    await expect(desk.locator("#kpi-post option")).to_contain_text(
        ["全部岗位", "当班人员", "消防控制室"]
    )
    await desk.screenshot(path="/tmp/kpi-console-zh.png", full_page=True)

    await desk.select_option("#kpi-post", "fire-control-room")
    await expect(desk.locator("#kpi-range")).to_contain_text(f"共 {CYCLES} 次报警")
    await desk.click(".lang-toggle")
    await expect(desk.locator('[data-kpi="kpi.flood"] .k')).to_have_text("Time in flood")
    await expect(desk.locator("#kpi-range")).to_contain_text(f"{CYCLES} alarms")
    await desk.screenshot(path="/tmp/kpi-console-en.png", full_page=True)
    await desk.click(".lang-toggle")  # leave the stored language as it was
    await expect(desk.locator('[data-kpi="kpi.flood"] .k')).to_have_text("报警泛滥时间占比")
    await desk.set_viewport_size({"width": 390, "height": 844})  # the phone
    await expect(desk.locator("#kpi-cards")).to_be_visible()
    await desk.screenshot(path="/tmp/kpi-console-phone.png", full_page=True)
    assert screen.errors == []
