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

