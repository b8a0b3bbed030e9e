"""The buffer's own limits: full (a small size limit during an outage) and damaged on disk.
The gateway keeps running in both, counts what it lost and says so in its health."""

from __future__ import annotations

import asyncio

import pytest
from fault_kit import Plant, gateway_in_process, publishing
from support.waiting import poll_until

from gateway.sinks import buffer_directory, storage_component

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


async def test_full_buffer_drops_oldest_counts_alarms_and_recovers(plant: Plant) -> None:
    config = plant.write_config(memory=1000, max_bytes=256 * 1024)
    async with gateway_in_process(config, plant.state_dir) as gateway:
        storage = gateway.storage
        assert storage is not None
        async with publishing(plant.address, rate=100, per_message=100) as publisher:
            await plant.until_stored(1000, within=15)
            await plant.influx.stop()
            await poll_until(
                lambda: storage.buffer.health.dropped > 5000, within=20,
                message="the buffer to overflow",
            )
            status = storage_component(storage, gateway.clock())
            assert not status.ok and status.detail is not None
            assert "buffer full" in status.detail and "dropped" in status.detail
            assert status.counters["dropped"] > 5000
            assert not gateway_task_failed(gateway)
            await plant.influx.start()
            await asyncio.sleep(1)
        sent = publisher.readings
        await plant.until_stored(sent - storage.buffer.health.dropped, within=20)
        await poll_until(lambda: len(storage.buffer) == 0, within=15, message="drained")
        health = storage.buffer.health
        count, _, newest = await plant.until_stored(sent, within=1)
    # The oldest went, the newest are there; every reading is stored or counted dropped.
    assert newest == float(sent - 1)
    assert count < sent
    assert sent - count <= health.dropped  # the drop count also holds Modbus readings
    assert health.bytes <= 256 * 1024 + 64 * 1024


def gateway_task_failed(gateway: object) -> bool:
    parts = gateway.parts  # type: ignore[attr-defined]
    return parts is None


async def test_damaged_buffer_file_starts_and_reports_what_it_skipped(plant: Plant) -> None:
    config = plant.write_config()
    await plant.influx.stop()  # readings wait in the buffer, then the gateway stops
    async with gateway_in_process(config, plant.state_dir) as gateway:
        assert gateway.storage is not None
        async with publishing(plant.address, rate=50, per_message=100) as publisher:
            await poll_until(
                lambda: gateway.storage is not None and gateway.storage.buffer.health.pending
                >= 5000, within=20, message="readings on disk",
            )
        sent = publisher.readings
        await asyncio.sleep(0.5)
        used = gateway.storage.buffer.health.bytes
    segments = sorted((buffer_directory(plant.state_dir, gateway.config.storage)
                       / "segments").glob("*.seg"))  # type: ignore[arg-type]
    assert segments
    data = bytearray(segments[0].read_bytes())
    data[used // 2] ^= 0xFF  # one flipped byte in the middle of what was written
    segments[0].write_bytes(bytes(data))

    await plant.influx.start()
    async with gateway_in_process(config, plant.state_dir) as gateway:
        storage = gateway.storage
        assert storage is not None
        health = storage.buffer.health
        assert health.skipped_corrupt == 1 and health.skipped_bytes > 0
        status = storage_component(storage, gateway.clock())
        assert not status.ok and status.detail is not None
        assert "damaged buffer record" in status.detail
        await poll_until(lambda: len(storage.buffer) == 0, within=20, message="drained")
        count, _, _ = await plant.numbered()
    # One record (at most 1,000 readings) was lost to the damage; the rest arrived.
    assert sent - 1000 <= count < sent
