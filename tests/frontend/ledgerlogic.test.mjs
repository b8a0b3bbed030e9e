// dashboard/static/ledgerlogic.js: the 叫应 ledger's table and the answer page's choice, by
// tables, in both languages.

import { test } from "node:test";
import assert from "node:assert/strict";

import { importStatic } from "./static.mjs";

const { LEDGER_TEXT, answerRows, ledgerWord, linkView, noticeRows } = await importStatic("ledgerlogic.js");
const { translate } = await importStatic("i18n.js");

const when = (ts) => `t${ts}`;
const LEDGER = {
  id: "S/GT-1/H",
  notices: [
    { ts: 10, route: "duty", level: 1, level_name: "当班人员", channel: "shift", channel_kind: "wecom",
      recipient: "企业微信群", result: "sent", attempts: 1, retries: 0, error: null, due_at: 10, deadline: 310 },
    { ts: 14, route: "duty", level: 1, level_name: "当班人员", channel: "board", channel_kind: "webhook",
      recipient: "board/hook", result: "failed", attempts: 3, retries: 2, error: "HTTP 503", due_at: 10, deadline: 310 },
    { ts: 310, route: "duty", level: 2, level_name: "", channel: "mail", channel_kind: "email",
      recipient: "m@x", result: "sent", attempts: 1, retries: 0, error: null, due_at: 310, deadline: null },
  ],
  levels: [
    { route: "duty", level: 1, level_name: "当班人员", due_at: 10, deadline: 310, met: "missed", answered_at: 400 },
    { route: "duty", level: 2, level_name: "", due_at: 310, deadline: null, met: "none", answered_at: 400 },
  ],
  answers: [
    { ts: 400, user: "张三", via: "link", route: "duty", level: 2, recipient: "第2级", comment: null },
    { ts: 500, user: "李四", via: "console", route: null, level: null, recipient: null, comment: "x" },
  ],
};

for (const lang of ["zh-CN", "en"]) {
  const word = (key, vars) => ledgerWord(key, lang, vars);
  const zh = lang === "zh-CN";

  test(`notice rows (${lang})`, () => {
    const rows = noticeRows(LEDGER, word, when);
    assert.deepEqual(rows.map((r) => [r.result, r.met]), [["sent", "missed"], ["failed", "missed"], ["sent", "none"]]);
    assert.deepEqual(rows[0].cells, zh
      ? ["第1级 当班人员", "shift（企业微信）", "企业微信群", "t10", "已送达", "0", "t310", "超时"]
      : ["Level 1 当班人员", "shift (WeCom)", "企业微信群", "t10", "sent", "0", "t310", "missed"]);
    assert.equal(rows[1].cells[4], zh ? "失败：HTTP 503" : "failed: HTTP 503");
    assert.equal(rows[1].cells[5], "2");
    assert.deepEqual(rows[2].cells.slice(6), ["—", zh ? "末级（无期限）" : "top level (none)"]);
  });

  test(`answer rows (${lang})`, () => {
    assert.deepEqual(answerRows(LEDGER, word, when), [
      ["张三", zh ? "通知链接（第2级）" : "notice link (第2级)", "t400"],
      ["李四", zh ? "值班台" : "console", "t500"],
    ]);
  });
}

test("a level without a verdict line is open until it has a deadline verdict", () => {
  const ledger = { ...LEDGER, levels: [] };
  const rows = noticeRows(ledger, (key) => key, when);
  assert.deepEqual(rows.map((r) => r.met), ["open", "open", "none"]);
});

test("what the answer page shows", () => {
  const table = [
    [{ status: "forged" }, { message: "answer.forged" }],
    [{ status: "expired" }, { message: "answer.expired" }],
    [{ status: "used", used_by: "张三" }, { message: "answer.used", vars: { user: "张三" } }],
    [{ status: "ok", alarm: { state: "active_unacknowledged", priority: "critical" } }, { form: true, critical: true }],
    [{ status: "ok", alarm: { state: "returned_unacknowledged", priority: "high" } }, { form: true, critical: false }],
    [{ status: "ok", alarm: { state: "active_acknowledged", priority: "high" } }, { form: false, critical: false }],
  ];
  for (const [answer, view] of table) assert.deepEqual(linkView(answer), view);
});

test("every ledger word is in both languages and reaches the screens' t()", () => {
  for (const [key, [zh, en]] of Object.entries(LEDGER_TEXT)) {
    assert.ok(zh && en, key);
    assert.equal(translate(key, "zh-CN"), zh, key);
    assert.equal(translate(key, "en"), en, key);
  }
});
