"""Every screen under the Content-Security-Policy, with zero violations: the sign-in page,
the wall, the console (with a trend drawn by uPlot and its dialogs), commissioning, and the
console on a phone. A violation is caught by the page's own ``securitypolicyviolation``
event (installed before any script of the page runs) and by the console, where Chromium
reports "Refused to ...". The headers each page arrived with are checked as well."""

from __future__ import annotations

from dataclasses import dataclass, field

from browser_kit import CONSOLE_SIZE, WALL_SIZE, Screen, open_screen, sign_in
from playwright.async_api import Browser, Page, Response, ViewportSize, expect

from dashboard.headers import CSP
from gateway.demo import DemoHandles

WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ` +
                              `${event.sourceFile}:${event.lineNumber}`);
});
"""
PHONE: ViewportSize = {"width": 390, "height": 844}


@dataclass
class Watched:
    screen: Screen
    navigations: list[Response] = field(default_factory=list)

    @property
    def page(self) -> Page:
        return self.screen.page


async def _watched(browser: Browser, viewport: ViewportSize = CONSOLE_SIZE) -> Watched:
    watched = Watched(await open_screen(browser, viewport))
    await watched.screen.context.add_init_script(WATCH)

    def navigated(response: Response) -> None:
        if response.request.is_navigation_request():
            watched.navigations.append(response)

    watched.page.on("response", navigated)
    return watched


async def _no_violations(watched: Watched) -> None:
    screen = watched.screen
    violations = await screen.page.evaluate("window.__cspViolations")
    assert violations == [], violations
    refused = [e for e in screen.errors if "Content Security Policy" in e or "Refused" in e]
    assert refused == [] and screen.errors == [], screen.errors
    assert watched.navigations
    for response in watched.navigations:
        headers = await response.all_headers()
        assert headers.get("content-security-policy") == CSP, response.url
        assert headers.get("x-frame-options") == "DENY", response.url


async def _style(page: Page, selector: str, prop: str) -> str:
    value: str = await page.locator(selector).first.evaluate(
        f"(e) => getComputedStyle(e).getPropertyValue({prop!r})"
    )
    return value


async def test_no_screen_violates_the_policy(demo: DemoHandles, browser: Browser) -> None:
    base = demo.parts.server.url
    login = await _watched(browser)
    await login.page.goto(base + "/login")
    await expect(login.page.locator("#login-form")).to_be_visible()
    await _no_violations(login)

    wall = await _watched(browser, WALL_SIZE)
    await sign_in(wall.page, base, "viewer", "/wall")
    await expect(wall.page.locator(".tile").first).to_be_visible(timeout=5000)
    await _no_violations(wall)

    console = await _watched(browser)
    await sign_in(console.page, base, "operator", "/console")
    demo.plant.start_scenario("gas_leak")
    trend_button = console.page.locator("#alarm-rows button.trend").first
    await expect(trend_button).to_be_visible(timeout=15000)
    await trend_button.click()
    await expect(console.page.locator("#trend-dialog")).to_be_visible()
    await expect(console.page.locator("#trend-chart .uplot")).to_be_visible(timeout=5000)
    # The layout that moved out of style="" attributes is what it was.
    assert await _style(console.page, "#trend-title", "margin") == "0px"
    assert await _style(console.page, "#trend-events", "max-height") == "220px"
    assert await _style(console.page, "#trend-events", "overflow-y") == "auto"
    await console.page.click("#trend-close")
    assert await _style(console.page, "#bulk-actions", "margin") == "0px"
    await _no_violations(console)

    commissioning = await _watched(browser)
    await sign_in(commissioning.page, base, "engineer", "/commissioning", live=False)
    await expect(commissioning.page.locator("#device-rows tr").first).to_be_visible(
        timeout=5000
    )
    assert await _style(commissioning.page, ".grid-2.spaced-top", "margin-top") == "14px"
    await commissioning.page.click('#device-rows tr[data-device="tank-gauges"]')
    await commissioning.page.click('#point-rows tr[data-point="DEMO-CHEM/LT-101"]')
    await expect(commissioning.page.locator("#byte-orders tbody tr")).to_have_count(
        4, timeout=5000
    )
    assert await _style(commissioning.page, "#byte-orders", "margin-top") == "12px"
    assert await _style(commissioning.page, "#byte-orders td.scaled", "font-size") == "18px"
    await _no_violations(commissioning)

    phone = await _watched(browser, PHONE)
    await sign_in(phone.page, base, "operator", "/console")
    await _no_violations(phone)
