"""The SQLite journal for real: restart recovery (clean and kill -9), history queries,
retention and pruning."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from alarm_support import Clock, key, open_engine, pt, reading, standard_catalog, write_site

from alerting.engine import AlarmEngine
from alerting.events import AlarmEvent, AlarmState, EventKind
from alerting.journal import AlarmJournal, HistoryQuery, JournalError
from config.catalog import Catalog, PointKey
from config.vocabulary import AlarmType, Priority
from gateway.validation import load_site

REPO = Path(__file__).parents[2]


def feed(engine: AlarmEngine, clock: Clock, tag: str, *actions: object) -> None:
    engine.accept([reading(key(tag), clock.now, action) for action in actions])


def snapshot(engine: AlarmEngine) -> dict[str, tuple[object, ...]]:
    return {
        r.alarm_id: (r.state, r.active, r.acked_by, r.shelved_by, r.shelved_until,
                     r.shelve_reason, r.removed_by, r.raised_at, r.value, r.limit, r.priority)
        for r in engine.active()
    }


def test_restart_restores_active_alarms_and_their_states(tmp_path: Path) -> None:
    clock = Clock()
    engine, journal = open_engine(tmp_path, clock)
    feed(engine, clock, "GT-1", 55.0)  # H and HH
    feed(engine, clock, "LT-1", 85.0)  # H
    feed(engine, clock, "LT-2", 90.0, 10.0)  # raised and returned, unacknowledged
    feed(engine, clock, "XS-1", True)
    clock.advance(10)
    engine.acknowledge(["T1/GT-1/H", "T1/XS-1/DISCRETE"], "张三", "收到")
    engine.shelve("T1/LT-1/H", "王五", "液位计检修", 3600)
    engine.remove_from_service("T1/LT-3/H", "李四", "停用")
    before = snapshot(engine)
    assert {state for state, *_ in before.values()} == {
        AlarmState.UNACK, AlarmState.ACKED, AlarmState.RTN_UNACK, AlarmState.SHELVED,
        AlarmState.OUT_OF_SERVICE,
    }
    journal.close()

    clock.advance(5)
    again, journal2 = open_engine(tmp_path, clock)
    assert snapshot(again) == before
    # The recovered conditions behave: GT-1 returns, the shelf still expires on time.
    feed(again, clock, "GT-1", 1.0)
    assert again.get("T1/GT-1/H").state is AlarmState.NORMAL  # acknowledged, returned
    assert again.get("T1/GT-1/HH").state is AlarmState.RTN_UNACK
    clock.advance(3600)
    again.tick()
    assert again.get("T1/LT-1/H").state is AlarmState.UNACK  # still active at expiry
    journal2.close()


def test_restart_then_rule_removed_returns_the_alarm_with_a_reason(tmp_path: Path) -> None:
    clock = Clock()
    engine, journal = open_engine(tmp_path, clock)
    feed(engine, clock, "LT-1", 85.0)
    journal.close()
    catalog = Catalog([load_site(write_site(tmp_path, [pt("LT-1")], name="other.yaml"))])
    again, journal2 = open_engine(tmp_path, clock, catalog)
    record = again.get("T1/LT-1/H")  # still known: visible and acknowledgeable
    assert record.state is AlarmState.RTN_UNACK and not record.active
    last = journal2.history(HistoryQuery(alarm_id="T1/LT-1/H", limit=1))[0]
    assert last.kind is EventKind.RETURNED and last.comment == "alarm rule no longer configured"
    assert again.acknowledge(["T1/LT-1/H"], "张三").acknowledged == ["T1/LT-1/H"]
    journal2.close()


def test_restart_takes_the_new_priority_from_the_configuration(tmp_path: Path) -> None:
    clock = Clock()
    first = Catalog([load_site(write_site(tmp_path, [pt("LT-1", alarms={"H": {"value": 80}})]))])
    engine, journal = open_engine(tmp_path, clock, first)
    feed(engine, clock, "LT-1", 85.0)
    assert engine.get("T1/LT-1/H").priority is Priority.MEDIUM
    journal.close()
    second = Catalog([load_site(write_site(
        tmp_path, [pt("LT-1", alarms={"H": {"value": 80, "priority": "critical"}})], "b.yaml"
    ))])
    again, journal2 = open_engine(tmp_path, clock, second)
    assert again.get("T1/LT-1/H").priority is Priority.CRITICAL
    journal2.close()


CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path[:0] = [{tests!r}, {repo!r}]
    from alarm_support import standard_catalog
    from alerting.engine import AlarmEngine
    from alerting.journal import AlarmJournal
    from collectors.readings import Reading
    from config.catalog import PointKey

    directory = Path({directory!r})
    journal = AlarmJournal(directory / "alarms.db")
    engine = AlarmEngine(standard_catalog(directory), journal, clock=lambda: 1_000_000.0)

    def announce(events):
        for event in events:
            print("journalled", event.seq, event.alarm_id, flush=True)

    engine.add_listener(announce)
    engine.accept([Reading(PointKey("T1", "GT-1"), 60.0, 1_000_000.0)])
    engine.acknowledge(["T1/GT-1/HH"], "张三")
    print("ready", flush=True)
    time.sleep(60)
    """
)


