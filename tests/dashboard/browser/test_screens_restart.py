"""A wall display paired with a display token rides out a gateway restart: it says it is
disconnected (never stale data as live), reconnects by itself and shows live values again."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from browser_kit import WALL_SIZE, api_client, hold_tank_level, open_screen, running_demo
from playwright.async_api import Browser, expect

LEVEL = "DEMO-CHEM/LT-101"


async def test_wall_reconnects_after_the_gateway_restarts(browser: Browser, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    screen = await open_screen(browser, WALL_SIZE)
    page = screen.page
    async with running_demo(state, use_influxd=False) as first:
        base = first.parts.server.url
        async with api_client(base, "admin") as admin:
            answer = await admin.post("/api/display-tokens", json={"name": "调度大厅大屏"})
            assert answer.status_code == 201, answer.text
            token = answer.json()["token"]
        # Paired: nobody types a password on the wall.
        await page.goto(f"{base}/wall?display_token={token}")
        await expect(page.locator("#conn-state")).to_have_text("已连接", timeout=5000)
        assert "display_token" not in page.url  # kept in storage, not in the address bar
        await expect(page.locator("#who")).to_contain_text("大屏令牌")
        value = page.locator(f'.val[data-point="{LEVEL}"] .value')
        with hold_tank_level(first.plant, 11.11):
            await expect(value).to_have_text("11.11", timeout=3000)

    # The gateway is gone: the wall says so and greys out what it shows.
    banner = page.locator("#disconnected-banner")
    await expect(banner).to_be_visible(timeout=5000)
    await expect(banner).to_contain_text("不是实时数据")
    await expect(page.locator("body")).to_have_class(re.compile(r"\bstale\b"))
    await expect(page.locator("#conn-state")).to_have_text("连接断开")
    await expect(page.locator("#gateway-state")).to_have_text("不可达", timeout=5000)

    port = urlsplit(base).port
    async with running_demo(state, port=port, use_influxd=False) as second:
        with hold_tank_level(second.plant, 12.34):
            # Reconnects by itself (backoff at most 10 s) and resyncs from a new snapshot.
            await expect(banner).to_be_hidden(timeout=15000)
            await expect(page.locator("#conn-state")).to_have_text("已连接")
            await expect(value).to_have_text("12.34", timeout=5000)
        await expect(page.locator("body")).not_to_have_class(re.compile(r"\bstale\b"))
        await expect(page.locator("#gateway-state")).not_to_have_text("不可达", timeout=7000)
        assert urlsplit(page.url).path == "/wall"  # still paired, not sent to /login
    # While the gateway was down the browser logged refused connections; nothing else.
    assert [error for error in screen.errors if "net::ERR_" not in error] == []
