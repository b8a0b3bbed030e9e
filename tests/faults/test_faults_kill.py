"""``kill -9`` of the gateway process and a restart: every QoS 1 message the broker
accepted reaches InfluxDB (the broker sends again what was not acknowledged, and nothing is
acknowledged before it is on disk); of the polled Modbus readings at most the last group
commit's are lost."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest
from fault_kit import COMMIT, POLL, GatewayProcess, Plant, publishing

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


async def test_kill_9_and_restart(plant: Plant) -> None:
    config = plant.write_config()
    gateway = GatewayProcess(config, plant.state_dir, plant.http_port)
    await gateway.start()
    try:
        async with publishing(plant.address, rate=50) as publisher:
            await plant.until_stored(300, within=20)
            await asyncio.sleep(1)
            killed_at = time.time()
            await gateway.kill()
            await asyncio.sleep(1)  # the stream goes on; the broker keeps it for us
            await gateway.start()
            await asyncio.sleep(1)
        sent = publisher.readings
        stored = await plant.until_stored(sent, within=20)
        times = await plant.modbus_times()
    finally:
        await gateway.stop()
    assert stored == (sent, 0.0, float(sent - 1)), f"sent {sent}, stored {stored}"

    before = [t for t in times if t < killed_at]
    assert len(before) > 10
    # The readings polled in the last group commit before the kill may be lost, no more:
    # the newest stored one is at most a commit interval (plus a poll) older than the kill.
    lost_window = killed_at - before[-1]
    assert lost_window <= COMMIT + POLL + 0.1, f"{lost_window:.3f} s of Modbus readings lost"
    # And nothing went missing earlier: polls every POLL seconds, no holes.
    gaps = [b - a for a, b in itertools.pairwise(before)]
    assert max(gaps) < 3 * POLL, f"a hole of {max(gaps):.3f} s before the kill"
    after = [t for t in times if t > killed_at]
    assert after, "Modbus readings after the restart"
