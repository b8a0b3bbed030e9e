"""A park on loopback for the tests: a three-node NATS cluster, one influxd, edges fed with
known readings through the real uplink, central instances consuming into InfluxDB."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from nats.js.client import JetStreamContext
from pydantic import SecretStr

from alerting.events import AlarmEvent, AlarmState, EventKind
from alerting.journal import AlarmJournal
from alerting.statemachine import AlarmRecord
from collectors.readings import Reading
from config.catalog import Catalog, PointKey
from config.gateway_file import HttpSettings, InfluxV1
from config.park import CentralSettings
from config.points import Enterprise
from config.site import Site
from config.uplink import UplinkSettings
from config.vocabulary import AlarmType, Priority
from gateway.park.central import Central
from gateway.pipeline import MemoryBuffer
from gateway.sim.influx import InfluxdServer, influxd
from gateway.sim.nats import CENTRAL_USER, NatsCluster, nats_cluster
from gateway.uplink.edge import EdgeUplink
from gateway.validation import load_site

EXAMPLES = Path(__file__).resolve().parents[3] / "config" / "examples"
DB = "park"
PARTITIONS = 4
CENTRAL_PASSWORD = "central-secret"


def enterprise_site(code: str, example: str = "tank_farm.yaml") -> Site:
    site = load_site(EXAMPLES / example)
    return site.model_copy(update={"enterprise": Enterprise(name=f"企业{code}", code=code)})


@dataclass
class Edge:
    code: str
    site: Site
    buffer: MemoryBuffer
    uplink: EdgeUplink
    task: asyncio.Task[None] | None = None
    sent: int = 0
    tags: list[str] = field(default_factory=list)
    journal: AlarmJournal | None = None
    events: int = 0

    def raise_events(self, count: int, start: float) -> None:
        """``count`` alarm events journalled (as the engine does), then heard by the uplink
        (when it runs: before it starts, it catches up from the journal)."""
        assert self.journal is not None
        point = PointKey(self.code, self.tags[0])
        events = [
            AlarmEvent(
                alarm_id=f"{point}/HH", point=point, alarm_type=AlarmType.HIGH_HIGH,
                kind=EventKind.RAISED, state=AlarmState.UNACK, priority=Priority.CRITICAL,
                ts=start + (self.events + i) * 0.01, value=99.0, limit=80.0,
            )
            for i in range(count)
        ]
        self.events += count
        self.uplink.accept(self.journal.write(events))

    def feed(self, count: int, start: float, step: float = 0.001) -> None:
        """``count`` readings with distinct timestamps, spread over the site's points."""
        readings = [
            Reading(PointKey(self.code, self.tags[i % len(self.tags)]), float(i),
                    start + (self.sent + i) * step)
            for i in range(count)
        ]
        self.sent += count
        self.buffer.put(readings)


