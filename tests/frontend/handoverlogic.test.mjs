// dashboard/static/handoverlogic.js: report links, open-item counts, times in the duty
// room's zone whatever the browser's.

import { test } from "node:test";
import assert from "node:assert/strict";

import { importStatic } from "./static.mjs";

const { itemCounts, periodText, reportUrl, setZone, stamp } = await importStatic("handoverlogic.js");

test("reportUrl: kind, date (a month for monthly), shift only for 班报, format", () => {
  const table = [
    [["daily", { date: "2026-12-04" }], "/api/reports/daily?format=pdf&date=2026-12-04"],
    [["monthly", { date: "2026-12-04", format: "xlsx" }], "/api/reports/monthly?format=xlsx&date=2026-12"],
    [["shift", { date: "2026-12-04", shift: "白班" }], "/api/reports/shift?format=pdf&date=2026-12-04&shift=%E7%99%BD%E7%8F%AD"],
    [["daily", { shift: "白班" }], "/api/reports/daily?format=pdf"],
  ];
  for (const [[kind, options], url] of table) assert.equal(reportUrl(kind, options), url);
});

test("itemCounts: unanswered alarms are also active, so not counted twice", () => {
  const items = { active: [{}, {}], unanswered: [{}], shelved: [{}], out_of_service: [], devices_down: [{}] };
  assert.deepEqual(itemCounts(items), {
    counts: { active: 2, unanswered: 1, shelved: 1, out_of_service: 0, devices_down: 1 }, total: 4,
  });
  assert.equal(itemCounts(undefined).total, 0);
});

test("stamp: in the schedule's zone", () => {
  const ts = Date.UTC(2026, 11, 4, 0, 5, 9) / 1000;  // 08:05:09 in Shanghai
  setZone("Asia/Shanghai");
  assert.equal(stamp(ts), "2026-12-04 08:05");
  assert.equal(stamp(ts, true), "2026-12-04 08:05:09");
  assert.equal(periodText(ts, ts + 43200), "2026-12-04 08:05 至 2026-12-04 20:05");
  assert.equal(periodText(ts, ts + 43200, "to"), "2026-12-04 08:05 to 2026-12-04 20:05");
  setZone("UTC");
  assert.equal(stamp(ts), "2026-12-04 00:05");
  assert.equal(stamp(null), "—");
});
