// dashboard/static/walllogic.js: the wall's pure rules. Tables of inputs and outputs.

import { test } from "node:test";
import assert from "node:assert/strict";

import { importStatic } from "./static.mjs";

const {
  Annunciator, alarmsByPoint, counts, keyPoints, layout, shownAlarms, sourceKey, tileColour,
  badPoints, devicesOnline, heartbeatKey, titleWithCount,
} = await importStatic("walllogic.js");

const UNACK = "active_unacknowledged";
const ACKED = "active_acknowledged";
const RTN_UNACK = "returned_unacknowledged";

let nextId = 0;
function alarm(tag, priority, state, raised_at = 100, site = "S") {
  nextId += 1;
  return { id: `${site}/${tag}/${nextId}`, site, tag, priority, state, raised_at };
}

test("sourceKey", () => {
  assert.equal(sourceKey("DEMO-CHEM", "HS-TF1"), "DEMO-CHEM/HS-TF1");
});

test("keyPoints: gas and level first, unknown kinds last, tags in order within a kind", () => {
  const table = [
    [["temperature:TT-1", "combustible_gas:GT-2", "level:LT-1", "combustible_gas:GT-1"],
      ["GT-1", "GT-2", "LT-1", "TT-1"]],
    [["discrete_state:XS-1", "toxic_gas:AT-1", "pressure:PT-1", "flow:FT-1"],
      ["AT-1", "PT-1", "FT-1", "XS-1"]],
    // an unknown kind sorts with the last known kind, by tag
    [["vibration:VT-1", "discrete_state:XS-9", "discrete_state:XS-1", "pressure_difference:PD-1"],
      ["PD-1", "VT-1", "XS-1", "XS-9"]],
    [[], []],
  ];
  for (const [specs, tags] of table) {
    const points = specs.map((spec) => {
      const [kind, tag] = spec.split(":");
      return { kind, tag };
    });
    const before = points.map((point) => point.tag);
    assert.deepEqual(keyPoints(points).map((point) => point.tag), tags, specs.join(" "));
    assert.deepEqual(points.map((point) => point.tag), before, "the input is not reordered");
  }
});

test("tileColour: the server's colour when alarmed, green with data, grey without", () => {
  const points = [{ id: "S/A" }, { id: "S/B" }];
  const table = [
    // [status, readings of S/A and S/B, colour]
    [{ worst_priority: "critical", colour: "red" }, {}, "red"],
    [{ worst_priority: "low", colour: "blue" }, { "S/A": [1, "good", "", 0] }, "blue"],
    [null, { "S/A": [1, "good", "", 0] }, "green"],
    [{ worst_priority: null, colour: "green" }, { "S/B": [2, "uncertain", "stale", 0] }, "green"],
    [null, {}, "grey"],  // no data is not "normal"
    [null, { "S/A": [null, "bad", "comm_loss", 0], "S/B": [null, "bad", "sensor_fault", 0] },
      "grey"],
    [null, { "S/A": [null, "good", "", 0] }, "grey"],
    // a point reading bad shows at once, before any alarm: never plain green
    [null, { "S/A": [null, "bad", "comm_loss", 0], "S/B": [false, "good", "", 0] }, "fault"],
    // a shelved or out-of-service alarm: not plain green either
    [{ worst_priority: null, colour: "green", shelved: 1, out_of_service: 0 },
      { "S/A": [1, "good", "", 0] }, "suppressed"],
    [{ worst_priority: null, colour: "green", shelved: 0, out_of_service: 2 },
      { "S/A": [1, "good", "", 0] }, "suppressed"],
    [{ worst_priority: "low", colour: "blue", shelved: 3, out_of_service: 0 },
      { "S/A": [1, "good", "", 0] }, "blue"],
    [undefined, { "S/OTHER": [1, "good", "", 0] }, "grey"],
  ];
  for (const [status, readings, colour] of table) {
    const map = new Map(Object.entries(readings));
    assert.equal(tileColour(status, points, map), colour, JSON.stringify([status, readings]));
  }
});

test("layout: rows and columns for n tiles", () => {
  const table = [
    [0, { cols: 1, rows: 1, density: 1, cells: 12 }],
    [1, { cols: 1, rows: 1, density: 1, cells: 12 }],
    [2, { cols: 2, rows: 1, density: 1, cells: 10 }],
    [3, { cols: 2, rows: 2, density: 2, cells: 6 }],
    [4, { cols: 2, rows: 2, density: 2, cells: 6 }],
    [5, { cols: 3, rows: 2, density: 2, cells: 4 }],
    [6, { cols: 3, rows: 2, density: 2, cells: 4 }],
    [7, { cols: 3, rows: 3, density: 3, cells: 3 }],
    [9, { cols: 3, rows: 3, density: 3, cells: 3 }],
    [10, { cols: 4, rows: 3, density: 3, cells: 2 }],
    [12, { cols: 4, rows: 3, density: 3, cells: 2 }],
    [13, { cols: 5, rows: 3, density: 4, cells: 1 }],
    [20, { cols: 6, rows: 4, density: 4, cells: 1 }],
    [40, { cols: 9, rows: 5, density: 4, cells: 1 }],
  ];
  for (const [n, shape] of table) {
    const got = layout(n);
    assert.deepEqual(got, shape, `n=${n}`);
    assert.ok(got.cols * got.rows >= n, `every one of ${n} tiles has a cell`);
  }
});

