"""The gateway process: builds every part from the validated config and runs them in one
task group on one event loop.

    collectors ──emit──▶ Pipeline ──▶ LiveState ─┐
                                  ──▶ AlarmEngine ──events──▶ Hub, Notifier, alarm history
                                  ──▶ Hub (websockets)
                                  ──▶ buffer ──▶ InfluxWriter (one per sink)

Stopping (cancellation, from SIGINT/SIGTERM in the CLI) cancels the task group: the
collectors stop, the writer drains its buffer within a bounded time, the web server closes
its websockets, the journal is closed last.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, FastAPI

from alerting.defaults import RuleError, resolve
from alerting.engine import AlarmEngine, tick_forever
from alerting.events import AlarmEvent, AlarmState, EventKind
from alerting.journal import AlarmJournal
from alerting.notify.notifier import Notifier
from collectors.base import Collector
from collectors.bounded import DropOldestQueue
from collectors.health import CollectorHealth
from collectors.logonce import LogOnce
from collectors.modbus.collector import build_modbus_collectors
from collectors.modbus.device import OnHeartbeat
from collectors.mqtt.collector import build_mqtt_collectors
from config.catalog import Catalog
from config.gateway_file import GatewayConfig
from config.issues import ConfigError
from config.site import Site
from dashboard.alarmfeed import AlarmFeed
from dashboard.app import create_app
from dashboard.auth import AuthService, auth_component
from dashboard.components import ComponentStatus
from dashboard.hub import Hub
from dashboard.live import LiveState
from dashboard.routes.alarms import alarm_component
from dashboard.routes.commissioning import ReloadResult, reload_errors
from dashboard.server import DashboardServer
from dashboard.services import AlarmServices, CommissioningServices, DashboardServices
from gateway.pipeline import MemoryBuffer, Pipeline, ReadingBuffer, ReadingObserver
from gateway.storage.factory import build_writer
from gateway.storage.lineprotocol import encode_alarm_event_lines
from gateway.storage.query import build_trend_source
from gateway.storage.writer import InfluxWriter
from gateway.uplink.edge import EdgeUplink, build_uplink, uplink_component
from gateway.validation import load_gateway

log = logging.getLogger("hazgw")

Clock = Callable[[], float]


class AlarmHistory:
    """Alarm events into InfluxDB for history, off the hot path: a bounded queue drained by
    its own task through the writer (which retries until the database takes them)."""

    def __init__(self, writer: InfluxWriter, catalog: Catalog, capacity: int = 100_000) -> None:
        self._writer = writer
        self._catalog = catalog
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
                await self._writer.write_lines(encode_alarm_event_lines(batch, self._catalog))
                self.written += len(batch)


@dataclass
class Parts:
    """Everything the running gateway is made of; tests and the demo reach in here."""

    catalog: Catalog
    live: LiveState
    hub: Hub
    pipeline: Pipeline
    engine: AlarmEngine
    journal: AlarmJournal
    collectors: list[Collector]
    writer: InfluxWriter | None
    buffer: MemoryBuffer | None
    history: AlarmHistory | None
    notifier: Notifier | None
    server: DashboardServer


@dataclass(frozen=True)
class Storage:
    """Where readings and alarm events are stored; all None when no storage is configured."""

    buffer: MemoryBuffer | None = None
    writer: InfluxWriter | None = None
    history: AlarmHistory | None = None


def build_storage(config: GatewayConfig, catalog: Catalog) -> Storage:
    """The reading buffer, its database writer, and the alarm events' copy to the database."""
    storage = config.storage
    if storage is None:
        log.warning("no storage configured: readings are not written to any database")
        return Storage()
    buffer = MemoryBuffer(storage.buffer_capacity, name=storage.target.kind)
    writer = build_writer(storage, catalog, buffer)
    return Storage(buffer, writer, AlarmHistory(writer, catalog))