def test_an_event_journalled_before_kill_9_survives(tmp_path: Path) -> None:
    script = CHILD.format(tests=str(Path(__file__).parent), repo=str(REPO), directory=str(tmp_path))
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        lines = []
        for _ in range(4):
            line = child.stdout.readline()  # bounded: the child prints 4 lines or exits
            if not line:
                break
            lines.append(line.split())
        assert lines[-1] == ["ready"], child.stderr.read() if child.stderr else lines
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
    announced = {(int(seq), alarm_id) for _, seq, alarm_id in lines[:-1]}
    assert len(announced) == 3 and all(seq > 0 for seq, _ in announced)

    journal = AlarmJournal(tmp_path / "alarms.db")
    stored = {(e.seq, e.alarm_id) for e in journal.history(HistoryQuery())}
    assert announced <= stored
    engine = AlarmEngine(standard_catalog(tmp_path), journal, clock=Clock())
    states = {r.alarm_id: (r.state, r.acked_by) for r in engine.active()}
    assert states == {
        "T1/GT-1/H": (AlarmState.UNACK, None),
        "T1/GT-1/HH": (AlarmState.ACKED, "张三"),
    }
    journal.close()


# ------------------------------------------------------------------------- history


@pytest.fixture
def filled(tmp_path: Path) -> AlarmJournal:
    """A journal with a known history: 6 raises over 6 minutes on two sites' points."""
    journal = AlarmJournal(tmp_path / "history.db")
    rows = [
        ("T1", "GT-1", "HS1", AlarmType.HIGH, Priority.HIGH, 0.0),
        ("T1", "GT-1", "HS1", AlarmType.HIGH_HIGH, Priority.CRITICAL, 60.0),
        ("T1", "XS-1", "HS2", AlarmType.DISCRETE, Priority.CRITICAL, 120.0),
        ("T2", "PT-9", "HSX", AlarmType.LOW, Priority.MEDIUM, 180.0),
        ("T1", "LT-1", "HS1", AlarmType.COMM_LOSS, Priority.MEDIUM, 240.0),
        ("T1", "GT-1", "HS1", AlarmType.HIGH, Priority.HIGH, 300.0),
    ]
    for site, tag, source, alarm_type, priority, ts in rows:
        point = PointKey(site, tag)
        journal.write([AlarmEvent(
            alarm_id=f"{site}/{tag}/{alarm_type.value}", point=point, alarm_type=alarm_type,
            kind=EventKind.RAISED, state=AlarmState.UNACK, priority=priority, ts=1000.0 + ts,
            value=1.5, limit=1.0, hazard_source=source,
        )])
    journal.write([AlarmEvent(
        alarm_id="T1/GT-1/H", point=PointKey("T1", "GT-1"), alarm_type=AlarmType.HIGH,
        kind=EventKind.ACKNOWLEDGED, state=AlarmState.ACKED, priority=Priority.HIGH,
        ts=1400.0, user="张三", comment="ok", hazard_source="HS1",
    )])
    return journal


HISTORY = [
    ("everything, newest first", HistoryQuery(), [7, 6, 5, 4, 3, 2, 1]),
    ("site", HistoryQuery(site="T2"), [4]),
    ("hazard source", HistoryQuery(hazard_source="HS2"), [3]),
    ("point tag", HistoryQuery(tag="GT-1"), [7, 6, 2, 1]),
    ("alarm id", HistoryQuery(alarm_id="T1/GT-1/H"), [7, 6, 1]),
    ("priority", HistoryQuery(priorities=(Priority.CRITICAL,)), [3, 2]),
    ("priorities", HistoryQuery(priorities=(Priority.CRITICAL, Priority.MEDIUM)), [5, 4, 3, 2]),
    ("type", HistoryQuery(types=(AlarmType.COMM_LOSS,)), [5]),
    ("kind", HistoryQuery(kinds=(EventKind.ACKNOWLEDGED,)), [7]),
    ("time range [since, until)", HistoryQuery(since=1060.0, until=1240.0), [4, 3, 2]),
    ("limit", HistoryQuery(limit=2), [7, 6]),
    ("paging", HistoryQuery(before_seq=3), [2, 1]),
    ("ascending", HistoryQuery(ascending=True, limit=3), [1, 2, 3]),
    ("combined", HistoryQuery(site="T1", kinds=(EventKind.RAISED,), since=1100.0), [6, 5, 3]),
]


@pytest.mark.parametrize(("query", "seqs"), [h[1:] for h in HISTORY], ids=[h[0] for h in HISTORY])
def test_history_filters(filled: AlarmJournal, query: HistoryQuery, seqs: list[int]) -> None:
    assert [event.seq for event in filled.history(query)] == seqs


