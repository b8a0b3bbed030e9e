"""The unchanged InfluxWriter on a durable buffer, against a real InfluxDB 1.6: an outage,
a shutdown while readings are still waiting, a restart, and every reading arrives once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from buffer_helpers import WAIT, numbered

from config.catalog import Catalog
from config.gateway_file import InfluxV1, StorageSettings
from gateway.buffer import DurableBuffer
from gateway.sim.influx import InfluxdServer, influxd, influxd_available
from gateway.storage import build_writer

pytestmark = pytest.mark.integration

DB = "hazgw"


@pytest.fixture
async def server() -> AsyncIterator[InfluxdServer]:
    if not influxd_available():
        pytest.fail("/usr/bin/influxd missing: apt-get install influxdb (see `make system`)")
    logging.getLogger("gateway.storage").setLevel(logging.CRITICAL)  # the outage is on purpose
    async with influxd() as started:
        yield started


async def emptied(buffer: DurableBuffer) -> None:
    """Until the sink has committed everything put so far."""
    async with asyncio.timeout(WAIT * 2):
        await buffer.until(lambda h: h.pending == 0 and h.staged == 0)


@contextlib.asynccontextmanager
async def writing(url: str, buffer: DurableBuffer) -> AsyncIterator[None]:
    settings = StorageSettings(
        target=InfluxV1(kind="influx_v1", url=url, database=DB),
        batch_size=1000, flush_interval=0.05, max_retry_delay=0.2, timeout=2.0,
    )
    writer = build_writer(settings, Catalog([]), buffer, drain_timeout=0.5)
    task = asyncio.create_task(writer.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            async with asyncio.timeout(WAIT):
                await task


async def test_outage_shutdown_and_restart_lose_nothing(
    tmp_path: Path, server: InfluxdServer
) -> None:
    buffer = DurableBuffer.open(tmp_path)
    async with writing(server.url, buffer):
        buffer.put(numbered(0, 5000))
        await emptied(buffer)
        await server.stop()  # the database goes away while readings keep coming
        for start in range(5000, 12_000, 500):
            buffer.put(numbered(start, 500))
    # the writer gave up draining after 0.5 s; the gateway stops with readings waiting
    waiting = len(buffer)
    assert waiting >= 7000
    await buffer.aclose()

    await server.start()
    reopened = await asyncio.to_thread(DurableBuffer.open, tmp_path)
    assert len(reopened) == waiting
    async with writing(server.url, reopened):
        await emptied(reopened)
    await reopened.aclose()
    rows = await server.rows('SELECT count(value), min(value), max(value) FROM reading', DB)
    assert (rows[0]["count"], rows[0]["min"], rows[0]["max"]) == (12_000, 0.0, 11_999.0)
