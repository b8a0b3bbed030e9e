"""The console's alarm detail on a phone (390 × 844): the dialog fits the screen's width and
its wide parts (the ledger's tables, the toolbar, the chart) stay inside it, scrolling within
the dialog rather than pushing it past the screen's edge.
Screenshot: /tmp/pages-phone-detail.png."""

from __future__ import annotations

from browser_kit import api_client, hold_gas, open_screen, sign_in, wait_for_alarm
from playwright.async_api import Browser, ViewportSize, expect

from gateway.demo import DemoHandles

HH = "DEMO-CHEM/GT-201/HH"
PHONE: ViewportSize = {"width": 390, "height": 844}

# Layout boxes from the page itself (Playwright's bounding_box is off under mobile scaling):
# the dialog's, and the widest right edge of anything drawn in it.
MEASURE = """(dialog) => {
    const box = dialog.getBoundingClientRect();
    let right = 0;
    for (const node of dialog.querySelectorAll('*')) {
        const scroller = node.parentElement?.closest('#trend-chart, #trend-events, #ledger-box');
        if (scroller && dialog.contains(scroller)) continue;  // scrolls within its box
        const r = node.getBoundingClientRect();
        if (r.width > 0) right = Math.max(right, r.right);
    }
    return { left: box.left, right: box.right, contentRight: right,
             page: document.documentElement.scrollWidth - document.documentElement.clientWidth };
}"""


async def test_alarm_detail_fits_a_phone(demo: DemoHandles, browser: Browser) -> None:
    base = demo.parts.server.url
    async with api_client(base, "admin") as admin:
        with hold_gas(demo.plant, 60.0):
            await wait_for_alarm(admin, HH, {"active_unacknowledged"})
            phone = await open_screen(browser, PHONE)
            page = phone.page
            await sign_in(page, base, "operator", "/console")
            row = page.locator(f'tr[data-alarm="{HH}"]')
            await row.locator("button.trend").click()
            dialog = page.locator("#trend-dialog")
            await expect(dialog).to_be_visible()
            await expect(page.locator("#ledger-box table").first).to_be_visible(timeout=5000)
            await page.screenshot(path="/tmp/pages-phone-detail.png")
            sizes = await dialog.evaluate(MEASURE)
            assert sizes["left"] >= 0 and sizes["right"] <= PHONE["width"], sizes
            assert sizes["contentRight"] <= sizes["right"] + 0.5, sizes
            assert sizes["page"] <= 0, sizes
            # The ledger's tables are wider than the phone: they scroll inside the dialog.
            for scroller in ("#trend-chart", "#trend-events", "#ledger-box"):
                right = await page.locator(scroller).evaluate(
                    "e => e.getBoundingClientRect().right")
                assert right <= sizes["right"], (scroller, right, sizes)
            await phone.context.close()
            assert phone.errors == []
