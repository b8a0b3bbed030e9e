"""Fixtures of the Modbus collector tests: real pymodbus servers on free loopback ports."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

# pytest puts tests/ on sys.path, where tests/collectors would be taken for the
# `collectors` package (a namespace package); with the project root on sys.path too the
# real package wins. (`pythonpath = ["."]` in pyproject would make this unnecessary.)
_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.append(_ROOT)

from gateway.sim.modbus_devices import SimModbusServer  # noqa: E402


@pytest.fixture
async def tcp_server() -> AsyncIterator[SimModbusServer]:
    """Units 1 and 2 behind one Modbus TCP endpoint, 200 addresses per table."""
    server = SimModbusServer([1, 2], framer="socket", size=200)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def rtu_tcp_server() -> AsyncIterator[SimModbusServer]:
    """Units 1 and 2 behind a serial server: RTU frames over TCP."""
    server = SimModbusServer([1, 2], framer="rtu", size=200)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
