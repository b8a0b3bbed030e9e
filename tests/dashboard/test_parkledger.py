"""dashboard.parkledger by tables, the clock passed in: how journal entries merge (each fact
once, the first writer's), the ledger's rows and statuses, the shift report's figures, the
CSV, and the wire form's round trip."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from dashboard.park import CallResponse, Contact, JournalEntry, ParkAlarm
from dashboard.parkledger import (
    CallStatus,
    entry_from_json,
    entry_of,
    entry_to_json,
    ledger_csv,
    ledger_rows,
    merge,
    shift_report,
    status_of,
)

T0 = 1_780_000_000.0  # a shift starts here
H = 3600.0
ANSWER = CallResponse("张三", T0 + 600, "已电话确认, 现场排查", "duty")


def call(n: int, raised: float, **facts: object) -> JournalEntry:
    base = JournalEntry(
        id=f"call/E{n}/E{n}/LT-1/HH/{int(raised) - 400}", kind="call", enterprise=f"E{n}",
        enterprise_name=f"企业{n}", priority="critical", raised_at=raised, raised_by="a",
        tag="LT-1", alarm_type="HH", enterprise_alarm=f"E{n}/LT-1/HH",
        source_raised_at=raised - 400, deadline=raised - 100,
    )
    return replace(base, **facts)  # type: ignore[arg-type]


def offline(n: int, since: float, raised: float, cleared: float | None) -> JournalEntry:
    return JournalEntry(
        id=f"offline/E{n}/{int(since)}", kind="offline", enterprise=f"E{n}",
        enterprise_name=f"企业{n}", priority="high", raised_at=raised, raised_by="b",
        silent_since=since, cleared_at=cleared,
    )


# ------------------------------------------------------------------------- merge

@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # nothing stored: the sighting as it is
        (None, call(1, T0), call(1, T0)),
        # a restarted instance raises anew later: the first raise (time, writer) stays
        (call(1, T0), call(1, T0 + 50, raised_by="b"), call(1, T0)),
        # a new fact is added ...
        (call(1, T0), call(1, T0 + 50, response=ANSWER, responded_at=T0 + 601),
         call(1, T0, response=ANSWER, responded_at=T0 + 601)),
        # ... a fact already there is never replaced
        (call(1, T0, response=ANSWER, responded_at=T0 + 601),
         call(1, T0, response=replace(ANSWER, answered_by="李四"), responded_at=T0 + 900),
         call(1, T0, response=ANSWER, responded_at=T0 + 601)),
        # a sighting without a fact takes nothing away
        (call(1, T0, enterprise_acked_at=T0 + 700, enterprise_acked_by="王五"), call(1, T0),
         call(1, T0, enterprise_acked_at=T0 + 700, enterprise_acked_by="王五")),
        # contacts learnt after the raise (the site description came later)
        (call(1, T0), call(1, T0, contacts=(Contact("张三", "主要负责人", "138"),)),
         call(1, T0, contacts=(Contact("张三", "主要负责人", "138"),))),
    ],
)
def test_merge_keeps_every_stored_fact_and_adds_missing_ones(
    old: JournalEntry | None, new: JournalEntry, expected: JournalEntry,
) -> None:
    merged = merge(old, new)
    assert merged == expected
    assert merge(merged, new) == merged  # idempotent: a second write adds nothing


def test_merge_of_disjoint_facts_is_the_same_in_either_order() -> None:
    stored = call(1, T0)
    acked = call(1, T0, enterprise_acked_at=T0 + 700, enterprise_acked_by="王五")
    answered = call(1, T0, response=ANSWER, responded_at=T0 + 601)
    assert merge(merge(stored, acked), answered) == merge(merge(stored, answered), acked)


def test_entry_of_an_alarm_and_the_wire_form_round_trip() -> None:
    alarm = ParkAlarm(
        id="call/E1/E1/LT-1/HH/100", kind="call", enterprise="E1", priority="critical",
        raised_at=T0, text="叫应: ...", active=False, enterprise_alarm="E1/LT-1/HH",
        response=ANSWER, enterprise_name="企业1", tag="LT-1", alarm_type="HH",
        source_raised_at=T0 - 400, deadline=T0 - 100,
    )
    entry = entry_of(alarm, "a", [Contact("张三", "主要负责人", "138")], now=T0 + 601)
    assert entry.responded_at == T0 + 601 and entry.raised_by == "a"
    assert entry.contacts == (Contact("张三", "主要负责人", "138"),)
    assert entry_from_json(entry_to_json(entry)) == entry
    assert entry_of(replace(alarm, response=None), "a", [], T0).responded_at is None


# ------------------------------------------------------------------------- ledger


@pytest.mark.parametrize(
    ("entry", "at", "status"),
    [
        (call(1, T0), T0 + 10, CallStatus.OPEN),
        (call(1, T0, response=ANSWER, responded_at=T0 + 601), T0 + 700, CallStatus.ANSWERED),
        # recorded after the moment asked about: not known then
        (call(1, T0, response=ANSWER, responded_at=T0 + 601), T0 + 300, CallStatus.OPEN),
        (call(1, T0, enterprise_acked_at=T0 + 200), T0 + 300, CallStatus.ACKED),
        (call(1, T0, enterprise_acked_at=T0 + 200, response=ANSWER, responded_at=T0 + 601),
         T0 + 700, CallStatus.ANSWERED),
        (call(1, T0, cleared_at=T0 + 100), T0 + 300, CallStatus.CLEARED),
        (offline(1, T0 - 300, T0, None), T0 + 10, CallStatus.OFFLINE),
        (offline(1, T0 - 300, T0, T0 + 60), T0 + 100, CallStatus.CLEARED),
    ],
)
def test_status_of_a_row(entry: JournalEntry, at: float, status: CallStatus) -> None:
    assert status_of(entry, at) is status


def test_ledger_rows_are_the_window_s_raises_oldest_first_with_their_times() -> None:
    entries = [
        call(2, T0 + 2 * H, response=ANSWER, responded_at=T0 + 2 * H + 5),
        call(1, T0 + H, enterprise_acked_at=T0 + H + 30),
        call(3, T0 - 1),  # before the window
        call(4, T0 + 8 * H),  # the window's end is not in it
        offline(5, T0 + 3 * H - 300, T0 + 3 * H, T0 + 3 * H + 120),
    ]
    rows = ledger_rows(entries, T0, T0 + 8 * H, now=T0 + 9 * H)
    assert [r.entry.enterprise for r in rows] == ["E1", "E2", "E5"]
    assert rows[0].status is CallStatus.ACKED and rows[0].answer_s is None
    assert rows[0].enterprise_ack_s == pytest.approx(430.0)  # source raised 400 s before
    assert rows[1].answer_s == pytest.approx(ANSWER.answered_at - (T0 + 2 * H))
    assert rows[2].duration_s == 120.0 and rows[2].status is CallStatus.CLEARED


# ------------------------------------------------------------------------- shift report


def test_shift_report_figures() -> None:
    entries = [
        # answered 10 min and 30 min after the raise; one answered after the shift ended
        call(1, T0 + H, response=replace(ANSWER, answered_at=T0 + H + 600),
             responded_at=T0 + H + 600),
        call(1, T0 + 2 * H, response=replace(ANSWER, answered_at=T0 + 2 * H + 1800),
             responded_at=T0 + 2 * H + 1800, enterprise_acked_at=T0 + 2 * H + 60),
        call(2, T0 + 7.9 * H, response=replace(ANSWER, answered_at=T0 + 8.5 * H),
             responded_at=T0 + 8.5 * H),
        call(3, T0 + 3 * H),  # never answered: overdue
        call(3, T0 - H),  # the shift before: not counted
        # E4 offline since before the shift, back after 1 h of it
        offline(4, T0 - 2 * H, T0 - 2 * H + 300, T0 + H),
        # E5 offline inside the shift and still at its end
        offline(5, T0 + 6 * H, T0 + 6 * H + 300, None),
        # E6's outage ended before the shift
        offline(6, T0 - 3 * H, T0 - 3 * H + 300, T0 - 2 * H),
    ]
    report = shift_report(entries, T0, T0 + 8 * H, now=T0 + 9 * H)
    assert (report.alarms, report.calls, report.answered, report.overdue) == (5, 4, 2, 2)
    assert report.enterprise_acked == 1
    assert (report.offline_alarms, report.offline_enterprises, report.offline_at_end) == (1, 2, 1)
    assert report.answer_median_s == 1200.0 and report.answer_max_s == 1800.0
    assert report.answer_p90_s == 1800.0
    by = {e.code: e for e in report.enterprises}
    assert (by["E1"].calls, by["E1"].answered, by["E1"].overdue) == (2, 2, 0)
    assert (by["E2"].answered, by["E2"].overdue) == (0, 1)  # answered after the shift
    assert by["E4"].offline_s == H and by["E4"].offline_alarms == 0
    assert by["E5"].offline_s == 2 * H and by["E5"].offline_alarms == 1
    assert "E6" not in by


def test_shift_report_of_the_running_shift_counts_up_to_now() -> None:
    entries = [call(1, T0 + H), offline(2, T0 + H, T0 + H + 300, None)]
    report = shift_report(entries, T0, T0 + 8 * H, now=T0 + 2 * H)
    assert (report.calls, report.overdue, report.offline_at_end) == (1, 1, 1)
    assert report.enterprises[1].offline_s == H  # from the last heartbeat to now
    assert report.answer_median_s is None


def test_ledger_csv_has_bilingual_headers_and_local_times() -> None:
    entry = call(1, T0, response=ANSWER, responded_at=T0 + 601,
                 contacts=(Contact("张三", "主要负责人", "138"),))
    text = ledger_csv(ledger_rows([entry], T0 - 1, T0 + 1, T0 + 700), ZoneInfo("Asia/Shanghai"))
    header, row = list(csv.reader(io.StringIO(text)))
    assert header[0] == "编号 id" and "应答人 answered_by" in header
    record = dict(zip(header, row, strict=True))
    assert record["应答人 answered_by"] == "张三" and record["状态 status"] == "已叫应"
    assert record["应叫应人 contacts"] == "主要负责人 张三 138"
    assert record["叫应用时(秒) answer_s"] == "600"
    assert record["园区报警时间 raised_at"].endswith(":26:40")
