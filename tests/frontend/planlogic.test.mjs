// dashboard/static/planlogic.js: a detector's state on the plan from its reading and alarms,
// a hazard source's as the worst of its points, and zooming inside the image.

import { test } from "node:test";
import assert from "node:assert/strict";

import { importStatic } from "./static.mjs";

const { pointStatus, worstStatus, zoomBox } = await importStatic("planlogic.js");

const GOOD = [12.5, "good", "", 1];
const alarm = (priority, state, type = "H") => ({ priority, state, type });

test("pointStatus: alarms first, then comm loss and fault, shelved, normal; word is the label's key", () => {
  const table = [
    [GOOD, [], { state: "normal", priority: null, blink: false, label: "正常", word: "duty.normal" }],
    [undefined, [], { state: "waiting", priority: null, blink: false, label: "等待数据", word: "reading.none" }],
    [GOOD, [alarm("low", "active_acknowledged"), alarm("critical", "active_unacknowledged", "HH")],
      { state: "alarm", priority: "critical", blink: true, label: "报警·紧急", word: "plan.alarmOf" }],
    [GOOD, [alarm("high", "active_acknowledged")], { state: "alarm", priority: "high", blink: false, label: "报警·高", word: "plan.alarmOf" }],
    [GOOD, [alarm("high", "returned_unacknowledged")], { state: "alarm", priority: "high", blink: true, label: "报警·高", word: "plan.alarmOf" }],
    [[null, "bad", "comm_loss", 1], [], { state: "comm", priority: null, blink: false, label: "通讯中断", word: "reason.comm_loss" }],
    [[null, "bad", "sensor_fault", 1], [], { state: "fault", priority: null, blink: false, label: "故障", word: "plan.fault" }],
    [[null, "bad", "comm_loss", 1], [alarm("high", "active_unacknowledged", "COMM_LOSS")],
      { state: "comm", priority: "high", blink: true, label: "通讯中断", word: "reason.comm_loss" }],
    [GOOD, [alarm("high", "shelved")], { state: "shelved", priority: null, blink: false, label: "搁置", word: "plan.shelved" }],
    [GOOD, [alarm("high", "out_of_service")], { state: "oos", priority: null, blink: false, label: "停用", word: "plan.oos" }],
  ];
  for (const [reading, alarms, expected] of table) assert.deepEqual(pointStatus(reading, alarms), expected);
  assert.equal(pointStatus([null, "bad", "decode_error", 1], []).word, "quality.bad");
});

test("worstStatus: alarm beats comm loss, higher priority wins, blinking is kept", () => {
  const normal = pointStatus(GOOD, []);
  const comm = pointStatus([null, "bad", "comm_loss", 1], []);
  const low = pointStatus(GOOD, [alarm("low", "active_unacknowledged")]);
  const high = pointStatus(GOOD, [alarm("high", "active_acknowledged")]);
  assert.equal(worstStatus([]).state, "normal");
  assert.deepEqual(worstStatus([normal, comm]), comm);
  const worst = worstStatus([normal, low, comm, high]);
  assert.equal(worst.priority, "high");
  assert.equal(worst.blink, true);  // the unacknowledged low alarm still blinks the source
});

test("zoomBox: zooms about a point, stays inside the image, never beyond full", () => {
  assert.deepEqual(zoomBox([0, 0, 1000, 600], 0.5, 500, 300, 1000, 600), [250, 150, 500, 300]);
  assert.deepEqual(zoomBox([0, 0, 1000, 600], 0.5, 0, 0, 1000, 600), [0, 0, 500, 300]);
  assert.deepEqual(zoomBox([250, 150, 500, 300], 1e9, 500, 300, 1000, 600), [0, 0, 1000, 600]);
  const tiny = zoomBox([0, 0, 1000, 600], 0.0001, 500, 300, 1000, 600);
  assert.equal(tiny[2], 1000 / 16);
});
