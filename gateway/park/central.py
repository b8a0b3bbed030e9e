"""``hazgw central``: one instance of the park's command centre.

Work (storage) is shared by partition: for each partition it holds a lease on (see
``leases.py``) the instance pulls from that partition's durable consumer, writes readings
and alarm events into InfluxDB, and acknowledges the messages only after the database took
them. A message that is never acknowledged (the instance died, its lease moved) is
redelivered to the next owner; writing it again overwrites the same series and
timestamps, so nothing is lost and nothing doubles.

Screens are not shared: every instance follows the heartbeats, site descriptions and alarm
events of the whole park (ordered consumers, nothing to acknowledge) and the shared
buckets (refusal counts, 叫应 responses), so any instance serves the whole park.

Bad input (malformed, a code that is not its subject's, a replay of an old batch, readings
far in the future) is refused, counted per enterprise in the ``park_refused`` bucket,
logged (rate-limited), and acknowledged so that it does not come back forever.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import nats
from fastapi import APIRouter
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy, StreamConfig
from nats.js.errors import BadRequestError, KeyNotFoundError, NotFoundError
from nats.js.kv import KeyValue

from collectors.backoff import backoff_delays
from collectors.cancelling import honour_cancel
from collectors.logonce import LogOnce
from config.catalog import Catalog
from config.loader import read_yaml, validate
from config.park import CentralSettings
from config.shifts import ShiftSchedule
from dashboard.app import create_app
from dashboard.auth import AuthService
from dashboard.hub import Hub
from dashboard.live import LiveState
from dashboard.park import CallResponse, EnterpriseStatus, JournalEntry, ParkAlarm, ParkFigures
from dashboard.parkledger import entry_of
from dashboard.server import DashboardServer
from dashboard.services import DashboardServices
from gateway.park.journal import BUCKET as JOURNAL
from gateway.park.journal import KEEP as JOURNAL_KEEP
from gateway.park.journal import JournalConflict, ParkJournal
from gateway.park.leases import Leases, bucket
from gateway.park.lines import event_line, row_lines
from gateway.park.registry import ParkRegistry
from gateway.park.reports import ParkShiftReports
from gateway.pipeline import MemoryBuffer
from gateway.storage.lineprotocol import LineProtocolError, ReadingEncoder
from gateway.storage.v1 import InfluxV1Transport
from gateway.storage.writer import InfluxWriter
from gateway.uplink.connection import connect
from gateway.uplink.envelope import (
    EnvelopeError,
    decode_event,
    decode_readings,
    decode_state,
)
from gateway.uplink.subjects import (
    DATA_KINDS,
    DATA_STREAM,
    STATE_KINDS,
    STATE_STREAM,
    Kind,
    SubjectError,
    parse_stored,
    partition_filter,
    stream_subjects,
)

log = logging.getLogger(__name__)
Clock = Callable[[], float]

CURSORS = "park_cursors"  # last accepted (epoch, seq) of each enterprise's readings
REFUSED = "park_refused"  # refusal counts of each enterprise, by reason
CALLS = "park_calls"  # the duty officer's 叫应 responses
DATA_MAX_AGE = 7 * 86400.0  # the park's streams are a transit, InfluxDB is the record
FETCH = 32  # messages per pull: one InfluxDB write for all of them
ACK_WAIT = 10.0  # seconds before an unacknowledged message goes to the next owner
WORKER_RESTART = 5.0  # seconds before a partition worker that died of an error starts again


async def ensure_streams(js: JetStreamContext, replicas: int) -> None:
    """Create the park's streams (idempotent: instances starting together all call it)."""
    configs = [
        StreamConfig(
            name=DATA_STREAM, subjects=stream_subjects(DATA_KINDS), num_replicas=replicas,
            max_age=DATA_MAX_AGE, duplicate_window=120.0,
        ),
        StreamConfig(
            name=STATE_STREAM, subjects=stream_subjects(STATE_KINDS), num_replicas=replicas,
            max_msgs_per_subject=3, max_age=DATA_MAX_AGE,
        ),
    ]
    for config in configs:
        try:
            await js.add_stream(config)
        except BadRequestError as exc:
            # Already there with another config (another version made it): keep it, say so.
            log.warning("stream %s: %s; using it as it is", config.name, exc.description)


