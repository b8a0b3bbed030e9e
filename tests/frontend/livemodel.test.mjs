// dashboard/static/livemodel.js: readings from /ws snapshots and deltas, and the alarm
// reload they trigger. Timers and the clock are node's mock timers; no socket is opened.

import { afterEach, beforeEach, mock, test } from "node:test";
import assert from "node:assert/strict";
import { setImmediate as settle } from "node:timers/promises";

import { importStatic } from "./static.mjs";

const { LiveModel } = await importStatic("livemodel.js");

const T0 = 1_700_000_000_000;

beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "Date"], now: T0 }));
afterEach(() => mock.timers.reset());

/** A model whose callbacks write down what they were called with. */
function recorded({ reload } = {}) {
  const calls = { readings: [], events: [], status: [], reloads: 0, errors: [] };
  const model = new LiveModel({
    reload: reload ?? (async () => { calls.reloads += 1; }),
    onReadings: (ids) => calls.readings.push(ids === null ? null : [...ids].sort()),
    onEvents: (events) => calls.events.push(events),
    onStatus: (status) => calls.status.push(status.state),
    onReloadError: (error) => calls.errors.push(error.message),
  });
  return { model, calls };
}

/** Advance the clock by ms; timers due fire, and so do the promises and zero-delay
 * timers they start in turn. */
async function run(ms = 0) {
  await settle();
  mock.timers.tick(ms);
  for (let round = 0; round < 3; round += 1) {
    await settle();
    mock.timers.tick(0);
  }
}

const A = [1.5, "good", "", 1];
const B = [null, "bad", "comm_loss", 2];
const C = [7, "uncertain", "out_of_range", 3];

test("a snapshot replaces every reading and reloads the alarms", async () => {
  const { model, calls } = recorded();
  model.readings = new Map([["S/OLD", A]]);
  model.snapshot({ epoch: "e1", readings: { "S/A": A, "S/B": B } });
  assert.deepEqual(Object.fromEntries(model.readings), { "S/A": A, "S/B": B });
  assert.equal(model.epoch, "e1");
  assert.equal(model.lastMessageAt, T0);
  assert.deepEqual(calls.readings, [null]);  // null: everything replaced
  assert.equal(calls.reloads, 0, "the reload is scheduled, not run inside the handler");
  await run();
  assert.equal(calls.reloads, 1);
});

test("deltas merge readings and name the points that changed", async () => {
  const table = [
    // [delta readings, ids reported (null: no call), readings after]
    [{ "S/A": C }, ["S/A"], { "S/A": C, "S/B": B }],
    [{ "S/C": C, "S/B": A }, ["S/B", "S/C"], { "S/A": A, "S/B": A, "S/C": C }],
    [{}, null, { "S/A": A, "S/B": B }],
  ];
  for (const [readings, ids, after] of table) {
    const { model, calls } = recorded();
    model.snapshot({ epoch: "e1", readings: { "S/A": A, "S/B": B } });
    await run();
    calls.readings.length = 0;
    const snapshotAt = model.lastMessageAt;
    mock.timers.tick(250);
    model.delta({ epoch: "e1", readings, events: [] });
    assert.deepEqual(calls.readings, ids === null ? [] : [ids], JSON.stringify(readings));
    assert.deepEqual(Object.fromEntries(model.readings), after);
    assert.equal(model.lastMessageAt, snapshotAt + 250, "the time of the last message");
    await run(1000);
    assert.equal(calls.reloads, 1, "readings alone do not reload the alarms");
  }
});

test("alarm events in a delta are passed on in order; records apply without a reload", async () => {
  const alarmsSeen = [];
  const { model, calls } = recorded();
  model.onAlarms = (alarms, sources) => alarmsSeen.push([alarms, sources]);
  const events = [
    { id: "S/A/HH", kind: "raised", priority: "critical" },
    { id: "S/B/H", kind: "acknowledged", priority: "high" },
  ];
  const records = [{ id: "S/A/HH", state: "active_unacknowledged" }];
  const sources = [{ id: "HS1", colour: "red" }];
  model.delta({ readings: {}, events, alarms: records, sources });
  assert.deepEqual(calls.events, [events]);
  assert.deepEqual(alarmsSeen, [[records, sources]]);
  await run(1000);
  assert.equal(calls.reloads, 0, "a delta carries the records: no list is fetched");
  model.delta({ readings: {} });  // no events, alarms or sources keys at all
  await run(1000);
  assert.deepEqual(calls.events, [events]);
  assert.equal(alarmsSeen.length, 1);
  assert.equal(calls.reloads, 0);
});

test("records that arrive during a reload are applied again after it", async () => {
  const alarmsSeen = [];
  let finish = null;
  const { model } = recorded({ reload: () => new Promise((resolve) => { finish = resolve; }) });
  model.onAlarms = (alarms) => alarmsSeen.push(alarms.map((a) => a.id));
  model.snapshot({ epoch: "e1", readings: {} });
  await run();
  assert.notEqual(finish, null, "the snapshot started a reload");
  model.delta({ readings: {}, alarms: [{ id: "S/A/HH" }], sources: [] });
  assert.deepEqual(alarmsSeen, [["S/A/HH"]]);
  finish();
  await run();
  // The fetched lists may predate the delta: its records are applied once more on top.
  assert.deepEqual(alarmsSeen, [["S/A/HH"], ["S/A/HH"]]);
});

test("requests within the delay are one reload", async () => {
  const { model, calls } = recorded();
  model.requestReload(100);
  await run(60);
  model.requestReload(100);  // restarts the delay
  await run(60);
  assert.equal(calls.reloads, 0);
  await run(40);
  assert.equal(calls.reloads, 1);
  await run(1000);
  assert.equal(calls.reloads, 1);
});

test("reloads never overlap: requests during one cause exactly one more", async () => {
  let running = 0;
  let most = 0;
  let started = 0;
  const finish = [];
  const { model } = recorded({
    reload: () => new Promise((resolve) => {
      started += 1;
      running += 1;
      most = Math.max(most, running);
      finish.push(() => { running -= 1; resolve(); });
    }),
  });
  model.requestReload(0);
  await run();
  assert.equal(started, 1);
  for (let i = 0; i < 5; i += 1) model.requestReload(0);  // while the first runs
  await run(500);
  assert.equal(started, 1, "nothing starts while a reload runs");
  finish.shift()();
  await run();
  assert.equal(started, 2, "one more for all the requests that came meanwhile");
  finish.shift()();
  await run(500);
  assert.equal(started, 2);
  assert.equal(most, 1);
});

test("a failed reload is reported and the next one still runs", async () => {
  let attempt = 0;
  const { model, calls } = recorded({
    reload: async () => {
      attempt += 1;
      if (attempt === 1) throw new Error("503 from /api/alarms");
    },
  });
  model.requestReload(0);
  await run();
  assert.deepEqual(calls.errors, ["503 from /api/alarms"]);
  model.requestReload(0);
  await run();
  assert.equal(attempt, 2);
  assert.deepEqual(calls.errors, ["503 from /api/alarms"]);
});

test("connection status", () => {
  const table = [
    [{ state: "connecting", attempt: 0, delay: 0 }, false],
    [{ state: "connected", attempt: 0, delay: 0 }, true],
    [{ state: "disconnected", attempt: 1, delay: 500, code: 1006 }, false],
    [{ state: "connected", attempt: 0, delay: 0 }, true],
  ];
  const { model, calls } = recorded();
  for (const [status, connected] of table) {
    model.status(status);
    assert.equal(model.connected, connected, status.state);
  }
  assert.deepEqual(calls.status, table.map(([status]) => status.state));
});
