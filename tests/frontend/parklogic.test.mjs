// dashboard/static/parklogic.js: the park wall's tile colour, data age and alarm lines.

import { test } from "node:test";
import assert from "node:assert/strict";

import { importStatic } from "./static.mjs";

const { priorityClass, ageText } = await importStatic("parklogic.js");

test("an offline enterprise is grey whatever its last alarm said", () => {
  assert.equal(priorityClass({ online: false, worst_priority: "critical" }), "offline");
});

test("an online enterprise takes the colour of its worst active alarm", () => {
  for (const [worst, cls] of [["critical", "prio-critical"], ["high", "prio-high"],
    ["medium", "prio-medium"], ["low", "prio-low"], [null, "ok"]]) {
    assert.equal(priorityClass({ online: true, worst_priority: worst }), cls);
  }
});

test("data age in Chinese, none when nothing came yet", () => {
  assert.equal(ageText(null), "无");
  assert.equal(ageText(4.4), "4 秒前");
  assert.equal(ageText(150), "3 分钟前");
  assert.equal(ageText(7200), "2 小时前");
});

test("data age in English through i18n's words", async () => {
  const { translate } = await importStatic("i18n.js");
  const en = (key, vars) => translate(key, "en", vars);
  assert.equal(ageText(null, en), "none yet");
  assert.equal(ageText(4.4, en), "4 s ago");
  assert.equal(ageText(150, en), "3 min ago");
  assert.equal(ageText(7200, en), "2 h ago");
});

test("a park alarm: zh-CN as the registry wrote it, English rebuilt from its figures", async () => {
  const { parkAlarmText } = await importStatic("parklogic.js");
  const { translate } = await importStatic("i18n.js");
  const en = (key, vars) => translate(key, "en", vars);
  const names = new Map([["E1", "一号化工"]]);
  const offline = { kind: "offline", enterprise: "E1", text: "企业离线: 一号化工 已 360 秒无心跳" };
  const call = { kind: "call", enterprise: "E1",
    text: "叫应: 一号化工 GT-201 HH 报警 12 分钟未确认, 请电话叫应企业负责人" };
  const odd = { kind: "call", enterprise: "E1", text: "叫应: 别的格式" };
  const table = [
    [offline, "zh-CN", offline.text],
    [offline, "en", "Enterprise offline: 一号化工, no heartbeat for 360 s"],
    [call, "zh-CN", call.text],
    [call, "en", "Call: 一号化工 GT-201 High-high alarm unacknowledged for 12 min; phone the enterprise's person in charge"],
    [odd, "en", odd.text],  // prose it cannot read is shown, not dropped
    [{ ...call, text: call.text.replace(" HH ", " NEWTYPE ") }, "en",
      "Call: 一号化工 GT-201 NEWTYPE alarm unacknowledged for 12 min; phone the enterprise's person in charge"],
  ];
  for (const [alarm, lang, expected] of table) {
    assert.equal(parkAlarmText(alarm, names, en, lang), expected, `${alarm.text} ${lang}`);
  }
});