test("alarmsByPoint: the worst annunciated alarm per point, unack if any is", () => {
  const table = [
    [[], {}],
    [[alarm("A", "high", UNACK)], { "S/A": { priority: "high", unack: true } }],
    [[alarm("A", "high", ACKED)], { "S/A": { priority: "high", unack: false } }],
    [[alarm("A", "low", RTN_UNACK)], { "S/A": { priority: "low", unack: true } }],
    // shelved, out of service and normal alarms do not mark a point
    [[alarm("A", "critical", "shelved"), alarm("B", "critical", "out_of_service"),
      alarm("C", "critical", "normal")], {}],
    // the worse priority wins; an unacknowledged lesser alarm still makes it unack
    [[alarm("A", "critical", ACKED), alarm("A", "low", UNACK)],
      { "S/A": { priority: "critical", unack: true } }],
    [[alarm("A", "low", UNACK), alarm("A", "critical", ACKED)],
      { "S/A": { priority: "critical", unack: true } }],
    [[alarm("A", "medium", ACKED), alarm("A", "high", ACKED)],
      { "S/A": { priority: "high", unack: false } }],
    [[alarm("A", "high", UNACK), alarm("A", "high", ACKED)],
      { "S/A": { priority: "high", unack: true } }],
    [[alarm("A", "high", UNACK, 1, "S1"), alarm("A", "low", ACKED, 1, "S2")],
      { "S1/A": { priority: "high", unack: true }, "S2/A": { priority: "low", unack: false } }],
  ];
  for (const [alarms, expected] of table) {
    assert.deepEqual(Object.fromEntries(alarmsByPoint(alarms)), expected,
      alarms.map((a) => `${a.tag} ${a.priority} ${a.state}`).join(", "));
  }
});

test("counts: active, unacknowledged, shelved", () => {
  const table = [
    [[], { active: 0, unacked: 0, shelved: 0 }],
    [[alarm("A", "high", UNACK)], { active: 1, unacked: 1, shelved: 0 }],
    [[alarm("A", "high", ACKED)], { active: 1, unacked: 0, shelved: 0 }],
    // returned but unacknowledged: still shown, still awaiting a person
    [[alarm("A", "high", RTN_UNACK)], { active: 1, unacked: 1, shelved: 0 }],
    [[alarm("A", "high", "shelved"), alarm("B", "low", "out_of_service"),
      alarm("C", "low", "normal")], { active: 0, unacked: 0, shelved: 1 }],
    [[alarm("A", "high", UNACK), alarm("B", "low", ACKED), alarm("C", "low", "shelved"),
      alarm("D", "critical", RTN_UNACK)], { active: 3, unacked: 2, shelved: 1 }],
  ];
  for (const [alarms, expected] of table) {
    assert.deepEqual(counts(alarms), expected);
  }
});

test("shownAlarms: annunciated first, most urgent then newest; shelved and out of service after", () => {
  const alarms = [
    alarm("LOW-OLD", "low", UNACK, 10),
    alarm("CRIT-OLD", "critical", ACKED, 10),
    alarm("SHELVED", "critical", "shelved", 50),
    alarm("HIGH", "high", RTN_UNACK, 30),
    alarm("CRIT-NEW", "critical", UNACK, 40),
    alarm("OOS", "high", "out_of_service", 60),
    alarm("LOW-NEW", "low", ACKED, 20),
  ];
  const before = alarms.map((a) => a.tag);
  assert.deepEqual(shownAlarms(alarms).map((a) => a.tag),
    ["CRIT-NEW", "CRIT-OLD", "HIGH", "LOW-NEW", "LOW-OLD", "SHELVED", "OOS"]);
  assert.deepEqual(alarms.map((a) => a.tag), before, "the input is not reordered");
});

