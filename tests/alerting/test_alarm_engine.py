"""The engine over a real SQLite journal, driven by a frozen clock: raising, acknowledging,
latching, shelving and its expiry, out of service, re-alarm, comm loss, hazard-source
colours, listeners told only after the journal, and a failing journal."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest
from alarm_support import Clock, key, open_engine, reading

from alerting.engine import ActionError, AlarmEngine, EngineSettings, UnknownAlarm
from alerting.events import AlarmEvent, AlarmState, EventKind
from alerting.journal import HistoryQuery
from alerting.statemachine import InvalidTransition
from collectors.readings import Reading
from config.vocabulary import Priority

U, A, R, S, OOS = (
    AlarmState.UNACK, AlarmState.ACKED, AlarmState.RTN_UNACK, AlarmState.SHELVED,
    AlarmState.OUT_OF_SERVICE,
)


class Recorder:
    def __init__(self) -> None:
        self.batches: list[list[AlarmEvent]] = []

    def __call__(self, events: Sequence[AlarmEvent]) -> None:
        self.batches.append(list(events))

    @property
    def events(self) -> list[AlarmEvent]:
        return [event for batch in self.batches for event in batch]

    def kinds(self, alarm_id: str) -> list[str]:
        return [e.kind.value for e in self.events if e.alarm_id == alarm_id]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(tmp_path: Path, clock: Clock) -> AlarmEngine:
    engine, _ = open_engine(tmp_path, clock)
    return engine


@pytest.fixture
def events(engine: AlarmEngine) -> Recorder:
    recorder = Recorder()
    engine.add_listener(recorder)
    return recorder


def feed(engine: AlarmEngine, clock: Clock, tag: str, *actions: object) -> None:
    engine.accept([reading(key(tag), clock.now, action) for action in actions])


def state(engine: AlarmEngine, alarm_id: str) -> AlarmState:
    return engine.get(alarm_id).state


def test_raise_ack_return(engine: AlarmEngine, clock: Clock, events: Recorder) -> None:
    feed(engine, clock, "LT-1", 85.0)
    assert state(engine, "T1/LT-1/H") is U
    clock.advance(5)
    result = engine.acknowledge(["T1/LT-1/H"], "张三", "已通知巡检")
    assert result.acknowledged == ["T1/LT-1/H"]
    record = engine.get("T1/LT-1/H")
    assert (record.state, record.acked_by, record.acked_at) == (A, "张三", clock.now)
    feed(engine, clock, "LT-1", 50.0)
    assert state(engine, "T1/LT-1/H") is AlarmState.NORMAL
    assert engine.active() == []
    assert events.kinds("T1/LT-1/H") == ["raised", "acknowledged", "returned"]


def test_return_before_ack_waits_for_a_person(
    engine: AlarmEngine, clock: Clock, events: Recorder
) -> None:
    feed(engine, clock, "LT-1", 85.0, 50.0)
    assert state(engine, "T1/LT-1/H") is R
    assert [r.alarm_id for r in engine.active()] == ["T1/LT-1/H"]
    engine.acknowledge(["T1/LT-1/H"], "张三")
    assert engine.active() == []
    assert events.kinds("T1/LT-1/H") == ["raised", "returned", "acknowledged"]


def test_ack_result_holds_the_records_right_after_acknowledgement(
    engine: AlarmEngine, clock: Clock
) -> None:
    feed(engine, clock, "LT-1", 85.0, 50.0)  # returned, unacknowledged
    feed(engine, clock, "GT-1", 30.0)  # active
    clock.advance(3)
    result = engine.acknowledge(["T1/LT-1/H", "T1/GT-1/H", "T1/GT-1/HH"], "张三", "收到")
    assert list(result.records) == ["T1/LT-1/H", "T1/GT-1/H"] == result.acknowledged
    returned = result.records["T1/LT-1/H"]
    assert (returned.state, returned.acked_by, returned.acked_at) == (
        AlarmState.NORMAL, "张三", clock.now
    )
    active = result.records["T1/GT-1/H"]
    assert (active.state, active.acked_by) == (A, "张三")
    assert engine.get("T1/GT-1/H") == active
    # the returned alarm has left memory: asking again gives a quiet record
    assert engine.get("T1/LT-1/H").acked_by is None


def test_latching_alarm_needs_a_reset_after_return(
    engine: AlarmEngine, clock: Clock, events: Recorder
) -> None:
    feed(engine, clock, "LT-2", 85.0)
    engine.acknowledge(["T1/LT-2/H"], "张三")
    feed(engine, clock, "LT-2", 50.0)
    assert state(engine, "T1/LT-2/H") is R  # latched: still shown
    engine.acknowledge(["T1/LT-2/H"], "张三", "复位")
    assert state(engine, "T1/LT-2/H") is AlarmState.NORMAL
    assert events.kinds("T1/LT-2/H") == ["raised", "acknowledged", "returned", "acknowledged"]


def test_bulk_ack_reports_refused_and_unknown(engine: AlarmEngine, clock: Clock) -> None:
    feed(engine, clock, "LT-1", 85.0)
    feed(engine, clock, "GT-1", 30.0)
    engine.acknowledge(["T1/GT-1/H"], "李四")
    writes = engine.journal.writes
    result = engine.acknowledge(
        ["T1/LT-1/H", "T1/GT-1/H", "T1/GT-1/HH", "T1/NOPE/H", "T1/LT-1/H"], "张三"
    )
    assert result.acknowledged == ["T1/LT-1/H"]
    assert set(result.refused) == {"T1/GT-1/H", "T1/GT-1/HH"}
    assert "active_acknowledged" in result.refused["T1/GT-1/H"]
    assert "normal" in result.refused["T1/GT-1/HH"]
    assert result.unknown == ["T1/NOPE/H"]
    assert engine.journal.writes == writes + 1  # one transaction for the whole batch


def test_shelve_hides_condition_changes_and_expires(
    engine: AlarmEngine, clock: Clock, events: Recorder
) -> None:
    feed(engine, clock, "LT-1", 85.0)
    shelved = engine.shelve("T1/LT-1/H", "王五", "仪表检修", 600)
    assert shelved.state is S and shelved.shelved_until == clock.now + 600
    before = len(events.events)
    feed(engine, clock, "LT-1", 50.0)
    feed(engine, clock, "LT-1", 90.0)
    assert len(events.events) == before  # nothing annunciated while shelved
    clock.advance(599)
    engine.tick()
    assert state(engine, "T1/LT-1/H") is S
    clock.advance(1)
    engine.tick()
    assert state(engine, "T1/LT-1/H") is U  # condition still active: raised afresh
    assert events.kinds("T1/LT-1/H")[-3:] == ["shelved", "unshelved", "raised"]
    unshelved = [e for e in events.events if e.kind is EventKind.UNSHELVED][-1]
    assert unshelved.user is None and unshelved.comment == "shelf expired"


def test_shelf_expiry_with_condition_clear_goes_normal(
    engine: AlarmEngine, clock: Clock
) -> None:
    feed(engine, clock, "LT-1", 85.0)
    engine.shelve("T1/LT-1/H", "王五", "误报", 60)
    feed(engine, clock, "LT-1", 50.0)
    clock.advance(61)
    engine.tick()
    assert state(engine, "T1/LT-1/H") is AlarmState.NORMAL
    assert "T1/LT-1/H" not in {record.alarm_id for record in engine.active()}


def test_unshelve_by_a_person(engine: AlarmEngine, clock: Clock, events: Recorder) -> None:
    feed(engine, clock, "LT-1", 85.0)
    engine.shelve("T1/LT-1/H", "王五", "检修", 3600)
    engine.unshelve("T1/LT-1/H", "赵六", "检修完成")
    assert state(engine, "T1/LT-1/H") is U
    unshelved = [e for e in events.events if e.kind is EventKind.UNSHELVED][-1]
    assert (unshelved.user, unshelved.comment) == ("赵六", "检修完成")
    with pytest.raises(InvalidTransition):
        engine.unshelve("T1/LT-1/H", "赵六")


@pytest.mark.parametrize(
    ("duration", "reason", "user"),
    [(0, "r", "u"), (-5, "r", "u"), (24 * 3600 + 1, "r", "u"), (60, "", "u"), (60, " ", "u"),
     (60, "r", "")],
)
def test_shelve_arguments_checked(
    engine: AlarmEngine, clock: Clock, duration: float, reason: str, user: str
) -> None:
    feed(engine, clock, "LT-1", 85.0)
    with pytest.raises(ActionError):
        engine.shelve("T1/LT-1/H", user, reason, duration)
    assert state(engine, "T1/LT-1/H") is U


def test_shelve_a_quiet_configured_alarm(engine: AlarmEngine, clock: Clock) -> None:
    record = engine.shelve("T1/LT-1/L", "王五", "液位计更换", 600)
    assert record.state is S
    with pytest.raises(UnknownAlarm):
        engine.shelve("T1/LT-1/HH", "王五", "not configured", 600)
    with pytest.raises(UnknownAlarm):
        engine.shelve("T1/LT-1/BOGUS", "王五", "r", 600)


def test_out_of_service_and_back(engine: AlarmEngine, clock: Clock, events: Recorder) -> None:
    engine.remove_from_service("T1/GT-1/H", "张三", "探测器标定")
    feed(engine, clock, "GT-1", 30.0)  # H condition active, silently
    assert state(engine, "T1/GT-1/H") is OOS
    assert state(engine, "T1/GT-1/HH") is AlarmState.NORMAL
    refused = engine.acknowledge(["T1/GT-1/H"], "张三").refused
    assert "out_of_service" in refused["T1/GT-1/H"]
    with pytest.raises(InvalidTransition):
        engine.shelve("T1/GT-1/H", "张三", "r", 60)
    record = engine.return_to_service("T1/GT-1/H", "张三")
    assert record.state is U
    assert events.kinds("T1/GT-1/H") == ["out_of_service", "in_service", "raised"]


def test_out_of_service_with_an_end_time_returns_by_itself(
    engine: AlarmEngine, clock: Clock, events: Recorder
) -> None:
    record = engine.remove_from_service("T1/GT-1/H", "张工", "探测器送检", 2 * 3600)
    assert record.shelved_until == clock.now + 2 * 3600  # the one "until" of a record
    feed(engine, clock, "GT-1", 30.0)  # still high while out of service
    clock.advance(2 * 3600 - 1)
    engine.tick()
    assert state(engine, "T1/GT-1/H") is OOS
    clock.advance(1)
    engine.tick()  # the end time: back in service, and its condition holds: raised
    assert state(engine, "T1/GT-1/H") is U
    assert events.kinds("T1/GT-1/H") == ["out_of_service", "in_service", "raised"]
    back = [e for e in events.events if e.kind is EventKind.RETURNED_TO_SERVICE]
    assert back[0].comment == "停用到期，自动投用"
    with pytest.raises(ActionError):
        engine.remove_from_service("T1/GT-1/HH", "张工", "r", 31 * 24 * 3600)


def test_realarm_of_a_standing_acknowledged_alarm(
    engine: AlarmEngine, clock: Clock, events: Recorder
) -> None:
    feed(engine, clock, "LT-3", 90.0)
    engine.acknowledge(["T1/LT-3/H"], "张三")
    clock.advance(59)
    engine.tick()
    assert state(engine, "T1/LT-3/H") is A
    clock.advance(1)
    engine.tick()
    assert state(engine, "T1/LT-3/H") is U
    assert events.kinds("T1/LT-3/H") == ["raised", "acknowledged", "realarmed"]
    # without a realarm time nothing happens
    feed(engine, clock, "LT-1", 90.0)
    engine.acknowledge(["T1/LT-1/H"], "张三")
    clock.advance(10_000)
    feed(engine, clock, "LT-1", 90.0)
    engine.tick()
    assert state(engine, "T1/LT-1/H") is A


def test_comm_loss_for_silent_points_and_return(
    engine: AlarmEngine, clock: Clock, events: Recorder
) -> None:
    clock.advance(29)
    feed(engine, clock, "LT-1", 50.0)
    engine.tick()
    assert [e.alarm_id for e in events.events] == []
    clock.advance(1)
    engine.tick()
    lost = {e.alarm_id for e in events.events if e.kind is EventKind.RAISED}
    # every point with comm loss on, except LT-1 which spoke at +29 s; TT-1 has it off
    assert lost == {f"T1/{t}/COMM_LOSS" for t in ("GT-1", "LT-2", "LT-3", "XS-1")}
    loss = next(e for e in events.events if e.alarm_id == "T1/GT-1/COMM_LOSS")
    assert loss.priority is Priority.HIGH and loss.limit == 30.0
    assert loss.comment is not None and "no valid reading" in loss.comment
    feed(engine, clock, "GT-1", 1.0)
    assert state(engine, "T1/GT-1/COMM_LOSS") is R


def test_on_delay_completed_by_engine_tick(tmp_path: Path, clock: Clock) -> None:
    from alarm_support import pt, write_site

    from config.catalog import Catalog
    from gateway.validation import load_site

    catalog = Catalog([load_site(write_site(tmp_path, [
        pt("PT-1", "pressure", alarms={"H": {"value": 50, "on_delay": 3}}),
    ]))])
    engine, _ = open_engine(tmp_path, clock, catalog)
    feed(engine, clock, "PT-1", 60.0)
    assert engine.active() == []
    clock.advance(2)
    engine.tick()
    assert engine.active() == []
    clock.advance(1)
    engine.tick()
    assert state(engine, "T1/PT-1/H") is U
    assert engine.get("T1/PT-1/H").value == 60.0  # the value that held through the delay


def test_hazard_source_colours(engine: AlarmEngine, clock: Clock) -> None:
    def colours() -> dict[str, str]:
        return {status.source.id: status.colour for status in engine.hazard_sources()}

    assert colours() == {"HS1": "green", "HS2": "green"}
    feed(engine, clock, "GT-1", 30.0)  # H: high
    assert colours() == {"HS1": "orange", "HS2": "green"}
    feed(engine, clock, "XS-1", True)  # critical discrete on HS2
    assert colours() == {"HS1": "orange", "HS2": "red"}
    feed(engine, clock, "GT-1", 55.0)  # HH: critical
    assert colours()["HS1"] == "red"
    engine.acknowledge(["T1/GT-1/H", "T1/GT-1/HH"], "张三")
    assert colours()["HS1"] == "red"  # acknowledged but still active
    engine.shelve("T1/GT-1/HH", "张三", "test", 60)
    assert colours()["HS1"] == "orange"  # shelved alarms do not colour
    (status,) = [s for s in engine.hazard_sources() if s.site == "T1" and s.source.id == "HS1"]
    assert (status.shelved, status.worst, status.annunciated) == (1, Priority.HIGH, 1)
    feed(engine, clock, "GT-1", 1.0)
    assert colours()["HS1"] == "green"


def test_notes_are_journalled_with_the_person(engine: AlarmEngine, clock: Clock) -> None:
    feed(engine, clock, "GT-1", 30.0)
    note = engine.add_note("T1/GT-1/H", "张三", "已关闭阀门，通风处理")
    assert note.kind is EventKind.NOTE and note.user == "张三" and note.seq > 0
    history = engine.journal.history(HistoryQuery(alarm_id="T1/GT-1/H"))
    assert [e.kind for e in history] == [EventKind.NOTE, EventKind.RAISED]
    assert history[0].comment == "已关闭阀门，通风处理"
    with pytest.raises(ActionError):
        engine.add_note("T1/GT-1/H", "张三", "  ")
    with pytest.raises(UnknownAlarm):
        engine.add_note("T1/NOPE/H", "张三", "x")


def test_listeners_are_told_after_the_journal_commit(
    engine: AlarmEngine, clock: Clock, tmp_path: Path
) -> None:
    seen_in_db: list[bool] = []

    def check(batch: Sequence[AlarmEvent]) -> None:
        # A separate connection sees only committed data.
        with sqlite3.connect(tmp_path / "alarms.db") as other:
            for event in batch:
                row = other.execute(
                    "SELECT kind FROM events WHERE seq = ?", (event.seq,)
                ).fetchone()
                seen_in_db.append(row is not None and row[0] == event.kind.value)

    engine.add_listener(check)
    feed(engine, clock, "GT-1", 60.0)
    assert seen_in_db == [True, True]


def test_a_failing_listener_does_not_stop_the_others(
    engine: AlarmEngine, clock: Clock, events: Recorder
) -> None:
    def broken(batch: Sequence[AlarmEvent]) -> None:
        raise RuntimeError("listener bug")

    engine.remove_listener(events)
    engine.add_listener(broken)
    engine.add_listener(events)
    feed(engine, clock, "GT-1", 30.0)
    assert events.kinds("T1/GT-1/H") == ["raised"]
    assert engine.stats.listener_errors == 1


def test_one_transaction_per_batch_and_none_when_quiet(engine: AlarmEngine, clock: Clock) -> None:
    writes = engine.journal.writes
    engine.accept([Reading(key("LT-1"), 50.0, clock.now) for _ in range(1000)])
    assert engine.journal.writes == writes
    engine.accept([
        Reading(key("LT-1"), 85.0, clock.now),
        Reading(key("LT-2"), 85.0, clock.now),
        Reading(key("GT-1"), 60.0, clock.now),
    ])
    assert engine.journal.writes == writes + 1
    assert engine.stats.events == 4


def test_unknown_points_are_counted_not_fatal(engine: AlarmEngine, clock: Clock) -> None:
    engine.accept([Reading(key("NOPE"), 1.0, clock.now), Reading(key("LT-1"), 85.0, clock.now)])
    assert engine.stats.unknown_readings == 1
    assert state(engine, "T1/LT-1/H") is U


def test_a_failing_journal_never_silences_an_alarm(tmp_path: Path, clock: Clock) -> None:
    from journal_faults import JournalFault

    engine, journal = open_engine(tmp_path, clock)
    fault = JournalFault(journal.path)
    recorder = Recorder()
    engine.add_listener(recorder)
    fault.fail_commits()
    feed(engine, clock, "GT-1", 30.0)
    # A full disk must not hide an alarm: heard at once (seq 0), held for the journal.
    assert state(engine, "T1/GT-1/H") is U
    assert recorder.kinds("T1/GT-1/H") == ["raised"]
    assert [e.seq for e in recorder.events] == [0]
    assert engine.stats.journal_errors == 1 and not engine.journal_healthy
    assert engine.unjournalled == 1
    clock.advance(1)
    engine.acknowledge(["T1/GT-1/H"], "张三")  # joins the held batch, in order
    engine.tick()
    assert engine.unjournalled == 2 and engine.stats.journal_errors == 3
    assert recorder.kinds("T1/GT-1/H") == ["raised", "acknowledged"]
    fault.mend()
    engine.tick()
    assert engine.journal_healthy and engine.unjournalled == 0
    assert [kind for _, _, kind in fault.committed()] == ["raised", "acknowledged"]
    engine.tick()
    assert len(recorder.events) == 2  # heard exactly once
    # The records went with them: a restart recovers the acknowledged alarm.
    journal.close()
    again, _ = open_engine(tmp_path, clock)
    assert again.get("T1/GT-1/H").state is A


def test_settings_bound_the_shelf(tmp_path: Path, clock: Clock) -> None:
    engine, _ = open_engine(tmp_path, clock, settings=EngineSettings(max_shelve=600))
    with pytest.raises(ActionError, match="at most 600"):
        engine.shelve("T1/LT-1/H", "张三", "r", 601)


def test_flood_in_the_load_report(engine: AlarmEngine, clock: Clock) -> None:
    for index in range(5):
        feed(engine, clock, "LT-1", 85.0, 5.0)  # H and L each time
        clock.advance(30)
        feed(engine, clock, "LT-1", 50.0)
        engine.acknowledge(["T1/LT-1/H", "T1/LT-1/L"], "张三")
        clock.advance(30)
        report = engine.load_report("T1")
        assert report.flood is (2 * (index + 1) >= 10)
    report = engine.load_report("T1")
    assert report.in_window == 10
    assert {(item.alarm_id, item.count) for item in report.top} == {
        ("T1/LT-1/H", 5), ("T1/LT-1/L", 5)
    }


MODBUS_SITE = """\
enterprise: {name: 测试化工有限公司, code: T1}
hazard_sources:
  - {id: HS1, name: 1号罐区, grade: 2, kind: tank_farm}
