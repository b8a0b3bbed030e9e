"""InfluxDB frozen, then gone for longer than the memory part of the buffer holds: every
numbered reading the broker accepted ends up in InfluxDB, once."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest
from fault_kit import Plant, gateway_in_process, publishing

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


async def test_influxd_frozen_then_stopped_loses_nothing(plant: Plant) -> None:
    # 1,000 readings in memory; the outage below brings more than twice that.
    config = plant.write_config(memory=1000)
    async with gateway_in_process(config, plant.state_dir) as gateway:
        async with publishing(plant.address, rate=50) as publisher:
            await plant.until_stored(300, within=15)
            pid = plant.influx.pid
            assert pid is not None
            os.kill(pid, signal.SIGSTOP)  # frozen: connections hang, nothing answers
            await asyncio.sleep(2)
            os.kill(pid, signal.SIGCONT)
            await plant.influx.stop()  # gone: connections refused
            await asyncio.sleep(4)
            assert gateway.storage is not None
            waiting = len(gateway.storage.buffer)
            assert waiting > 2000, f"only {waiting} readings waited: the outage was too short"
            await plant.influx.start()
            await asyncio.sleep(1)
        sent = publisher.readings
        stored = await plant.until_stored(sent, within=20)
        health = gateway.storage.buffer.health
    assert stored == (sent, 0.0, float(sent - 1)), f"sent {sent}, stored {stored}"
    assert health.dropped == 0
