"""Notice text: Chinese first, with tag, name, value, unit, limit, colour, Beijing time."""

from __future__ import annotations

import pytest
from notify_support import DUST, FLOOD_TAGS, T0, event

from alerting.events import AlarmEvent
from alerting.notify.escalation import Dispatch
from alerting.notify.messages import (
    SUMMARY_LINES,
    format_notice,
    format_number,
    format_value,
    format_wait,
    notice_json,
    truncate_utf8,
)
from alerting.terms import ALARM_TYPE_TERMS, PRIORITY_COLOUR_TERMS, PRIORITY_TERMS
from config.catalog import Catalog
from config.vocabulary import AlarmType, Priority


def single(catalog: Catalog, dispatch: Dispatch, level_name: str = "当班人员") -> str:
    notice = format_notice("general", dispatch.level, level_name, [dispatch], catalog)
    assert notice.title in notice.text and notice.title in notice.markdown
    return notice.text


@pytest.mark.parametrize(
    ("alarm", "fragments"),
    [
        (
            event("GT-201", AlarmType.HIGH_HIGH, value=52.3, limit=50.0),
            [
                "【二级报警】",
                "示例化工有限公司",
                "DEMO-CHEM",
                "1号储罐区（甲醇/液氨）",
                "2级",
                "GT-201 罐区可燃气体探测器1",
                "52.3 %LEL",
                "报警限：50 %LEL",
                "报警类型：高高报（二级报警）",
                "优先级：红色（紧急）",
                "2024-05-01 14:03:05（北京时间）",
                "第1级 当班人员",
                "DEMO-CHEM/GT-201/HH",
                "请立即确认并处置",
            ],
        ),
        (
            event("GT-201", AlarmType.HIGH, value=26.0, limit=25.0),
            ["【一级报警】", "26 %LEL", "报警限：25 %LEL", "高报（一级报警）", "橙色（高）"],
        ),
        (
            event("LT-101", AlarmType.LOW_LOW, value=0.35, limit=0.5, priority=Priority.MEDIUM),
            ["【二级报警】", "LT-101 1号甲醇罐液位", "0.35 m", "低低报（二级报警）", "黄色（中）"],
        ),
        (
            event(
                "TT-11", AlarmType.HIGH, site=DUST, value=121.25, limit=120.0, priority=Priority.LOW
            ),
            ["示例铝业有限公司", "抛光除尘系统", "灰斗温度", "121.25 °C", "蓝色（低）"],
        ),
        (
            event("GT-202", AlarmType.COMM_LOSS, value=None, limit=None),
            ["【通讯中断】", "GT-202 液氨罐区氨气探测器", "无有效读数", "报警类型：通讯中断\n"],
        ),
        (
            event("GT-201", AlarmType.SENSOR_FAULT, value=None, limit=None),
            ["【传感器故障】", "报警类型：传感器故障\n"],
        ),
        (
            event("LT-101", AlarmType.DISCRETE, value=True, limit=None),
            ["【开关量报警】", "报警类型：开关量报警\n", "动作（1）"],
        ),
        (
            event("XX-999", AlarmType.HIGH, value=3.0, limit=2.0),
            ["XX-999（未登记点位）", "报警时值：3"],
        ),
    ],
)
def test_single_alarm_text(catalog: Catalog, alarm: AlarmEvent, fragments: list[str]) -> None:
    text = single(catalog, Dispatch("general", 1, alarm))
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} missing from:\n{text}"


# The words come from alerting/terms.py, the table the screens and the CSV use too: the
# variants the old notice table had of its own must not come back.
@pytest.mark.parametrize(
    ("alarm_type", "heading", "label"),
    [
        (AlarmType.HIGH_HIGH, "二级报警", "高高报（二级报警）"),
        (AlarmType.HIGH, "一级报警", "高报（一级报警）"),
        (AlarmType.LOW, "一级报警", "低报（一级报警）"),
        (AlarmType.LOW_LOW, "二级报警", "低低报（二级报警）"),
        (AlarmType.RATE_OF_CHANGE, "变化率报警", "变化率报警"),
        (AlarmType.DISCRETE, "开关量报警", "开关量报警"),
        (AlarmType.COMM_LOSS, "通讯中断", "通讯中断"),
        (AlarmType.SENSOR_FAULT, "传感器故障", "传感器故障"),
    ],
)
def test_type_words_are_the_shared_terms(
    catalog: Catalog, alarm_type: AlarmType, heading: str, label: str
) -> None:
    assert ALARM_TYPE_TERMS[alarm_type].zh in label
    text = single(catalog, Dispatch("general", 1, event("GT-201", alarm_type)))
    assert text.startswith(f"【{heading}】")
    assert f"报警类型：{label}\n" in text
    for stale in ("通讯故障", "通信中断", "传感器/控制器故障", "状态报警"):
        assert stale not in text


@pytest.mark.parametrize(
    ("priority", "label"),
    [
        (Priority.CRITICAL, "红色（紧急）"),
        (Priority.HIGH, "橙色（高）"),
        (Priority.MEDIUM, "黄色（中）"),
        (Priority.LOW, "蓝色（低）"),
    ],
)
def test_priority_words_are_the_shared_terms(
    catalog: Catalog, priority: Priority, label: str
) -> None:
    assert label == f"{PRIORITY_COLOUR_TERMS[priority].zh}（{PRIORITY_TERMS[priority].zh}）"
    text = single(catalog, Dispatch("general", 1, event("GT-201", priority=priority)))
    assert f"优先级：{label}\n" in text


