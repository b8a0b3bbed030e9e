"""Console and commissioning fixtures. The assembled app comes from tests/dashboard/auth/authkit.py
(the same composition the gateway uses), so both folders test one wiring."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

_TESTS = Path(__file__).resolve().parents[2]
# The project root first (tests/dashboard must not shadow the dashboard package), then the
# auth test kit.
for entry in (str(_TESTS.parent), str(_TESTS / "dashboard" / "auth")):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from authkit import FakeClock  # noqa: E402


@pytest.fixture(autouse=True)
def _quiet_web_libraries() -> None:
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "websockets", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
