"""Duty-room fixtures: the assembled app of tests/dashboard/auth/authkit.py."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

_TESTS = Path(__file__).resolve().parents[2]
for entry in (str(_TESTS.parent), str(_TESTS / "dashboard" / "auth")):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from authkit import FakeClock  # noqa: E402


@pytest.fixture(autouse=True)
def _quiet_web_libraries() -> None:
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
