"""mosquitto restarted (its persistence on): the gateway's session and the QoS 1 messages
queued in it survive, and every numbered reading reaches InfluxDB."""

from __future__ import annotations

import asyncio

import pytest
from fault_kit import Plant, gateway_in_process, publishing

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


async def test_broker_restart_loses_nothing(plant: Plant) -> None:
    config = plant.write_config()
    async with gateway_in_process(config, plant.state_dir) as gateway:
        async with publishing(plant.address, rate=50) as publisher:
            await plant.until_stored(300, within=15)
            await plant.broker.stop()
            await asyncio.sleep(2)
            await plant.broker.start()
            await asyncio.sleep(3)
        assert publisher.reconnects >= 1
        sent = publisher.readings
        stored = await plant.until_stored(sent, within=30)
        collector = next(c for c in gateway.parts.collectors if c.name.startswith("mqtt"))
        assert collector.health.counters["connects"] >= 2
    assert stored == (sent, 0.0, float(sent - 1)), f"sent {sent}, stored {stored}"
