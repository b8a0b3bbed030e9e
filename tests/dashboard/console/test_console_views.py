"""CSV export and shift summary builders: pure, no server."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

import pytest
from authkit import SITE, make_site

from alerting.events import AlarmEvent, AlarmState, EventKind
from alerting.statemachine import AlarmRecord
from config.catalog import Catalog, PointKey
from config.vocabulary import AlarmType, Priority
from dashboard.routes.console_views import CSV_HEADERS, history_csv, safe_text, shift_summary

CATALOG = Catalog([make_site()])
SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = 1_700_000_000.0  # 2023-11-15 06:13:20 in Shanghai


def event(
    kind: EventKind,
    ts: float,
    *,
    tag: str = "LT-1",
    alarm_type: AlarmType = AlarmType.HIGH_HIGH,
    state: AlarmState = AlarmState.UNACK,
    priority: Priority = Priority.CRITICAL,
    user: str | None = None,
    comment: str | None = None,
    value: float | bool | None = 19.0,
    seq: int = 1,
) -> AlarmEvent:
    return AlarmEvent(
        alarm_id=f"{SITE}/{tag}/{alarm_type.value}", point=PointKey(SITE, tag),
        alarm_type=alarm_type, kind=kind, state=state, priority=priority, ts=ts, value=value,
        limit=18.0, user=user, comment=comment, seq=seq, hazard_source="HS-1",
    )


def rows_of(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 BOM"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_has_chinese_headers_and_local_times() -> None:
    events = [
        event(EventKind.RAISED, T0, seq=7),
        event(EventKind.ACKNOWLEDGED, T0 + 60, state=AlarmState.ACKED, user="张三",
              comment="现场确认，已关阀", seq=8),
    ]
    rows = rows_of(history_csv(events, CATALOG, SHANGHAI))
    assert rows[0][0] == "序号" and rows[0][1] == "时间(UTC+08:00)"
    assert rows[0][2:] == list(CSV_HEADERS[2:])
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["序号"] == "7"
    assert first["时间(UTC+08:00)"] == "2023-11-15 06:13:20"
    assert first["时间戳(秒)"] == "1700000000.000"
    assert first["报警编号"] == f"{SITE}/LT-1/HH"
    names = (first["企业名称"], first["危险源"], first["点名称"])
    assert names == ("测试化工", "1号罐区", "1号罐液位")
    assert (first["报警类型"], first["事件"], first["状态"], first["级别"]) == (
        "高高报", "报警", "报警未确认", "红色"
    )
    assert (first["数值"], first["限值"], first["单位"]) == ("19.0", "18.0", "m")
    second = dict(zip(rows[0], rows[2], strict=True))
    action = (second["事件"], second["操作人"], second["说明"])
    assert action == ("确认", "张三", "现场确认，已关阀")


@pytest.mark.parametrize(
    ("alarm_type", "kind", "state", "priority", "words"),
    [
        # The screens' and the notices' words (alerting/terms.py), not a table of the CSV's own.
        (AlarmType.COMM_LOSS, EventKind.RAISED, AlarmState.UNACK, Priority.HIGH,
         ("通讯中断", "报警", "报警未确认", "橙色")),
        (AlarmType.HIGH, EventKind.CLEARED, AlarmState.NORMAL, Priority.MEDIUM,
         ("高报", "消除", "正常", "黄色")),
        (AlarmType.SENSOR_FAULT, EventKind.RETURNED_TO_SERVICE, AlarmState.NORMAL, Priority.LOW,
         ("传感器故障", "恢复投用", "正常", "蓝色")),
        (AlarmType.RATE_OF_CHANGE, EventKind.REALARMED, AlarmState.ACKED, Priority.CRITICAL,
         ("变化率报警", "再次报警", "报警已确认", "红色")),
    ],
)
def test_csv_words_are_the_shared_terms(
    alarm_type: AlarmType,
    kind: EventKind,
    state: AlarmState,
    priority: Priority,
    words: tuple[str, str, str, str],
) -> None:
    data = history_csv(
        [event(kind, T0, alarm_type=alarm_type, state=state, priority=priority)],
        CATALOG,
        SHANGHAI,
    )
    header, row = rows_of(data)
    cells = dict(zip(header, row, strict=True))
    assert (cells["报警类型"], cells["事件"], cells["状态"], cells["级别"]) == words


def test_csv_in_utc() -> None:
    rows = rows_of(history_csv([event(EventKind.RAISED, T0)], CATALOG, ZoneInfo("UTC")))
    assert rows[0][1] == "时间(UTC+00:00)" and rows[1][1] == "2023-11-14 22:13:20"


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
        ("+1", "'+1"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("正常说明", "正常说明"),
        ("", ""),
        (None, ""),
    ],
)
def test_text_cells_never_run_as_formulas(text: str | None, cell: str) -> None:
    assert safe_text(text) == cell


def test_a_formula_in_a_comment_is_neutralised_in_the_file() -> None:
    bad = event(EventKind.NOTE, T0, user="=cmd|' /C calc'!A0", comment="-2+3", value=-5.0)
    row = rows_of(history_csv([bad], CATALOG, SHANGHAI))[1]
    record = dict(zip(CSV_HEADERS[2:], row[2:], strict=True))
    assert record["操作人"].startswith("'=") and record["说明"] == "'-2+3"
    assert record["数值"] == "-5.0"  # numbers stay numbers


def test_shift_summary_groups_per_alarm_and_lists_what_is_open() -> None:
    gas = dict(tag="GT-1", alarm_type=AlarmType.HIGH, priority=Priority.HIGH)
    events = [
        event(EventKind.RAISED, T0, seq=1),
        event(EventKind.RAISED, T0 + 5, seq=2, **gas),  # type: ignore[arg-type]
        event(EventKind.ACKNOWLEDGED, T0 + 60, seq=3, state=AlarmState.ACKED, user="张三"),
        event(EventKind.NOTE, T0 + 70, seq=4, state=AlarmState.ACKED, user="张三",
              comment="已关阀"),
        event(EventKind.RETURNED, T0 + 90, seq=5, state=AlarmState.RTN_UNACK,
              **gas),  # type: ignore[arg-type]
        event(EventKind.RETURNED, T0 + 100, seq=6, state=AlarmState.NORMAL),
    ]
    current = [
        AlarmRecord(
            alarm_id=f"{SITE}/GT-1/H", point=PointKey(SITE, "GT-1"), alarm_type=AlarmType.HIGH,
            priority=Priority.HIGH, hazard_source="HS-1", state=AlarmState.RTN_UNACK,
            active=False, value=12.0, limit=25.0, raised_at=T0 + 5,
        ),
        AlarmRecord(
            alarm_id=f"{SITE}/LT-1/L", point=PointKey(SITE, "LT-1"), alarm_type=AlarmType.LOW,
            priority=Priority.LOW, hazard_source="HS-1", state=AlarmState.SHELVED,
            shelved_by="李四", shelved_until=T0 + 7200, shelve_reason="检修",
        ),
    ]
    summary = shift_summary(events, current, CATALOG, start=T0 - 3600, end=T0 + 3600,
                            truncated=False)
    body = summary.model_dump(by_alias=True)
    assert body["from"] == T0 - 3600 and body["to"] == T0 + 3600 and body["hours"] == 2.0
    assert [a["id"] for a in body["alarms"]] == [f"{SITE}/LT-1/HH", f"{SITE}/GT-1/H"]
    level = body["alarms"][0]
    assert (level["raised"], level["acknowledged"], level["state"]) == (1, 1, "normal")
    assert [e["kind"] for e in level["events"]] == ["raised", "acknowledged", "note", "returned"]
    assert level["events"][2]["comment"] == "已关阀"
    assert (level["point_name"], level["hazard_source_name"]) == ("1号罐液位", "1号罐区")
    gas_alarm = body["alarms"][1]
    assert (gas_alarm["state"], gas_alarm["first_ts"], gas_alarm["last_ts"]) == (
        "returned_unacknowledged", T0 + 5, T0 + 90
    )
    assert [(o["id"], o["unacknowledged"]) for o in body["open"]] == [
        (f"{SITE}/GT-1/H", True), (f"{SITE}/LT-1/L", False)
    ]
    assert body["open"][1]["shelve_reason"] == "检修"
    assert body["counts"] == {"raised": 2, "acknowledged": 1, "open": 2, "unacknowledged": 1,
                              "events": 6}
    assert body["truncated"] is False


# ------------------------------------------------------------------ commissioning


@pytest.mark.parametrize(
    ("payload", "text", "truncated"),
    [
        (b'{"a": 1}', '{"a": 1}', False),
        ("温度".encode(), "温度", False),
        (b"\xff\xfe", "\ufffd\ufffd", False),
        (b"x" * 2001, "x" * 2000, True),
    ],
)
def test_payload_text(payload: bytes, text: str, truncated: bool) -> None:
    from dashboard.routes.commissioning import payload_out

    out = payload_out("t/1", 5.0, payload)
    assert (out.payload, out.truncated, out.size) == (text, truncated, len(payload))


@pytest.mark.parametrize(
    ("registers", "data_type", "decoded"),
    [
        ([0x47F1, 0x2000], "float32", {"ABCD": 123456.0}),
        ([0x2000, 0x47F1], "float32", {"CDAB": 123456.0}),
        ([0xFFFF], "int16", {"int16": -1, "uint16": 65535, "int16 (BA)": -1}),
        ([1], "bit", {}),
        ([1], "bool", {}),
        ([1], "float32", {"ABCD": "type float32 needs 2 register(s), got 1"}),
    ],
)
def test_decode_registers(registers: list[int], data_type: str, decoded: dict[str, object]
                          ) -> None:
    from config.modbus import DataType
    from dashboard.routes.commissioning import decode_registers

    values, scaled = decode_registers(registers, DataType(data_type), 2.0, 1.0)
    for order, value in decoded.items():
        assert values[order] == value
        assert scaled[order] == (value if isinstance(value, str) else value * 2.0 + 1.0)
    if not decoded:
        assert values == {} and scaled == {}
