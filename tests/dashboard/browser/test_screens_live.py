"""Live behaviour of the wall and the console against the demo's simulated plant: values
within 2 s, a gas leak through to a red tile and a console row, acknowledgement seen by a
second browser, and none of it makes a screen fetch its alarm lists again: the websocket
deltas carry the changed alarm records."""

from __future__ import annotations

import re
import time

import pytest
from browser_kit import (
    CONSOLE_SIZE,
    WALL_SIZE,
    EventWatch,
    api_client,
    hold_gas,
    hold_tank_level,
    open_screen,
    remaining_ms,
    sign_in,
    wait_for_alarm,
)
from playwright.async_api import Browser, expect

from alerting.events import EventKind
from config.vocabulary import Priority
from gateway.demo import DemoHandles

TANK = "DEMO-CHEM/HS-TF1"
LEVEL = "DEMO-CHEM/LT-101"
HH = "DEMO-CHEM/GT-201/HH"
H = "DEMO-CHEM/GT-201/H"
FAULT = "DEMO-CHEM/GT-202/SENSOR_FAULT"
FAULT_POINT = "DEMO-CHEM/GT-202"


async def test_device_value_reaches_the_wall_within_2_s(
    demo: DemoHandles, browser: Browser
) -> None:
    base = demo.parts.server.url
    screen = await open_screen(browser, WALL_SIZE)
    page = screen.page
    await sign_in(page, base, "viewer", "/wall")
    cell = page.locator(f'.tile[data-source="{TANK}"] .val[data-point="{LEVEL}"]')
    await expect(cell.locator(".value")).to_have_text(re.compile(r"^\d+\.\d\d$"), timeout=5000)
    await expect(cell.locator(".unit")).to_have_text("m")
    # Nothing scrolls on a wall display.
    overflow = await page.evaluate(
        "[document.documentElement.scrollHeight - innerHeight,"
        " document.documentElement.scrollWidth - innerWidth]"
    )
    assert overflow == [0, 0]

    changed = time.monotonic()
    with hold_tank_level(demo.plant, 17.25):  # the plant model keeps it near 12 m
        await expect(cell.locator(".value")).to_have_text("17.25", timeout=2000)
    assert time.monotonic() - changed < 2.0
    await expect(page.locator(f'.tile[data-source="{TANK}"]')).to_have_attribute(
        "data-colour", "green"
    )
    assert screen.errors == []


