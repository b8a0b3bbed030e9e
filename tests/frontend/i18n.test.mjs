// dashboard/static/i18n.js: the screens' words. The vocabulary (reasons, alarm types,
// priorities, states, events) is the gateway's (/static/terms.js), not a copy of its own.

import { test } from "node:test";
import assert from "node:assert/strict";

import { importStatic } from "./static.mjs";

const { currentLanguage, t, tOr, translate } = await importStatic("i18n.js");
const { TERMS } = await importStatic("terms.js");

test("every word of the vocabulary is the gateway's, in both languages", () => {
  const keys = Object.keys(TERMS);
  for (const prefix of ["quality", "reason", "type", "priority", "colour", "state", "event"]) {
    assert.ok(keys.some((key) => key.startsWith(`${prefix}.`)), `no ${prefix}.* terms`);
  }
  for (const key of keys) {
    assert.equal(translate(key, "zh-CN"), TERMS[key][0], key);
    assert.equal(translate(key, "en"), TERMS[key][1], key);
  }
});

test("the chosen words, on the screens as in the CSV and the notices", () => {
  const table = [
    // [key, zh-CN, en]
    ["reason.comm_loss", "通讯中断", "Comm loss"],
    ["type.COMM_LOSS", "通讯中断", "Comm loss"],
    ["type.SENSOR_FAULT", "传感器故障", "Sensor fault"],
    ["type.HH", "高高报", "High-high"],
    ["type.ROC", "变化率报警", "Rate of change"],
    ["event.cleared", "消除", "cleared"],
    ["event.in_service", "恢复投用", "back in service"],
    ["event.realarmed", "再次报警", "re-alarmed"],
    ["priority.critical", "紧急", "Critical"],
    ["state.returned_unacknowledged", "已恢复未确认", "returned, unacknowledged"],
    // the screens' reading words that are qualities come from the vocabulary too
    ["reading.bad", "数据无效", "invalid"],
    ["reading.uncertain", "数据可疑", "uncertain"],
  ];
  for (const [key, zh, en] of table) {
    assert.equal(translate(key, "zh-CN"), zh, key);
    assert.equal(translate(key, "en"), en, key);
  }
  const chinese = Object.values(TERMS).map(([zh]) => zh);
  for (const discarded of ["通信中断", "通讯故障", "清除"]) {
    assert.ok(!chinese.includes(discarded), discarded);
  }
});

test("placeholders, unknown keys and fallbacks", () => {
  const table = [
    // [key, lang, vars, text]
    ["wall.more", "zh-CN", { n: 3 }, "另有 3 个点位"],
    ["wall.more", "en", { n: 3 }, "3 more points"],
    ["conn.stale", "en", { s: "1.5", n: 2 }, "Data is not updating; reconnect attempt 2 in 1.5 s…"],
    ["console.count", "zh-CN", { n: 5, u: 0 }, "共 5 条，未确认 0 条"],
    ["no.such.key", "zh-CN", {}, "no.such.key"],  // visible, not blank
    ["constructor", "en", {}, "constructor"],
    ["nav.wall", "fr", {}, "大屏"],  // any other language: Chinese
  ];
  for (const [key, lang, vars, text] of table) {
    assert.equal(translate(key, lang, vars), text, `${key} ${lang}`);
  }
  assert.equal(tOr("type.NEW_TYPE", "NEW_TYPE"), "NEW_TYPE");
  assert.equal(tOr("type.HH", "HH"), "高高报");
  assert.equal(tOr("toString", "toString"), "toString");
});

test("Chinese first: without stored choice (or storage) the page is zh-CN", () => {
  assert.equal(currentLanguage(), "zh-CN");
  assert.equal(t("event.cleared"), "消除");
  assert.equal(t("dialog.minutes", { n: 15 }), "15 分钟");
});
