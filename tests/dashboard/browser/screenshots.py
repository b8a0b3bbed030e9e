"""Take the screenshots kept in docs/ (``make screenshots``), never as part of the tests.

Runs the demo stack (simulated plant, gateway, web server on a free loopback port), signs
in through /login in Debian's Chromium, starts a gas leak and a detector fault, and once
the critical alarm is on the screens writes:

    docs/screenshot-wall.png     the wall display, 1920x1080, as a viewer
    docs/screenshot-console.png  the duty console, 1600x900, as an operator
    docs/screenshot-phone.png    the duty console on a phone, 390x844

    python tests/dashboard/browser/screenshots.py [--out DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from pathlib import Path

from playwright.async_api import ViewportSize, async_playwright, expect

_HERE = Path(__file__).resolve().parent
for _entry in (str(_HERE.parents[2]), str(_HERE)):  # the project root, then browser_kit
    if _entry not in sys.path:
        sys.path.insert(0, _entry)

from browser_kit import (  # noqa: E402
    ARGS,
    CHROMIUM,
    CONSOLE_SIZE,
    DOCS,
    WALL_SIZE,
    open_screen,
    running_demo,
    sign_in,
)

PHONE_SIZE: ViewportSize = {"width": 390, "height": 844}
HH = "DEMO-CHEM/GT-201/HH"
WAIT_MS = 30_000


async def take(out: Path) -> list[Path]:
    with tempfile.TemporaryDirectory(prefix="hazgw-shots-") as state:
        async with (
            running_demo(Path(state), plant_speed=12.0, use_influxd=False) as demo,
            async_playwright() as playwright,
        ):
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                base = demo.parts.server.url
                wall = await open_screen(browser, WALL_SIZE)
                console = await open_screen(browser, CONSOLE_SIZE)
                phone = await open_screen(browser, PHONE_SIZE)
                await sign_in(wall.page, base, "viewer", "/wall")
                await sign_in(console.page, base, "operator", "/console")
                await sign_in(phone.page, base, "operator", "/console")
                demo.plant.start_scenario("detector_fault")
                demo.plant.start_scenario("gas_leak")
                for screen in (console, phone):
                    row = screen.page.locator(f'tr[data-alarm="{HH}"]')
                    await expect(row).to_be_visible(timeout=WAIT_MS)
                await expect(wall.page.locator("#critical-banner")).to_be_visible(timeout=WAIT_MS)
                shots = [
                    (wall, out / "screenshot-wall.png"),
                    (console, out / "screenshot-console.png"),
                    (phone, out / "screenshot-phone.png"),
                ]
                for screen, path in shots:
                    await screen.page.screenshot(path=str(path))
                problems = [error for screen, _ in shots for error in screen.errors]
                if problems:
                    raise SystemExit("the screens logged errors:\n" + "\n".join(problems))
                return [path for _, path in shots]
            finally:
                await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DOCS, help="where to write (default docs/)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if not CHROMIUM.exists():
        raise SystemExit("Debian chromium is not installed (apt-get install chromium)")
    args.out.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(take(args.out)):
        print(path)


if __name__ == "__main__":
    main()
