"""Alarm-system KPIs over a period (alerting/kpi.py): tables with hand-computed answers.

Times are offsets from T0; the period is [T0, T0 + 1 h) unless a row says otherwise."""

from __future__ import annotations

import itertools

import pytest

from alerting.events import AlarmEvent, AlarmState, EventKind
from alerting.kpi import Span, compute, most_within
from config.catalog import PointKey
from config.vocabulary import AlarmType, Priority

T0 = 1_800_000_000.0
HOUR = 3600.0
_seq = itertools.count(1)

K = EventKind
S = AlarmState


def ev(
    tag: str, at: float, kind: EventKind = K.RAISED, state: AlarmState = S.UNACK,
    priority: Priority = Priority.LOW,
) -> AlarmEvent:
    return AlarmEvent(
        alarm_id=f"T1/{tag}/H", point=PointKey("T1", tag), alarm_type=AlarmType.HIGH,
        kind=kind, state=state, priority=priority, ts=T0 + at, seq=next(_seq),
    )


def raises(stamps: list[float], tag: str | None = None) -> list[AlarmEvent]:
    """One raise per stamp, each of its own alarm unless ``tag`` names one."""
    return [ev(tag or f"P{i}", at) for i, at in enumerate(stamps)]


# ----------------------------------------------------------------- rates


def test_rates_of_an_hour() -> None:
    kpis = compute(raises([10.0, 700.0, 1300.0]), T0, T0 + HOUR)
    assert kpis.alarms == 3
    assert kpis.per_10min == pytest.approx(0.5)  # 3 alarms in 6 windows of 10 min
    assert kpis.per_day == pytest.approx(72.0)  # 3 per hour
    assert kpis.peak_10min == 1


def test_only_raises_inside_the_period_count() -> None:
    events = raises([-5.0, 0.0, HOUR - 0.001, HOUR, HOUR + 5])
    kpis = compute(events, T0, T0 + HOUR)
    assert kpis.alarms == 2  # since inclusive, until exclusive


def test_other_kinds_are_not_alarms() -> None:
    events = [ev("P1", 10.0, kind) for kind in K if kind is not K.RAISED]
    assert compute(events, T0, T0 + HOUR).alarms == 0


def test_empty_period() -> None:
    kpis = compute([], T0, T0 + HOUR)
    assert (kpis.alarms, kpis.per_10min, kpis.flood_share, kpis.top_share) == (0, 0, 0, 0)
    assert all(item.share == 0 for item in kpis.priorities)


@pytest.mark.parametrize(("since", "until"), [(T0, T0), (T0 + 1, T0)])
def test_a_period_must_have_length(since: float, until: float) -> None:
    with pytest.raises(ValueError, match="must end after"):
        compute([], since, until)


# ----------------------------------------------------------------- flood (10 up / 5 down)

FLOOD = [
    # name, raise offsets, flood spans (offsets), peak
    ("10 in 10 min is no flood (not above 10)", [60.0 * i for i in range(10)], [], 10),
    ("11 at once: flood until they leave the window", [100.0] * 11, [(100.0, 700.0)], 11),
    (
        # 11 raises 10 s apart: flood from the 11th (t=100); they leave from t=600 (the first)
        # one by one; the count drops below 5 when the 7th leaves (t=660: 4 remain).
        "hysteresis: the flood lasts until fewer than 5 remain",
        [10.0 * i for i in range(11)], [(100.0, 660.0)], 11,
    ),
    (
        # 11 at t=0 (flood), then 5 more at t=300: at t=600 the first 11 leave, 5 remain:
        # not below 5, the flood goes on until those leave at t=900.
        "5 remaining keep the flood",
        [0.0] * 11 + [300.0] * 5, [(0.0, 900.0)], 16,
    ),
    (
        "two floods",
        [0.0] * 11 + [1800.0] * 12, [(0.0, 600.0), (1800.0, 2400.0)], 12,
    ),
    (
        # Began 5 min before the period: the trailing window counts those raises; the span
        # is clipped at `since`, and the peak includes them.
        "a flood across the start of the period is clipped",
        [-300.0] * 11, [(0.0, 300.0)], 11,
    ),
    (
        "a flood across the end of the period is clipped",
        [HOUR - 60.0] * 11, [(HOUR - 60.0, HOUR)], 11,
    ),
    ("a flood that ended before the period is not counted", [-1000.0] * 20, [], 0),
]


