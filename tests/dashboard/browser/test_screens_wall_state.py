"""Nothing hidden on the wall, in Chromium: a shelved alarm keeps its hazard source off
plain green and is listed; a controller going silent shows 通讯中断 with its count on the
tile and in the header's online count at once, before any alarm; a heartbeat point reads
心跳正常; devices are listed by their names."""

from __future__ import annotations

import re

from browser_kit import WALL_SIZE, api_client, open_screen, sign_in, wait_for_alarm
from playwright.async_api import Browser, expect

from gateway.demo import DemoHandles

TANK = "DEMO-CHEM/HS-TF1"
FAULT = "DEMO-CHEM/GT-202/SENSOR_FAULT"


async def test_shelved_alarms_and_bad_points_are_never_hidden(
    demo: DemoHandles, browser: Browser
) -> None:
    base = demo.parts.server.url
    wall = await open_screen(browser, WALL_SIZE)
    page = wall.page
    await sign_in(page, base, "viewer", "/wall")
    tile = page.locator(f'.tile[data-source="{TANK}"]')
    await expect(tile).to_have_attribute("data-colour", "green", timeout=5000)
    heartbeat = page.locator('.val[data-point="DEMO-CHEM/GS-200"] .value')
    await expect(heartbeat).to_have_text("心跳正常")
    await expect(page.locator("#devices-online")).to_have_text("3/3")
    await expect(page.locator("#device-list")).to_contain_text("可燃有毒气体报警控制器")

    async with api_client(base, "operator") as operator:
        demo.plant.start_scenario("detector_fault")
        await wait_for_alarm(operator, FAULT, {"active_unacknowledged"}, within=15)
        answer = await operator.post(
            f"/api/alarms/{FAULT}/shelve", json={"reason": "探测器送检", "minutes": 30}
        )
        answer.raise_for_status()
    # The faulty detector reads 传感器故障 (a bad point) and its alarm is shelved: the tile
    # says both, and the shelved alarm stays listed.
    await expect(tile).not_to_have_attribute("data-colour", "green")
    await expect(tile.locator(".counts")).to_contain_text("搁置 1")
    shelved = page.locator(f'#alarm-list li[data-alarm="{FAULT}"]')
    await expect(shelved).to_contain_text("已搁置")

    demo.plant.start_scenario("device_failure")
    # Within a poll or two, long before the 30 s comm-loss alarm.
    await expect(tile.locator(".status-text")).to_contain_text(
        re.compile(r"通讯中断 4"), timeout=4000
    )
    await expect(tile).to_have_attribute("data-colour", "fault")
    await expect(page.locator("#devices-online")).to_have_text("2/3")
    assert wall.errors == []
