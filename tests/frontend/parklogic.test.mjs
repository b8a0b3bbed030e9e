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

const { sourceCards, cellClass } = await importStatic("parklogic.js");

const ENTERPRISE = {
  online: true,
  hazard_sources: [
    { id: "HS1", name: "罐区", grade: 2, kind: "tank_farm" },
    { id: "HS2", name: "仓库", grade: 4, kind: "warehouse" },
  ],
  points: [
    { tag: "LT-1", name: "液位", unit: "m", source: "HS1" },
    { tag: "PT-1", name: "压力", unit: "MPa", source: "HS1" },
    { tag: "GD-1", name: "可燃气体", unit: "%LEL", source: "HS2" },
    { tag: "X-1", name: "其它", unit: "", source: "" },
  ],
  active_alarms: [
    { tag: "LT-1", priority: "high", state: "active_acknowledged" },
    { tag: "LT-1", priority: "critical", state: "active_unacknowledged" },
    { tag: "PT-1", priority: "low", state: "active_acknowledged" },
  ],
};

test("each hazard source takes its worst point's colour; each point its worst alarm", () => {
  const cards = sourceCards(ENTERPRISE);
  assert.deepEqual(cards.map((c) => [c.id, c.priority, c.unacked]),
    [["HS1", "critical", true], ["HS2", null, false], ["", null, false]]);
  assert.deepEqual(cards[0].points.map((p) => [p.tag, p.priority, p.unacked]),
    [["LT-1", "critical", true], ["PT-1", "low", false]]);
  assert.deepEqual(cards[2].points.map((p) => p.tag), ["X-1"]);  // of no listed source
  assert.equal(cellClass(ENTERPRISE, cards[0]), "prio-critical unacked");
  assert.equal(cellClass(ENTERPRISE, cards[0].points[1]), "prio-low");
  assert.equal(cellClass(ENTERPRISE, cards[1]), "ok");
});

test("an offline enterprise's cards are grey, whatever its last alarms said", () => {
  const offline = { ...ENTERPRISE, online: false };
  const cards = sourceCards(offline);
  assert.equal(cards[0].points[0].priority, null);
  assert.equal(cellClass(offline, cards[0]), "offline");
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

test("a park alarm with structured fields: both languages built from them, not from prose", async () => {
  const { parkAlarmText } = await importStatic("parklogic.js");
  const { translate } = await importStatic("i18n.js");
  const zh = (key, vars) => translate(key, "zh-CN", vars);
  const en = (key, vars) => translate(key, "en", vars);
  const now = Date.UTC(2026, 11, 5, 4, 0, 0) / 1000;
  const call = { kind: "call", enterprise: "E1", enterprise_name: "一号化工", tag: "GT-201",
    alarm_type: "HH", raised_at: now, source_raised_at: now - 12 * 60 - 5, text: "whatever" };
  assert.equal(parkAlarmText(call, new Map(), zh, "zh-CN", now),
    "叫应: 一号化工 GT-201 高高报 报警 12 分钟未确认, 请电话叫应企业负责人".replace("高高报", zh("type.HH")));
  assert.equal(parkAlarmText(call, new Map(), en, "en", now),
    "Call: 一号化工 GT-201 High-high alarm unacknowledged for 12 min; phone the enterprise's person in charge");
  const off = { kind: "offline", enterprise: "E2", enterprise_name: "中远仓储", silent_since: now - 360,
    raised_at: now, text: "企业离线: 中远仓储 已 360 秒无心跳" };
  const zhLine = parkAlarmText(off, new Map(), zh, "zh-CN", now);
  assert.match(zhLine, /^企业离线: 中远仓储 自 \d\d:\d\d:\d\d 起无心跳$/);
  assert.match(parkAlarmText(off, new Map(), en, "en", now),
    /^Enterprise offline: 中远仓储, no heartbeat since \d\d:\d\d:\d\d$/);
});