@pytest.mark.parametrize(
    ("stamps", "spans", "peak"), [row[1:] for row in FLOOD], ids=[row[0] for row in FLOOD]
)
def test_flood(stamps: list[float], spans: list[tuple[float, float]], peak: int) -> None:
    kpis = compute(raises(stamps), T0, T0 + HOUR)
    assert kpis.floods == tuple(Span(T0 + a, T0 + b) for a, b in spans)
    seconds = sum(b - a for a, b in spans)
    assert kpis.flood_seconds == pytest.approx(seconds)
    assert kpis.flood_share == pytest.approx(seconds / HOUR)
    assert kpis.peak_10min == peak


# ----------------------------------------------------------------- top 10, chattering

def test_top_ten_and_their_share() -> None:
    # P0 raised 12 times, P1..P11 once each (12 alarms): 24 alarms in all.
    events = raises([100.0 * i for i in range(12)], tag="P0")
    events += [ev(f"P{i}", 50.0 + i) for i in range(1, 12)]
    events += raises([3000.0], tag="Z")
    kpis = compute(events, T0, T0 + HOUR)
    assert kpis.alarms == 24
    assert len(kpis.top) == 10
    assert (kpis.top[0].alarm_id, kpis.top[0].count) == ("T1/P0/H", 12)
    assert kpis.top[0].share == pytest.approx(0.5)
    # Ties are broken by id: P1, P10, P11, P2 ... (text order).
    assert [c.alarm_id for c in kpis.top[1:4]] == ["T1/P1/H", "T1/P10/H", "T1/P11/H"]
    assert kpis.top_share == pytest.approx(21 / 24)


CHATTER = [
    ("3 within 60 s chatter", [0.0, 30.0, 60.0], 3),
    ("3 spread over 61 s do not", [0.0, 30.0, 61.0], None),
    ("2 are never chattering", [0.0, 1.0], None),
    ("the busiest minute is reported", [0.0, 100.0, 110.0, 120.0, 130.0, 500.0], 4),
    ("raises before the period do not count", [-30.0, -10.0, 10.0], None),
]


@pytest.mark.parametrize(
    ("stamps", "most"), [row[1:] for row in CHATTER], ids=[row[0] for row in CHATTER]
)
def test_chattering(stamps: list[float], most: int | None) -> None:
    kpis = compute(raises(stamps, tag="C"), T0, T0 + HOUR)
    found = [(c.alarm_id, c.most_in_window) for c in kpis.chattering]
    assert found == ([] if most is None else [("T1/C/H", most)])


def test_chattering_is_per_alarm() -> None:
    kpis = compute(raises([0.0, 1.0, 2.0]), T0, T0 + HOUR)  # three different alarms
    assert kpis.chattering == ()


@pytest.mark.parametrize(
    ("stamps", "width", "most"),
    [([], 60.0, 0), ([5.0], 60.0, 1), ([0.0, 60.0, 120.0], 60.0, 2), ([0.0] * 4, 0.0, 4)],
)
def test_most_within(stamps: list[float], width: float, most: int) -> None:
    assert most_within(stamps, width) == most


# ----------------------------------------------------------------- stale

STALE = [
    ("active 25 h at the end is stale", [ev("A", HOUR - 25 * HOUR)], [24.0 + 1.0]),
    ("exactly 24 h is stale", [ev("A", HOUR - 24 * HOUR)], [24.0]),
    ("23 h is not", [ev("A", HOUR - 23 * HOUR)], []),
    (
        "acknowledged but still active is stale",
        [ev("A", -HOUR * 30), ev("A", -HOUR * 29, K.ACKNOWLEDGED, S.ACKED)], [31.0],
    ),
    (
        "returned is not (even unacknowledged)",
        [ev("A", -HOUR * 30), ev("A", -HOUR, K.RETURNED, S.RTN_UNACK)], [],
    ),
    (
        "a re-alarm does not restart the clock",
        [ev("A", -HOUR * 30), ev("A", -HOUR * 29, K.ACKNOWLEDGED, S.ACKED),
         ev("A", -HOUR, K.REALARMED, S.UNACK)], [31.0],
    ),
    (
        "a note or a notice does not change it",
        [ev("A", -HOUR * 30), ev("A", 10.0, K.NOTE, S.NORMAL), ev("A", 11.0, K.NOTIFIED, S.NORMAL)],
        [31.0],
    ),
    (
        "shelved is not called stale",
        [ev("A", -HOUR * 30), ev("A", -HOUR, K.SHELVED, S.SHELVED)], [],
    ),
    (
        "returned after the end of the period still counts as active then",
        [ev("A", -HOUR * 30), ev("A", HOUR + 1, K.RETURNED, S.RTN_UNACK)], [31.0],
    ),
]