class Central:
    def __init__(
        self, settings: CentralSettings, *, state_dir: Path | None = None,
        clock: Clock = time.time, serve_http: bool = True,
        extra_routers: Sequence[APIRouter] = (),
    ) -> None:
        self.settings = settings
        self.state_dir = state_dir
        self.clock = clock
        self.registry = ParkRegistry(
            offline_after=settings.offline_after, call_after=settings.call_after_minutes,
            clock=clock,
        )
        # Only write_lines is used: the buffer and encoder are the writer's unused half.
        self.writer = InfluxWriter(
            InfluxV1Transport(settings.storage), ReadingEncoder(Catalog([])), MemoryBuffer(1000)
        )
        self._log = LogOnce(log, 30.0)
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._leases: Leases | None = None
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._cursors: dict[str, tuple[int, int]] = {}
        self._refused: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._kv: dict[str, KeyValue] = {}
        self.journal: ParkJournal | None = None
        self.reports: ParkShiftReports | None = None  # with shifts: and a state directory
        self.ready = asyncio.Event()
        self.serve_http = serve_http
        self._extra_routers = list(extra_routers)
        self.http_port: int | None = None
        self.auth: AuthService | None = None
        # counters, for health and the tests
        self.readings_written = 0
        self.events_written = 0
        self.redelivered = 0
        self.messages_acked = 0
        self.worker_failures = 0  # partition workers that died of an error (and restarted)
        self.takeovers: list[tuple[int, float]] = []  # (partition, when taken)
        # edge → central latency of recent batches (sent at the edge → stored in InfluxDB)
        self.latencies: deque[float] = deque(maxlen=100_000)

    # ---------------------------------------------------------------------- public

    @property
    def owned(self) -> list[int]:
        return sorted(self._workers)

    def refused(self) -> dict[str, dict[str, int]]:
        return {code: dict(counts) for code, counts in self._refused.items()}

    async def run(self) -> None:
        settings = self.settings
        password = settings.password.get_secret_value() if settings.password else None
        self._nc = nc = await connect(
            settings.servers, user=settings.user, password=password,
            name=f"hazgw-central {settings.instance}", tls_ca_file=settings.tls_ca_file,
        )
        self._js = js = nc.jetstream()
        try:
            await self._set_up(js)
            async with asyncio.TaskGroup() as group:
                group.create_task(self.writer.run(), name="central-influx")
                group.create_task(self._follow_state(), name="central-state")
                group.create_task(self._watch_shared(), name="central-shared")
                journal = self.journal
                assert journal is not None
                group.create_task(journal.follow(), name="central-journal")
                if settings.shifts is not None and self.state_dir is not None:
                    self.reports = ParkShiftReports(
                        settings.shifts, self.state_dir / "reports",
                        lambda: list(journal.entries.values()), journal.loaded, self.clock,
                    )
                    group.create_task(self.reports.run(), name="central-reports")
                group.create_task(self._tick_loop(), name="central-tick")
                group.create_task(self._lease_loop(), name="central-leases")
                if self.serve_http:
                    server = self._web_server()
                    await server.start()
                    self.http_port = server.port
                    group.create_task(_serve_until_cancelled(server), name="central-web")
                    log.info("park wall on http://%s:%d/park", settings.http.host, server.port)
                self.ready.set()
        finally:
            for task in self._workers.values():
                task.cancel()
            await asyncio.gather(*self._workers.values(), return_exceptions=True)
            self._workers.clear()
            if self._leases is not None and nc.is_connected:
                await self._leases.release_all()
            await nc.close()
            if self.auth is not None:
                self.auth.close()
                self.auth = None

    async def _set_up(self, js: JetStreamContext) -> None:
        """Streams, buckets and leases; retried while the cluster is busy or electing
        leaders (a JetStream API call that times out says nothing about what is wrong)."""
        settings = self.settings
        delays = backoff_delays(initial=0.5, cap=5.0)
        while True:
            honour_cancel()
            try:
                await ensure_streams(js, settings.replicas)
                for name in (CURSORS, REFUSED, CALLS):
                    self._kv[name] = await bucket(js, name, ttl=None, replicas=settings.replicas)
                self.journal = ParkJournal(
                    await bucket(js, JOURNAL, ttl=JOURNAL_KEEP, replicas=settings.replicas)
                )
                leases = Leases(
                    js, settings.instance, settings.partitions, settings.lease_ttl,
                    settings.replicas,
                )
                await leases.open()
                self._leases = leases
                return
            except (nats.errors.Error, OSError) as exc:
                delay = next(delays)
                log.warning("%s: setting up the park's streams and buckets failed (%r); "
                            "retrying in %.1f s", settings.instance, exc, delay)
                await asyncio.sleep(delay)

    async def record_response(self, alarm_id: str, response: CallResponse) -> ParkAlarm | None:
        """The duty officer's answer to a 叫应 alarm, shared through the ``park_calls``
        bucket so every instance shows it."""
        if not any(a.id == alarm_id and a.kind == "call" for a in self.registry.alarms()):
            return None
        kv = self._kv[CALLS]
        await kv.put(_kv_key(alarm_id), json.dumps(asdict(response)).encode())
        self.registry.set_response(alarm_id, response)
        alarm = next((a for a in self.registry.alarms() if a.id == alarm_id), None)
        if alarm is not None:
            # Into the journal now, so the ledger shows it when the officer looks; should
            # this fail, the next tick writes it (the bucket above already holds it).
            await self._journal([alarm])
        return alarm

    def _web_server(self) -> DashboardServer:
        """The park's screens: the dashboard app with the park's source and no plant of its
        own (an empty catalog: the enterprises' points live at the enterprises)."""
        if self.state_dir is not None and self.auth is None:
            self.auth = AuthService.open(self.state_dir)
        live = LiveState()
        services = DashboardServices(
            catalog=Catalog([]), live=live, hub=Hub(live, clock=self.clock), clock=self.clock,
            auth=self.auth, park=CentralParkSource(self),
        )
        http = self.settings.http
        app = create_app(services, extra_routers=self._extra_routers)
        return DashboardServer(app, host=http.host, port=http.port)

    # ---------------------------------------------------------------------- leases

    async def _lease_loop(self) -> None:
        leases = self._leases
        assert leases is not None
        step = leases.ttl / 3
        while True:
            honour_cancel()
            try:
                await leases.step(self._gained, self._lost)
            except (nats.errors.Error, OSError) as exc:
                # A node went away mid-step: the client reconnects; try again next step.
                self._log.log(logging.WARNING, "lease", "lease step failed: %r", exc)
            await asyncio.sleep(step)

    async def _gained(self, partition: int) -> None:
        self.takeovers.append((partition, self.clock()))
        self._start_worker(partition)

    def _start_worker(self, partition: int) -> None:
        task = asyncio.create_task(self._work(partition), name=f"central-p{partition}")
        self._workers[partition] = task
        task.add_done_callback(self._worker_ended)

    def _worker_ended(self, task: asyncio.Task[None]) -> None:
        """A worker ends only when its lease is lost (cancelled). One that died of an error
        would leave its partition leased and unconsumed: say so loudly and start it again
        (its unacknowledged messages come back after the ack wait)."""
        if task.cancelled():
            return
        partition = next((p for p, t in self._workers.items() if t is task), None)
        if partition is None:
            return
        self.worker_failures += 1
        log.error("%s: partition %d worker died; restarting it in %.0f s",
                  self.settings.instance, partition, WORKER_RESTART, exc_info=task.exception())
        loop = asyncio.get_running_loop()
        loop.call_later(WORKER_RESTART, self._restart_worker, partition, task)

    def _restart_worker(self, partition: int, dead: asyncio.Task[None]) -> None:
        if self._workers.get(partition) is dead:  # still ours, and not restarted since
            self._start_worker(partition)

    async def _lost(self, partition: int) -> None:
        task = self._workers.pop(partition, None)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    # ---------------------------------------------------------------------- storage

    async def _work(self, partition: int) -> None:
        # JetStream 2.9 consumers take one filter subject: one durable per data kind.
        async with asyncio.TaskGroup() as group:
            for kind in DATA_KINDS:
                group.create_task(self._consume(partition, kind))

    async def _consume(self, partition: int, kind: Kind) -> None:
        js = self._js
        assert js is not None
        sub = None
        while sub is None:
            honour_cancel()
            try:
                sub = await js.pull_subscribe(
                    partition_filter(kind, partition),
                    durable=f"central_{kind.value}_p{partition}",
                    stream=DATA_STREAM,
                    config=ConsumerConfig(ack_wait=ACK_WAIT, max_ack_pending=4 * FETCH),
                )
            except (nats.errors.Error, OSError) as exc:
                self._log.log(logging.WARNING, ("sub", partition), "partition %d: %r",
                              partition, exc)
                await asyncio.sleep(0.5)
        while True:
            # nats-py fetches through asyncio.wait_for, which on 3.11 can swallow a cancel:
            # without this the worker of a lost lease (or a stopping instance) fetches on.
            honour_cancel()
            try:
                msgs = await sub.fetch(FETCH, timeout=1.0)
            except nats.errors.TimeoutError:
                continue
            except (nats.errors.Error, OSError) as exc:
                self._log.log(logging.WARNING, ("fetch", partition), "partition %d: %r",
                              partition, exc)
                await asyncio.sleep(0.5)
                continue
            try:
                await self._handle(msgs)
            except (nats.errors.Error, OSError) as exc:
                # A node died between the database write and the acknowledgements (a
                # cursor put or a KV read timed out): what was not acknowledged comes
                # back after the ack wait and overwrites itself.
                self._log.log(logging.WARNING, ("handle", partition),
                              "partition %d: %d message(s) left to redelivery: %r",
                              partition, len(msgs), exc)
                await asyncio.sleep(0.5)

    async def _handle(self, msgs: Sequence[Msg]) -> None:
        lines: list[str] = []
        cursors: dict[str, tuple[int, int]] = {}
        refused_codes: set[str] = set()
        readings = events = 0
        sent_times: list[float] = []
        for msg in msgs:
            try:
                stored = parse_stored(msg.subject)
            except SubjectError as exc:
                self._refuse("?", "bad_subject", str(exc))
                refused_codes.add("?")
                continue
            code = stored.code
            try:
                if stored.kind is Kind.READINGS:
                    count = await self._readings(msg, code, lines, cursors, sent_times)
                    readings += count
                elif stored.kind is Kind.EVENTS:
                    event = decode_event(msg.data, code)
                    try:
                        lines.append(event_line(event))
                    except LineProtocolError as exc:
                        raise EnvelopeError("malformed", str(exc)) from exc
                    events += 1
                else:
                    raise EnvelopeError("unexpected_kind", f"{stored.kind} on the data stream")
            except EnvelopeError as exc:
                self._refuse(code, exc.reason, exc.detail)
                refused_codes.add(code)
        # Written (retried until the database takes them) before anything is acknowledged.
        await self.writer.write_lines(lines)
        stored_at = self.clock()
        self.latencies.extend(stored_at - sent for sent in sent_times)
        self.readings_written += readings
        self.events_written += events
        for code, cursor in cursors.items():
            self._cursors[code] = cursor
            await self._kv[CURSORS].put(code, json.dumps(list(cursor)).encode())
        for code in refused_codes:
            await self._kv[REFUSED].put(_kv_key(code), json.dumps(self._refused[code]).encode())
        for msg in msgs:
            await msg.ack()
            self.messages_acked += 1

    async def _readings(
        self, msg: Msg, code: str, lines: list[str], cursors: dict[str, tuple[int, int]],
        sent_times: list[float],
    ) -> int:
        batch = decode_readings(msg.data, code)
        sent_times.append(batch.sent)
        horizon = self.clock() + self.settings.future_tolerance
        if batch.epoch / 1000 > horizon:
            # An epoch from the future would make every honest batch after it look old.
            raise EnvelopeError("future", f"batch epoch {batch.epoch} ms is in the future")
        key = (batch.epoch, batch.seq)
        last = cursors.get(code) or await self._cursor(code)
        redelivered = msg.metadata.num_delivered > 1
        if last is not None and key < last:
            if not redelivered:
                # A fresh message older than what was accepted: the edge sends batch n+1
                # only after n was acknowledged, so this is a replay.
                raise EnvelopeError(
                    "replayed", f"batch {key} after {last} from gateway {batch.gateway}"
                )
            self.redelivered += 1
        elif last is not None and key == last:
            self.redelivered += 1  # the same batch again: it overwrites itself
        rows = [row for row in batch.rows if row.ts <= horizon]
        late = len(batch.rows) - len(rows)
        if late:
            tolerance = self.settings.future_tolerance
            self._refuse(code, "future", f"{late} reading(s) after now + {tolerance:.0f} s", late)
        new_lines, bad = row_lines(code, rows)
        if bad:
            self._refuse(code, "unencodable", f"{bad} reading(s)", bad)
        lines += new_lines
        if last is None or key > last:
            cursors[code] = key
        return len(new_lines)

    async def _cursor(self, code: str) -> tuple[int, int] | None:
        cursor = self._cursors.get(code)
        if cursor is not None:
            return cursor
        try:
            entry = await self._kv[CURSORS].get(code)
        except (KeyNotFoundError, NotFoundError):
            return None
        if entry.value is None:
            return None
        epoch, seq = json.loads(entry.value)
        self._cursors[code] = (int(epoch), int(seq))
        return self._cursors[code]

    def _refuse(self, code: str, reason: str, detail: str, count: int = 1) -> None:
        self._refused[code][reason] += count
        self._log.log(
            logging.WARNING, (code, reason), "refused from %s (%s): %s", code, reason, detail
        )

    # ---------------------------------------------------------------------- state

    async def _follow_state(self) -> None:
        js = self._js
        assert js is not None
        await js.subscribe(
            "hazgw.*.site.*", stream=STATE_STREAM, ordered_consumer=True, idle_heartbeat=2.0,
            deliver_policy=DeliverPolicy.LAST_PER_SUBJECT, cb=self._on_state,
        )
        await js.subscribe(
            "hazgw.*.heartbeat.*", stream=STATE_STREAM, ordered_consumer=True, idle_heartbeat=2.0,
            deliver_policy=DeliverPolicy.LAST_PER_SUBJECT, cb=self._on_state,
        )
        await js.subscribe(
            "hazgw.*.events.*", stream=DATA_STREAM, ordered_consumer=True, idle_heartbeat=2.0,
            deliver_policy=DeliverPolicy.ALL, cb=self._on_event,
        )
        await asyncio.Future()  # the subscriptions live as long as the connection

    async def _on_state(self, msg: Msg) -> None:
        try:
            stored = parse_stored(msg.subject)
            body = decode_state(msg.data, stored.code)
        except (SubjectError, EnvelopeError) as exc:
            self._log.log(logging.WARNING, ("state", msg.subject), "%s: %s", msg.subject, exc)
            return
        if stored.kind is Kind.SITE:
            self.registry.on_site(stored.code, body)
        else:
            stamp = msg.metadata.timestamp.timestamp()
            self.registry.on_heartbeat(stored.code, body, min(self.clock(), stamp))

    async def _on_event(self, msg: Msg) -> None:
        try:
            stored = parse_stored(msg.subject)
            self.registry.on_event(decode_event(msg.data, stored.code))
        except (SubjectError, EnvelopeError):
            return  # refused and counted by the partition's owner

    async def _watch_shared(self) -> None:
        async def follow(name: str, apply: Callable[[str, Any], None]) -> None:
            watcher = await self._kv[name].watchall()
            async for entry in watcher:
                if entry is None or entry.value is None:
                    continue
                try:
                    apply(_from_kv_key(entry.key), json.loads(entry.value))
                except (ValueError, TypeError) as exc:
                    self._log.log(logging.WARNING, ("kv", name), "%s/%s: %s", name, entry.key, exc)

        def response(alarm_id: str, body: Any) -> None:
            self.registry.set_response(alarm_id, CallResponse(**body))

        async with asyncio.TaskGroup() as group:
            group.create_task(follow(REFUSED, self.registry.set_refused))
            group.create_task(follow(CALLS, response))

    async def _tick_loop(self) -> None:
        while True:
            honour_cancel()
            for alarm in self.registry.tick():
                log.warning("park alarm: %s", alarm.text)
            await self._journal(self.registry.alarms())
            await asyncio.sleep(1.0)

    async def _journal(self, alarms: Sequence[ParkAlarm]) -> None:
        """Write what this instance knows of ``alarms`` and the journal lacks; a failed
        write is tried again at the next tick (nothing is marked written before it is)."""
        journal = self.journal
        assert journal is not None
        now = self.clock()
        for alarm in alarms:
            entry = entry_of(alarm, self.settings.instance,
                             self.registry.contacts(alarm.enterprise), now)
            if not journal.needs(entry):
                continue
            try:
                await journal.record(entry)
            except (nats.errors.Error, OSError, JournalConflict) as exc:
                self._log.log(logging.WARNING, "journal", "park journal write failed: %r", exc)
                return


