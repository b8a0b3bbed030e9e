"""The edge uplink: an enterprise gateway's sink that forwards everything to the park.

Readings come out of a ``ReadingBuffer`` (the durable one in a real gateway): take a batch,
publish it to JetStream, wait for the acknowledgement (the stream stored it on its
replicas), and only then ``commit`` it. A failed publish is retried with the same
``Nats-Msg-Id`` until it succeeds: the stream drops a duplicate within its window, and the
central side overwrites a later one (same series, same timestamps). While the park is out
of reach the buffer holds the readings; they drain in order when it is back.

Alarm events (with their journal sequence), a heartbeat (backlog, last success, the active
alarms) and the site description go out beside the readings, each under
``hazgw.<enterprise>.<kind>``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext

from alerting.engine import AlarmEngine
from alerting.events import AlarmEvent
from alerting.journal import AlarmJournal, HistoryQuery
from alerting.statemachine import AlarmRecord
from collectors.backoff import backoff_delays
from collectors.bounded import DropOldestQueue
from collectors.logonce import LogOnce
from collectors.readings import Reading
from config.catalog import Catalog
from config.gateway_file import GatewayConfig
from config.site import Site
from config.uplink import UplinkSettings
from dashboard.components import ComponentStatus
from gateway.pipeline import Batch, MemoryBuffer, ReadingBuffer
from gateway.uplink import envelope
from gateway.uplink.connection import connect
from gateway.uplink.subjects import Kind, check_code, publish_subject

log = logging.getLogger(__name__)

Clock = Callable[[], float]
_SITE_REPUBLISH = 600.0  # seconds: a central instance started later learns the site anyway


def _read_cursor(path: Path | None) -> int:
    """The last alarm-event sequence the park acknowledged (0: none yet, or no file)."""
    if path is None or not path.exists():
        return 0
    text = path.read_text().strip()
    try:
        return int(text)
    except ValueError as exc:
        raise ValueError(f"{path}: not an event sequence number: {text!r}") from exc


@dataclass(frozen=True, slots=True)
class UplinkHealth:
    connected: bool
    backlog: int  # readings waiting in the buffer (and the batch in flight)
    backlog_alarm: bool  # backlog above the configured threshold
    dropped: int  # readings the buffer had to drop (full)
    batches_sent: int
    readings_sent: int
    events_sent: int
    events_dropped: int
    failures: int  # publishes that failed and were retried
    last_success: float | None
    last_error: str | None

    @property
    def ok(self) -> bool:
        return self.connected and not self.backlog_alarm and self.dropped == 0


class EdgeUplink:
    def __init__(
        self,
        settings: UplinkSettings,
        sites: Sequence[Site],
        catalog: Catalog,
        buffer: ReadingBuffer,
        *,
        active_alarms: Callable[[], Sequence[AlarmRecord]] = tuple,
        clock: Clock = time.time,
        event_capacity: int = 100_000,
        journal: AlarmJournal | None = None,
        cursor_path: Path | None = None,
    ) -> None:
        self._settings = settings
        self._sites = list(sites)
        self._codes = [check_code(site.enterprise.code) for site in sites]
        self._buffer = buffer
        self._rows = envelope.RowEncoder(catalog)
        self._active_alarms = active_alarms
        self._clock = clock
        self._events: DropOldestQueue[AlarmEvent] = DropOldestQueue(event_capacity)
        # Events are re-read from the journal after the last one the park acknowledged
        # (kept in ``cursor_path``): a restart or a full queue loses none of them.
        self._journal = journal
        self._cursor_path = cursor_path
        self.events_cursor = _read_cursor(cursor_path)
        self._log = LogOnce(log, 60.0)
        # A batch number is unique within an epoch (this uplink's start, in ms): the park
        # orders (epoch, seq) to tell a replay from a redelivery.
        self.epoch = int(clock() * 1000)
        self._seq: dict[str, int] = defaultdict(int)
        self._last_data: dict[str, float] = {}
        self._inflight = 0
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._connected = asyncio.Event()
        self.batches_sent = 0
        self.readings_sent = 0
        self.events_sent = 0
        self.failures = 0
        self.last_success: float | None = None
        self.last_error: str | None = None

    # ----------------------------------------------------------------------- public

    def accept(self, events: Sequence[AlarmEvent]) -> None:
        """Alarm engine listener: events queue for the uplink (bounded, drops counted; the
        journal keeps every event regardless)."""
        if self._events.extend(events):
            self._log.log(
                logging.ERROR, "events-full",
                "uplink event queue full: %d alarm events not forwarded", self._events.dropped,
            )

    @property
    def buffer(self) -> ReadingBuffer:
        return self._buffer

    @property
    def health(self) -> UplinkHealth:
        backlog = len(self._buffer) + self._inflight
        nc = self._nc
        return UplinkHealth(
            connected=nc is not None and nc.is_connected,
            backlog=backlog,
            backlog_alarm=backlog > self._settings.backlog_alarm,
            dropped=self._buffer.dropped,
            batches_sent=self.batches_sent,
            readings_sent=self.readings_sent,
            events_sent=self.events_sent,
            events_dropped=self._events.dropped,
            failures=self.failures,
            last_success=self.last_success,
            last_error=self.last_error,
        )

    async def run(self) -> None:
        settings = self._settings
        password = settings.password.get_secret_value() if settings.password else None
        self._nc = await connect(
            settings.servers,
            user=settings.user,
            password=password,
            name=f"hazgw-edge {settings.user}/{settings.gateway_code}",
            tls_ca_file=settings.tls_ca_file,
            # Replies come back on an inbox only this enterprise may subscribe to.
            inbox_prefix=f"_INBOX_{settings.user}",
        )
        self._js = self._nc.jetstream()
        log.info("uplink to the park connected (%s)", self._nc.connected_url)
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._readings_loop(), name="uplink-readings")
                group.create_task(self._events_loop(), name="uplink-events")
                group.create_task(self._heartbeat_loop(), name="uplink-heartbeat")
                group.create_task(self._site_loop(), name="uplink-site")
        finally:
            nc, self._nc = self._nc, None
            await nc.close()

    # --------------------------------------------------------------------- internal

    async def _publish(self, subject: str, body: bytes, msg_id: str | None) -> None:
        """Publish until JetStream acknowledges it; the same message id on every attempt."""
        assert self._js is not None
        headers = {"Nats-Msg-Id": msg_id} if msg_id is not None else None
        delays = backoff_delays(initial=0.2, cap=5.0)
        while True:
            try:
                await self._js.publish(
                    subject, body, timeout=self._settings.ack_timeout, headers=headers
                )
                return
            except (nats.errors.Error, OSError, TimeoutError) as exc:
                self.failures += 1
                self.last_error = f"{subject}: {exc or type(exc).__name__}"
                delay = next(delays)
                self._log.log(
                    logging.WARNING, "publish",
                    "uplink: publish failed, retrying in %.1f s (backlog %d): %s",
                    delay, len(self._buffer) + self._inflight, self.last_error,
                )
                await asyncio.sleep(delay)

    async def _readings_loop(self) -> None:
        settings = self._settings
        while True:
            batch: Batch = await self._buffer.take(settings.batch_size, settings.linger)
            self._inflight = len(batch.readings)
            by_code = by_site(batch.readings, self._codes)
            for code, readings in by_code.items():
                seq = self._seq[code] + 1
                body = envelope.readings_message(
                    code, settings.gateway_code, self.epoch, seq, self._clock(),
                    self._rows.rows(readings),
                )
                await self._publish(
                    publish_subject(code, Kind.READINGS), body, f"{code}.r.{self.epoch}.{seq}"
                )
                self._seq[code] = seq
                self._last_data[code] = max(
                    self._last_data.get(code, 0.0), max(r.ts for r in readings)
                )
                self.batches_sent += 1
                self.readings_sent += len(readings)
            # Stored on the stream's replicas: the buffer may forget the batch now.
            self._buffer.commit(batch)
            self._inflight = 0
            self.last_success = self._clock()

    async def _events_loop(self) -> None:
        await self._catch_up()
        while True:
            await self._events.wait()
            if self._events.dropped and self._journal is not None:
                # The queue overflowed: the journal has what it lost, in order.
                self._events.clear()
                await self._catch_up()
                continue
            while self._events:
                await self._send_event(self._events.take(1)[0])

    async def _catch_up(self) -> None:
        """Publish journalled events after the cursor, oldest first, in pages."""
        journal = self._journal
        if journal is None:
            return
        codes = set(self._codes)
        while True:
            page = journal.history(
                HistoryQuery(after_seq=self.events_cursor, ascending=True, limit=500)
            )
            if not page:
                return
            for event in page:
                if event.point.site in codes:
                    await self._send_event(event)
                else:
                    self._advance(event.seq)

    async def _send_event(self, event: AlarmEvent) -> None:
        code = event.point.site
        if code not in self._codes or event.seq <= self.events_cursor:
            return  # an event of no forwarded site, or sent already (catch-up overlap)
        body = envelope.event_message(code, self._settings.gateway_code, event)
        await self._publish(publish_subject(code, Kind.EVENTS), body, f"{code}.e.{event.seq}")
        self.events_sent += 1
        self._advance(event.seq)

    def _advance(self, seq: int) -> None:
        self.events_cursor = max(self.events_cursor, seq)
        if self._cursor_path is not None:
            temporary = self._cursor_path.with_suffix(".tmp")
            temporary.write_text(str(self.events_cursor))
            os.replace(temporary, self._cursor_path)

    async def _heartbeat_loop(self) -> None:
        assert self._js is not None
        while True:
            active = list(self._active_alarms())
            health = self.health
            for code in self._codes:
                body = envelope.heartbeat_message(
                    code, self._settings.gateway_code,
                    ts=self._clock(), epoch=self.epoch, backlog=health.backlog,
                    dropped=health.dropped, last_success=self.last_success,
                    last_data=self._last_data.get(code),
                    active=[r for r in active if r.point.site == code],
                )
                try:
                    await self._js.publish(
                        publish_subject(code, Kind.HEARTBEAT), body,
                        timeout=self._settings.ack_timeout,
                    )
                except (nats.errors.Error, OSError, TimeoutError) as exc:
                    # The next heartbeat replaces this one: no retry, but it shows.
                    self.last_error = f"heartbeat: {exc or type(exc).__name__}"
                    self._log.log(logging.WARNING, "heartbeat", "uplink: %s", self.last_error)
            await asyncio.sleep(self._settings.heartbeat_interval)

    async def _site_loop(self) -> None:
        while True:
            for site in self._sites:
                body = envelope.site_message(
                    site, self._settings.gateway_code, self._settings.contacts
                )
                await self._publish(publish_subject(site.enterprise.code, Kind.SITE), body, None)
            await asyncio.sleep(_SITE_REPUBLISH)


def by_site(readings: Sequence[Reading], codes: Sequence[str]) -> dict[str, list[Reading]]:
    """The readings of the forwarded sites, by site, in order. Only the site files' sites:
    the gateway's own points (site ``_gateway``, ``gateway.selfwatch``) stay on this
    gateway; the park would refuse them as not the edge's own."""
    forwarded = set(codes)
    grouped: dict[str, list[Reading]] = defaultdict(list)
    for reading in readings:
        if reading.point.site in forwarded:
            grouped[reading.point.site].append(reading)
    return grouped


