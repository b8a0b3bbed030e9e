"""The gateway's own alarms: a sink's buffer that drops readings, a database that cannot be
written. They are alarms like any other, not just words in /api/health, so that the duty
officer sees them on the wall and the console, the notification routes send them, the
journal keeps them and a person must acknowledge them.

How they fit the catalog: every sink (the database, the park uplink) has synthetic points
under the site ``_gateway`` (hazard source ``_gateway``, device ``gateway``), which are not
in any site file:

- ``BUFFER-<sink>``: readings the sink's buffer dropped (full: the oldest went) within the
  last ``drop_window`` seconds. Limit H at 1 reading: the alarm rises with the first drop
  and returns once a whole window passed without one. The window is the hold-off: a buffer
  that drops in bursts stays in one alarm instead of chattering.
- ``WRITE-<sink>``: seconds the sink's writer has been failing (0 while it writes). Limit H
  at ``write_failing_after`` seconds: a short database hiccup is no alarm (the buffer holds
  the readings); a long one is, before the buffer fills.

``SelfWatch`` samples the sinks' counters once a ``interval`` and emits a reading per point
into the pipeline, as a collector would: the alarm engine evaluates them with its ordinary
rules (``alerting`` knows nothing of the gateway), the live state and the trends show them,
the database keeps their history. Sampling is pure, with the clock passed in.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from collectors.readings import Reading
from config.alarms import CommLoss, Limit, PointAlarms, SensorFault
from config.catalog import GATEWAY_SITE, GATEWAY_SOURCE_ID, Catalog, PointInfo, PointKey
from config.gateway_file import GatewayConfig
from config.mqtt import MqttPoint
from config.points import HazardSource, HazardSourceKind, PointKind, Range
from config.site import Site
from config.vocabulary import Priority
from gateway.sinks import Storage
from gateway.uplink.edge import EdgeUplink

GATEWAY_SITE_NAME = "网关自身 Gateway"
GATEWAY_DEVICE = "gateway"
GATEWAY_SOURCE = HazardSource(
    id=GATEWAY_SOURCE_ID, name="网关自身 Gateway", grade=4, kind=HazardSourceKind.PROCESS_UNIT
)

Emit = Callable[[Sequence[Reading]], None]
Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class SelfAlarmSettings:
    interval: float = 1.0  # seconds between samples of the sinks' counters
    drop_window: float = 60.0  # a drop keeps the alarm up this long: the hold-off
    write_failing_after: float = 60.0  # seconds of failing writes before the alarm


@dataclass(frozen=True, slots=True)
class WatchedSink:
    """What the watch reads of one sink: its buffer's drop counter and, if it has one that
    can fail on its own, whether its writer is failing now."""

    name: str
    dropped: Callable[[], int]
    failing: Callable[[], bool] | None = None


UPLINK = "uplink"


def gateway_catalog(
    sites: Sequence[Site], config: GatewayConfig, settings: SelfAlarmSettings
) -> Catalog:
    """The site files' points and the gateway's own for the sinks ``config`` has: the
    database (drops and failing writes) and the park uplink (drops)."""
    writing = [config.storage.target.kind] if config.storage is not None else []
    dropping = writing + ([UPLINK] if config.uplink is not None else [])
    return Catalog(sites, extra=self_points(dropping, writing, settings))


def watched_sinks(storage: Storage | None, uplink: EdgeUplink | None) -> list[WatchedSink]:
    """The running sinks, as ``gateway_catalog`` named them."""
    sinks = []
    if storage is not None:
        buffer, writer = storage.buffer, storage.writer
        sinks.append(WatchedSink(
            storage.settings.target.kind,
            dropped=lambda: buffer.dropped,
            failing=lambda: writer.health.connected is False,
        ))
    if uplink is not None:
        uplink_buffer = uplink.buffer
        sinks.append(WatchedSink(UPLINK, dropped=lambda: uplink_buffer.dropped))
    return sinks


def drop_key(sink: str) -> PointKey:
    return PointKey(GATEWAY_SITE, f"BUFFER-{sink}")


def write_key(sink: str) -> PointKey:
    return PointKey(GATEWAY_SITE, f"WRITE-{sink}")


def self_points(
    dropping: Sequence[str], writing: Sequence[str], settings: SelfAlarmSettings
) -> list[PointInfo]:
    """The synthetic points: a drop point for every sink in ``dropping``, a write point
    for every sink in ``writing``."""
    points = [
        _info(drop_key(sink), MqttPoint(
            tag=drop_key(sink).tag,
            name=f"网关缓冲区丢弃最旧读数 Buffer dropping oldest readings: {sink}",
            kind=PointKind.ANALOG, unit="条", range=Range(low=0, high=1e15),
            hazard_source=GATEWAY_SOURCE.id,
            # Dropped readings are records lost for good (Order No. 40 asks for all of them).
            alarms=_alarms(Limit(value=1, deadband=0.5, priority=Priority.HIGH)),
        ))
        for sink in dropping
    ]
    after = settings.write_failing_after
    points += [
        _info(write_key(sink), MqttPoint(
            tag=write_key(sink).tag,
            name=f"网关写入数据库失败 Storage writes failing: {sink}",
            kind=PointKind.ANALOG, unit="s", range=Range(low=0, high=1e15),
            hazard_source=GATEWAY_SOURCE.id,
            # Nothing is lost yet (the buffer holds it), but the records are falling behind;
            # the alarm clears as soon as a write succeeds (the value falls to 0).
            alarms=_alarms(Limit(value=after, deadband=after - 0.5, priority=Priority.MEDIUM)),
        ))
        for sink in writing
    ]
    return points


def _alarms(high: Limit) -> PointAlarms:
    # No comm-loss or sensor-fault alarm: the gateway reads these itself, every interval.
    return PointAlarms(
        H=high, comm_loss=CommLoss(enabled=False), sensor_fault=SensorFault(enabled=False),
    )


def _info(key: PointKey, point: MqttPoint) -> PointInfo:
    return PointInfo(
        key=key, site_name=GATEWAY_SITE_NAME, device_id=GATEWAY_DEVICE,
        hazard_source=GATEWAY_SOURCE, config=point,
    )


class DropWindow:
    """Readings dropped within the last ``window`` seconds, from samples of a counter that
    only grows. Keeps one sample per call within the window (bounded by window/interval)."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._samples: deque[tuple[float, int]] = deque()

    def sample(self, total: int, now: float) -> int:
        samples = self._samples
        samples.append((now, total))
        # Keep the newest sample at or before the window's start as the reference.
        while len(samples) > 1 and samples[1][0] <= now - self.window:
            samples.popleft()
        return total - samples[0][1]


