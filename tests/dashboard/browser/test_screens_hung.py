"""Every page notices a hung gateway within 10 s: the demo gateway runs as its own process,
seven pages are open on it (one browser context each), the process is paused with SIGSTOP
(it still accepts connections and never answers), and each page must show 网关无响应 within
10 s; after SIGCONT the warning goes by itself. (The park page runs on the park demo, a
different process, and is not opened here.)"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from browser_kit import CONSOLE_SIZE, WALL_SIZE, Screen, open_screen, remaining_ms, sign_in
from playwright.async_api import Browser, expect
from support.waiting import poll_until

from gateway.sim.children import die_with_parent

ROOT = Path(__file__).resolve().parents[3]
DETECT_WITHIN = 10.0
# (path, user, live): the pages a duty room keeps open, and who opens them.
PAGES = [
    ("/wall", "viewer", True),
    ("/console", "operator", True),
    ("/commissioning", "engineer", False),
    ("/handover", "operator", False),
    ("/trend", "viewer", False),
    ("/plan", "viewer", True),
    ("/enterprise", "viewer", False),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def demo_process(tmp_path: Path) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    port = free_port()
    state = tmp_path / "state"
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway.cli", "demo", "--port", str(port),
        "--state-dir", str(state),
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "demo.log").open("wb"),
        preexec_fn=die_with_parent,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=2.0) as http:

            async def up() -> bool:
                with contextlib.suppress(httpx.HTTPError):
                    return (await http.get("/login")).status_code == 200
                return False

            await poll_until(up, within=60, message="the demo gateway serves /login")
        yield child, base
    finally:
        if child.returncode is None:
            child.send_signal(signal.SIGCONT)
            child.terminate()
        try:
            await asyncio.wait_for(child.wait(), 30)
        except TimeoutError:
            child.kill()
            await asyncio.wait_for(child.wait(), 10)


async def test_every_page_notices_a_hung_gateway_within_10_s(
    browser: Browser, tmp_path: Path
) -> None:
    async with demo_process(tmp_path) as (child, base):
        screens: list[tuple[str, Screen]] = []
        for path, user, live in PAGES:
            screen = await open_screen(browser, WALL_SIZE if path == "/wall" else CONSOLE_SIZE)
            await sign_in(screen.page, base, user, path, live=live)
            screens.append((path, screen))
        for _, screen in screens:
            await expect(screen.page.locator("#gateway-hung")).to_be_hidden()

        child.send_signal(signal.SIGSTOP)
        stopped = time.monotonic()
        noticed: dict[str, float] = {}
        try:
            for path, screen in screens:
                warning = screen.page.locator("#gateway-hung")
                await expect(warning).to_be_visible(timeout=remaining_ms(stopped, DETECT_WITHIN))
                await expect(warning).to_contain_text("网关无响应")
                if path in ("/wall", "/console"):  # the badge no longer says 已连接
                    await expect(screen.page.locator("#conn-state")).not_to_have_text("已连接")
                noticed[path] = time.monotonic() - stopped
            for path, screen in screens[:3]:
                await screen.page.screenshot(path=f"/tmp/kpi-hung{path.replace('/', '-')}.png")
        finally:
            child.send_signal(signal.SIGCONT)
        resumed = time.monotonic()
        for _, screen in screens:
            await expect(screen.page.locator("#gateway-hung")).to_be_hidden(
                timeout=remaining_ms(resumed, DETECT_WITHIN)
            )
        for _, screen in screens[:2]:  # wall and console: live again by themselves
            await expect(screen.page.locator("#conn-state")).to_have_text(
                "已连接", timeout=remaining_ms(resumed, 3 * DETECT_WITHIN)
            )
        print("noticed after (s):", {path: round(s, 1) for path, s in noticed.items()})
        assert max(noticed.values()) <= DETECT_WITHIN
        for _, screen in screens:
            # Timeouts while paused are logged by the browser as failed requests only.
            assert [e for e in screen.errors if "net::ERR_" not in e and "网关无响应" not in e
                    and "not responding" not in e] == [], screen.errors
            await screen.context.close()
