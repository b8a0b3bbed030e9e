"""The duty-room pages in both languages, in Chromium: /handover, /trend, /plan and
/enterprise on the demo, and the park wall (/park) on a central instance's app with a real
park registry. Each page is read in the language it opens in, switched live with its
中文/English toggle (no reload) and read again:

- in English, no Chinese character is left in the visible text once the data is taken out:
  names from the site files and the park (enterprises, hazard sources, chemicals, devices,
  points, people and their posts, shifts), which are what they are in any language;
- in zh-CN, no English word is left but units, tags and ids, protocol names and the few
  names that are the same in Chinese text (PDF, Excel, CSV, PNG, HH, LEL, SHA-256...).

One demo, one browser context; screenshots of the English pages: /tmp/pages-*-en.png."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from browser_kit import WALL_SIZE, api_client, hold_gas, open_screen, sign_in, wait_for_alarm
from playwright.async_api import Browser, Page, expect
from support.waiting import poll_until

from config.catalog import Catalog
from config.vocabulary import Priority
from dashboard.app import create_app
from dashboard.hub import Hub
from dashboard.live import LiveState
from dashboard.server import DashboardServer
from dashboard.services import DashboardServices
from gateway.demo import DemoHandles
from gateway.park.registry import ParkRegistry

HH = "DEMO-CHEM/GT-201/HH"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
WORD = re.compile(r"[A-Za-z][A-Za-z]+")
# English a zh-CN page may show: units, protocol and file names, standards, alarm limits,
# the toggle's own word, the brand.
ZH_ALLOWED = {
    "HH", "LL", "LEL", "PDF", "Excel", "CSV", "PNG", "SHA", "GB", "KB", "No", "English",
    "hazgw", "ppm", "kPa", "MPa", "degC", "reports", "chemicals", "plan", "modbus", "tcp",
    "rtu", "mqtt", "Modbus", "MQTT", "TCP", "RTU", "DEMO", "CHEM", "DUST", "PARK",
    "admin", "operator", "engineer", "viewer",  # the demo's users: people's names
}
IDENTIFIER = re.compile(r"[a-z_]+")  # an enum's value in the data: shown only if untranslated
EN_ALLOWED = ("中文", "＋", "－")  # the toggle back; the plan's zoom signs (not words)


# Words an answer also carries in Chinese for other readers: the page must not show them in
# English, so they are not data.
NOT_DATA = re.compile(r".*_zh|reason")


def _strings(value: Any) -> Iterable[str]:
    """Every string in a JSON answer: the page's data, whatever its language."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if not NOT_DATA.fullmatch(key):
                yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


async def _data(page: Page, base: str, paths: Iterable[str]) -> list[str]:
    """The data the pages show (names from the site files, users, shifts), longest first so
    that a name is taken out before any shorter name inside it."""
    found: set[str] = set()
    for path in paths:
        answer = await page.request.get(base + path)
        assert answer.ok, (path, answer.status)
        found.update(s for s in _strings(await answer.json()) if s.strip())
    return sorted(found, key=len, reverse=True)


async def _visible(page: Page) -> str:
    return await page.evaluate("document.body.innerText + '\\n' + document.title")


def _problem(text: str, language: str, data: list[str], where: str) -> str:
    """What is wrong with a page's text in a language ("" when nothing is)."""
    for value in data:
        if language == "en" or not IDENTIFIER.fullmatch(value):
            text = text.replace(value, " ")
    if language == "en":
        for allowed in EN_ALLOWED:
            text = text.replace(allowed, " ")
        left = sorted({text[max(0, m.start() - 12):m.end() + 12].replace("\n", " ")
                       for m in CJK.finditer(text)})
        return f"{where} in English still shows Chinese: {left[:8]}" if left else ""
    words = sorted({w for w in WORD.findall(text) if w not in ZH_ALLOWED})
    return f"{where} in zh-CN shows English words: {words}" if words else ""


async def _read(page: Page, language: str, data: list[str], where: str) -> None:
    """The page's text is right in the language within 5 s (a page that asks the server
    again after the switch, like the park wall, redraws when the answer comes)."""
    problem = ""

    async def right() -> bool:
        nonlocal problem
        problem = _problem(await _visible(page), language, data, where)
        return not problem

    try:
        await poll_until(right, within=5.0, interval=0.1, message=where)
    except AssertionError:
        raise AssertionError(problem) from None


async def _shoot(page: Page, where: str) -> None:
    await page.evaluate("window.scrollTo(0, 0)")  # a full page from its top, header in place
    await page.screenshot(path=f"/tmp/pages-{where}-en.png", full_page=True)