@pytest.mark.demo(plant_speed=12.0)
async def test_gas_leak_turns_the_tile_red_and_reaches_the_console_within_2_s(
    demo: DemoHandles, browser: Browser
) -> None:
    base = demo.parts.server.url
    wall = await open_screen(browser, WALL_SIZE)
    console = await open_screen(browser, CONSOLE_SIZE)
    await sign_in(wall.page, base, "viewer", "/wall")
    await sign_in(console.page, base, "operator", "/console")
    tile = wall.page.locator(f'.tile[data-source="{TANK}"]')
    await expect(tile).to_have_attribute("data-colour", "green", timeout=5000)
    await expect(wall.page.locator("#critical-banner")).to_be_hidden()
    fetched = (await wall.lists_loaded(), await console.lists_loaded())

    raised = EventWatch(
        demo.parts.engine,
        lambda e: (
            e.alarm_id == HH and e.kind is EventKind.RAISED and e.priority is Priority.CRITICAL
        ),
    )
    # The ammonia detector fails as well: a second hazard on the same tile, lower priority.
    demo.plant.start_scenario("detector_fault")
    demo.plant.start_scenario("gas_leak")
    at, _ = await raised.wait(within=15)
    await expect(tile).to_have_attribute("data-colour", "red", timeout=remaining_ms(at, 2.0))
    row = console.page.locator(f'tr[data-alarm="{HH}"]')
    await expect(row).to_be_visible(timeout=remaining_ms(at, 2.0))
    await expect(row).to_have_attribute("data-priority", "critical")

    # The wall flashes and sounds; silencing stops the sound and acknowledges nothing.
    await expect(tile).to_have_class(re.compile(r"\bflash\b"))
    await expect(wall.page.locator("#critical-banner")).to_be_visible()
    await expect(wall.page.locator("#critical-text")).to_contain_text("GT-201")
    await expect(wall.page.locator("body")).to_have_attribute("data-sound", "on")
    await expect(wall.page.locator("#count-unacked")).not_to_have_text("0")
    await expect(console.page.locator(f'tr[data-alarm="{H}"]')).to_be_visible()
    await expect(console.page.locator(f'tr[data-alarm="{FAULT}"]')).to_be_visible(timeout=5000)
    # A faulty detector shows why, never a number (the rule the retired / page was tested on).
    faulty = wall.page.locator(f'.val[data-point="{FAULT_POINT}"]')
    await expect(faulty).to_have_class(re.compile(r"\bq-bad\b"))
    await expect(faulty.locator(".label")).to_have_text("传感器故障")
    assert not re.search(r"\d", await faulty.locator(".value").inner_text())
    # The console lists the most urgent first.
    assert await console.page.locator("#alarm-rows tr").first.get_attribute("data-alarm") == HH
    # All of it came with the websocket deltas: no screen fetched a list after the events.
    assert (wall.list_fetches(), console.list_fetches()) == fetched
    await expect(console.page.locator("#recent-rows tr").first).to_be_attached()

    await wall.page.click("#silence")
    await expect(wall.page.locator("body")).to_have_attribute("data-sound", "silenced")
    await expect(tile).to_have_class(re.compile(r"\bflash\b"))  # still unacknowledged
    async with api_client(base, "viewer") as viewer:
        alarm = (await viewer.get(f"/api/alarms/{HH}")).json()["alarm"]
    assert alarm["state"] in {"active_unacknowledged", "returned_unacknowledged"}
    assert alarm["acknowledged_by"] is None
    assert wall.errors == [] and console.errors == []


async def test_acknowledging_in_one_browser_updates_another(
    demo: DemoHandles, browser: Browser
) -> None:
    base = demo.parts.server.url
    async with api_client(base, "admin") as admin:
        with hold_gas(demo.plant, 60.0):  # stays in alarm until the test ends
            await wait_for_alarm(admin, HH, {"active_unacknowledged"})
            first = await open_screen(browser)
            second = await open_screen(browser)
            await sign_in(first.page, base, "operator")
            await sign_in(second.page, base, "admin")
            theirs = second.page.locator(f'tr[data-alarm="{HH}"]')
            await expect(theirs).to_have_attribute("data-state", "active_unacknowledged")
            await expect(theirs.locator("button.ack")).to_have_count(1)
            fetched = (await first.lists_loaded(), await second.lists_loaded())

            mine = first.page.locator(f'tr[data-alarm="{HH}"]')
            await mine.locator("button.ack").click()
            dialog = first.page.locator("#ack-dialog")
            await expect(dialog).to_be_visible()
            await dialog.locator("textarea[name=comment]").fill("现场确认：已开启排风")
            clicked = time.monotonic()
            await dialog.locator("button[value=ok]").click()

            await expect(theirs).to_have_attribute(
                "data-state", "active_acknowledged", timeout=remaining_ms(clicked, 2.0)
            )
            await expect(theirs.locator("button.ack")).to_have_count(0)
            await expect(theirs).to_contain_text("operator")
            await expect(mine).to_have_attribute("data-state", "active_acknowledged")
            # Both learnt it from the acknowledgement's delta, neither by fetching the list.
            assert (first.list_fetches(), second.list_fetches()) == fetched
            recent = second.page.locator('#recent-rows tr[data-kind="acknowledged"]')
            await expect(recent.first).to_contain_text("现场确认：已开启排风")

            history = await admin.get(
                "/api/alarms/history", params={"alarm_id": HH, "kind": "acknowledged"}
            )
            (event,) = history.json()["events"]
            assert event["user"] == "operator"
            assert event["comment"] == "处置结论：真实报警。现场确认：已开启排风"  # critical
            assert first.errors == [] and second.errors == []