class FailingFor:
    """Seconds something has been failing without a break, from samples of its state."""

    def __init__(self) -> None:
        self._since: float | None = None

    def sample(self, failing: bool, now: float) -> float:
        if not failing:
            self._since = None
            return 0.0
        if self._since is None:
            self._since = now
        return now - self._since


class SelfWatch:
    """Samples the sinks and emits the gateway's own readings."""

    def __init__(
        self, sinks: Sequence[WatchedSink], settings: SelfAlarmSettings, clock: Clock
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._drops = [(sink, DropWindow(settings.drop_window)) for sink in sinks]
        self._writes = [(sink, FailingFor()) for sink in sinks if sink.failing is not None]

    def sample(self, now: float) -> list[Reading]:
        readings = [
            Reading(drop_key(sink.name), float(window.sample(sink.dropped(), now)), now)
            for sink, window in self._drops
        ]
        for sink, failing in self._writes:
            assert sink.failing is not None
            seconds = failing.sample(sink.failing(), now)
            readings.append(Reading(write_key(sink.name), round(seconds, 3), now))
        return readings

    async def run(self, emit: Emit) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            emit(self.sample(self._clock()))
            due += self.settings.interval
            # A counter to sample, not an event to await: a fixed pace, never drifting.
            await asyncio.sleep(max(0.0, due - loop.time()))