test("Annunciator: every priority blinks until acknowledged and sounds its own tone", () => {
  const gas = alarm("GT-1", "critical", UNACK, 10);
  const level = alarm("LT-1", "critical", UNACK, 20);
  const high = alarm("PT-1", "high", UNACK, 30);
  const low = alarm("TT-1", "low", UNACK, 40);
  const bell = new Annunciator();
  const steps = [
    // [what happens, flashing, tone, unacknowledged ids in display order]
    [() => {}, false, null, []],
    [() => bell.update([high]), true, "high", [high.id]],  // an orange alarm calls too
    [() => bell.update([low]), true, "low", [low.id]],
    [() => bell.update([gas, high, low]), true, "critical", [gas.id, high.id, low.id]],
    // silenced: the tone stops, the blinking stays (not acknowledged)
    [() => bell.silence(), true, null, [gas.id, high.id, low.id]],
    [() => bell.update([gas, level, high, low]), true, "critical",
      [level.id, gas.id, high.id, low.id]],  // a new one sounds
    [() => bell.silence(), true, null, [level.id, gas.id, high.id, low.id]],
    // acknowledged: it stops blinking; the others are still silenced
    [() => bell.update([{ ...gas, state: ACKED }, level]), true, null, [level.id]],
    // returned but unacknowledged: still calls for a person
    [() => bell.update([{ ...level, state: RTN_UNACK }]), true, null, [level.id]],
    [() => bell.update([{ ...level, state: ACKED }, { ...high, state: "shelved" }]), false, null, []],
    [() => bell.update([]), false, null, []],
  ];
  for (const [index, [act, flashing, tone, ids]] of steps.entries()) {
    act();
    assert.equal(bell.flashing, flashing, `step ${index}: flashing`);
    assert.equal(bell.tone, tone, `step ${index}: tone`);
    assert.equal(bell.sounding, tone !== null, `step ${index}: sounding`);
    assert.deepEqual(bell.unacked.map((a) => a.id), ids, `step ${index}: unacknowledged`);
  }
});

test("Annunciator: an alarm raised again after a silence sounds again, any priority", () => {
  const gas = alarm("GT-1", "critical", UNACK);
  const table = [
    // [events of a delta, fresh priority, sounding after the list is reloaded]
    [[], null, false],
    [[{ id: gas.id, priority: "critical", kind: "acknowledged" }], null, false],
    [[{ id: "other", priority: "high", kind: "raised" }], "high", false],
    [[{ id: "a", priority: "low", kind: "raised" }, { id: "b", priority: "medium", kind: "raised" }],
      "medium", false],
    [[{ id: gas.id, priority: "critical", kind: "raised" }], "critical", true],
    [[{ id: gas.id, priority: "critical", kind: "realarmed" }], "critical", true],
  ];
  for (const [events, fresh, sounding] of table) {
    const bell = new Annunciator();
    bell.update([gas]);
    assert.deepEqual(bell.silence(), [gas.id]);
    assert.equal(bell.events(events), fresh, JSON.stringify(events));
    bell.update([gas]);
    assert.equal(bell.sounding, sounding, JSON.stringify(events));
  }
});

test("titleWithCount: the unacknowledged count leads the title, once", () => {
  const table = [
    ["监测大屏 · hazgw", 0, "监测大屏 · hazgw"],
    ["监测大屏 · hazgw", 3, "(3) 监测大屏 · hazgw"],
    ["(3) 监测大屏 · hazgw", 12, "(12) 监测大屏 · hazgw"],
    ["(12) 监测大屏 · hazgw", 0, "监测大屏 · hazgw"],
  ];
  for (const [title, n, expected] of table) assert.equal(titleWithCount(title, n), expected);
});

test("Annunciator: a silence is forgotten once the alarm is gone", () => {
  const gas = alarm("GT-1", "critical", UNACK);
  const bell = new Annunciator();
  bell.update([gas]);
  bell.silence();
  assert.deepEqual([...bell.silenced], [gas.id]);
  bell.update([]);
  assert.deepEqual([...bell.silenced], []);
  bell.update([gas]);  // the same alarm back later: it sounds
  assert.equal(bell.sounding, true);
});

test("badPoints and devicesOnline: from live readings, at once", () => {
  const points = [
    { id: "S/A", site: "S", device: "ctl" }, { id: "S/B", site: "S", device: "ctl" },
    { id: "S/C", site: "S", device: "gauge" }, { id: "S/D", site: "S", device: "dust" },
  ];
  const readings = new Map([
    ["S/A", [null, "bad", "comm_loss", 0]], ["S/B", [null, "bad", "comm_loss", 0]],
    ["S/C", [null, "bad", "sensor_fault", 0]],
  ]);
  assert.deepEqual(badPoints(points, readings), { comm_loss: 2, sensor_fault: 1, other: 0 });
  // ctl: every point lost; gauge: answers (a sensor fault is an answer); dust: never heard
  const { online, total, byDevice } = devicesOnline(points, readings);
  assert.deepEqual([online, total], [1, 3]);
  assert.deepEqual([...byDevice], [["S/ctl", false], ["S/gauge", true], ["S/dust", false]]);
});

test("heartbeatKey: 心跳正常 while it toggles, 心跳停止 when stalled, the reason when unread", () => {
  const table = [
    [undefined, false, null],
    [[true, "good", "", 0], false, "heartbeat.ok"],
    [[false, "good", "", 0], false, "heartbeat.ok"],
    [[true, "good", "", 0], true, "heartbeat.stopped"],
    [[null, "bad", "comm_loss", 0], false, null],
    [[null, "bad", "comm_loss", 0], true, null],
  ];
  for (const [reading, stalled, key] of table) assert.equal(heartbeatKey(reading, stalled), key);
});
