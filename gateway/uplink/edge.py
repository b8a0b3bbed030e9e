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

Two lifetimes, as in the rest of the gateway: the uplink and its durable buffer (its own
folder, ``<state>/buffer/uplink``) are opened once per process (``open_uplink``) and kept
through reloads; what the site files describe (sites, catalog, alarm engine, journal) is
handed to it by every build of the parts (``attach``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from alerting.events import AlarmEvent
from alerting.journal import AlarmJournal, HistoryQuery
from alerting.statemachine import AlarmRecord
from collectors.backoff import backoff_delays
from collectors.bounded import DropOldestQueue
from collectors.cancelling import honour_cancel
from collectors.logonce import LogOnce
from collectors.readings import Reading
from config.catalog import Catalog
from config.gateway_file import GatewayConfig
from config.site import Site
from config.uplink import UplinkSettings
from dashboard.components import ComponentStatus
from gateway.buffer import BufferOptions, DurableBuffer, max_bytes_for
from gateway.pipeline import Batch, ReadingBuffer
from gateway.sinks import expected_rate
from gateway.uplink import envelope
from gateway.uplink.connection import connect
from gateway.uplink.subjects import Kind, check_code, publish_subject

if TYPE_CHECKING:  # nats-py is imported when the uplink connects: most gateways have none
    from nats.aio.client import Client
    from nats.js import JetStreamContext

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
        self._site_changed = asyncio.Event()
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

    @property
    def settings(self) -> UplinkSettings:
        return self._settings

    def attach(
        self,
        sites: Sequence[Site],
        catalog: Catalog,
        active_alarms: Callable[[], Sequence[AlarmRecord]],
        journal: AlarmJournal | None,
    ) -> None:
        """A build of the parts (the first, or a reload's): the uplink follows the new site
        files, alarm engine and journal from now on. Its buffer, connection, batch numbers
        and event cursor stay; the site description goes out again at once."""
        codes = [check_code(site.enterprise.code) for site in sites]
        changed = [site.model_dump_json() for site in sites] != [
            site.model_dump_json() for site in self._sites
        ]
        self._sites, self._codes = list(sites), codes
        self._rows = envelope.RowEncoder(catalog)
        self._active_alarms = active_alarms
        # The journal is the same file reopened: its sequences go on where they were.
        self._journal = journal
        if changed:
            self._site_changed.set()

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

    async def flushed(self, *, now: bool = True) -> None:
        """Returns once every reading put into the uplink's buffer so far is on disk (MQTT
        acknowledgements wait for it); at once for a buffer in memory (the tests')."""
        if isinstance(self._buffer, DurableBuffer):
            await self._buffer.flushed(now=now)

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
            nkey_seed_file=settings.nkey_seed_file,
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
        import nats  # loaded by connect() already; not at the top: see TYPE_CHECKING above

        assert self._js is not None
        headers = {"Nats-Msg-Id": msg_id} if msg_id is not None else None
        delays = backoff_delays(initial=0.2, cap=5.0)
        while True:
            honour_cancel()
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
            honour_cancel()
            batch: Batch = await self._buffer.take(settings.batch_size, settings.linger)
            self._inflight = len(batch.readings)
            # Only the site files' sites: the gateway's own points stay here, and readings
            # of a site removed (by a reload or a restart) cannot hold up the rest.
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
            honour_cancel()
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
            honour_cancel()
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
        import nats  # loaded by connect() already; not at the top: see TYPE_CHECKING above

        assert self._js is not None
        while True:
            honour_cancel()
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
            honour_cancel()
            self._site_changed.clear()
            for site in list(self._sites):
                body = envelope.site_message(
                    site, self._settings.gateway_code, self._settings.contacts
                )
                await self._publish(publish_subject(site.enterprise.code, Kind.SITE), body, None)
            # Every few minutes anyway (a central instance started later learns the site),
            # and at once after a reload changed the site files.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_SITE_REPUBLISH):
                    await self._site_changed.wait()


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


UPLINK_BUFFER_HOURS = 24.0  # like the storage's: a day offline at the expected rate


def uplink_buffer_directory(state_dir: Path) -> Path:
    """The uplink's own durable buffer, beside the storage's (``<state>/buffer/<kind>``)."""
    return state_dir / "buffer" / "uplink"


def uplink_buffer_options(settings: UplinkSettings, sites: Sequence[Site]) -> BufferOptions:
    """Sized like the storage's buffer: a day at the rate the site files lead us to expect
    (64 MiB at least); ``buffer_capacity`` newest readings are also kept in memory."""
    return BufferOptions(
        max_bytes=max_bytes_for(expected_rate(sites), UPLINK_BUFFER_HOURS),
        memory_readings=settings.buffer_capacity,
    )


async def open_uplink(
    config: GatewayConfig, sites: Sequence[Site], catalog: Catalog, state_dir: Path,
    clock: Clock = time.time,
) -> EdgeUplink | None:
    """The uplink a gateway file asks for (``uplink:``), or None: its durable buffer
    recovered from ``<state>/buffer/uplink`` (in a worker thread: it reads what is on disk)
    and its event cursor from ``<state>/uplink-events.cursor``. Opened once per process;
    ``attach`` it to the parts, and ``close_uplink`` it after its task has stopped."""
    settings = config.uplink
    if settings is None:
        return None
    directory = uplink_buffer_directory(state_dir)
    buffer = await asyncio.to_thread(
        DurableBuffer.open, directory, uplink_buffer_options(settings, sites), name="uplink"
    )
    waiting = len(buffer)
    if waiting:
        log.info("park uplink: %d readings from before the restart wait in %s", waiting,
                 directory)
    health = buffer.health
    if health.skipped_corrupt:
        log.error(
            "park uplink buffer %s: skipped %d damaged record(s) (%d bytes) found at start",
            directory, health.skipped_corrupt, health.skipped_bytes,
        )
    return EdgeUplink(
        settings, sites, catalog, buffer, clock=clock,
        cursor_path=state_dir / "uplink-events.cursor",
    )


async def close_uplink(uplink: EdgeUplink) -> None:
    """Make what the uplink's buffer was given durable and close it (after its task)."""
    buffer = uplink.buffer
    if isinstance(buffer, DurableBuffer):
        await buffer.aclose()


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