devices:
  - id: gas
    transport: modbus_tcp
    host: 127.0.0.1
    points:
      - tag: GT-9
        name: 可燃气体探测器
        kind: combustible_gas
        unit: "%LEL"
        range: {low: 0, high: 100}
        hazard_source: HS1
        source:
          table: holding
          address: 0
          status_word: {address: 1, bits: {fault: 0, heartbeat: 15}}
"""


def test_status_word_heartbeat_through_the_engine(tmp_path: Path, clock: Clock) -> None:
    from config.catalog import Catalog
    from gateway.validation import load_site

    path = tmp_path / "modbus.yaml"
    path.write_text(MODBUS_SITE, encoding="utf-8")
    engine, _ = open_engine(tmp_path, clock, Catalog([load_site(path)]))
    recorder = Recorder()
    engine.add_listener(recorder)
    for second in range(0, 30, 2):
        clock.now = 1_000_000.0 + second
        feed(engine, clock, "GT-9", 3.0)
        # toggles every 2 s until +8 s, then stuck low: the controller froze but still answers
        engine.accept_heartbeats([(key("GT-9"), second < 8 and (second // 2) % 2 == 1)])
    record = engine.get("T1/GT-9/SENSOR_FAULT")
    assert record.state is U and record.raised_at == 1_000_000.0 + 18  # heard 10 s after +8
    raised = next(e for e in recorder.events if e.alarm_id == "T1/GT-9/SENSOR_FAULT")
    assert raised.comment is not None and "heartbeat stalled" in raised.comment
    engine.accept_heartbeats([(key("GT-9"), True), (key("NOPE"), True)])
    assert engine.get("T1/GT-9/SENSOR_FAULT").state is R
    assert engine.stats.unknown_readings == 1
