"""一企一档 in Chromium on the demo: the tank farm's R value computed from its chemicals
(GB 18218-2018), its contacts with phone links, a document uploaded twice as two versions
(both downloadable, the file read back), and its points with their live values."""

from __future__ import annotations

import os
import re
from pathlib import Path

from browser_kit import open_screen, sign_in
from playwright.async_api import Browser, expect

from gateway.demo import DemoHandles


async def test_enterprise_file(browser: Browser, demo: DemoHandles, tmp_path: Path) -> None:
    base = demo.parts.server.url
    screen = await open_screen(browser)
    page = screen.page
    await sign_in(page, base, "engineer", "/enterprise", live=False)
    await expect(page).to_have_url(re.compile(r"/enterprise\?site=DEMO-CHEM$"))
    source = page.locator('.hs[data-source="HS-TF1"]')
    # 1.5 × (1 × 800/500 + 2 × 170/10) = 53.4: 二级, as declared.
    await expect(source).to_contain_text("R = 53.4")
    await expect(source).to_contain_text("计算等级：二级")
    await expect(source).to_contain_text("与申报等级一致")
    await expect(source).to_contain_text("GB 18218-2018 表1/表3")
    phone = page.locator('#ent-contacts a[href="tel:13800000001"]')
    await expect(phone).to_have_text("138 0000 0001")
    await expect(page.locator("#ent-contacts")).to_contain_text("包保责任人")

    first = tmp_path / "应急预案.txt"
    first.write_text("第一版", encoding="utf-8")
    second = tmp_path / "应急预案-修订.txt"
    second.write_text("第二版：增加液氨泄漏处置", encoding="utf-8")
    for file in (first, second):
        await page.set_input_files("#doc-file", str(file))
        await page.click("#doc-form button[type=submit]")
        await expect(page.locator("#doc-error")).to_have_text("")
    rows = page.locator("#ent-docs tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text("第 2 版（现行）")
    await expect(rows.nth(1)).to_contain_text("第 1 版")
    for index, text in ((0, "第二版：增加液氨泄漏处置"), (1, "第一版")):
        href = await rows.nth(index).locator("a").get_attribute("href")
        answer = await page.request.get(base + str(href))
        assert answer.ok and (await answer.body()).decode("utf-8") == text

    level = page.locator('#ent-devices tr[data-point="DEMO-CHEM/LT-101"] .q-good')
    await expect(level).to_have_count(1, timeout=5000)
    await page.select_option("#ent-site", "DEMO-DUST")
    await expect(page.locator('.hs[data-source="DL-1"]')).to_contain_text("未填写危险化学品")
    if os.environ.get("HAZGW_LOOK"):
        await page.select_option("#ent-site", "DEMO-CHEM")
        await expect(source).to_be_visible()
        await page.screenshot(path="/tmp/enterprise.png", full_page=True)
    assert screen.errors == []