@pytest.mark.parametrize(
    "times",
    [
        (300.0, 100.0, 200.0, 50.0, 400.0),  # times out of seq order (notifier, clock step)
        (100.0, 100.0, 100.0, 100.0, 100.0),  # all in one instant
        (500.0, 400.0, 300.0, 200.0, 100.0),  # clock running backwards
    ],
)
@pytest.mark.parametrize("page", [1, 2, 3])
def test_history_is_ordered_and_paged_by_seq(
    tmp_path: Path, times: tuple[float, ...], page: int
) -> None:
    journal = AlarmJournal(tmp_path / "paging.db")
    for ts in times:
        journal.write([AlarmEvent(
            alarm_id="T1/LT-1/H", point=PointKey("T1", "LT-1"), alarm_type=AlarmType.HIGH,
            kind=EventKind.NOTIFIED, state=AlarmState.UNACK, priority=Priority.MEDIUM, ts=ts,
        )])
    newest = [event.seq for event in journal.history(HistoryQuery())]
    assert newest == [5, 4, 3, 2, 1]
    assert [e.seq for e in journal.history(HistoryQuery(ascending=True))] == [1, 2, 3, 4, 5]
    seen: list[int] = []
    before: int | None = None
    for _ in range(len(times) + 1):
        chunk = journal.history(HistoryQuery(before_seq=before, limit=page))
        if not chunk:
            break
        seen.extend(event.seq for event in chunk)
        before = min(event.seq for event in chunk)
    assert seen == newest


def test_history_round_trips_every_field(filled: AlarmJournal) -> None:
    (event,) = filled.history(HistoryQuery(kinds=(EventKind.ACKNOWLEDGED,)))
    assert (event.user, event.comment, event.hazard_source, event.point) == (
        "张三", "ok", "HS1", PointKey("T1", "GT-1")
    )
    (raised,) = filled.history(HistoryQuery(site="T2"))
    assert (raised.value, raised.limit, raised.alarm_type) == (1.5, 1.0, AlarmType.LOW)


def test_bool_values_survive(tmp_path: Path) -> None:
    journal = AlarmJournal(tmp_path / "b.db")
    (event,) = journal.write([AlarmEvent(
        alarm_id="T1/XS-1/DISCRETE", point=PointKey("T1", "XS-1"), alarm_type=AlarmType.DISCRETE,
        kind=EventKind.RAISED, state=AlarmState.UNACK, priority=Priority.HIGH, ts=1.0, value=True,
    )])
    assert journal.history(HistoryQuery())[0].value is True and event.seq == 1


# ----------------------------------------------------------------------- retention


@pytest.mark.parametrize("days", [0, 7, 29.9])
def test_retention_below_30_days_refused(tmp_path: Path, days: float) -> None:
    with pytest.raises(ValueError, match="30 days"):
        AlarmJournal(tmp_path / "r.db", retention_days=days)


def test_prune_deletes_only_old_events_and_never_reuses_seq(tmp_path: Path) -> None:
    clock = Clock(now=0.0)
    engine, journal = open_engine(tmp_path, clock)
    day = 86_400.0
    feed(engine, clock, "LT-1", 85.0)  # seq 1, stays active (record)
    clock.now = 10 * day
    feed(engine, clock, "LT-2", 85.0)  # seq 2
    clock.now = 95 * day
    pruned = journal.prune(clock.now)  # retention 90 days: the day-0 event goes
    assert pruned == 1
    assert [e.seq for e in journal.history(HistoryQuery())] == [2]
    # the record of the still active alarm is kept
    assert {r.alarm_id for r in journal.load_records()} == {"T1/LT-1/H", "T1/LT-2/H"}
    feed(engine, clock, "LT-3", 85.0)
    assert journal.history(HistoryQuery(limit=1))[0].seq == 3


def test_engine_prunes_on_tick(tmp_path: Path) -> None:
    clock = Clock(now=0.0)
    journal = AlarmJournal(tmp_path / "alarms.db", retention_days=30)
    engine = AlarmEngine(standard_catalog(tmp_path), journal, clock=clock)
    feed(engine, clock, "LT-1", 85.0, 10.0)
    engine.acknowledge(["T1/LT-1/H", "T1/LT-1/L"], "张三")
    clock.now = 31 * 86_400.0
    feed(engine, clock, "LT-1", 50.0)
    count = journal.count()
    engine.tick()
    assert journal.count() < count
    assert all(e.ts >= clock.now - 30 * 86_400.0 for e in journal.history(HistoryQuery()))


def test_a_foreign_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    journal = AlarmJournal(path)
    journal._db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    journal.close()
    with pytest.raises(JournalError, match="schema 99"):
        AlarmJournal(path)


def test_wal_mode(tmp_path: Path) -> None:
    journal = AlarmJournal(tmp_path / "w.db")
    assert journal._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert journal._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_load_statistics_survive_a_restart(tmp_path: Path) -> None:
    clock = Clock()
    engine, journal = open_engine(tmp_path, clock)
    for _ in range(3):
        feed(engine, clock, "LT-1", 90.0, 50.0)
        engine.acknowledge(["T1/LT-1/H"], "张三")
        clock.advance(5)
    journal.close()
    again, journal2 = open_engine(tmp_path, clock)
    report = again.load_report("T1")
    assert [(item.alarm_id, item.count) for item in report.top] == [("T1/LT-1/H", 3)]
    assert [c.alarm_id for c in report.chattering] == ["T1/LT-1/H"]
    journal2.close()
