"""Annunciation on the wall for every priority, in Chromium: an orange (一级) gas alarm and
a red (二级) one each start their own tone, the page title counts them, and acknowledging
stops the tone. The page's AudioContext is instrumented to record each oscillator start
with its frequency; the sound itself is the browser's real Web Audio."""

from __future__ import annotations

import asyncio

from browser_kit import (
    CONSOLE_SIZE,
    WALL_SIZE,
    api_client,
    hold_gas,
    open_screen,
    sign_in,
    wait_for_alarm,
)
from playwright.async_api import Browser, Page, expect

from gateway.demo import DemoHandles

H = "DEMO-CHEM/GT-201/H"
HH = "DEMO-CHEM/GT-201/HH"

# Every oscillator start is recorded as {f: frequency, at: ms}, then played for real. The
# context starts suspended, as a browser's autoplay policy leaves it until a click (this
# headless Chromium would otherwise allow sound at once).
INSTRUMENT = """
(() => {
  const Real = window.AudioContext;
  window.__tones = [];
  window.AudioContext = class extends Real {
    constructor(...args) {
      super(...args);
      this.suspend();
    }
    createOscillator() {
      const oscillator = super.createOscillator();
      const start = oscillator.start.bind(oscillator);
      oscillator.start = (when) => {
        window.__tones.push({ f: oscillator.frequency.value, at: performance.now() });
        start(when);
      };
      return oscillator;
    }
  };
})();
"""
HIGH_TONE = 740.0  # only the orange tone has it (dashboard/static/audio.js TONES)
CRITICAL_TONE = 1319.0  # only the red one


async def tones(page: Page) -> list[float]:
    return list(await page.evaluate("window.__tones.map((t) => t.f)"))


async def until_tone(page: Page, frequency: float, within: float = 5.0) -> None:
    await page.wait_for_function(
        "(f) => window.__tones.some((t) => t.f === f)", arg=frequency, timeout=within * 1000
    )


async def enable_sound(page: Page, state: str) -> None:
    """A click lifts the browser's autoplay block; until then the screen says, large,
    that the alarm sound is off."""
    banner = page.locator("#audio-blocked")
    await expect(banner).to_be_visible()
    await expect(banner).to_contain_text("报警声音未启用")
    assert await page.evaluate(state) == "suspended"
    await page.click("#audio-blocked")
    await expect(banner).to_be_hidden(timeout=3000)
    assert await page.evaluate(state) == "running"


async def test_orange_and_red_alarms_sound_their_tones_until_acknowledged(
    demo: DemoHandles, browser: Browser
) -> None:
    base = demo.parts.server.url
    wall = await open_screen(browser, WALL_SIZE)
    console = await open_screen(browser, CONSOLE_SIZE)
    page, desk = wall.page, console.page
    await page.add_init_script(INSTRUMENT)
    await desk.add_init_script(INSTRUMENT)
    await sign_in(page, base, "viewer", "/wall")
    await sign_in(desk, base, "operator", "/console")
    await enable_sound(page, "hazgwWall.beeper.state")
    await enable_sound(desk, "hazgwConsole.bell.beeper.state")
    # The duty officer is reading the history: the alarm must reach them there too.
    await desk.click('[data-tab="history"]')
    title = await page.title()

    async with api_client(base, "operator") as operator:
        with hold_gas(demo.plant, 30.0):  # above 25 %LEL: 一级, orange
            await wait_for_alarm(operator, H, {"active_unacknowledged"})
            await expect(page.locator("body")).to_have_attribute("data-tone", "high")
            await until_tone(page, HIGH_TONE)
            assert CRITICAL_TONE not in await tones(page)
            await expect(page.locator("#critical-banner")).to_be_visible()
            await expect(page.locator("#critical-banner")).to_have_attribute(
                "data-priority", "high"
            )
            await expect(page.locator(".tile.flash")).to_have_count(1)
            assert (await page.title()).startswith("(1) ")
            await until_tone(desk, HIGH_TONE)
            await expect(desk.locator("#bell")).to_be_visible()
            await expect(desk.locator("#bell")).to_have_attribute("data-priority", "high")
            assert (await desk.title()).startswith("(1) ")

            with hold_gas(demo.plant, 55.0):  # above 50 %LEL: 二级, red
                await wait_for_alarm(operator, HH, {"active_unacknowledged"})
                await expect(page.locator("body")).to_have_attribute("data-tone", "critical")
                await until_tone(page, CRITICAL_TONE)
                assert (await page.title()).startswith("(2) ")
                await until_tone(desk, CRITICAL_TONE)
                await expect(desk.locator("body")).to_have_attribute("data-tone", "critical")

                answer = await operator.post(
                    "/api/alarms/ack",
                    json={"ids": [H, HH], "comment": "已到现场", "include_urgent": True,
                          "disposition": "real"},
                )
                answer.raise_for_status()
                assert sorted(answer.json()["acknowledged"]) == sorted([H, HH])
                await expect(page.locator("body")).to_have_attribute("data-sound", "off")
                await expect(page.locator("body")).to_have_attribute("data-tone", "")
                await expect(page.locator("#critical-banner")).to_be_hidden()
                await expect(desk.locator("body")).to_have_attribute("data-sound", "off")
                await expect(desk.locator("#bell")).to_be_hidden()
                heard = len(await tones(page)), len(await tones(desk))
                await asyncio.sleep(2.5)  # longer than the slowest repeat of these tones
                assert (len(await tones(page)), len(await tones(desk))) == heard, (
                    "the tone went on after the acknowledgement"
                )
                assert await page.title() == title
    assert wall.errors == [] and console.errors == []


async def test_silencing_stops_the_tone_is_journalled_and_acknowledges_nothing(
    demo: DemoHandles, browser: Browser
) -> None:
    base = demo.parts.server.url
    console = await open_screen(browser, CONSOLE_SIZE)
    desk = console.page
    await desk.add_init_script(INSTRUMENT)
    await sign_in(desk, base, "operator", "/console")
    await enable_sound(desk, "hazgwConsole.bell.beeper.state")
    async with api_client(base, "operator") as operator:
        with hold_gas(demo.plant, 30.0):
            await wait_for_alarm(operator, H, {"active_unacknowledged"})
            await until_tone(desk, HIGH_TONE)
            await desk.click("#bell-silence")
            await expect(desk.locator("body")).to_have_attribute("data-sound", "silenced")
            await expect(desk.locator("#bell")).to_be_visible()  # still unacknowledged
            detail = (await operator.get(f"/api/alarms/{H}")).json()
            assert detail["alarm"]["state"] == "active_unacknowledged"
            notes = [e for e in detail["events"] if e["kind"] == "note"]
            assert notes and "消音（值班台）" in notes[0]["comment"]
            assert notes[0]["user"] == "operator"
    assert console.errors == []
