"""Fixtures of the MQTT collector tests: a real mosquitto per test, quiet client logs."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.sim.broker import BrokerAddress, mosquitto

# pytest puts tests/ on sys.path (for tests/conftest.py), where tests/collectors would be
# taken for the `collectors` package as a namespace package: the editable install's import
# hook only runs after sys.path. With the project root on sys.path too, the real package
# wins. (`python -m pytest` adds it by itself; so would `pythonpath = ["."]` in pyproject.)
_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.append(_ROOT)


@pytest.fixture
async def broker() -> AsyncIterator[BrokerAddress]:
    async with mosquitto() as address:
        yield address


@pytest.fixture(autouse=True)
def _quiet_mqtt_client() -> None:
    logging.getLogger("mqtt").setLevel(logging.CRITICAL)