@dataclass
class Park:
    cluster: NatsCluster
    influx: InfluxdServer
    edges: dict[str, Edge]
    centrals: dict[str, tuple[Central, asyncio.Task[None]]]
    state_root: Path

    def uplink_settings(self, code: str, password: str | None = None) -> UplinkSettings:
        return UplinkSettings(
            servers=self.cluster.urls, user=code, password=SecretStr(password or f"pw-{code}"),
            batch_size=500, linger=0.05, heartbeat_interval=0.5, ack_timeout=2.0,
        )

    def start_edge(self, code: str, site: Site, *, user: str | None = None,
                   password: str | None = None, servers: list[str] | None = None,
                   events_before_start: int = 0,
                   active_alarms: Callable[[], Sequence[AlarmRecord]] = tuple) -> Edge:
        buffer = MemoryBuffer(200_000, name=f"uplink {code}")
        settings = self.uplink_settings(user or code, password)
        if servers is not None:
            settings = settings.model_copy(update={"servers": servers})
        journal = AlarmJournal(self.state_root / f"{code}-alarms.db")
        uplink = EdgeUplink(
            settings, [site], Catalog([site]), buffer, journal=journal,
            cursor_path=self.state_root / f"{code}-uplink.cursor",
            active_alarms=active_alarms,
        )
        tags = [point.tag for _, point in site.points()]
        edge = Edge(code, site, buffer, uplink, tags=tags, journal=journal)
        if events_before_start:
            edge.raise_events(events_before_start, time.time() - 120)
        edge.task = asyncio.create_task(uplink.run(), name=f"edge {code}")
        self.edges[code] = edge
        return edge

    def start_central(self, name: str,
                      call_after: Mapping[Priority, float] | None = None,
                      state_dir: Path | None = None) -> Central:
        extra = {} if call_after is None else {"call_after_minutes": dict(call_after)}
        settings = CentralSettings(
            servers=self.cluster.urls, user=CENTRAL_USER, password=SecretStr(CENTRAL_PASSWORD),
            instance=name, partitions=PARTITIONS, lease_ttl=6.0, offline_after=5.0,
            storage=InfluxV1(kind="influx_v1", url=self.influx.url, database=DB),
            http=HttpSettings(port=0), **extra,
        )
        central = Central(settings, state_dir=state_dir)
        task = asyncio.create_task(central.run(), name=f"central {name}")
        self.centrals[name] = (central, task)
        return central

    async def kill_central(self, name: str) -> Central:
        """Cancel the instance without its clean goodbye: leases are left to expire, as
        when the process dies."""
        central, task = self.centrals.pop(name)
        central._leases = None
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        return central

    async def stop(self) -> None:
        for edge in self.edges.values():
            if edge.task is not None:
                edge.task.cancel()
        for _, task in self.centrals.values():
            task.cancel()
        tasks = [e.task for e in self.edges.values() if e.task]
        tasks += [t for _, t in self.centrals.values()]
        await asyncio.gather(*tasks, return_exceptions=True)
        for edge in self.edges.values():
            if edge.journal is not None:
                edge.journal.close()

    async def readings_in_db(self, code: str | None = None) -> int:
        where = f" WHERE site = '{code}'" if code else ""
        rows = await self.influx.rows(f'SELECT count("value") FROM reading{where}', DB)
        return int(rows[0]["count"]) if rows else 0

    async def events_in_db(self, code: str) -> int:
        rows = await self.influx.rows(
            f"SELECT count(\"seq\") FROM alarm_event WHERE site = '{code}'", DB
        )
        return int(rows[0]["count"]) if rows else 0

    def check_alive(self) -> None:
        """A central instance that crashed fails the test with its own error."""
        for name, (_, task) in self.centrals.items():
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise AssertionError(f"central {name} crashed") from task.exception()
        for name, (central, _) in self.centrals.items():
            for partition, worker in central._workers.items():
                if worker.done() and not worker.cancelled() and worker.exception() is not None:
                    raise AssertionError(
                        f"central {name}: partition {partition} worker died"
                    ) from worker.exception()

    def written(self) -> int:
        self.check_alive()
        return sum(c.readings_written for c, _ in self.centrals.values())


@asynccontextmanager
async def park(codes: list[str], tmp_path: Path) -> AsyncIterator[Park]:
    users = {code: f"pw-{code}" for code in codes}
    async with (
        nats_cluster(users, central_password=CENTRAL_PASSWORD, partitions=PARTITIONS) as cluster,
        influxd() as influx,
    ):
        await influx.create_database(DB)
        result = Park(cluster, influx, {}, {}, tmp_path)
        try:
            yield result
        finally:
            await result.stop()


async def bucket_keys(js: JetStreamContext, bucket: str) -> set[str]:
    """The keys a KV bucket holds, asked of its stream's leader. ``KeyValue.keys()`` is not
    used: in nats-py it ends its watch when the consumer reports nothing pending before the
    client counted a delivery, so under load it can answer "no keys" for a full bucket."""
    prefix = f"$KV.{bucket}."
    info = await js.stream_info(f"KV_{bucket}", subjects_filter=f"{prefix}>")
    return {subject.removeprefix(prefix) for subject in (info.state.subjects or {})}
