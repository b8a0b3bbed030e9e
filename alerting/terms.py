"""The words for what the gateway shows and sends, Chinese and English, defined once.

Reading qualities and reasons, alarm types, priorities (and their warning colours), alarm
states and event kinds. The screens get this table as ``/static/terms.js``
(``dashboard/routes/terms.py``), the alarm history CSV and the notifications read it here:
an operator who sees 通讯中断 on the wall reads the same word in the WeCom message and in the
exported history.

Chosen words, where the old tables differed:
- comm loss is 通讯中断 (not 通信中断 or 通讯故障): the usual word on Chinese control-room
  screens and in detector controller manuals for a device that stopped answering;
- an alarm that went back to normal is 消除 (not 清除): 清除 reads as "deleted", and nothing
  is ever deleted from the alarm journal.

Each enum has its own table: members of different enums can be equal strings (the event
``shelved`` and the state ``shelved``), so one table keyed by value would mix them up.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from alerting.events import AlarmState, EventKind
from collectors.readings import Quality, Reason
from config.vocabulary import AlarmType, Priority


@dataclass(frozen=True, slots=True)
class Term:
    zh: str  # zh-CN, what every screen and message shows first
    en: str


# A reading's reason and the system alarm it leads to are the same thing: one word.
COMM_LOSS = Term("通讯中断", "Comm loss")
SENSOR_FAULT = Term("传感器故障", "Sensor fault")

QUALITY_TERMS: Mapping[Quality, Term] = MappingProxyType({
    Quality.GOOD: Term("数据正常", "good"),
    Quality.UNCERTAIN: Term("数据可疑", "uncertain"),
    Quality.BAD: Term("数据无效", "invalid"),
})

REASON_TERMS: Mapping[Reason, Term] = MappingProxyType({
    Reason.NONE: Term("无", "none"),
    Reason.COMM_LOSS: COMM_LOSS,
    Reason.SENSOR_FAULT: SENSOR_FAULT,
    Reason.OUT_OF_RANGE: Term("超量程", "Out of range"),
    Reason.DECODE_ERROR: Term("数据解析错误", "Decode error"),
    Reason.STALE: Term("数据超时", "Stale"),
    Reason.HEARTBEAT_STALLED: Term("控制器心跳停止", "Heartbeat stalled"),
})

ALARM_TYPE_TERMS: Mapping[AlarmType, Term] = MappingProxyType({
    AlarmType.HIGH_HIGH: Term("高高报", "High-high"),
    AlarmType.HIGH: Term("高报", "High"),
    AlarmType.LOW: Term("低报", "Low"),
    AlarmType.LOW_LOW: Term("低低报", "Low-low"),
    AlarmType.RATE_OF_CHANGE: Term("变化率报警", "Rate of change"),
    AlarmType.DISCRETE: Term("开关量报警", "Discrete"),
    AlarmType.COMM_LOSS: COMM_LOSS,
    AlarmType.SENSOR_FAULT: SENSOR_FAULT,
})

PRIORITY_TERMS: Mapping[Priority, Term] = MappingProxyType({
    Priority.CRITICAL: Term("紧急", "Critical"),
    Priority.HIGH: Term("高", "High"),
    Priority.MEDIUM: Term("中", "Medium"),
    Priority.LOW: Term("低", "Low"),
})

# The colour of the Chinese warning scale that goes with each priority (``Priority.colour``).
PRIORITY_COLOUR_TERMS: Mapping[Priority, Term] = MappingProxyType({
    Priority.CRITICAL: Term("红色", "red"),
    Priority.HIGH: Term("橙色", "orange"),
    Priority.MEDIUM: Term("黄色", "yellow"),
    Priority.LOW: Term("蓝色", "blue"),
})

STATE_TERMS: Mapping[AlarmState, Term] = MappingProxyType({
    AlarmState.NORMAL: Term("正常", "normal"),
    AlarmState.UNACK: Term("报警未确认", "active, unacknowledged"),
    AlarmState.ACKED: Term("报警已确认", "active, acknowledged"),
    AlarmState.RTN_UNACK: Term("已恢复未确认", "returned, unacknowledged"),
    AlarmState.SHELVED: Term("已搁置", "shelved"),
    AlarmState.OUT_OF_SERVICE: Term("已停用", "out of service"),
})

EVENT_TERMS: Mapping[EventKind, Term] = MappingProxyType({
    EventKind.RAISED: Term("报警", "raised"),
    EventKind.RETURNED: Term("恢复", "returned"),
    EventKind.ACKNOWLEDGED: Term("确认", "acknowledged"),
    EventKind.CLEARED: Term("消除", "cleared"),
    EventKind.SHELVED: Term("搁置", "shelved"),
    EventKind.UNSHELVED: Term("取消搁置", "unshelved"),
    EventKind.REMOVED_FROM_SERVICE: Term("停用", "out of service"),
    EventKind.RETURNED_TO_SERVICE: Term("恢复投用", "back in service"),
    EventKind.NOTE: Term("处置记录", "note"),
    EventKind.NOTIFIED: Term("已通知", "notified"),
    EventKind.NOTIFY_FAILED: Term("通知失败", "notify failed"),
    EventKind.ESCALATED: Term("升级", "escalated"),
    EventKind.REALARMED: Term("再次报警", "re-alarmed"),
})

# The comments the gateway itself writes on events: the engine's (``alerting/rules.py``
# details, ``alerting/statemachine.py``, ``alerting/recovery.py``, ``alerting/timers.py``)
# and the notifier's
# (``alerting/notify/notifier.py``: sent, failed, escalated). The journal keeps them as
# written (older journals hold the same words); screens and the CSV show them in their
# language through these patterns. A comment a person typed matches none and is shown as
# typed. Patterns use only syntax Python and JavaScript read alike. In the words, ``{1}``…
# is a group; ``{kN}`` is group N read as a channel kind (webhook → 网络回调). In Chinese the
# notifier's channel and route ids are left out (the level's name says who was called); the
# screens keep the comment as written in the cell's tooltip.
_NUMBER = r"(\d+(?:\.\d+)?)"
_LEVEL = r"第(\d+)级((?:（[^）]*）)?)"
COMMENT_TERMS: tuple[tuple[str, Term], ...] = (
    (rf"no valid reading for {_NUMBER} s",
     Term("{1} 秒无有效读数", "no valid reading for {1} s")),
    (rf"heartbeat stalled for {_NUMBER} s or more",
     Term("控制器心跳停止 {1} 秒以上", "controller heartbeat stalled for {1} s or more")),
    (r"sensor fault reading", Term("传感器故障读数", "sensor fault reading")),
    (r"fault state", Term("故障状态位", "fault state")),
    (r"fault", Term("故障", "fault")),
    (r"after delay", Term("延时到达", "after the delay")),
    (r"condition active on return",
     Term("恢复时报警条件仍存在", "condition still active on return")),
    (r"alarm rule no longer configured",
     Term("报警规则已从配置中删除", "alarm rule no longer configured")),
    (r"shelf expired", Term("搁置到期", "shelf expired")),
    (r"停用到期，自动投用",
     Term("停用到期，自动投用", "out-of-service time over: back in service")),
    (r"消音（大屏）：报警声音已停止，报警仍未确认",
     Term("消音（大屏）：报警声音已停止，报警仍未确认",
          "silenced on the wall: the tone stopped, the alarm is still unacknowledged")),
    (r"消音（值班台）：报警声音已停止，报警仍未确认",
     Term("消音（值班台）：报警声音已停止，报警仍未确认",
          "silenced on the console: the tone stopped, the alarm is still unacknowledged")),
    (rf"still active {_NUMBER} s after acknowledgement",
     Term("确认后 {1} 秒仍在报警", "still active {1} s after acknowledgement")),
    (rf"{_LEVEL}通知已发送：渠道 (\S+)（([a-z]+)），路由 (\S+)，第 (\d+) 次尝试",
     Term("第{1}级{2}通知已发送：{k4}，第 {6} 次尝试",
          "level {1}{2} notified by {k4} {3}, route {5}, attempt {6}")),
    (rf"{_LEVEL}通知失败：渠道 (\S+)，路由 (\S+)，尝试 (\d+) 次：(.*)",
     Term("第{1}级{2}通知失败，已尝试 {5} 次",
          "level {1}{2}: notice failed on channel {3}, route {4}, after {5} attempts: {6}")),
    (rf"无人确认 {_NUMBER} 秒，升级至{_LEVEL}：路由 (\S+)",
     Term("无人确认 {1} 秒，升级至第{2}级{3}",
          "not acknowledged for {1} s: escalated to level {2}{3}, route {4}")),
)
CHANNEL_KIND_TERMS: Mapping[str, Term] = MappingProxyType({
    "webhook": Term("网络回调", "webhook"),
    "wecom": Term("企业微信", "WeCom"),
    "dingtalk": Term("钉钉", "DingTalk"),
    "email": Term("邮件", "email"),  # the ledger's word too (ledgerlogic.js)
})
_COMMENT_PATTERNS = tuple((re.compile(pattern), term) for pattern, term in COMMENT_TERMS)
_PLACEHOLDER = re.compile(r"\{(k?)(\d)\}")


def _fill(words: str, match: re.Match[str], english: bool) -> str:
    def value(slot: re.Match[str]) -> str:
        group = match.group(int(slot.group(2))) or ""
        if slot.group(1):
            term = CHANNEL_KIND_TERMS.get(group)
            return group if term is None else (term.en if english else term.zh)
        return group

    return _PLACEHOLDER.sub(value, words)


def _one_comment(text: str, english: bool) -> str | None:
    for pattern, term in _COMMENT_PATTERNS:
        match = pattern.fullmatch(text)
        if match is not None:
            if english:  # the level's name keeps its words, not the full-width brackets
                return _fill(term.en, match, english).replace("（", " (").replace("）", ")")
            return _fill(term.zh, match, english)
    return None


def comment_text(comment: str | None, language: str = "zh") -> str:
    """An event's comment in ``language`` ("zh" or "en"): the gateway's own words (also a
    list of the engine's joined by ", ") translated, anything else as written."""
    if not comment:
        return ""
    english = language == "en"
    whole = _one_comment(comment, english)
    if whole is not None:
        return whole
    words = []
    for part in comment.split(", "):
        word = _one_comment(part, english)
        if word is None:
            return comment  # a person's words: never half-translated
        words.append(word)
    return (", " if english else "，").join(words)


# Every table under the prefix the screens look it up by: ``reason.comm_loss``, ``type.HH``,
# ``event.cleared``... (``dashboard/static/i18n.js``).
PREFIXES: Mapping[str, Mapping[Any, Term]] = MappingProxyType({
    "quality": QUALITY_TERMS,
    "reason": REASON_TERMS,
    "type": ALARM_TYPE_TERMS,
    "priority": PRIORITY_TERMS,
    "colour": PRIORITY_COLOUR_TERMS,
    "state": STATE_TERMS,
    "event": EVENT_TERMS,
})


def keyed_terms() -> dict[str, Term]:
    """Every term under its screen key, ``<prefix>.<enum value>``. ``Reason.NONE`` (the
    empty reason of a good reading) has none: a screen labels only what is not good."""
    return {
        f"{prefix}.{member.value}": term
        for prefix, table in PREFIXES.items()
        for member, term in table.items()
        if member.value
    }

