// dashboard/static/format.js: how the live page shows a reading. A bad reading never shows
// a number; labels are the gateway's vocabulary (/static/terms.js).

import { test } from "node:test";
import assert from "node:assert/strict";

import { importStatic } from "./static.mjs";

const { display, formatTime, formatValue, GRADE_LABELS, SOURCE_KINDS } =
  await importStatic("format.js");
const { TERMS } = await importStatic("terms.js");

const TS = 1_714_543_385;  // any time: display() does not read it

test("display: class, text and label of a reading", () => {
  const table = [
    // [reading, cls, text, label]
    [undefined, "q-none", "—", "等待数据"],
    [[12.5, "good", "", TS], "q-good", "12.50", ""],
    [[true, "good", "", TS], "q-good", "触发", ""],
    [[false, "good", "", TS], "q-good", "正常", ""],
    [[0, "good", "", TS], "q-good", "0.000", ""],
    [[null, "bad", "comm_loss", TS], "q-bad", "—", "通讯中断"],
    [[null, "bad", "sensor_fault", TS], "q-bad", "—", "传感器故障"],
    // a bad reading that still carries a number: the number is not shown
    [[3.25, "bad", "decode_error", TS], "q-bad", "—", "数据解析错误"],
    // no value is never shown as a number, whatever the quality says
    [[null, "good", "", TS], "q-bad", "—", "数据无效"],
    [[undefined, "uncertain", "stale", TS], "q-bad", "—", "数据超时"],
    // a reason the page does not know yet: the quality's word, not the raw value
    [[null, "bad", "new_reason", TS], "q-bad", "—", "数据无效"],
    [[null, "bad", "constructor", TS], "q-bad", "—", "数据无效"],
    [[25.5, "uncertain", "out_of_range", TS], "q-uncertain", "25.50", "超量程"],
    [[25.5, "uncertain", "stale", TS], "q-uncertain", "25.50", "数据超时"],
    [[1, "uncertain", "new_reason", TS], "q-uncertain", "1.00", "数据可疑"],
  ];
  for (const [reading, cls, text, label] of table) {
    assert.deepEqual(display(reading), { cls, text, label }, JSON.stringify(reading));
  }
});

test("display: every reason of the vocabulary is labelled with its word", () => {
  const reasons = Object.keys(TERMS).filter((key) => key.startsWith("reason."));
  assert.deepEqual(reasons.sort(), [
    "reason.comm_loss", "reason.decode_error", "reason.heartbeat_stalled",
    "reason.out_of_range", "reason.sensor_fault", "reason.stale",
  ]);
  for (const key of reasons) {
    const reason = key.slice("reason.".length);
    assert.equal(display([null, "bad", reason, TS]).label, TERMS[key][0]);
    assert.match(TERMS[key][0], /[\u4e00-\u9fff]/);
  }
});

test("formatValue: digits by magnitude, booleans in words", () => {
  const table = [
    [1500, "1500"],
    [1234.4, "1234"],
    [-1500, "-1500"],
    [100, "100.0"],
    [250.25, "250.3"],
    [12.5, "12.50"],
    [1, "1.00"],
    [-5.25, "-5.25"],
    [0.5, "0.500"],
    [0.0125, "0.013"],
    [0, "0.000"],
    [true, "触发"],
    [false, "正常"],
  ];
  for (const [value, text] of table) {
    assert.equal(formatValue(value), text, String(value));
  }
});

test("formatTime: time of day today, with the date otherwise", () => {
  // Local times, so that the table holds in any time zone the tests run in.
  const now = new Date(2024, 4, 1, 12, 0, 0);
  const at = (...parts) => new Date(...parts).getTime() / 1000;
  const table = [
    [at(2024, 4, 1, 14, 3, 5), "14:03:05"],
    [at(2024, 4, 1, 0, 30, 5), "00:30:05"],  // midnight is 00, not 24
    [at(2024, 4, 1, 23, 59, 59), "23:59:59"],
    [at(2024, 3, 30, 23, 59, 59), "04-30 23:59:59"],  // yesterday must not pass for today
    [at(2023, 4, 1, 12, 0, 0), "05-01 12:00:00"],
    [at(2024, 11, 31, 8, 0, 0), "12-31 08:00:00"],
    [undefined, ""],
    [null, ""],
    ["14:03:05", ""],
  ];
  for (const [ts, text] of table) {
    assert.equal(formatTime(ts, now), text, String(ts));
  }
});

test("grade and hazard source kind labels", () => {
  assert.deepEqual([1, 2, 3, 4].map((grade) => GRADE_LABELS[grade]),
    ["一级", "二级", "三级", "四级"]);
  assert.equal(SOURCE_KINDS.tank_farm, "储罐区");
  assert.equal(SOURCE_KINDS.dust_line, "粉尘涉爆");
});
