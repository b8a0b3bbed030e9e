"""Notice text, Chinese first, from alarm events and the catalog. Pure.

One alarm gives a full notice (site, hazard source, tag and name, value and limit with
unit, priority colour, time in Beijing time, who is being called); several alarms
collected in a consolidation window give one summary, "N 条报警", listing the most
urgent first.

A notice may go out long after the alarm was raised (at the end of a consolidation
window, on escalation minutes later): it says the value at the raise (报警时值) and, when
the notifier knows it, the value and state at sending time (发送时值, 当前状态), each
labelled as such, so an escalation never shows a gas level that has long gone as "now".
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alerting.events import AlarmEvent, AlarmState, EventKind
from alerting.notify.escalation import Dispatch
from alerting.terms import (
    ALARM_TYPE_TERMS,
    PRIORITY_COLOUR_TERMS,
    PRIORITY_TERMS,
    REASON_TERMS,
    STATE_TERMS,
)
from collectors.readings import Reading
from config.catalog import Catalog, PointInfo
from config.vocabulary import AlarmType, Priority

SUMMARY_LINES = 20  # alarms listed in a summary; the rest are counted


def beijing() -> tzinfo:
    """Asia/Shanghai; without tz data a fixed UTC+8 is exact (no DST since 1991)."""
    try:
        return ZoneInfo("Asia/Shanghai")
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=8), "CST")


# A limit alarm's notice is headed by its level (GB/T 50493: 一级报警 at the first set point,
# 二级报警 at the second); any other alarm by its type's own word.
LEVEL_HEADINGS: dict[AlarmType, str] = {
    AlarmType.HIGH_HIGH: "二级报警",
    AlarmType.LOW_LOW: "二级报警",
    AlarmType.HIGH: "一级报警",
    AlarmType.LOW: "一级报警",
}


def heading(alarm_type: AlarmType) -> str:
    return LEVEL_HEADINGS.get(alarm_type, ALARM_TYPE_TERMS[alarm_type].zh)


def type_label(alarm_type: AlarmType) -> str:
    """The type with its heading, 高高报（二级报警）; alone where the heading is the type."""
    name, title = ALARM_TYPE_TERMS[alarm_type].zh, heading(alarm_type)
    return name if name == title else f"{name}（{title}）"


def colour_name(priority: Priority) -> str:
    return PRIORITY_COLOUR_TERMS[priority].zh


def priority_label(priority: Priority) -> str:
    """红色（紧急）: the warning colour first, as the duty officer's instructions name it."""
    return f"{colour_name(priority)}（{PRIORITY_TERMS[priority].zh}）"


@dataclass(frozen=True, slots=True)
class Now:
    """An alarm as it is when its notice is sent: its state, and the point's latest
    reading (None: no reading yet)."""

    state: AlarmState
    reading: Reading | None = None
    live: bool = True  # False: live readings are not available here, only the state


NowOf = Callable[[AlarmEvent], Now | None]


@dataclass(frozen=True, slots=True)
class Notice:
    """One message for one level of one route, ready for any channel."""

    route: str
    level: int
    level_name: str
    title: str  # one line: email subject, markdown heading
    text: str  # plain text, title included
    markdown: str  # WeCom / DingTalk markdown, title included
    priority: Priority  # the most urgent alarm in it
    dispatches: tuple[Dispatch, ...]
    current: tuple[tuple[str, Now], ...] = ()  # alarm id → as it was at sending time

    @property
    def events(self) -> tuple[AlarmEvent, ...]:
        return tuple(dispatch.event for dispatch in self.dispatches)

    @property
    def is_summary(self) -> bool:
        return len({d.event.alarm_id for d in self.dispatches}) > 1


def format_number(value: float) -> str:
    """52.0 → "52", 52.35 → "52.35", 0.0012 → "0.0012": no float noise in a message."""
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value != 0 and abs(value) < 1:
        return f"{value:.4g}"
    return f"{value:.3f}".rstrip("0").rstrip(".")


def format_value(value: float | bool | None, unit: str) -> str:
    if value is None:
        return "无有效读数"
    if isinstance(value, bool):
        return "动作（1）" if value else "正常（0）"
    return f"{format_number(value)} {unit}".rstrip()


def format_wait(seconds: float) -> str:
    """300 → "5 分钟", 0.2 → "0.2 秒", 5400 → "1 小时 30 分钟"."""
    if seconds < 60:
        return f"{format_number(seconds)} 秒"
    if seconds < 3600:
        return f"{format_number(round(seconds / 60, 1))} 分钟"
    hours, rest = divmod(round(seconds / 60), 60)
    return f"{hours} 小时" + (f" {rest} 分钟" if rest else "")


def format_now(now: Now, unit: str) -> str:
    """The point's latest value, or why it has none (通讯中断, 传感器故障 …)."""
    reading = now.reading
    if reading is None:
        return "无读数"
    if reading.value is None:
        return f"无有效读数（{REASON_TERMS[reading.reason].zh}）"
    return format_value(reading.value, unit)