def build_uplink(
    config: GatewayConfig, sites: Sequence[Site], catalog: Catalog, engine: AlarmEngine,
    clock: Clock, journal: AlarmJournal | None = None, state_dir: Path | None = None,
) -> EdgeUplink | None:
    """The uplink a gateway file asks for (``uplink:``), or None. Its buffer is in memory
    until the durable buffer (issue 8) takes its place behind the same protocol."""
    settings = config.uplink
    if settings is None:
        return None
    buffer = MemoryBuffer(settings.buffer_capacity, name="park uplink")
    return EdgeUplink(
        settings, sites, catalog, buffer,
        active_alarms=lambda: engine.active(), clock=clock, journal=journal,
        cursor_path=state_dir / "uplink-events.cursor" if state_dir is not None else None,
    )


def uplink_component(uplink: EdgeUplink) -> ComponentStatus:
    """The uplink on ``/api/health``: not ok while disconnected, above the backlog alarm
    threshold, or after the buffer had to drop readings."""
    health = uplink.health
    detail = health.last_error
    if health.backlog_alarm:
        detail = f"backlog {health.backlog} readings above the alarm threshold; {detail or ''}"
    return ComponentStatus(
        "park uplink",
        ok=health.ok,
        counters={
            "backlog": health.backlog, "dropped": health.dropped,
            "batches_sent": health.batches_sent, "readings_sent": health.readings_sent,
            "events_sent": health.events_sent, "events_dropped": health.events_dropped,
            "failures": health.failures,
        },
        detail=detail,
    )
