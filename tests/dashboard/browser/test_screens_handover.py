"""The handover page in Chromium on the demo: an operator hands over to the engineer (each
types their own password), the signed record opens, prints black on white with its title,
period and both names, and downloads as PDF; the day's report downloads as Excel."""

from __future__ import annotations

import io
import os
import re

import openpyxl
import pypdf
from browser_kit import PASSWORD, open_screen, sign_in
from playwright.async_api import Browser, expect
from support.waiting import poll_until

from gateway.demo import DemoHandles


async def test_handover_signed_printed_and_downloaded(browser: Browser, demo: DemoHandles) -> None:
    base = demo.parts.server.url
    screen = await open_screen(browser)
    page = screen.page
    await sign_in(page, base, "operator", "/handover", live=False)
    await expect(page.locator("#handover-panel")).to_be_visible()
    await expect(page.locator("#ho-outgoing")).to_have_value("operator")
    await expect(page.locator("#shift-now")).to_contain_text("值班")
    await expect(page.locator("#ho-items")).to_contain_text("通讯中断的设备")
    # The console knows the shift and who is on it (the demo's schedule).
    console = await open_screen(browser)
    await sign_in(console.page, base, "viewer")
    badge = console.page.locator("#shift-badge")
    await expect(badge).to_contain_text("值班")
    await expect(badge).to_contain_text(re.compile(r"(白班.*operator|夜班.*engineer)"))
    assert console.errors == []

    await page.get_by_label("交班说明").fill("2号罐区巡检正常；1号罐液位计待校准")
    await page.get_by_label("交班人密码").fill(PASSWORD)
    await page.get_by_label("接班人（用户名）").fill("engineer")
    await page.get_by_label("接班人密码").fill("wrong-password")
    await page.click("#ho-sign")
    await expect(page.locator("#ho-error")).to_contain_text("接班人")
    await page.get_by_label("接班人密码").fill(PASSWORD)
    await page.click("#ho-sign")

    record = page.locator("#record")
    await expect(record).to_be_visible()
    await expect(page.locator("#record-title")).to_contain_text("交接班记录 No.1")
    await expect(page.locator("#record-signatures")).to_contain_text("operator")
    await expect(page.locator("#record-signatures")).to_contain_text("engineer")
    await expect(page.locator("#book-rows tr")).to_have_count(1)

    # Printed: only the record, dark text on white, title and period kept.
    await page.emulate_media(media="print")
    await expect(page.locator("#handover-panel")).to_be_hidden()
    await expect(page.locator("#topbar")).to_be_hidden()
    await expect(page.locator("#record-title")).to_be_visible()
    await expect(page.locator("#record-period")).to_be_visible()
    colours = await page.evaluate("""() => {
        const s = (id) => getComputedStyle(document.getElementById(id));
        return [s('record').backgroundColor, s('record-title').color,
                getComputedStyle(document.body).backgroundColor];
    }""")
    assert colours == ["rgb(255, 255, 255)", "rgb(0, 0, 0)", "rgb(255, 255, 255)"], colours
    if os.environ.get("HAZGW_LOOK"):
        await page.screenshot(path="/tmp/handover-print.png", full_page=True)
    await page.emulate_media(media="screen")
    if os.environ.get("HAZGW_LOOK"):
        await page.screenshot(path="/tmp/handover-screen.png", full_page=True)

    pdf_href = await page.locator("#record-pdf").get_attribute("href")
    answer = await page.request.get(base + str(pdf_href))
    assert answer.ok and answer.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(await answer.body()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    for words in ("交接班记录", "operator", "engineer", "1号罐液位计待校准"):
        assert words in text, words

    await page.select_option("#rp-format", "xlsx")
    href = await page.locator("#rp-download").get_attribute("href")
    assert href is not None and href.startswith("/api/reports/daily?") and "format=xlsx" in href
    sheet = await page.request.get(base + href)
    assert sheet.ok
    book = openpyxl.load_workbook(io.BytesIO(await sheet.body()))
    assert str(book["概要"]["A1"].value).startswith("监测日报")
    # The one refused signature is the only error the page saw.
    assert [e for e in screen.errors if "403 (Forbidden)" not in e] == []


async def test_demo_makes_yesterdays_reports_on_start(demo: DemoHandles) -> None:
    """The demo's gateway file has reports: on start the gateway makes yesterday's 日报 as
    PDF and Excel into its state folder and mails it to the demo inbox."""
    jobs = demo.parts.reports
    assert jobs is not None
    await poll_until(lambda: len(jobs.written) >= 2 or jobs.failures, within=20,
                     message="the start-up 日报")
    assert jobs.failures == 0, jobs.last_error
    pdf, xlsx = jobs.written[:2]
    assert pdf.parent == demo.gateway.state_dir / "reports" / "daily"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert openpyxl.load_workbook(xlsx)["概要"]["A1"].value.startswith("监测日报")
    await poll_until(lambda: any("监测日报" in d.subject for d in demo.inbox.deliveries),
                     within=10, message="the 日报 in the demo inbox")