def test_no_limit_line_without_limit(catalog: Catalog) -> None:
    alarm = event("GT-202", AlarmType.COMM_LOSS, limit=None, value=None)
    text = single(catalog, Dispatch("general", 1, alarm))
    assert "报警限" not in text


def test_escalation_text_names_level_and_wait(catalog: Catalog) -> None:
    dispatch = Dispatch("general", 2, event(), waited=300.0)
    notice = format_notice("general", 2, "安全管理人员", [dispatch], catalog)
    assert notice.title.startswith("【升级通知·第2级】【二级报警】")
    assert "通知级别：第2级 安全管理人员" in notice.text
    assert "升级原因：已 5 分钟无人确认" in notice.text
    assert "**升级原因**" in notice.markdown
    assert notice.priority is Priority.CRITICAL and not notice.is_summary


def test_summary_of_a_flood(catalog: Catalog) -> None:
    dispatches = [
        Dispatch(
            "general",
            1,
            event(tag, AlarmType.HIGH, site=DUST, value=150.0 + n / 100, limit=150.0, ts=T0 + n),
        )
        for n, tag in enumerate(FLOOD_TAGS[:30])
    ]
    dispatches.append(Dispatch("general", 1, event("GT-201", AlarmType.HIGH_HIGH, ts=T0 + 40)))
    notice = format_notice("general", 1, "当班人员", dispatches, catalog)
    assert notice.is_summary and notice.priority is Priority.CRITICAL
    assert notice.title == "【报警汇总】31 条报警"
    lines = notice.text.splitlines()
    assert "报警数量：31 条（红色 1 条，橙色 30 条）" in lines
    # The most urgent alarm comes first, whatever its arrival.
    first = next(line for line in lines if line.startswith("1. "))
    assert "GT-201" in first and "52.3 %LEL" in first and "红色" in first
    numbered = [line for line in lines if line[:1].isdigit() and ". " in line[:4]]
    assert len(numbered) == SUMMARY_LINES
    assert f"……另有 {31 - SUMMARY_LINES} 条" in notice.text
    assert "时间范围：2024-05-01 14:03:05 — 14:03:45（北京时间）" in lines
    assert "企业：DEMO-CHEM、DUST-01" in lines
    assert "本时段共触发" not in notice.text  # every alarm came once


def test_repeats_of_one_alarm_are_one_notice(catalog: Catalog) -> None:
    dispatches = [
        Dispatch("general", 1, event("LT-101", AlarmType.HIGH, value=18.0 + n, limit=18.0))
        for n in range(5)
    ]
    notice = format_notice("general", 1, "当班人员", dispatches, catalog)
    assert not notice.is_summary
    assert "报警时值：22 m" in notice.text  # the newest
    assert "本时段触发：5 次" in notice.text


def test_escalation_summary_title(catalog: Catalog) -> None:
    dispatches = [Dispatch("g", 3, event(tag), waited=900.0) for tag in ("GT-201", "GT-202")]
    notice = format_notice("g", 3, "园区应急值守中心", dispatches, catalog)
    assert notice.title == "【升级通知·第3级】2 条报警超时未确认"
    assert "第3级 园区应急值守中心" in notice.text


def test_webhook_json(catalog: Catalog) -> None:
    dispatch = Dispatch("general", 2, event(), waited=300.0)
    body = notice_json(format_notice("general", 2, "安全管理人员", [dispatch], catalog), catalog)
    assert body["level"] == 2 and body["count"] == 1 and body["colour"] == "red"
    (alarm,) = body["alarms"]
    assert alarm == {
        "alarm_id": "DEMO-CHEM/GT-201/HH",
        "site": "DEMO-CHEM",
        "site_name": "示例化工有限公司",
        "hazard_source": "HS-TF1",
        "hazard_source_name": "1号储罐区（甲醇/液氨）",
        "tag": "GT-201",
        "name": "罐区可燃气体探测器1",
        "unit": "%LEL",
        "alarm_type": "HH",
        "state": "active_unacknowledged",
        "priority": "critical",
        "colour": "red",
        "ts": T0,
        "value": 52.3,
        "limit": 50.0,
        "unacknowledged_for": 300.0,
        "state_now": None,
        "value_now": None,
        "quality_now": None,
    }


def test_empty_notice_is_refused(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="at least one"):
        format_notice("g", 1, "", [], catalog)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (52.0, "52"),
        (52.3, "52.3"),
        (52.35, "52.35"),
        (0.0, "0"),
        (-1.5, "-1.5"),
        (123456.0, "123456"),
        (0.0012, "0.0012"),
        (0.1 + 0.2, "0.3"),
        (1e-5, "1e-05"),
    ],
)
def test_numbers(value: float, text: str) -> None:
    assert format_number(value) == text


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (None, "%LEL", "无有效读数"),
        (True, "", "动作（1）"),
        (False, "", "正常（0）"),
        (5.0, "", "5"),
        (5.5, "m", "5.5 m"),
    ],
)
def test_values(value: float | bool | None, unit: str, text: str) -> None:
    assert format_value(value, unit) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.2, "0.2 秒"),
        (30, "30 秒"),
        (300, "5 分钟"),
        (90, "1.5 分钟"),
        (3600, "1 小时"),
        (5400, "1 小时 30 分钟"),
    ],
)
def test_waits(seconds: float, text: str) -> None:
    assert format_wait(seconds) == text


def test_truncation_keeps_whole_characters() -> None:
    text = "报警" * 3000  # 18000 bytes
    cut = truncate_utf8(text, 4096)
    assert len(cut.encode("utf-8")) <= 4096
    assert cut.endswith("（内容过长，已截断）")
    assert truncate_utf8("短", 4096) == "短"
