"""Auth test fixtures: a fake clock, an AuthService with cheap argon2 parameters, and the
assembled dashboard app on a real uvicorn server (see authkit.py)."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

# tests/ is on sys.path and tests/dashboard would be taken for the `dashboard` package
# (a namespace package); with the project root on sys.path the real package wins.
_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from authkit import AppKit, FakeClock, make_site, running_app  # noqa: E402

from dashboard.auth import TEST_COST, AuthService, AuthSettings  # noqa: E402


@pytest.fixture(autouse=True)
def _quiet_web_libraries() -> None:
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "websockets", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def auth(tmp_path: Path, clock: FakeClock) -> Iterator[AuthService]:
    service = AuthService.open(tmp_path, clock=clock, settings=AuthSettings(hash_cost=TEST_COST))
    try:
        yield service
    finally:
        service.close()


@pytest.fixture
async def app(tmp_path: Path, clock: FakeClock) -> AsyncIterator[AppKit]:
    async with running_app(tmp_path, make_site(), clock=clock) as kit:
        yield kit
