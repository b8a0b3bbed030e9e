"""The commissioning view: devices and their links, a Modbus point's raw registers under
the four byte orders, an MQTT device's last payloads, config reload refused with reasons."""

from __future__ import annotations

import re

from browser_kit import hold_tank_level, open_screen, sign_in
from playwright.async_api import Browser, expect

from config.modbus import ByteOrder, DataType
from gateway.demo import DemoHandles
from gateway.sim.modbus_devices import encode


async def test_engineer_compares_byte_orders_and_sees_mqtt_payloads(
    demo: DemoHandles, browser: Browser
) -> None:
    base = demo.parts.server.url
    screen = await open_screen(browser)
    page = screen.page
    await sign_in(page, base, "engineer", "/commissioning", live=False)
    devices = page.locator("#device-rows tr")
    await expect(devices).to_have_count(3, timeout=5000)
    for device in ("tank-gauges", "gas-controller", "dust-collector-1"):
        await expect(page.locator(f'#device-rows tr[data-device="{device}"]')).to_contain_text(
            "已连接", timeout=5000
        )

    with hold_tank_level(demo.plant, 17.25):  # float32, word order ABCD as configured
        await page.click('#device-rows tr[data-device="tank-gauges"]')
        await page.click('#point-rows tr[data-point="DEMO-CHEM/LT-101"]')
        orders = page.locator("#byte-orders tbody tr")
        await expect(orders).to_have_count(4, timeout=5000)
        configured = page.locator('#byte-orders tr[data-order="ABCD"]')
        await expect(configured.locator(".scaled")).to_have_text("17.25", timeout=5000)
        await expect(configured).to_contain_text("当前配置")
        # The other orders give other numbers side by side: that is how one finds the right one.
        assert await page.locator('#byte-orders tr[data-order="CDAB"] .scaled').inner_text() != (
            "17.25"
        )
        words = encode(17.25, DataType.FLOAT32, ByteOrder.ABCD)
        raw = page.locator("#raw-registers tbody tr")
        await expect(raw).to_have_count(2)
        await expect(raw.nth(0)).to_contain_text(f"0x{words[0]:04X}")
        await expect(raw.nth(1)).to_contain_text(f"0x{words[1]:04X}")

    # By keyboard: Tab to a point row, Enter. A 16-bit register reads as int16/uint16
    # (not under 32-bit order names), its raw value a whole number.
    pressure = page.locator('#point-rows tr[data-point="DEMO-CHEM/PT-101"]')
    await pressure.focus()
    await page.keyboard.press("Enter")
    sixteen = page.locator('#byte-orders tr[data-order="int16"]')
    await expect(sixteen).to_contain_text("当前配置", timeout=5000)
    await expect(page.locator("#byte-orders tbody tr")).to_have_count(4)
    await expect(sixteen.locator(".decoded")).to_have_text(re.compile(r"^-?\d+$"))

    await page.click('#device-rows tr[data-device="dust-collector-1"]')
    await expect(page.locator("#payloads")).to_contain_text("demo/dust/line1/dp", timeout=5000)

    # The demo runs without a gateway file: the reload is refused and says why.
    await page.click("#reload-config")
    errors = page.locator("#reload-errors")
    await expect(errors).to_be_visible(timeout=5000)
    await expect(errors).to_contain_text("gateway file")
    await expect(page.locator("#reload-status")).to_contain_text("配置被拒绝")
    # The browser logs the refused reload's 422 itself; nothing else went wrong.
    assert [error for error in screen.errors if "status of 422" not in error] == []

    # An operator is not an engineer: no commissioning link, and the page says so.
    other = await open_screen(browser)
    await sign_in(other.page, base, "operator", "/commissioning", live=False)
    await expect(other.page.locator("#forbidden")).to_be_visible()
    await expect(other.page.locator("#content")).to_be_hidden()
    await expect(other.page.locator('.topbar nav a[href="/commissioning"]')).to_have_count(0)