@pytest.mark.parametrize(
    ("events", "hours"), [row[1:] for row in STALE], ids=[row[0] for row in STALE]
)
def test_stale(events: list[AlarmEvent], hours: list[float]) -> None:
    kpis = compute(events, T0, T0 + HOUR)
    assert [round(item.hours, 6) for item in kpis.stale] == hours


# ----------------------------------------------------------------- shelved, out of service

SUPPRESSED = [
    (
        "shelved inside the period",
        [ev("A", 100.0, K.SHELVED, S.SHELVED), ev("A", 400.0, K.UNSHELVED, S.NORMAL)], 300.0, 0.0,
    ),
    (
        "shelved before the period, unshelved in it: clipped at the start",
        [ev("A", -500.0, K.SHELVED, S.SHELVED), ev("A", 200.0, K.UNSHELVED, S.NORMAL)], 200.0, 0.0,
    ),
    ("still shelved at the end: clipped at the end", [ev("A", HOUR - 50, K.SHELVED, S.SHELVED)],
     50.0, 0.0),
    ("shelved over the whole period", [ev("A", -HOUR, K.SHELVED, S.SHELVED)], HOUR, 0.0),
    (
        "a re-shelve does not restart or double the time",
        [ev("A", 0.0, K.SHELVED, S.SHELVED), ev("A", 100.0, K.SHELVED, S.SHELVED),
         ev("A", 250.0, K.UNSHELVED, S.NORMAL), ev("A", 250.0, K.RAISED, S.UNACK)], 250.0, 0.0,
    ),
    (
        "shelved, then out of service: each its own time",
        [ev("A", 0.0, K.SHELVED, S.SHELVED), ev("A", 60.0, K.REMOVED_FROM_SERVICE,
         S.OUT_OF_SERVICE), ev("A", 660.0, K.RETURNED_TO_SERVICE, S.NORMAL)], 60.0, 600.0,
    ),
    (
        "out of service before and after the period",
        [ev("A", -10.0, K.REMOVED_FROM_SERVICE, S.OUT_OF_SERVICE),
         ev("A", HOUR + 10, K.RETURNED_TO_SERVICE, S.NORMAL)], 0.0, HOUR,
    ),
    (
        "out of service and back before the period",
        [ev("A", -100.0, K.REMOVED_FROM_SERVICE, S.OUT_OF_SERVICE),
         ev("A", -10.0, K.RETURNED_TO_SERVICE, S.NORMAL)], 0.0, 0.0,
    ),
]


@pytest.mark.parametrize(
    ("events", "shelved", "removed"),
    [row[1:] for row in SUPPRESSED], ids=[row[0] for row in SUPPRESSED],
)
def test_shelved_and_out_of_service(
    events: list[AlarmEvent], shelved: float, removed: float
) -> None:
    kpis = compute(events, T0, T0 + HOUR)
    assert kpis.shelved_seconds == pytest.approx(shelved)
    assert kpis.out_of_service_seconds == pytest.approx(removed)
    assert [s.seconds for s in kpis.shelved] == ([pytest.approx(shelved)] if shelved else [])


def test_a_raise_after_unshelving_counts() -> None:
    events = [ev("A", 0.0, K.SHELVED, S.SHELVED), ev("A", 10.0, K.UNSHELVED, S.NORMAL),
              ev("A", 10.0, K.RAISED, S.UNACK)]
    assert compute(events, T0, T0 + HOUR).alarms == 1


# ----------------------------------------------------------------- priority mix


def test_priority_mix() -> None:
    mix = [Priority.LOW] * 16 + [Priority.MEDIUM] * 3 + [Priority.HIGH, Priority.CRITICAL]
    events = [ev(f"P{i}", float(i), priority=p) for i, p in enumerate(mix)]
    kpis = compute(events, T0, T0 + HOUR)
    shares = {item.priority: (item.count, item.share) for item in kpis.priorities}
    assert shares == {
        Priority.CRITICAL: (1, pytest.approx(1 / 21)),
        Priority.HIGH: (1, pytest.approx(1 / 21)),
        Priority.MEDIUM: (3, pytest.approx(3 / 21)),
        Priority.LOW: (16, pytest.approx(16 / 21)),
    }
    assert [item.priority for item in kpis.priorities] == list(Priority)  # critical first
