// dashboard/static/kpilogic.js: the alarm-KPI panel's rules. Tables of inputs and outputs.

import { test } from "node:test";
import assert from "node:assert/strict";

import { importStatic } from "./static.mjs";

const { durationParts, figures, kpiQuery, mixCard, percent, rate } = await importStatic("kpilogic.js");

const TARGETS = {
  per_10min: 1, per_day: 144, peak_10min: 10, flood_share: 0.01, top10_share: 0.05,
  chattering: 0, stale: 5, mix_low: 0.8, mix_medium: 0.15, mix_high: 0.05,
};

function kpi(fields = {}) {
  return {
    alarms: 0, per_10min: 0, per_day: 0, peak_10min: 0, flood_share: 0, flood_seconds: 0,
    floods: [], top_share: 0, chattering: [], stale: [], shelved: [], shelved_seconds: 0,
    out_of_service: [], out_of_service_seconds: 0, mix: { low: 0, medium: 0, high: 0 },
    targets: TARGETS, ...fields,
  };
}

const t = (key, vars = {}) => `${key}${JSON.stringify(vars)}`;
const dur = (s) => `${s}s`;

test("numbers read plainly", () => {
  for (const [share, text] of [[0, "0.0 %"], [0.0123, "1.2 %"], [1, "100.0 %"]]) assert.equal(percent(share), text);
  for (const [value, text] of [[2.1666, "2.17"], [3, "3"], [0.5, "0.5"]]) assert.equal(rate(value), text);
  assert.deepEqual(durationParts(90), ["kpi.minutes", { n: "1.5" }]);
  assert.deepEqual(durationParts(7200), ["kpi.hours", { n: "2" }]);
});

test("an idle period is within every target", () => {
  const cards = figures(kpi(), t, dur);
  assert.equal(cards.length, 10);
  assert.deepEqual(cards.filter((c) => c.over), []);
  assert.ok(cards.every((c) => c.target === null || /^[≤≈] /.test(c.target)));
});

const OVER = [
  ["kpi.per10min", { per_10min: 1.01 }],
  ["kpi.perDay", { per_day: 145 }],
  ["kpi.peak", { peak_10min: 11 }],
  ["kpi.flood", { flood_share: 0.011 }],
  ["kpi.topShare", { top_share: 0.06 }],
  ["kpi.chattering", { chattering: [{ alarm_id: "S/T/H", most_in_window: 3 }] }],
  ["kpi.stale", { stale: Array(6).fill({ alarm_id: "S/T/H", hours: 30 }) }],
  ["kpi.mix", { alarms: 10, mix: { low: 0.5, medium: 0.2, high: 0.3 } }],
];

for (const [key, fields] of OVER) {
  test(`${key} over its target is marked`, () => {
    const cards = figures(kpi(fields), t, dur);
    assert.deepEqual(cards.filter((c) => c.over).map((c) => c.key), [key]);
  });
}

test("exactly at target is not over", () => {
  const cards = figures(kpi({ per_10min: 1, per_day: 144, peak_10min: 10, flood_share: 0.01, stale: Array(5).fill({}) }), t, dur);
  assert.deepEqual(cards.filter((c) => c.over), []);
});

test("the mix reads low / medium / high against 80 / 15 / 5", () => {
  const card = mixCard(kpi({ alarms: 20, mix: { low: 0.8, medium: 0.15, high: 0.05 } }), t);
  assert.equal(card.value, "80 / 15 / 5 %");
  assert.equal(card.target, "≈ 80 / 15 / 5 %");
  assert.equal(card.over, false);
});

test("the query names the period and the choices", () => {
  assert.equal(kpiQuery({ period: "8h", post: "", source: "" }, 100000), "since=71200&until=100000");
  const query = new URLSearchParams(kpiQuery({ period: "7d", post: "shift", source: "HS1" }, 1e6));
  assert.deepEqual([...query.keys()], ["since", "until", "post", "source"]);
  assert.equal(query.get("since"), String(1e6 - 7 * 86400));
  assert.equal(kpiQuery({ period: "nonsense" }, 86400), "since=0&until=86400");
});