def call_to_action(state: AlarmState | None) -> str:
    if state is AlarmState.RTN_UNACK:
        return "报警已恢复但尚未确认，请确认并核实原因。"
    return "请立即确认并处置。"


def format_time(ts: float, zone: tzinfo) -> str:
    return datetime.fromtimestamp(ts, UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def level_label(level: int, name: str) -> str:
    return f"第{level}级" + (f" {name}" if name else "")


def _describe(event: AlarmEvent, info: PointInfo | None) -> tuple[str, str, str, str]:
    """site, hazard source, point, unit: what the catalog says, or the bare key."""
    if info is None:
        return event.point.site, "（未登记）", f"{event.point.tag}（未登记点位）", ""
    source = info.hazard_source
    return (
        f"{info.site_name}（{event.point.site}）",
        f"{source.name}（{source.id}，{source.grade}级）",
        f"{event.point.tag} {info.config.name}",
        info.config.unit,
    )


def _single(
    dispatch: Dispatch, info: PointInfo | None, level_name: str, zone: tzinfo, now: Now | None
) -> tuple[str, list[tuple[str, str]], str]:
    event = dispatch.event
    site, source, point, unit = _describe(event, info)
    site_name = info.site_name if info is not None else event.point.site
    point_name = info.config.name if info is not None else ""
    prefix = f"【升级通知·第{dispatch.level}级】" if dispatch.level > 1 else ""
    live = now is not None and now.live
    shown = format_now(now, unit) if now is not None and live else format_value(event.value, unit)
    title = (
        f"{prefix}【{heading(event.alarm_type)}】{site_name} {event.point.tag} {point_name} "
        f"{shown}"
        .replace("  ", " ")
        .rstrip()
    )
    fields = [
        ("企业", site),
        ("重大危险源", source),
        ("位号", point),
        ("报警类型", type_label(event.alarm_type)),
        ("报警时值", format_value(event.value, unit)),
    ]
    if now is not None:
        if live:
            fields.append(("发送时值", format_now(now, unit)))
        fields.append(("当前状态", STATE_TERMS[now.state].zh))
    if event.limit is not None:
        fields.append(("报警限", format_value(event.limit, unit)))
    fields += [
        ("优先级", priority_label(event.priority)),
        ("报警时间", f"{format_time(event.ts, zone)}（北京时间）"),
        ("通知级别", level_label(dispatch.level, level_name)),
    ]
    if event.kind is EventKind.REALARMED:
        fields.append(("说明", "已确认但超过重复报警时间仍未恢复，重新报警"))
    if dispatch.waited is not None:
        fields.append(("升级原因", f"已 {format_wait(dispatch.waited)}无人确认"))
    fields.append(("报警编号", event.alarm_id))
    return title, fields, call_to_action(now.state if now is not None else None)


def _summary_line(
    dispatch: Dispatch, info: PointInfo | None, zone: tzinfo, now: Now | None
) -> str:
    event = dispatch.event
    unit = info.config.unit if info is not None else ""
    name = f" {info.config.name}" if info is not None else ""
    limit = f"（限 {format_value(event.limit, unit)}）" if event.limit is not None else ""
    current = ""
    if now is not None:
        value = f"现 {format_now(now, unit)}，" if now.live else ""
        current = f"，{value}{STATE_TERMS[now.state].zh}"
    return (
        f"【{heading(event.alarm_type)}】{event.point.site} {event.point.tag}{name} "
        f"报警时 {format_value(event.value, unit)}{limit}{current} "
        f"{colour_name(event.priority)} {format_time(event.ts, zone)[11:]}"
    )


def latest_per_alarm(dispatches: Sequence[Dispatch]) -> list[tuple[Dispatch, int]]:
    """Each alarm once, with its newest dispatch and how often it came in the window: a
    chattering alarm is one line "(N 次)", not N lines."""
    latest: dict[str, Dispatch] = {}
    counts: Counter[str] = Counter()
    for dispatch in dispatches:
        latest[dispatch.event.alarm_id] = dispatch
        counts[dispatch.event.alarm_id] += 1
    return [(dispatch, counts[alarm]) for alarm, dispatch in latest.items()]


def _summary(
    grouped: Sequence[tuple[Dispatch, int]],
    catalog: Catalog,
    level: int,
    level_name: str,
    zone: tzinfo,
    now_of: NowOf,
) -> tuple[str, list[tuple[str, str]], list[str], str]:
    count = len(grouped)
    total = sum(times for _, times in grouped)
    ordered = sorted(grouped, key=lambda g: (g[0].event.priority.rank, g[0].event.ts))
    colours = Counter(d.event.priority for d, _ in grouped)
    by_colour = "，".join(f"{colour_name(p)} {colours[p]} 条" for p in Priority if colours[p])
    if total > count:
        by_colour += f"；本时段共触发 {total} 次"
    sites = sorted({d.event.point.site for d, _ in grouped})
    first = min(d.event.ts for d, _ in grouped)
    last = max(d.event.ts for d, _ in grouped)
    if level > 1:
        title = f"【升级通知·第{level}级】{count} 条报警超时未确认"
    else:
        title = f"【报警汇总】{count} 条报警"
    fields = [
        ("企业", "、".join(sites)),
        ("报警数量", f"{count} 条（{by_colour}）"),
        ("时间范围", f"{format_time(first, zone)} — {format_time(last, zone)[11:]}（北京时间）"),
        ("通知级别", level_label(level, level_name)),
    ]
    lines = [
        f"{index}. {_summary_line(d, catalog.get(d.event.point), zone, now_of(d.event))}"
        + (f"（{times} 次）" if times > 1 else "")
        for index, (d, times) in enumerate(ordered[:SUMMARY_LINES], start=1)
    ]
    if count > SUMMARY_LINES:
        lines.append(f"……另有 {count - SUMMARY_LINES} 条，请在监控平台查看。")
    return title, fields, lines, "请立即确认并处置。"


def _unknown(event: AlarmEvent) -> Now | None:
    return None


def format_notice(
    route: str,
    level: int,
    level_name: str,
    dispatches: Sequence[Dispatch],
    catalog: Catalog,
    zone: tzinfo | None = None,
    now_of: NowOf = _unknown,
    link_of: Callable[[AlarmEvent], str | None] | None = None,
) -> Notice:
    """``now_of(event)`` tells the alarm as it is at sending time (None: not known; the
    notice then gives the value at the raise only). ``link_of(event)`` gives the alarm's
    acknowledgement link (``alerting.answerlinks``); a notice of one alarm carries it, a
    summary does not (twenty links would not fit a robot message): it points to the
    console."""
    if not dispatches:
        raise ValueError("a notice needs at least one alarm")
    zone = zone or beijing()
    lines: list[str] = []
    grouped = latest_per_alarm(dispatches)
    if len(grouped) == 1:
        ((latest, times),) = grouped
        title, fields, footer = _single(
            latest, catalog.get(latest.event.point), level_name, zone, now_of(latest.event)
        )
        if times > 1:
            fields.insert(-1, ("本时段触发", f"{times} 次"))
        link = link_of(latest.event) if link_of is not None else None
        if link:
            fields.append(("确认链接", f"{link}（登录后确认，单次有效）"))
    else:
        title, fields, lines, footer = _summary(grouped, catalog, level, level_name, zone, now_of)
    text = "\n".join([title, *(f"{key}：{value}" for key, value in fields), *lines, footer])
    # Two trailing spaces are a markdown line break (DingTalk); WeCom ignores them.
    markdown = "\n".join(
        [
            f"### {title}",
            *(f"**{key}**：{value}  " for key, value in fields),
            *(f"{line}  " for line in lines),
            f"**{footer}**",
        ]
    )
    priority = min((d.event.priority for d in dispatches), key=lambda p: p.rank)
    current = tuple(
        (d.event.alarm_id, now)
        for d, _ in grouped
        if (now := now_of(d.event)) is not None
    )
    return Notice(
        route, level, level_name, title, text, markdown, priority, tuple(dispatches), current
    )


def notice_json(notice: Notice, catalog: Catalog) -> dict[str, Any]:
    """The generic webhook's body: the text for people, the alarms for machines."""
    alarms = []
    current = dict(notice.current)
    for dispatch in notice.dispatches:
        event = dispatch.event
        info = catalog.get(event.point)
        now = current.get(event.alarm_id)
        reading = now.reading if now is not None else None
        alarms.append(
            {
                "alarm_id": event.alarm_id,
                "site": event.point.site,
                "site_name": info.site_name if info else None,
                "hazard_source": info.hazard_source.id if info else None,
                "hazard_source_name": info.hazard_source.name if info else None,
                "tag": event.point.tag,
                "name": info.config.name if info else None,
                "unit": info.config.unit if info else None,
                "alarm_type": event.alarm_type.value,
                "state": event.state.value,
                "priority": event.priority.value,
                "colour": event.priority.colour,
                "ts": event.ts,
                "value": event.value,  # at the raise
                "limit": event.limit,
                "state_now": now.state.value if now is not None else None,
                "value_now": reading.value if reading is not None else None,
                "quality_now": reading.quality.value if reading is not None else None,
                "unacknowledged_for": dispatch.waited,
            }
        )
    return {
        "source": "hazgw",
        "route": notice.route,
        "level": notice.level,
        "level_name": notice.level_name,
        "priority": notice.priority.value,
        "colour": notice.priority.colour,
        "count": len(notice.dispatches),
        "title": notice.title,
        "text": notice.text,
        "alarms": alarms,
    }


def truncate_utf8(text: str, max_bytes: int) -> str:
    """Robot APIs limit content in UTF-8 bytes (WeCom markdown 4096); cut on a character."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    marker = "\n……（内容过长，已截断）"
    room = max_bytes - len(marker.encode("utf-8"))
    return data[:room].decode("utf-8", errors="ignore") + marker