async def _both(page: Page, where: str, data: list[str], ready: str) -> None:
    """Read the page in its language, switch with the toggle (live) and read it again."""
    lang = await page.evaluate("document.documentElement.lang")
    await expect(page.locator(ready).first).to_be_visible(timeout=5000)
    await _read(page, lang, data, where)
    if lang == "en":
        await _shoot(page, where)
    other = "zh-CN" if lang == "en" else "en"
    await page.evaluate("window.__sameDocument = true")  # gone if the toggle reloaded
    await page.locator(".lang-toggle").first.click()
    await expect(page.locator("html")).to_have_attribute("lang", other)
    await _read(page, other, data, where)
    assert await page.evaluate("window.__sameDocument === true"), f"{where} reloaded"
    if other == "en":
        await _shoot(page, where)


async def test_duty_pages_in_both_languages(demo: DemoHandles, browser: Browser) -> None:
    base = demo.parts.server.url
    async with api_client(base, "admin") as admin:
        with hold_gas(demo.plant, 60.0):
            await wait_for_alarm(admin, HH, {"active_unacknowledged"})
            # A signed handover, so that the book and a record are on the page too.
            async with api_client(base, "operator") as operator:
                signed = await operator.post("/api/handovers", json={
                    "notes": "2号罐区巡检正常；GT-201 高高报待复核", "outgoing_password": "demo",
                    "incoming": "engineer", "incoming_password": "demo"})
                assert signed.status_code in (200, 201), signed.text
                record = signed.json()["id"]
            screen = await open_screen(browser, {"width": 1440, "height": 900})
            page = screen.page
            await sign_in(page, base, "admin", "/handover", live=False)
            sites = [e["code"] for e in (await admin.get("/api/enterprises")).json()]
            data = await _data(page, base, [
                "/api/points", "/api/enterprises", "/api/shifts/current", "/api/plans",
                "/api/me", f"/api/handovers/{record}", "/api/handovers/open-items",
                *(f"/api/enterprises/{code}" for code in sites)])
            # Starts in zh-CN, goes to English; the next page opens in English (remembered)
            # and goes back, and so on: both directions, live, on every page.
            await _both(page, "handover", data, "#book-title")
            await page.locator("#book-rows button.open-record").first.click()
            await _both(page, "handover-record", data, "#record-hash")
            await page.goto(f"{base}/trend?point=DEMO-CHEM%2FGT-201&range=1h")
            await _both(page, "trend", data, "#chart canvas")
            await page.goto(f"{base}/plan?site=DEMO-CHEM")
            await _both(page, "plan", data, "#plan .mark")
            await page.locator("#plan .mark.point").first.click()
            await _both(page, "plan-detail", data, "#detail-state")
            await page.goto(f"{base}/enterprise?site=DEMO-CHEM")
            await _both(page, "enterprise", data, '#ent-devices tr[data-point] .q-good')
            await page.select_option("#ent-site", "DEMO-DUST")
            await _both(page, "enterprise-dust", data, '.hs[data-source="DL-1"]')
            assert screen.errors == []
            await screen.context.close()


@asynccontextmanager
async def _park() -> AsyncIterator[str]:
    """A central instance's app with a real park registry: one enterprise online with a 叫应
    call (a critical alarm unacknowledged for 12 minutes), one offline."""
    now = time.time()
    clock = [now - 600.0]
    park = ParkRegistry(offline_after=300.0, call_after={Priority.CRITICAL: 5.0},
                        clock=lambda: clock[0])
    park.on_site("E1", {
        "name": "一号化工",
        "hazard_sources": [{"id": "HS-1", "name": "液氨罐区", "grade": 2, "kind": "tank_farm"}],
        "points": [{"tag": "GT-201", "name": "罐区可燃气体", "kind": "gas", "unit": "%LEL",
                    "source": "HS-1"}],
    })
    park.on_site("E2", {"name": "二号仓储"})
    clock[0] = now
    park.on_heartbeat("E1", {"backlog": 3, "last_data": now - 4, "active": [{
        "alarm_id": "E1/GT-201/HH", "tag": "GT-201", "type": "HH", "priority": "critical",
        "state": "active_unacknowledged", "source": "HS-1", "raised_at": now - 720.0}]}, now)
    park.tick(now)
    live = LiveState()
    app = create_app(DashboardServices(catalog=Catalog([]), live=live, hub=Hub(live), park=park))
    server = DashboardServer(app, host="127.0.0.1", port=0, graceful_timeout=2)
    await server.start()
    try:
        yield server.url
    finally:
        await server.stop()


async def test_park_wall_in_both_languages(browser: Browser) -> None:
    async with _park() as base:
        screen = await open_screen(browser, WALL_SIZE)
        page = screen.page
        await page.goto(f"{base}/park")
        data = await _data(page, base, ["/api/enterprises", "/api/enterprises/E1"])
        await _both(page, "park", data, "#park-alarms li")
        await page.locator('.ent[data-code="E1"]').click()
        await expect(page.locator("#drill-cards .hs").first).to_be_visible()
        await _both(page, "park-detail", data, "#drill-cards .hs")
        assert screen.errors == []
        await screen.context.close()
