// dashboard/static/parkledgerlogic.js: the park ledger page's windows, durations, rows and
// report figures, in both languages.

import { test } from "node:test";
import assert from "node:assert/strict";

import { importStatic } from "./static.mjs";

const { queryOf, durationText, ledgerCells, reportFigures, enterpriseCells } = await importStatic("parkledgerlogic.js");
const { translate } = await importStatic("i18n.js");
const zh = (key, vars) => translate(key, "zh-CN", vars);
const en = (key, vars) => translate(key, "en", vars);
const NOW = Date.UTC(2026, 11, 5, 4, 0, 0) / 1000;

test("window presets: a shift is the server's to know; 24 h and 7 days end now", () => {
  assert.equal(queryOf("shift", NOW), "shift=current");
  assert.equal(queryOf("previous", NOW), "shift=previous");
  assert.equal(queryOf("week", NOW), `since=${NOW - 7 * 86400}&until=${NOW}`);
  assert.equal(queryOf("nonsense", NOW), `since=${NOW - 86400}&until=${NOW}`);
});

test("durations in words", () => {
  const table = [[null, "—", "—"], [44.6, "45 秒", "45 s"], [600, "10 分钟", "10 min"],
    [7500, "2 小时 5 分", "2 h 5 min"]];
  for (const [s, z, e] of table) {
    assert.equal(durationText(s, zh), z);
    assert.equal(durationText(s, en), e);
  }
});

const answered = {
  id: "call/E1/x/1", kind: "call", enterprise: "E1", enterprise_name: "一号化工", tag: "GT-201",
  alarm_type: "HH", raised_at: NOW - 3600, source_raised_at: NOW - 3900, deadline: NOW - 3600,
  contacts: [{ name: "张三", role: "主要负责人", phone: "13800000000" }],
  response: { answered_by: "张三", answered_at: NOW - 3000, action: "已电话确认", recorded_by: "duty" },
  enterprise_acked_at: NOW - 2900, enterprise_acked_by: "王五", cleared_at: null,
  status: "answered", answer_s: 600,
};

test("a ledger row: who called whom, who answered and when, the enterprise's own ack", () => {
  const row = ledgerCells(answered, zh, "zh-CN", NOW);
  assert.equal(row.cls, "st-answered");
  assert.equal(row.cells.length, 11);
  assert.equal(row.cells[1], "叫应");
  assert.equal(row.cells[2], "一号化工 (E1)");
  assert.match(row.cells[3], /^叫应: 一号化工 GT-201 .* 5 分钟未确认/);
  assert.equal(row.cells[5], "duty → 主要负责人 张三 13800000000");
  assert.match(row.cells[6], /^张三 · \d\d:\d\d:\d\d \(用时 10 分钟\)$/);
  assert.equal(row.cells[7], "已电话确认");
  assert.match(row.cells[8], /^王五 \d\d:\d\d:\d\d$/);
  assert.equal(row.cells[10], "已叫应");
  const english = ledgerCells(answered, en, "en", NOW);
  assert.equal(english.cells[1], "Call");
  assert.match(english.cells[6], /\(after 10 min\)$/);
  assert.equal(english.cells[10], "Answered");
  const open = ledgerCells({ ...answered, response: null, enterprise_acked_at: null, status: "open", answer_s: null }, en, "en", NOW);
  assert.deepEqual([open.cls, open.cells[5], open.cells[6], open.cells[10]],
    ["st-open", "— → 主要负责人 张三 13800000000", "—", "Awaiting call"]);
});

test("the shift report's figures and one enterprise's row", () => {
  const report = { alarms: 5, calls: 4, answered: 2, overdue: 2, enterprise_acked: 1,
    offline_enterprises: 2, offline_at_end: 0, answer_median_s: 1200, answer_p90_s: 1800 };
  const figures = reportFigures(report, zh);
  assert.deepEqual(figures[3], ["pledger.fig.overdue", "2", "bad"]);
  assert.deepEqual(figures[6], ["pledger.fig.offlineNow", "0", ""]);
  assert.equal(figures[7][1], "20 分钟");
  assert.deepEqual(enterpriseCells({ code: "E4", name: "四号", calls: 0, answered: 0, overdue: 0,
    offline_alarms: 1, offline_s: 3600 }, en), ["四号 (E4)", "0", "0", "0", "1", "1 h 0 min"]);
});
