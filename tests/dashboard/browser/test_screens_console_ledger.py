"""The 叫应 ledger on screen, in Chromium: the console's alarm detail lists who was called by
which channel, when, the result, the deadline and whether it was met; the link in the
escalation email opens the answer page (after login), acknowledges once and then says it
was used; the detail then names who answered and how. Screenshots: /tmp/ledger-*.png."""

from __future__ import annotations

import re

import pytest
from browser_kit import (
    CONSOLE_SIZE,
    api_client,
    hold_gas,
    open_screen,
    sign_in,
    wait_for_alarm,
)
from playwright.async_api import Browser, ViewportSize, expect
from support.waiting import poll_until

from gateway.demo import DemoHandles

H = "DEMO-CHEM/GT-201/H"
PUBLIC = "https://hazgw.plant.example"
LINK = re.compile(re.escape(PUBLIC) + r"/a/([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)")
PHONE: ViewportSize = {"width": 390, "height": 844}
# As in test_screens_csp: a violation of the Content-Security-Policy is recorded by the page.
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.mark.demo(escalate_after=1.5, consolidation_window=0, public_url=PUBLIC)
async def test_console_detail_shows_the_ledger_and_the_link_answers_once(
    demo: DemoHandles, browser: Browser
) -> None:
    base = demo.parts.server.url
    console = await open_screen(browser, CONSOLE_SIZE)
    await console.context.add_init_script(WATCH)
    desk = console.page
    await sign_in(desk, base, "operator", "/console")
    async with api_client(base, "viewer") as viewer:
        with hold_gas(demo.plant, 30.0):
            await wait_for_alarm(viewer, H, {"active_unacknowledged"})
            mail = (
                await poll_until(
                    lambda: [
                        d for d in demo.inbox.deliveries if d.channel == "email" and H in d.body
                    ],
                    within=20,
                    message="escalation email",
                )
            )[0]
            found = LINK.search(mail.body)
            assert found is not None, mail.body
            token = found.group(1)

            # The alarm detail: level 1 by the shift's webhook, level 2 by email.
            row = desk.locator(f'tr[data-alarm="{H}"]')
            await row.locator("button.trend").click()
            box = desk.locator("#ledger-box")
            # Level 3 may follow 1.5 s after level 2 on a slow machine: at least two rows.
            await expect(box.locator("tr[data-result]").nth(1)).to_be_visible(timeout=5000)
            first = box.locator("tr[data-result]").nth(0)
            await expect(first).to_contain_text("第1级 当班人员")
            await expect(first).to_contain_text("shift（Webhook）")
            await expect(first).to_contain_text("已送达")
            await expect(first).to_have_attribute("data-met", "missed")
            second = box.locator("tr[data-result]").nth(1)
            await expect(second).to_contain_text("safety-manager（邮件）")
            await expect(second).to_contain_text("safety-manager@localhost")
            await expect(box).to_contain_text("尚无人确认")
            await desk.screenshot(path="/tmp/ledger-console.png")
            await desk.locator("#trend-close").click()

            # The email's link on a phone: login first, then back to the link.
            phone = await open_screen(browser, PHONE)
            await phone.context.add_init_script(WATCH)
            await sign_in(phone.page, base, "operator", f"/a/{token}", live=False)
            page = phone.page
            await expect(page.locator("#answer-heading")).to_contain_text("GT-201")
            await expect(page.locator("#answer-for")).to_contain_text("第2级（安全管理人员）")
            await page.screenshot(path="/tmp/ledger-answer-phone.png")
            await page.fill("#answer-comment", "已安排巡检")
            await page.click("#answer-ack")
            await expect(page.locator("#answer-message")).to_contain_text("已确认：operator")
            await page.screenshot(path="/tmp/ledger-answer-done-phone.png")
            await wait_for_alarm(viewer, H, {"active_acknowledged"})

            # A second use of the same link: refused, in words, in both languages.
            await page.goto(f"{base}/a/{token}")
            message = page.locator("#answer-message")
            await expect(message).to_contain_text("已被 operator")
            await expect(page.locator("#answer-alarm")).to_be_hidden()
            await page.click("[data-lang-toggle]")
            await expect(message).to_contain_text("already used by operator")
            await page.screenshot(path="/tmp/ledger-answer-used-phone.png")
            await page.goto(f"{base}/a/{token[:-4]}AAAA")
            await expect(message).to_contain_text("not issued by this gateway")
            assert await page.evaluate("window.__cspViolations") == []
            csp = (await page.request.get(f"{base}/a/{token}")).headers
            assert "script-src 'self'" in csp["content-security-policy"]

            # The detail now says who answered, how and when.
            await row.locator("button.trend").click()
            answers = box.locator("table").nth(1)
            await expect(answers).to_contain_text("operator")
            await expect(answers).to_contain_text("通知链接（第2级（安全管理人员））")
            await answers.scroll_into_view_if_needed()
            await desk.screenshot(path="/tmp/ledger-console-answered.png")
            # In English (the toggle sits behind the modal detail: close it first).
            await desk.locator("#trend-close").click()
            await desk.click(".lang-toggle")
            await row.locator("button.trend").click()
            await expect(box.locator("tr[data-result]").nth(1)).to_contain_text(
                "safety-manager (email)"
            )
            await expect(answers).to_contain_text("notice link (第2级（安全管理人员）)")
            await desk.screenshot(path="/tmp/ledger-console-answered-en.png")
            assert await desk.evaluate("window.__cspViolations") == []

            # The console's detail on the phone: the ledger table scrolls, it is not cut.
            pocket = await open_screen(browser, PHONE)
            await sign_in(pocket.page, base, "operator", "/console")
            pocket_row = pocket.page.locator(f'tr[data-alarm="{H}"]')
            await pocket_row.locator("button.trend").click()
            pocket_box = pocket.page.locator("#ledger-box")
            # As many rows as the journal's ledger holds (level 3 comes only when the link's
            # acknowledgement was later than its deadline).
            ledger = (await viewer.get(f"/api/alarms/{H}/ledger")).json()
            assert len(ledger["notices"]) >= 2
            await expect(pocket_box.locator("tr[data-result]")).to_have_count(
                len(ledger["notices"]), timeout=5000
            )
            await pocket_box.scroll_into_view_if_needed()
            await pocket.page.screenshot(path="/tmp/ledger-console-phone.png")
            assert pocket.errors == []
            assert console.errors == [] and phone.errors == []
