// dashboard/static/i18n.js commentText: the same table as tests/alerting/test_comment_terms.py
// (the patterns come from alerting/terms.py through /static/terms.js).

import { test } from "node:test";
import assert from "node:assert/strict";

import { importStatic } from "./static.mjs";

const { commentText } = await importStatic("i18n.js");

const TABLE = [
  ["no valid reading for 30 s", "30 秒无有效读数", "no valid reading for 30 s"],
  ["sensor fault reading, fault state", "传感器故障读数，故障状态位", "sensor fault reading, fault state"],
  ["第1级（当班人员）通知已发送：渠道 shift（webhook），路由 shift，第 1 次尝试",
    "第1级（当班人员）通知已发送：网络回调，第 1 次尝试",
    "level 1 (当班人员) notified by webhook shift, route shift, attempt 1"],
  ["无人确认 120.0 秒，升级至第2级（安全管理人员）：路由 shift", "无人确认 120.0 秒，升级至第2级（安全管理人员）",
    "not acknowledged for 120.0 s: escalated to level 2 (安全管理人员), route shift"],
  ["已通知维修, fault", "已通知维修, fault", "已通知维修, fault"],
  [null, "", ""],
];

for (const [comment, zh, en] of TABLE) {
  test(`commentText ${comment}`, () => {
    assert.equal(commentText(comment, "zh-CN"), zh);
    assert.equal(commentText(comment, "en"), en);
  });
}
