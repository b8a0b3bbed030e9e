"""The gateway's own alarms (gateway.selfwatch): the samplers by tables with the clock passed
in, and the synthetic points through a real alarm engine and journal: a dropping buffer
raises an H alarm naming the sink and the count, which returns once a whole window passed
without a drop; failing writes raise one after their delay and clear on the first success."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from alerting.engine import AlarmEngine
from alerting.events import AlarmEvent, AlarmState, EventKind, alarm_id
from alerting.journal import AlarmJournal
from alerting.notify.routing import match_routes
from collectors.readings import Reading
from config.catalog import GATEWAY_SOURCE_ID, Catalog, PointKey
from config.gateway_file import GatewayConfig
from config.notifications import NotificationSettings, check_notifications
from config.vocabulary import AlarmType, Priority
from gateway.selfwatch import (
    GATEWAY_SITE,
    DropWindow,
    FailingFor,
    SelfAlarmSettings,
    SelfWatch,
    WatchedSink,
    drop_key,
    gateway_catalog,
    self_points,
    write_key,
)
from gateway.uplink.edge import by_site

# (seconds since start, counter total) -> dropped within the last 10 s
DROP_WINDOW_CASES = [
    ([(0, 0)], 0),
    ([(0, 0), (1, 5)], 5),
    ([(0, 0), (1, 5), (2, 12)], 12),
    # the drops stopped at t=2: counted until a whole window passed (those before the
    # sample at t=1 fell out of the window: the reference is the newest sample before it)
    ([(0, 0), (1, 5), (2, 12), (11, 12)], 7),
    ([(0, 0), (1, 5), (2, 12), (11, 12), (12, 12)], 0),
    # a new burst after the window
    ([(0, 0), (2, 12), (12, 12), (20, 15)], 3),
    # a long gap between samples: the reference is the newest sample before the window
    ([(0, 0), (100, 7)], 7),
    ([(0, 0), (100, 7), (111, 7)], 0),
]


@pytest.mark.parametrize(("samples", "expected"), DROP_WINDOW_CASES)
def test_drop_window(samples: list[tuple[float, int]], expected: int) -> None:
    window = DropWindow(10.0)
    result = [window.sample(total, now) for now, total in samples]
    assert result[-1] == expected


FAILING_CASES = [
    ([(0, False)], 0.0),
    ([(0, True)], 0.0),
    ([(0, True), (5, True)], 5.0),
    ([(0, True), (5, True), (6, False)], 0.0),
    ([(0, True), (5, False), (7, True), (9, True)], 2.0),
]


@pytest.mark.parametrize(("samples", "expected"), FAILING_CASES)
def test_failing_for(samples: list[tuple[float, bool]], expected: float) -> None:
    failing = FailingFor()
    result = [failing.sample(state, now) for now, state in samples]
    assert result[-1] == expected


def test_catalog_has_a_drop_point_per_sink_and_a_write_point_for_the_database() -> None:
    config = GatewayConfig.model_validate({
        "sites": ["x.yaml"],
        "storage": {"target": {"kind": "influx_v1", "url": "http://127.0.0.1:9"}},
    })
    catalog = gateway_catalog([], config, SelfAlarmSettings())
    keys = {info.key for info in catalog}
    assert keys == {drop_key("influx_v1"), write_key("influx_v1")}
    assert catalog.sites == []  # the site files' list is untouched: no hazard-source tile
    info = catalog[drop_key("influx_v1")]
    assert info.key.site == GATEWAY_SITE
    assert "influx_v1" in info.config.name and "丢弃" in info.config.name
    none = gateway_catalog([], GatewayConfig.model_validate({"sites": ["x.yaml"]}),
                           SelfAlarmSettings())
    assert len(none) == 0


class Counters:
    def __init__(self) -> None:
        self.dropped = 0
        self.failing = False


def engine_with_watch(
    tmp_path: Path, settings: SelfAlarmSettings
) -> tuple[AlarmEngine, SelfWatch, Counters, list[float]]:
    now = [1_780_000_000.0]
    catalog = Catalog([], extra=self_points(["influx_v1"], ["influx_v1"], settings))
    engine = AlarmEngine(catalog, AlarmJournal(tmp_path / "alarms.db"), clock=lambda: now[0])
    counters = Counters()
    sink = WatchedSink(
        "influx_v1", dropped=lambda: counters.dropped, failing=lambda: counters.failing
    )
    return engine, SelfWatch([sink], settings, lambda: now[0]), counters, now


def step(engine: AlarmEngine, watch: SelfWatch, now: list[float], seconds: float = 1.0) -> None:
    now[0] += seconds
    engine.accept(watch.sample(now[0]))
    engine.tick(now[0])


def test_a_dropping_buffer_is_an_alarm_until_a_window_without_drops(tmp_path: Path) -> None:
    engine, watch, counters, now = engine_with_watch(tmp_path, SelfAlarmSettings(drop_window=10))
    step(engine, watch, now)
    assert engine.active() == []
    counters.dropped = 1000
    step(engine, watch, now)
    [alarm] = engine.active()
    assert alarm.point == drop_key("influx_v1")
    assert alarm.alarm_type is AlarmType.HIGH and alarm.priority is Priority.HIGH
    assert alarm.state is AlarmState.UNACK and alarm.value == 1000.0
    # Drops in bursts, with pauses shorter than the window: one alarm, no chatter.
    for total in (1000, 1000, 1500, 1500, 1500, 1500, 2000):
        counters.dropped = total
        step(engine, watch, now)
        [still] = engine.active()
        assert still.active and still.raised_at == alarm.raised_at
    for _ in range(9):  # less than a window since the last drop
        step(engine, watch, now)
        assert engine.active()[0].active
    step(engine, watch, now)  # a whole window without a drop: returned, awaiting ack
    [returned] = engine.active()
    assert not returned.active and returned.state is AlarmState.RTN_UNACK
    engine.acknowledge([returned.alarm_id], "duty", comment="buffer resized")
    assert engine.active() == []
    engine.journal.close()


def test_failing_writes_are_an_alarm_after_their_delay(tmp_path: Path) -> None:
    engine, watch, counters, now = engine_with_watch(
        tmp_path, SelfAlarmSettings(write_failing_after=30)
    )
    counters.failing = True
    for _ in range(30):  # the first sample that sees the failure counts from 0
        step(engine, watch, now)
    assert engine.active() == []
    step(engine, watch, now)
    [alarm] = engine.active()
    assert alarm.point == write_key("influx_v1") and alarm.priority is Priority.MEDIUM
    counters.failing = False
    step(engine, watch, now)
    assert not engine.active()[0].active
    engine.journal.close()


def test_a_notification_route_may_name_the_gateways_own_site() -> None:
    """A route for the IT on-call: ``sites: [_gateway]`` passes the loader's check (no site
    file has it) and takes the gateway's own alarms, and only those."""
    settings = NotificationSettings.model_validate({
        "channels": {"hook": {"kind": "webhook", "url": "http://127.0.0.1:9/x"}},
        "routes": [{"name": "it", "match": {"sites": [GATEWAY_SITE],
                                            "hazard_sources": [GATEWAY_SOURCE_ID]},
                    "escalation": [{"channels": ["hook"]}]}],
    })
    assert check_notifications(settings, []) == []
    [info] = self_points(["influx_v1"], [], SelfAlarmSettings())
    event = AlarmEvent(
        alarm_id=alarm_id(info.key, AlarmType.HIGH), point=info.key,
        alarm_type=AlarmType.HIGH, kind=EventKind.RAISED, state=AlarmState.UNACK,
        priority=Priority.HIGH, ts=0.0, value=5.0, limit=1.0, hazard_source=GATEWAY_SOURCE_ID,
    )
    assert match_routes(settings.routes, event, info) == settings.routes
    site_alarm = dataclasses.replace(event, point=PointKey("T1", "LT-1"), hazard_source="HS1")
    assert match_routes(settings.routes, site_alarm, None) == []


def test_the_gateways_own_readings_stay_off_the_park_uplink() -> None:
    """The park refuses readings of a site that is not the edge's own: the uplink sends
    the site files' sites only, in order, and keeps ``_gateway`` at home."""
    mine = [Reading(PointKey("E1", "LT-1"), float(n), 1_780_000_000.0 + n) for n in range(3)]
    other = Reading(PointKey("E2", "LT-1"), 9.0, 1_780_000_000.0)
    own = Reading(drop_key("influx_v1"), 5.0, 1_780_000_000.0)
    grouped = by_site([mine[0], own, mine[1], other, mine[2]], ["E1", "E2"])
    assert grouped == {"E1": mine, "E2": [other]}
    assert by_site([own], ["E1"]) == {}