async def _serve_until_cancelled(server: DashboardServer) -> None:
    try:
        await asyncio.Future()
    finally:
        await server.stop()


def _kv_key(text: str) -> str:
    """KV keys allow letters, digits and ``-_=./``; alarm ids hold '/', which is allowed,
    but '?' (the refusal bucket's unknown code) is not."""
    return text.replace("?", "_unknown_")


def _from_kv_key(key: str) -> str:
    return key.replace("_unknown_", "?")


class CentralParkSource:
    """The dashboard's view of one central instance (``dashboard.park.ParkSource``)."""

    def __init__(self, central: Central) -> None:
        self._central = central

    def enterprises(self) -> Sequence[EnterpriseStatus]:
        return self._central.registry.enterprises()

    def alarms(self) -> Sequence[ParkAlarm]:
        return self._central.registry.alarms()

    def figures(self) -> ParkFigures:
        return self._central.registry.figures()

    async def record_response(self, alarm_id: str, response: CallResponse) -> ParkAlarm | None:
        return await self._central.record_response(alarm_id, response)

    def journal(self) -> Sequence[JournalEntry]:
        journal = self._central.journal
        return list(journal.entries.values()) if journal is not None else []

    def now(self) -> float:
        return self._central.clock()

    def shifts(self) -> ShiftSchedule | None:
        return self._central.settings.shifts


def load_central(path: Path) -> CentralSettings:
    """Read and validate a central file; errors name the file and line (ConfigError)."""
    data, source = read_yaml(path)
    return validate(CentralSettings, data, source)
