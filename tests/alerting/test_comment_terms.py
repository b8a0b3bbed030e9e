"""The gateway's own event comments in each language (alerting/terms.py COMMENT_TERMS):
the engine's details and the notifier's records, translated; a person's words untouched."""

from __future__ import annotations

import pytest

from alerting.terms import comment_text

SENT = "第1级（当班人员）通知已发送：渠道 shift（webhook），路由 shift，第 1 次尝试"
FAILED = "第2级通知失败：渠道 fire-room，路由 fire-control-room，尝试 3 次：HTTP 500, boom"
ESCALATED = "无人确认 120.0 秒，升级至第2级（安全管理人员）：路由 shift"

TABLE = [
    ("no valid reading for 30 s", "30 秒无有效读数", "no valid reading for 30 s"),
    ("heartbeat stalled for 4.5 s or more", "控制器心跳停止 4.5 秒以上",
     "controller heartbeat stalled for 4.5 s or more"),
    ("sensor fault reading, fault state", "传感器故障读数，故障状态位",
     "sensor fault reading, fault state"),
    ("after delay", "延时到达", "after the delay"),
    ("shelf expired", "搁置到期", "shelf expired"),
    ("停用到期，自动投用", "停用到期，自动投用", "out-of-service time over: back in service"),
    ("消音（大屏）：报警声音已停止，报警仍未确认", "消音（大屏）：报警声音已停止，报警仍未确认",
     "silenced on the wall: the tone stopped, the alarm is still unacknowledged"),
    ("still active 1800 s after acknowledgement", "确认后 1800 秒仍在报警",
     "still active 1800 s after acknowledgement"),
    ("condition active on return", "恢复时报警条件仍存在", "condition still active on return"),
    ("alarm rule no longer configured", "报警规则已从配置中删除",
     "alarm rule no longer configured"),
    (SENT, "第1级（当班人员）通知已发送：网络回调，第 1 次尝试",
     "level 1 (当班人员) notified by webhook shift, route shift, attempt 1"),
    (FAILED, "第2级通知失败，已尝试 3 次",
     "level 2: notice failed on channel fire-room, route fire-control-room, after 3 attempts: "
     "HTTP 500, boom"),
    (ESCALATED, "无人确认 120.0 秒，升级至第2级（安全管理人员）",
     "not acknowledged for 120.0 s: escalated to level 2 (安全管理人员), route shift"),
    # A person's words, even with one of the engine's in them, stay as typed.
    ("已通知维修, fault", "已通知维修, fault", "已通知维修, fault"),
    ("no valid reading for a while", "no valid reading for a while",
     "no valid reading for a while"),
    ("", "", ""),
    (None, "", ""),
]


@pytest.mark.parametrize(("comment", "zh", "en"), TABLE)
def test_comment_text(comment: str | None, zh: str, en: str) -> None:
    assert comment_text(comment) == zh
    assert comment_text(comment, "en") == en
