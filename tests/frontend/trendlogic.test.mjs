// dashboard/static/trendlogic.js: the trend page's address, one axis per unit (two at
// most), columns over the union of bucket times with gaps kept as null.

import { test } from "node:test";
import assert from "node:assert/strict";

import { importStatic } from "./static.mjs";

const { TooManyUnits, assignAxes, mergeColumns, parseTrendQuery, scaleRange, trendQuery } = await importStatic("trendlogic.js");

test("parseTrendQuery and trendQuery round-trip presets and custom ranges", () => {
  const table = [
    ["?point=A/LT-1&point=A/GT-1&range=24h", { points: ["A/LT-1", "A/GT-1"], range: "24h", from: null, to: null }],
    ["?point=A/LT-1&point=A/LT-1&range=bogus", { points: ["A/LT-1"], range: "8h", from: null, to: null }],
    ["?point=A/LT-1&from=100&to=200", { points: ["A/LT-1"], range: null, from: 100, to: 200 }],
    ["?point=A/LT-1&from=200&to=100", { points: ["A/LT-1"], range: "8h", from: null, to: null }],
    ["?point=nonsense", { points: [], range: "8h", from: null, to: null }],
  ];
  for (const [search, state] of table) assert.deepEqual(parseTrendQuery(search), state, search);
  assert.equal(trendQuery({ points: ["A/LT-1", "B/GT 1"], range: "1h" }), "point=A%2FLT-1&point=B%2FGT+1&range=1h");
  assert.equal(trendQuery({ points: ["A/X"], from: 100.7, to: 200.2 }), "point=A%2FX&from=100&to=200");
});

test("assignAxes: same unit one axis, two units two axes, a third is refused", () => {
  assert.deepEqual(assignAxes([{ unit: "m" }, { unit: "m" }]), { units: ["m"], scaleOf: ["y0", "y0"] });
  assert.deepEqual(assignAxes([{ unit: "m" }, { unit: "%LEL" }, { unit: "m" }]),
    { units: ["m", "%LEL"], scaleOf: ["y0", "y1", "y0"] });
  assert.throws(() => assignAxes([{ unit: "m" }, { unit: "%LEL" }, { unit: "°C", tag: "TT-1" }]), /最多两种单位.*TT-1/);
  assert.throws(() => assignAxes([{ unit: "m" }, { unit: "" }, { unit: "°C", tag: "TT-1" }]),
    (e) => e instanceof TooManyUnits && e.tag === "TT-1" && e.unit === "°C"
      && JSON.stringify(e.units) === JSON.stringify(["m", ""]));
});

test("mergeColumns: union of times, null where a series has no bucket", () => {
  const series = [
    { points: [[0, 1, 0, 2], [10, null, null, null], [20, 3, 3, 3]] },
    { points: [[10, 5, 4, 6]] },
  ];
  assert.deepEqual(mergeColumns(series), [
    [0, 10, 20],
    [1, null, 3], [0, null, 3], [2, null, 3],
    [null, 5, null], [null, 4, null], [null, 6, null],
  ]);
  const cols = mergeColumns(series);
  const withLimits = [{ ...series[0], limits: { H: 10 } }, series[1]];
  assert.deepEqual(scaleRange(cols, withLimits, ["y0", "y1"], "y0").map((v) => Math.round(v * 100) / 100), [-0.8, 10.8]);
});
