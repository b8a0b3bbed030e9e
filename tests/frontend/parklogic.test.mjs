// dashboard/static/parklogic.js: the park wall's tile colour and data age.

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
