"""The gateway process: builds every part from the validated config and runs them in one
task group on one event loop.

    collectors ──emit──▶ Pipeline ──▶ LiveState ─┐
                                  ──▶ AlarmEngine ──events──▶ Hub, Notifier, alarm history
                                  ──▶ Hub (websockets)
                                  ──▶ durable buffer ──▶ InfluxWriter

Two lifetimes. The storage (durable buffer, writer, alarm history), the park uplink (with
its own durable buffer), the web server and the user database are made once and live as
long as the process. The parts that depend on the site files (catalog, live state, alarm
engine and journal, hub, notifier, pipeline,
collectors, the web app) are rebuilt by a reload and swapped in without a pause: collectors
emit and heartbeats go through the gateway to whichever pipeline and engine are current,
the web server forwards to whichever app is current, and collectors whose device did not
change keep running (see ``gateway.reload``).

Stopping (cancellation, from SIGINT/SIGTERM in the CLI) cancels the task group: the
collectors stop, the writer writes for a moment and leaves the rest in the buffer on disk,
the web server closes its websockets, the journal and the buffer are closed last.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from fastapi import APIRouter

from alerting.engine import tick_forever
from collectors.base import Collector
from collectors.health import CollectorHealth
from collectors.modbus.device import Heartbeat
from collectors.readings import Reading
from config.catalog import Catalog
from config.gateway_file import GatewayConfig
from config.site import Site
from dashboard.alarmfeed import AlarmFeed
from dashboard.app import create_app
from dashboard.auth import AuthService, auth_component
from dashboard.components import ComponentStatus
from dashboard.hub import Hub
from dashboard.live import LiveState
from dashboard.routes.commissioning import ReloadResult
from dashboard.server import DashboardServer
from dashboard.services import AlarmServices, CommissioningServices, DashboardServices
from gateway.assembly import (
    Parts,
    build_alerting,
    build_answer_links,
    build_duty,
    build_notifier,
    close_parts,
    unanswered_alarms,
)
from gateway.components import gateway_components
from gateway.pipeline import Pipeline, ReadingBuffer, ReadingObserver
from gateway.reload import build_collectors, check_reload, keep_unchanged
from gateway.selfwatch import SelfAlarmSettings, SelfWatch, gateway_catalog, watched_sinks
from gateway.sinks import AlarmHistory, Storage, open_storage
from gateway.statedir import prepare_state_dir
from gateway.storage.query import build_trend_source
from gateway.webswitch import SwitchableApp

__all__ = ["AlarmHistory", "Gateway", "Parts", "build_collectors", "unanswered_alarms"]
from gateway.uplink.edge import EdgeUplink, close_uplink, open_uplink, uplink_component

YOUNG_GENERATION = 10_000  # objects allocated between two collections of the youngest


def settle_gc() -> None:
    """The garbage collector as the running gateway has it: what exists now (the start-up
    objects) out of its sight for good, and a young generation of ``YOUNG_GENERATION``
    objects, not 700. At 100,000 readings/s the default ran 250 collections a second, and
    readings (tracked: their quality and reason are enum objects) that outlive one pass
    are traced again in the older generations: 5-15 % of the process's CPU
    (benchmarks/peers, MQTT at 10,000 msg/s)."""
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION, 10, 10)

log = logging.getLogger("hazgw")

Clock = Callable[[], float]


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
        self_alarms: SelfAlarmSettings | None = None,
    ) -> None:
        self.config = config
        self.self_alarms = self_alarms or SelfAlarmSettings()
        self.config_path = config_path
        self._reload = asyncio.Event()
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
        self.reloads = 0  # reloads applied
        # --- process lifetime: made once, kept through reloads
        self.storage: Storage | None = None
        self._server: DashboardServer | None = None
        self._switch: SwitchableApp | None = None
        self._group: asyncio.TaskGroup | None = None
        self._collector_tasks: dict[int, asyncio.Task[None]] = {}  # by id(collector)
        self._part_tasks: list[asyncio.Task[None]] = []  # alarm tick, notifier
        self._earlier = (0, 0)  # readings and batches through pipelines before a reload

    def build(self, catalog: Catalog | None = None, keep: Sequence[Collector] = ()) -> Parts:
        """Construct the parts the site files describe; no I/O but opening the alarm
        journal (and, the first time, the user database). ``keep``: running collectors
        to reuse where their device did not change. The wiring between the parts (who
        listens to whom) is spelled out here, in one place."""
        catalog = catalog if catalog is not None else self._catalog()
        live = LiveState()
        prepare_state_dir(self.state_dir)  # 0700 before any database goes into it
        journal, engine = build_alerting(self.config, catalog, self.state_dir, self.clock)
        hub = Hub(live, clock=self.clock, alarms=AlarmFeed(engine, catalog))
        engine.add_listener(hub.accept_events)

        storage = self.storage
        if storage is not None:
            storage.use_catalog(catalog)
            engine.add_listener(storage.history.accept)

        # Notices tell the value at sending time from the live readings.
        links = build_answer_links(self.config, self.state_dir)
        notifier = build_notifier(
            self.config, catalog, engine, self.clock, live.latest.get, links
        )
        if notifier is not None:
            # Escalation ladders live in memory: alarms still unanswered after a restart
            # start theirs again from their raising.
            notifier.resume(unanswered_alarms(engine))
            engine.add_listener(notifier.accept)

        observers: list[ReadingObserver] = [live, engine, hub]
        buffers: list[ReadingBuffer] = [storage.buffer] if storage is not None else []
        # The park uplink (issue 11): opened once per process like the storage, with its own
        # durable buffer drained to JetStream; it follows these parts' engine and journal.
        if self.uplink is not None:
            self.uplink.attach(self.sites, catalog, engine.active, journal)
            buffers.append(self.uplink.buffer)
            engine.add_listener(self.uplink.accept)
        pipeline = Pipeline(observers, buffers)
        # Status-word heartbeats go from each Modbus poll to the current alarm engine.
        collectors = keep_unchanged(
            keep,
            build_collectors(
                self.sites, self.clock, self._heartbeats, gateway_id=self.config.gateway_id,
                durable=self._durable if storage is not None or self.uplink else None,
            ),
        )

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
            storage.writer if storage is not None else None,
            storage.buffer if storage is not None else None,
            storage.history if storage is not None else None,
            notifier,
            server=None,  # type: ignore[arg-type]  # set below: the extra routers see the parts
        )
        parts.links = links
        parts.duty, parts.reports = build_duty(self.config, parts, self.state_dir, self.clock)
        services = self._dashboard_services(parts, auth)
        extra = self.extra_routers(parts) if self.extra_routers is not None else ()
        parts.app = create_app(services, extra_routers=extra)
        if self._server is None:
            self._switch = SwitchableApp(parts.app)
            self._server = DashboardServer(
                self._switch,
                host=self.config.http.host,
                port=self.config.http.port,
                trusted_proxies=self.config.http.trusted_proxies,
            )
        parts.server = self._server
        return parts

    def _catalog(self) -> Catalog:
        """The site files' points and the gateway's own (``gateway.selfwatch``)."""
        return gateway_catalog(self.sites, self.config, self.self_alarms)

    # ------------------------------------------------- what collectors reach through us

    def _emit(self, readings: Sequence[Reading]) -> None:
        parts = self.parts
        if parts is not None:
            parts.pipeline.emit(readings)

    async def _durable(self, now: bool) -> None:
        """Returns once every reading emitted so far is on disk (MQTT acks wait for it);
        ``now``: commit at once rather than at the next group commit."""
        waits = [self.storage.buffer.flushed(now=now)] if self.storage is not None else []
        if self.uplink is not None:
            waits.append(self.uplink.flushed(now=now))
        await asyncio.gather(*waits)

    def _heartbeats(self, beats: Sequence[Heartbeat]) -> None:
        parts = self.parts
        if parts is not None:
            parts.engine.accept_heartbeats(beats)

    # --------------------------------------------------------------------- services

    def _dashboard_services(self, parts: Parts, auth: AuthService) -> DashboardServices:
        """What the web app reads: the live data, the alarms, health, users, commissioning."""
        collectors = parts.collectors
        notifications = self.config.notifications  # its routes are the KPIs' duty posts

        def collector_health() -> Sequence[CollectorHealth]:
            return [collector.health for collector in collectors]

        def components() -> Sequence[ComponentStatus]:
            statuses = gateway_components(
                parts.pipeline, self._earlier, parts.engine, self.storage, parts.notifier,
                self.clock(),
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
                parts.engine, parts.journal, trend=build_trend_source(self.config.storage),
                routes=notifications.routes if notifications is not None else (),
                links=parts.links,
            ),
            auth=auth,
            commissioning=CommissioningServices(collectors, reload=self.reload),
            duty=parts.duty,
        )

    # ---------------------------------------------------------------------- reload

    async def reload(self) -> ReloadResult:
        """Validate the gateway file and its site files again, and try building what they
        describe; if all is well, swap in the parts they describe. Any error changes
        nothing."""
        checked = await check_reload(self.config_path, self.config, self.clock)
        if isinstance(checked, ReloadResult):
            return checked
        self.config, self.sites = checked.config, checked.sites
        points = sum(len(site.points()) for site in checked.sites)
        log.info("configuration reloaded: %d site(s), %d points", len(checked.sites), points)
        self._reload.set()  # applied by the reload watcher, after this answer went out
        return ReloadResult(sites=len(checked.sites), points=points)

    async def _apply_reloads(self) -> None:
        while True:
            await self._reload.wait()
            self._reload.clear()
            await asyncio.sleep(0)  # the reload request's answer first
            await self._swap()

    async def _swap(self) -> None:
        """New parts in, old parts out, with no moment without an alarm engine, a
        pipeline or a web app. The storage is untouched: nothing in it is at risk."""
        old = self.parts
        assert old is not None and self._switch is not None
        new = self.build(keep=old.collectors)
        self._earlier = (
            self._earlier[0] + old.pipeline.readings_in,
            self._earlier[1] + old.pipeline.batches_in,
        )
        self.parts = new  # from here on readings and heartbeats reach the new engine
        assert new.app is not None
        self._switch.app = new.app
        kept = {id(collector) for collector in new.collectors}
        stopping = [
            task for key, task in self._collector_tasks.items() if key not in kept
        ] + self._part_tasks
        self._collector_tasks = {
            key: task for key, task in self._collector_tasks.items() if key in kept
        }
        self._part_tasks = []
        self._start(new)  # the new engine ticks before the old one has stopped
        for task in stopping:
            task.cancel()
        await asyncio.gather(*stopping, return_exceptions=True)
        old.hub.close_all()  # screens reconnect, to the new app
        close_parts(old)
        self.reloads += 1
        # The old parts are garbage now: let the collector see them once, then put the
        # new ones out of its sight again (see run()).
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        log.info(
            "reload applied: %d collector(s) kept running, %d restarted",
            len(kept & {id(c) for c in old.collectors}),
            len(new.collectors) - len(kept & {id(c) for c in old.collectors}),
        )

    # ------------------------------------------------------------------------- run

    def _start(self, parts: Parts) -> None:
        group = self._group
        assert group is not None
        for collector in parts.collectors:
            if id(collector) not in self._collector_tasks:
                self._collector_tasks[id(collector)] = group.create_task(
                    collector.run(self._emit), name=collector.name
                )
        self._part_tasks.append(
            group.create_task(tick_forever(parts.engine, self.tick_interval), name="alarm-tick")
        )
        if parts.notifier is not None:
            self._part_tasks.append(group.create_task(parts.notifier.run(), name="notifier"))
        if parts.reports is not None:
            self._part_tasks.append(group.create_task(parts.reports.run(), name="reports"))

    async def run(self) -> None:
        """Run until cancelled; a successful reload swaps in the parts of the new config."""
        try:
            catalog = self._catalog()
            self.storage = await open_storage(
                self.config.storage, self.sites, catalog, self.state_dir
            )
            try:
                self.uplink = await open_uplink(
                    self.config, self.sites, catalog, self.state_dir, self.clock
                )
                await self._run(catalog)
            finally:
                if self.uplink is not None:
                    await close_uplink(self.uplink)
                if self.storage is not None:
                    await self.storage.close()
        finally:
            if self.auth is not None:
                self.auth.close()
                self.auth = None

    async def _run(self, catalog: Catalog) -> None:
        parts = self.parts = self.build(catalog)
        # Take the start-up objects (catalog, rules, routes: hundreds of thousands) out of the
        # garbage collector's sight. Readings live about a second, long enough to reach the
        # oldest generation, and a full collection over everything then stops the event loop
        # for 150-350 ms every few seconds: an alarm waits that long (benchmarks/alarm_latency).
        settle_gc()
        log.info(
            "hazgw starting: %d site(s), %d points, %d collector(s)",
            len(self.sites),
            len(parts.catalog),
            len(parts.collectors),
        )
        try:
            async with asyncio.TaskGroup() as group:
                self._group = group
                storage = self.storage
                if storage is not None:
                    group.create_task(storage.writer.run(), name="influx-writer")
                    group.create_task(storage.history.run(), name="alarm-history")
                if self.uplink is not None:
                    group.create_task(self.uplink.run(), name="park-uplink")
                # The sinks' own alarms (drops, failing writes), through whichever pipeline
                # is current: they outlive reloads like the sinks.
                sinks = watched_sinks(storage, self.uplink)
                if sinks:
                    watch = SelfWatch(sinks, self.self_alarms, self.clock)
                    group.create_task(watch.run(self._emit), name="self-watch")
                self._start(parts)
                await parts.server.start()
                group.create_task(_serve_until_cancelled(parts.server), name="dashboard")
                group.create_task(self._apply_reloads(), name="reload-watch")
                log.info("dashboard on %s", parts.server.url)
                self.ready.set()
        finally:
            self._group = None
            if self.parts is not None:
                close_parts(self.parts)
            gc.unfreeze()
            log.info("hazgw stopped")


async def _serve_until_cancelled(server: DashboardServer) -> None:
    try:
        await asyncio.Future()
    finally:
        await server.stop()
