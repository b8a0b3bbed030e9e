"""Words: in zh-CN mode the console, the wall and the commissioning screen show no English
word (an ASCII word of 3 or more letters) except names and codes (tags, device and site ids,
units, protocol and brand names, user names); in English mode they show no Chinese except
the plant's own names from the site files. Run on the demo during a comm-loss drill, so that
the engine's own alarm comments ("no valid reading for 30 s") and a comm-loss timeout are on
screen."""

from __future__ import annotations

import re

from browser_kit import CONSOLE_SIZE, WALL_SIZE, Screen, api_client, open_screen, sign_in
from playwright.async_api import Browser, Page, expect
from support.waiting import poll_until

from config.catalog import Catalog
from gateway.demo import DEMO_SHIFTS, DemoHandles

# Names and codes, not words: units, protocols and brands, the demo's user names, the
# language toggle's own label (English in zh-CN mode, 中文 in English mode).
ALLOWED = {
    "LEL", "VOL", "OEL", "IDLH", "MPa", "kPa", "NH3", "H2S", "ppm", "hazgw", "Modbus", "modbus",
    "MQTT", "mqtt", "TCP", "tcp", "RTU", "rtu", "SHA", "CSV", "English", "viewer", "operator",
    "engineer", "admin", "EEMUA", "ISA",
}
TOKEN = re.compile(r"[A-Za-z0-9_.:%/+-]+")
WORD = re.compile(r"[A-Za-z]{3,}")
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]+")


def codes(catalog: Catalog) -> set[str]:
    """Ids the plant gave itself: tags, devices, sites, hazard sources, routes."""
    found: set[str] = set()
    for site in catalog.sites:
        found.add(site.enterprise.code)
        found.update(source.id for source in site.hazard_sources)
        found.update(device.id for device in site.devices)
        found.update(point.tag for _, point in site.points())
    return found


def names(catalog: Catalog, levels: list[str]) -> list[str]:
    """The plant's own names (Chinese in the demo), the names of the notification levels
    (who is called: 当班人员) and of the shifts (白班), longest first; and the language
    toggle's label 中文."""
    found: set[str] = {"中文", *levels}
    for site in catalog.sites:
        found.add(site.enterprise.name)
        found.update(source.name for source in site.hazard_sources)
        found.update(device.name for device in site.devices if device.name)
        found.update(point.name for _, point in site.points())
    return sorted(found, key=len, reverse=True)


def english_words(text: str, allowed_codes: set[str]) -> list[str]:
    bad = []
    for token in TOKEN.findall(text):
        core = token.strip(".:/%+-")
        if core in ALLOWED or core in allowed_codes or not WORD.search(core):
            continue
        if re.fullmatch(r"[A-Z0-9]+(?:-[A-Z0-9]+)+", core):  # GT-201, DEMO-CHEM
            continue
        if any(part in ALLOWED or part in allowed_codes for part in re.split(r"[/:_]", core)):
            continue
        bad.append(token)
    return sorted(set(bad))


def chinese(text: str, plant_names: list[str]) -> list[str]:
    for name in plant_names:
        text = text.replace(name, " ")
    return sorted(set(CJK.findall(text)) - {"，", "。", "：", "（", "）"})


async def visible_text(page: Page) -> str:
    text: str = await page.evaluate("document.body.innerText")
    return text


async def test_zh_screens_are_chinese_and_en_screens_english(
    demo: DemoHandles, browser: Browser
) -> None:
    base = demo.parts.server.url
    catalog = demo.parts.catalog
    demo.plant.start_scenario("device_failure")
    async with api_client(base, "viewer") as viewer:

        async def comm_loss() -> bool:
            alarms = (await viewer.get("/api/alarms")).json()["alarms"]
            return any(alarm["type"] == "COMM_LOSS" for alarm in alarms)

        await poll_until(comm_loss, within=90, interval=0.5, message="a comm-loss alarm")

    screens: list[tuple[str, Screen]] = []
    for path, user in (("/console", "operator"), ("/wall", "viewer"),
                       ("/commissioning", "engineer")):
        screen = await open_screen(browser, WALL_SIZE if path == "/wall" else CONSOLE_SIZE)
        await sign_in(screen.page, base, user, path, live=path != "/commissioning")
        screens.append((path, screen))
    console = screens[0][1].page
    await expect(console.locator("#alarm-rows")).to_contain_text("超时")
    await expect(console.locator("#recent-rows")).to_contain_text("秒无有效读数")
    commissioning = screens[2][1].page
    await commissioning.locator("tr[data-device]").first.click()
    await expect(commissioning.locator("#point-rows")).to_contain_text("数据")

    allowed_codes = codes(catalog)
    notifications = demo.gateway.config.notifications
    levels = [level.name for route in notifications.routes for level in route.escalation
              ] if notifications is not None else []
    levels += [shift.name for shift in DEMO_SHIFTS.shifts]
    plant_names = names(catalog, levels)
    found: dict[str, list[str]] = {}
    for path, screen in screens:
        await screen.page.screenshot(path=f"/tmp/kpi-words-zh{path.replace('/', '-')}.png")
        found[f"zh {path}"] = english_words(await visible_text(screen.page), allowed_codes)
    for path, screen in screens:
        await screen.page.click(".lang-toggle, [data-lang-toggle]")
        await expect(screen.page.locator("html")).to_have_attribute("lang", "en")
        await screen.page.screenshot(path=f"/tmp/kpi-words-en{path.replace('/', '-')}.png")
        found[f"en {path}"] = chinese(await visible_text(screen.page), plant_names)
        await screen.page.click(".lang-toggle, [data-lang-toggle]")  # leave it as it was
    assert {key: words for key, words in found.items() if words} == {}
