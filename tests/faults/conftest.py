"""The plant every fault test runs against: persistent mosquitto, a Modbus device, influxd."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fault_kit import DB, Plant

from gateway.sim.broker import PersistentMosquitto, mosquitto_binary
from gateway.sim.influx import influxd, influxd_available
from gateway.sim.modbus_devices import SimModbusServer


@pytest.fixture
async def plant(tmp_path: Path) -> AsyncIterator[Plant]:
    if not influxd_available() or mosquitto_binary() is None:
        pytest.fail("influxd and mosquitto are needed: apt-get install influxdb mosquitto")
    # Outages here are on purpose: keep their warnings out of the test output.
    for name in ("gateway.storage", "collectors.mqtt", "hazgw", "gateway.buffer"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    devices = SimModbusServer([1])
    devices.write_registers(1, "holding", 0, [10])
    await devices.start()
    try:
        async with (
            PersistentMosquitto(tmp_path / "broker") as broker,
            influxd() as influx,
        ):
            await influx.create_database(DB)
            yield Plant(tmp_path, broker.address, devices, influx, broker=broker)
    finally:
        await devices.stop()