def build_alerting(
    config: GatewayConfig, catalog: Catalog, state_dir: Path, clock: Clock
) -> tuple[AlarmJournal, AlarmEngine]:
    """The alarm journal (opened here) and the engine that recovers its alarms from it."""
    journal = AlarmJournal(
        state_dir / "alarms.db", retention_days=config.alarm_journal.retention_days
    )
    return journal, AlarmEngine(catalog, journal, clock=clock)


def build_notifier(
    config: GatewayConfig, catalog: Catalog, engine: AlarmEngine, clock: Clock
) -> Notifier | None:
    """The notifier, when notifications are configured. Its own events (sends, failures)
    go through the engine's publisher: journalled (one transaction per notice), then heard
    by the engine's listeners like any other event."""
    notifications = config.notifications
    if notifications is None:
        return None
    return Notifier(notifications, catalog, engine.publisher, clock=clock)


def build_collectors(
    sites: Sequence[Site], clock: Clock, on_heartbeat: OnHeartbeat | None = None
) -> list[Collector]:
    return [
        *build_modbus_collectors(sites, clock, on_heartbeat=on_heartbeat),
        *build_mqtt_collectors(sites, clock),
    ]


class Gateway:
    def __init__(
        self,
        config: GatewayConfig,
        sites: Sequence[Site],
        *,
        state_dir: Path,
        clock: Clock = time.time,
        extra_routers: Callable[[Parts], Sequence[APIRouter]] | None = None,
        tick_interval: float = 0.5,
        config_path: Path | None = None,
    ) -> None:
        self.config = config
        self.config_path = config_path
        self._reload = asyncio.Event()
        self._bound_port: int | None = None
        # Users, sessions and the audit log outlive reloads: opened once, closed at exit.
        self.auth: AuthService | None = None
        self.sites = list(sites)
        self.state_dir = state_dir
        self.clock = clock
        self.extra_routers = extra_routers
        self.tick_interval = tick_interval
        self.parts: Parts | None = None
        self.uplink: EdgeUplink | None = None
        self.ready = asyncio.Event()

    def build(self) -> Parts:
        """Construct every part; no I/O but opening the alarm journal (and, the first time,
        the user database). Each step below builds one part; the wiring between them (who
        listens to whom) is spelled out here, in one place."""
        catalog = Catalog(self.sites)
        live = LiveState()
        journal, engine = build_alerting(self.config, catalog, self.state_dir, self.clock)
        hub = Hub(live, clock=self.clock, alarms=AlarmFeed(engine, catalog))
        engine.add_listener(hub.accept_events)

        storage = build_storage(self.config, catalog)
        if storage.history is not None:
            engine.add_listener(storage.history.accept)

        notifier = build_notifier(self.config, catalog, engine, self.clock)
        if notifier is not None:
            # Escalation ladders live in memory: alarms still unanswered after a restart
            # start theirs again from their raising.
            notifier.resume(unanswered_alarms(engine))
            engine.add_listener(notifier.accept)

        observers: list[ReadingObserver] = [live, engine, hub]
        buffers: list[ReadingBuffer] = [storage.buffer] if storage.buffer is not None else []
        # The park uplink (issue 11): its own buffer, drained to JetStream; alarm events too.
        self.uplink = build_uplink(
            self.config, self.sites, catalog, engine, self.clock, journal, self.state_dir
        )
        if self.uplink is not None:
            buffers.append(self.uplink.buffer)
            engine.add_listener(self.uplink.accept)
        pipeline = Pipeline(observers, buffers)
        # Status-word heartbeats go from each Modbus poll straight to the alarm engine.
        collectors = build_collectors(self.sites, self.clock, engine.accept_heartbeats)

        if self.auth is None:
            self.auth = AuthService.open(self.state_dir)
        auth = self.auth
        engine.add_listener(auth.alarm_listener)  # alarm actions into the audit log

        parts = Parts(
            catalog,
            live,
            hub,
            pipeline,
            engine,
            journal,
            collectors,
            storage.writer,
            storage.buffer,
            storage.history,
            notifier,
            server=None,  # type: ignore[arg-type]  # set below: the extra routers see the parts
        )
        services = self._dashboard_services(parts, auth)
        extra = self.extra_routers(parts) if self.extra_routers is not None else ()
        parts.server = self._web_server(create_app(services, extra_routers=extra))
        return parts

    def _dashboard_services(self, parts: Parts, auth: AuthService) -> DashboardServices:
        """What the web app reads: the live data, the alarms, health, users, commissioning."""
        collectors = parts.collectors

        def collector_health() -> Sequence[CollectorHealth]:
            return [collector.health for collector in collectors]

        def components() -> Sequence[ComponentStatus]:
            statuses = self._components(
                parts.pipeline, parts.buffer, parts.writer, parts.history, parts.notifier,
                parts.engine,
            )
            if self.auth is not None:
                statuses.append(auth_component(self.auth))
            if self.uplink is not None:
                statuses.append(uplink_component(self.uplink))
            return statuses

        return DashboardServices(
            catalog=parts.catalog,
            live=parts.live,
            hub=parts.hub,
            collectors=collector_health,
            components=components,
            clock=self.clock,
            alarms=AlarmServices(
                parts.engine, parts.journal, trend=build_trend_source(self.config.storage)
            ),
            auth=auth,
            commissioning=CommissioningServices(collectors, reload=self.reload),
        )

    def _web_server(self, app: FastAPI) -> DashboardServer:
        # After a reload the web app comes back on the port it had (also when it was port 0).
        port = self._bound_port if self._bound_port is not None else self.config.http.port
        return DashboardServer(app, host=self.config.http.host, port=port)

    @staticmethod
    def _components(
        pipeline: Pipeline,
        buffer: MemoryBuffer | None,
        writer: InfluxWriter | None,
        history: AlarmHistory | None,
        notifier: Notifier | None,
        engine: AlarmEngine,
    ) -> list[ComponentStatus]:
        statuses = [
            ComponentStatus(
                "pipeline",
                ok=True,
                counters={"readings_in": pipeline.readings_in, "batches_in": pipeline.batches_in},
            ),
            alarm_component(engine),
        ]
        if writer is not None and buffer is not None:
            health = writer.health
            statuses.append(
                ComponentStatus(
                    f"storage {health.target}",
                    ok=bool(health.connected) and buffer.dropped == 0,
                    counters={
                        "lines_written": health.lines_written,
                        "batches_written": health.batches_written,
                        "retries": health.retries,
                        "rejected": health.rejected_lines,
                        "buffered": len(buffer),
                        "dropped": buffer.dropped,
                        "alarm_events_written": history.written if history else 0,
                        "alarm_events_dropped": history.dropped if history else 0,
                    },
                    detail=health.last_error,
                )
            )
        if notifier is not None:
            nh = notifier.health()
            failing = [
                name
                for name, channel in nh.channels.items()
                if channel.last_error_at is not None
                and (channel.last_success is None or channel.last_error_at > channel.last_success)
            ]
            statuses.append(
                ComponentStatus(
                    "notifications",
                    ok=nh.running and not failing,
                    counters={**nh.counters, "escalating": nh.escalating, "held": nh.held},
                    detail=f"failing channels: {', '.join(failing)}" if failing else None,
                )
            )
        return statuses

    async def reload(self) -> ReloadResult:
        """Validate the gateway file and its site files again, and try building what they
        describe; if all is well, restart every part with them in this process. Any error
        changes nothing."""
        if self.config_path is None:
            return ReloadResult(errors=["this gateway was not started from a gateway file"])
        try:
            loaded = await asyncio.to_thread(load_gateway, self.config_path)
        except ConfigError as error:
            return ReloadResult(errors=reload_errors(error.issues))
        if loaded.config.http != self.config.http:
            return ReloadResult(
                errors=[f"{self.config_path}: http: changing the listen address needs a restart"]
            )
        try:
            for info in Catalog(loaded.sites):
                resolve(info.key, info.config, info.hazard_source.id)
            build_collectors(loaded.sites, self.clock)
        except (RuleError, ValueError) as error:
            return ReloadResult(errors=[str(error)])
        self.config, self.sites = loaded.config, loaded.sites
        points = sum(len(site.points()) for site in loaded.sites)
        log.info("configuration reloaded: %d site(s), %d points", len(loaded.sites), points)
        # The answer goes out before the parts (the web server included) stop.
        asyncio.get_running_loop().call_later(0.2, self._reload.set)
        return ReloadResult(sites=len(loaded.sites), points=points)

    async def run(self) -> None:
        """Run until cancelled; a successful reload restarts the parts with the new config."""
        try:
            await self._run_until_stopped()
        finally:
            if self.auth is not None:
                self.auth.close()
                self.auth = None

    async def _run_until_stopped(self) -> None:
        reloading = True
        while reloading:
            self._reload.clear()
            reloading = False
            try:
                await self._run_once()
            except* _Reloading:
                log.info("restarting the gateway's parts with the reloaded configuration")
                reloading = True

    async def _run_once(self) -> None:
        parts = self.parts = self.build()
        # Take the start-up objects (catalog, rules, routes: hundreds of thousands) out of the
        # garbage collector's sight. Readings live about a second, long enough to reach the
        # oldest generation, and a full collection over everything then stops the event loop
        # for 150-350 ms every few seconds: an alarm waits that long (benchmarks/alarm_latency).
        gc.freeze()
        log.info(
            "hazgw starting: %d site(s), %d points, %d collector(s)",
            len(self.sites),
            len(parts.catalog),
            len(parts.collectors),
        )
        try:
            async with asyncio.TaskGroup() as group:
                for collector in parts.collectors:
                    group.create_task(collector.run(parts.pipeline.emit), name=collector.name)
                if parts.writer is not None:
                    group.create_task(parts.writer.run(), name="influx-writer")
                if parts.history is not None:
                    group.create_task(parts.history.run(), name="alarm-history")
                if parts.notifier is not None:
                    group.create_task(parts.notifier.run(), name="notifier")
                group.create_task(tick_forever(parts.engine, self.tick_interval), name="alarm-tick")
                if self.uplink is not None:
                    group.create_task(self.uplink.run(), name="park-uplink")
                await parts.server.start()
                self._bound_port = parts.server.port
                group.create_task(_serve_until_cancelled(parts.server), name="dashboard")
                group.create_task(self._wait_for_reload(), name="reload-watch")
                log.info("dashboard on %s", parts.server.url)
                self.ready.set()
        finally:
            parts.journal.close()
            gc.unfreeze()  # a reload builds new parts: let the old ones be collected
            log.info("hazgw stopped")

    async def _wait_for_reload(self) -> None:
        await self._reload.wait()
        raise _Reloading


class _Reloading(Exception):
    """Raised inside the task group to stop every part for a reload."""


def unanswered_alarms(engine: AlarmEngine) -> list[AlarmEvent]:
    """A RAISED event for every recovered alarm that still awaits acknowledgement."""
    return [
        AlarmEvent(
            alarm_id=record.alarm_id,
            point=record.point,
            alarm_type=record.alarm_type,
            kind=EventKind.RAISED,
            state=record.state,
            priority=record.priority,
            ts=record.raised_at or record.changed_at or 0.0,
            value=record.value,
            limit=record.limit,
            hazard_source=record.hazard_source,
        )
        for record in engine.active()
        if record.state in (AlarmState.UNACK, AlarmState.RTN_UNACK)
    ]


async def _serve_until_cancelled(server: DashboardServer) -> None:
    try:
        await asyncio.Future()
    finally:
        await server.stop()
