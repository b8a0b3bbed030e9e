"""The buffer's own limits: full (a small size limit during an outage) and damaged on disk.
The gateway keeps running in both, counts what it lost and says so in its health; a full
buffer, and writes failing for long, are alarms a person must acknowledge."""

from __future__ import annotations

import asyncio

import pytest
from fault_kit import Plant, gateway_in_process, operator_client, publishing
from support.waiting import poll_until

from alerting.engine import AlarmEngine
from alerting.events import AlarmState
from alerting.statemachine import AlarmRecord
from config.catalog import PointKey
from gateway.selfwatch import GATEWAY_SITE, SelfAlarmSettings, drop_key, write_key
from gateway.sinks import buffer_directory, storage_component

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


# Short windows, so that the alarms rise and return within the test.
SELF_ALARMS = SelfAlarmSettings(interval=0.2, drop_window=3.0, write_failing_after=1.0)
DROPPING = drop_key("influx_v1")
FAILING = write_key("influx_v1")


def record(engine: AlarmEngine, key: PointKey) -> AlarmRecord | None:
    return next((r for r in engine.active() if r.point == key), None)


async def test_full_buffer_drops_oldest_counts_alarms_and_recovers(plant: Plant) -> None:
    config = plant.write_config(memory=1000, max_bytes=256 * 1024)
    async with gateway_in_process(config, plant.state_dir, SELF_ALARMS) as gateway:
        storage = gateway.storage
        assert storage is not None and gateway.parts is not None
        engine = gateway.parts.engine
        http = await operator_client(gateway)
        async with publishing(plant.address, rate=100, per_message=100) as publisher:
            await plant.until_stored(1000, within=15)
            assert engine.active() == []  # a healthy gateway raises nothing of its own
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
            # An alarm, not only a line in /api/health: in the engine (journalled, heard
            # by the notifier and the screens) and on /api/alarms, naming sink and count.
            await poll_until(
                lambda: record(engine, DROPPING) is not None, within=5,
                message="the buffer alarm",
            )
            await poll_until(
                lambda: record(engine, FAILING) is not None, within=5,
                message="the failing-writes alarm",
            )
            dropping = record(engine, DROPPING)
            assert dropping is not None and dropping.active
            assert dropping.state is AlarmState.UNACK and (dropping.value or 0) >= 1
            listed = {a["tag"]: a for a in (await http.get("/api/alarms")).json()["alarms"]}
            alarm = listed[DROPPING.tag]
            assert alarm["site"] == GATEWAY_SITE and alarm["active"] is True
            assert alarm["state"] == "active_unacknowledged" and alarm["priority"] == "high"
            assert "influx_v1" in alarm["point_name"] and alarm["value"] >= 1
            assert alarm["unit"] == "条" and alarm["site_name"] and alarm["hazard_source_name"]
            # Not a plant point: no hazard-source tile on the wall.
            points = (await http.get("/api/points")).json()["points"]
            assert points and all(p["site"] != GATEWAY_SITE for p in points)
            assert listed[FAILING.tag]["active"] is True
            await plant.influx.start()
            await asyncio.sleep(1)
        sent = publisher.readings
        await plant.until_stored(sent - storage.buffer.health.dropped, within=20)
        # The writer's retry backoff grows to 30 s (max_retry_delay) over a long outage, as
        # it may on a loaded machine: the bound is one full backoff plus the drain.
        await poll_until(lambda: len(storage.buffer) == 0, within=45, message="drained")
        health = storage.buffer.health
        count, _, newest = await plant.until_stored(sent, within=1)
        # Writes succeed again: that alarm returns at once; the buffer's once a whole
        # window passed without a drop. Both wait for a person's acknowledgement.
        await poll_until(
            lambda: all(
                (r := record(engine, key)) is not None and not r.active
                for key in (DROPPING, FAILING)
            ),
            within=15, message="the gateway's alarms to return",
        )
        listed = {a["tag"]: a for a in (await http.get("/api/alarms")).json()["alarms"]}
        assert listed[DROPPING.tag]["state"] == "returned_unacknowledged"
        for key in (DROPPING, FAILING):
            answer = await http.post(
                f"/api/alarms/{key.site}/{key.tag}/H/ack", json={"comment": "已处置 handled"}
            )
            assert answer.status_code == 200, answer.text
        assert engine.active() == []
        assert (await http.get("/api/alarms")).json()["alarms"] == []
        await http.aclose()
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
