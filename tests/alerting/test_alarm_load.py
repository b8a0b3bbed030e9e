"""EEMUA 191 alarm load per site, with an injected clock: alarms per 10 minutes, floods,
the most frequent alarms, chattering and standing alarms."""

from __future__ import annotations

import pytest

from alerting.events import AlarmEvent, AlarmState, EventKind
from alerting.load import AlarmLoad, LoadSettings
from alerting.statemachine import AlarmRecord
from config.catalog import PointKey
from config.vocabulary import AlarmType, Priority

T0 = 1_000_000.0


def raised(tag: str, ts: float, site: str = "T1", kind: EventKind = EventKind.RAISED) -> AlarmEvent:
    return AlarmEvent(
        alarm_id=f"{site}/{tag}/H", point=PointKey(site, tag), alarm_type=AlarmType.HIGH,
        kind=kind, state=AlarmState.UNACK, priority=Priority.HIGH, ts=ts,
    )


FLOOD = [
    ("9 in 10 minutes is no flood", [T0 + 60 * i for i in range(9)], T0 + 540, 9, False),
    ("10 in 10 minutes is a flood", [T0 + 60 * i for i in range(10)], T0 + 540, 10, True),
    ("10 in 10 minutes, all at once", [T0] * 10, T0, 10, True),
    ("the window slides", [T0 + 60 * i for i in range(10)], T0 + 601, 9, False),
    ("older activations are forgotten", [T0 + i for i in range(20)], T0 + 700, 0, False),
    ("future stamps are not counted", [T0 + 100] * 10, T0 + 50, 0, False),
]


@pytest.mark.parametrize(
    ("stamps", "now", "count", "flood"), [f[1:] for f in FLOOD], ids=[f[0] for f in FLOOD]
)
def test_flood(stamps: list[float], now: float, count: int, flood: bool) -> None:
    load = AlarmLoad()
    load.observe(raised(f"P{i}", ts) for i, ts in enumerate(stamps))
    report = load.report("T1", now)
    assert (report.in_window, report.flood) == (count, flood)


def test_only_raised_events_are_activations() -> None:
    load = AlarmLoad()
    others = [kind for kind in EventKind if kind is not EventKind.RAISED]
    load.observe([raised("P1", T0, kind=kind) for kind in others])
    assert load.report("T1", T0).in_window == 0


def test_sites_are_counted_apart() -> None:
    load = AlarmLoad()
    load.observe([raised(f"P{i}", T0, site="T1") for i in range(10)])
    load.observe([raised("P1", T0, site="T2")])
    assert load.report("T1", T0).flood and not load.report("T2", T0).flood
    assert load.report("T3", T0).in_window == 0
    assert load.sites() == ["T1", "T2"]


CHATTER = [
    ("3 within a minute chatters", [0, 20, 60], 3),
    ("3 spread over 61 s do not", [0, 30, 61], 0),
    ("the densest minute counts", [0, 100, 110, 120, 130, 200], 4),
    ("2 are not enough", [0, 1], 0),
]


@pytest.mark.parametrize(("offsets", "most"), [c[1:] for c in CHATTER], ids=[c[0] for c in CHATTER])
def test_chattering(offsets: list[float], most: int) -> None:
    load = AlarmLoad()
    load.observe(raised("LT-1", T0 + offset) for offset in offsets)
    report = load.report("T1", T0 + 300)
    if most:
        (alarm,) = report.chattering
        assert (alarm.alarm_id, alarm.most_in_window) == ("T1/LT-1/H", most)
        assert alarm.last == T0 + max(offsets)
    else:
        assert report.chattering == []


def test_top_ten_most_frequent() -> None:
    load = AlarmLoad()
    events = []
    for index in range(12):  # P0 once, P1 twice, ... P11 twelve times, an hour apart each
        events += [raised(f"P{index:02d}", T0 + 3600 * n) for n in range(index + 1)]
    events.sort(key=lambda event: event.ts)
    load.observe(events)
    report = load.report("T1", T0 + 12 * 3600)
    assert [(item.alarm_id, item.count) for item in report.top] == [
        (f"T1/P{index:02d}/H", index + 1) for index in range(11, 1, -1)
    ]
    assert report.in_period == sum(range(1, 13))


def _record(tag: str, state: AlarmState, raised_at: float, site: str = "T1") -> AlarmRecord:
    return AlarmRecord(
        alarm_id=f"{site}/{tag}/H", point=PointKey(site, tag), alarm_type=AlarmType.HIGH,
        priority=Priority.HIGH, state=state, raised_at=raised_at, active=True,
    )


def test_standing_alarms() -> None:
    now = T0 + 30 * 3600
    records = [
        _record("OLD", AlarmState.ACKED, T0),  # 30 h: standing
        _record("OLD-U", AlarmState.UNACK, T0 + 3600),  # 29 h: standing
        _record("NEW", AlarmState.UNACK, now - 23 * 3600),  # 23 h: not yet
        _record("SHELF", AlarmState.SHELVED, T0),  # shelved: not a standing alarm
        _record("RTN", AlarmState.RTN_UNACK, T0),  # returned: not standing
        _record("OTHER", AlarmState.ACKED, T0, site="T2"),
    ]
    report = AlarmLoad().report("T1", now, records)
    assert [(s.alarm_id, round(s.hours)) for s in report.standing] == [
        ("T1/OLD/H", 30), ("T1/OLD-U/H", 29)
    ]


def test_bounded_history_counts_what_it_forgets() -> None:
    load = AlarmLoad(LoadSettings(max_entries=5))
    load.observe(raised(f"P{i}", T0) for i in range(8))
    report = load.report("T1", T0)
    assert report.in_window == 5 and report.dropped == 3


def test_custom_thresholds() -> None:
    load = AlarmLoad(LoadSettings(window=60, flood_threshold=3, chatter_window=10,
                                  chatter_count=2, period=3600))
    load.observe([raised("A", T0), raised("A", T0 + 5), raised("B", T0 + 30)])
    report = load.report("T1", T0 + 40)
    assert report.flood and report.window == 60
    assert [c.alarm_id for c in report.chattering] == ["T1/A/H"]
