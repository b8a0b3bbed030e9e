"""Where readings and alarm events go: the durable buffer in the state folder, the writer
that empties it into the database, and the alarm events' copy to the database.

The storage is opened once per process and outlives reloads: a reading in the buffer stays
there until the database confirmed it, whatever the rest of the gateway does meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from alerting.events import AlarmEvent
from collectors.bounded import DropOldestQueue
from collectors.logonce import LogOnce
from config.catalog import Catalog
from config.gateway_file import StorageSettings
from config.modbus import ModbusDeviceBase
from config.mqtt import MqttDevice
from config.site import Site
from dashboard.components import ComponentStatus
from gateway.buffer import BufferOptions, DurableBuffer, max_bytes_for
from gateway.storage.factory import build_writer
from gateway.storage.lineprotocol import ReadingEncoder, encode_alarm_event_lines
from gateway.storage.writer import InfluxWriter

log = logging.getLogger("hazgw")

BUFFER_HOURS = 24.0  # the default buffer holds a day at the expected rate (issue 8)
OVERFLOW_WINDOW = 3600.0  # seconds a past overflow keeps the storage component not ok
SHUTDOWN_DRAIN = 2.0  # seconds of writing at shutdown: what is left stays on disk anyway


class AlarmHistory:
    """Alarm events into InfluxDB for history, off the hot path: a bounded queue drained by
    its own task through the writer (which retries until the database takes them)."""

    def __init__(self, writer: InfluxWriter, catalog: Catalog, capacity: int = 100_000) -> None:
        self._writer = writer
        self.catalog = catalog  # replaced by a reload
        self._queue: DropOldestQueue[AlarmEvent] = DropOldestQueue(capacity)
        self._log = LogOnce(log)
        self.written = 0

    @property
    def dropped(self) -> int:
        return self._queue.dropped

    def accept(self, events: Sequence[AlarmEvent]) -> None:
        if self._queue.extend(events):
            # The journal keeps every event; only the InfluxDB copy can fall behind.
            self._log.log(
                logging.ERROR, "full",
                "alarm history queue full: %d events not copied to InfluxDB", self.dropped,
            )

    async def run(self) -> None:
        while True:
            await self._queue.wait()
            while self._queue:
                batch = self._queue.take(1000)
                await self._writer.write_lines(encode_alarm_event_lines(batch, self.catalog))
                self.written += len(batch)


def expected_rate(sites: Sequence[Site]) -> float:
    """Readings per second the site files lead us to expect: every Modbus point once per
    poll interval, every MQTT point once a second (a pushing device has no interval)."""
    rate = 0.0
    for site in sites:
        for device in site.devices:
            if isinstance(device, ModbusDeviceBase):
                rate += len(device.points) / device.poll_interval
            elif isinstance(device, MqttDevice):
                rate += len(device.points)
    return rate


def buffer_options(settings: StorageSettings, sites: Sequence[Site]) -> BufferOptions:
    """The durable buffer's options from the gateway file; the size defaults to a day at
    the configured (or estimated) rate."""
    wanted = settings.buffer
    rate = wanted.readings_per_second
    if rate is None:
        rate = expected_rate(sites)
    max_bytes = wanted.max_bytes if wanted.max_bytes is not None else max_bytes_for(
        rate, BUFFER_HOURS
    )
    return BufferOptions(
        max_bytes=max_bytes,
        commit_interval=wanted.commit_interval,
        commit_every=wanted.commit_every,
        memory_readings=settings.buffer_capacity,
    )


def buffer_directory(state_dir: Path, settings: StorageSettings) -> Path:
    """One buffer per sink, named by its kind."""
    return state_dir / "buffer" / settings.target.kind


@dataclass
class Storage:
    """The durable buffer, its writer and the alarm history; ``close`` after the tasks."""

    settings: StorageSettings
    buffer: DurableBuffer
    writer: InfluxWriter
    history: AlarmHistory
    opened_at: float = field(default_factory=time.time)

    def use_catalog(self, catalog: Catalog) -> None:
        """A reload brought new points: encode them with their kind and hazard source."""
        self.writer.use_encoder(ReadingEncoder(catalog))
        self.history.catalog = catalog

    async def close(self) -> None:
        await self.buffer.aclose()


async def open_storage(
    settings: StorageSettings | None, sites: Sequence[Site], catalog: Catalog, state_dir: Path
) -> Storage | None:
    """Recover the durable buffer (in a worker thread: it reads what is on disk) and build
    its writer; None, with a warning, when no storage is configured."""
    if settings is None:
        log.warning("no storage configured: readings are not written to any database")
        return None
    options = buffer_options(settings, sites)
    directory = buffer_directory(state_dir, settings)
    buffer = await asyncio.to_thread(
        DurableBuffer.open, directory, options, name=settings.target.kind
    )
    rate = settings.buffer.readings_per_second or expected_rate(sites)
    hours = options.max_bytes / max(rate * 40, 1e-9) / 3600
    log.info(
        "durable buffer %s: up to %.0f MiB on disk, about %.0f h at %.0f readings/s;"
        " group commit every %.3f s or %d readings",
        directory, options.max_bytes / 2**20, hours, rate, options.commit_interval,
        options.commit_every,
    )
    health = buffer.health
    if health.skipped_corrupt:
        log.error(
            "durable buffer %s: skipped %d damaged record(s) (%d bytes) found at start",
            directory, health.skipped_corrupt, health.skipped_bytes,
        )
    writer = build_writer(settings, catalog, buffer, drain_timeout=SHUTDOWN_DRAIN)
    return Storage(settings, buffer, writer, AlarmHistory(writer, catalog))


def storage_component(storage: Storage, now: float) -> ComponentStatus:
    """The storage sink as /api/health shows it. Not ok while the database cannot be
    written, while the buffer drops or has dropped within the last hour, while its disk
    fails, after damaged records were skipped at start, or after a batch was quarantined: each of
    the last three for ``OVERFLOW_WINDOW`` (the counters keep them for good)."""
    health = storage.writer.health
    buffered = storage.buffer.health
    problems: list[str] = []
    if health.connected is False:
        problems.append(health.last_error or "cannot write")
    if buffered.last_drop_at is not None and now - buffered.last_drop_at < OVERFLOW_WINDOW:
        problems.append(
            f"buffer full: {buffered.dropped} oldest readings dropped, the last at "
            f"{_clock_time(buffered.last_drop_at)}"
        )
    if buffered.write_errors and buffered.last_error and buffered.staged:
        problems.append(f"buffer cannot write to disk: {buffered.last_error}")
    if not buffered.writer_alive:
        problems.append(f"buffer writer stopped: {buffered.last_error}")
    recent_start = now - storage.opened_at < OVERFLOW_WINDOW
    if buffered.skipped_corrupt and recent_start:
        problems.append(
            f"{buffered.skipped_corrupt} damaged buffer record(s) skipped "
            f"({buffered.skipped_bytes} bytes)"
        )
    recent_error = health.last_error_at is not None and now - health.last_error_at < OVERFLOW_WINDOW
    if health.quarantined and recent_error:
        problems.append(
            f"{health.quarantined} readings refused by the database, kept in "
            f"{storage.buffer.quarantine_path}"
        )
    return ComponentStatus(
        f"storage {health.target}",
        ok=not problems,
        counters={
            "lines_written": health.lines_written,
            "batches_written": health.batches_written,
            "retries": health.retries,
            "rejected": health.rejected_lines,
            "quarantined": health.quarantined,
            "buffered": buffered.pending + buffered.staged,
            "buffer_bytes": buffered.bytes,
            "dropped": buffered.dropped,
            "skipped_corrupt": buffered.skipped_corrupt,
            "buffer_write_errors": buffered.write_errors,
            "alarm_events_written": storage.history.written,
            "alarm_events_dropped": storage.history.dropped,
        },
        detail="; ".join(problems) if problems else None,
    )


def _clock_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
