// Pure rules of the wall display: tile colours, which values a tile shows, how many
// tiles per row, which alarms sound. No DOM, no I/O.

import { ANNUNCIATED, PRIORITY_RANK, UNACKNOWLEDGED, byPriorityThenTime } from "./ui.js";

// Key values first: gas concentrations and levels are what a duty officer watches.
const KIND_ORDER = [
  "combustible_gas", "toxic_gas", "level", "pressure", "pressure_difference",
  "temperature", "flow", "discrete_state",
];

export function sourceKey(site, id) {
  return `${site}/${id}`;
}

/** Points of one hazard source in the order the tile shows them. */
export function keyPoints(points) {
  const rank = (kind) => {
    const i = KIND_ORDER.indexOf(kind);
    return i === -1 ? KIND_ORDER.length - 1 : i;
  };
  return [...points].sort((a, b) => rank(a.kind) - rank(b.kind) || a.tag.localeCompare(b.tag));
}

/** A tile's bad points from live readings, by reason: they show at once, before any alarm. */
export function badPoints(points, readings) {
  const bad = { comm_loss: 0, sensor_fault: 0, other: 0 };
  for (const point of points) {
    const reading = readings.get(point.id);
    if (!reading || reading[1] !== "bad") continue;
    const reason = reading[2];
    if (reason === "comm_loss" || reason === "sensor_fault") bad[reason] += 1;
    else bad.other += 1;
  }
  return bad;
}

/**
 * What a tile says. Its colour: the worst annunciated alarm's colour from the server;
 * grey when none of its points has a usable reading (no data is not "normal"); "fault"
 * while any point reads bad (通讯中断, 传感器故障: live, before the alarm's delay); and
 * "suppressed" while an alarm of it is shelved or out of service. Green only when none of
 * these holds: a hidden alarm never leaves a hazard source plain 正常.
 */
export function tileState(status, points, readings) {
  const bad = badPoints(points, readings);
  const suppressed = status ? (status.shelved ?? 0) + (status.out_of_service ?? 0) : 0;
  const usable = points.some((point) => {
    const reading = readings.get(point.id);
    return reading && reading[1] !== "bad" && reading[0] !== null;
  });
  let colour = "green";
  if (status && status.worst_priority) colour = status.colour;
  else if (!usable) colour = "grey";
  else if (bad.comm_loss + bad.sensor_fault + bad.other > 0) colour = "fault";
  else if (suppressed > 0) colour = "suppressed";
  return { colour, bad, suppressed };
}

export function tileColour(status, points, readings) {
  return tileState(status, points, readings).colour;
}

/** Devices online from live readings: a device is online while any of its points has a
 * reading that is not a communication loss. Keys are "site/device". */
export function devicesOnline(points, readings) {
  const online = new Map();
  for (const point of points) {
    const key = `${point.site}/${point.device}`;
    const reading = readings.get(point.id);
    const up = Boolean(reading) && !(reading[1] === "bad" && reading[2] === "comm_loss");
    online.set(key, (online.get(key) ?? false) || up);
  }
  return { online: [...online.values()].filter(Boolean).length, total: online.size, byDevice: online };
}

/** A heartbeat point's words: 心跳正常, or 心跳停止 while its sensor-fault (stalled
 * heartbeat) alarm is active. null without a usable reading: the reading's own reason
 * (通讯中断 …) says more then. */
export function heartbeatKey(reading, stalled) {
  if (!reading || reading[1] === "bad" || reading[0] === null) return null;
  return stalled ? "heartbeat.stopped" : "heartbeat.ok";
}

/** Grid shape for n tiles on a 16:9 wall, and a density class for font sizes. */
export function layout(n) {
  if (n <= 1) return { cols: 1, rows: 1, density: 1, cells: 12 };
  if (n <= 2) return { cols: 2, rows: 1, density: 1, cells: 10 };
  if (n <= 4) return { cols: 2, rows: 2, density: 2, cells: 6 };
  if (n <= 6) return { cols: 3, rows: 2, density: 2, cells: 4 };
  if (n <= 9) return { cols: 3, rows: 3, density: 3, cells: 3 };
  if (n <= 12) return { cols: 4, rows: 3, density: 3, cells: 2 };
  const cols = Math.ceil(Math.sqrt(n * 16 / 9));
  return { cols, rows: Math.ceil(n / cols), density: 4, cells: 1 };
}

/** point id -> {priority, unack} of its worst annunciated alarm. */
export function alarmsByPoint(alarms) {
  const out = new Map();
  for (const alarm of alarms) {
    if (!ANNUNCIATED.has(alarm.state)) continue;
    const id = `${alarm.site}/${alarm.tag}`;
    const have = out.get(id);
    const unack = UNACKNOWLEDGED.has(alarm.state);
    if (!have || PRIORITY_RANK[alarm.priority] < PRIORITY_RANK[have.priority]) {
      out.set(id, { priority: alarm.priority, unack: unack || (have?.unack ?? false) });
    } else if (unack) {
      have.unack = true;
    }
  }
  return out;
}

export function counts(alarms) {
  let active = 0;
  let unacked = 0;
  let shelved = 0;
  for (const alarm of alarms) {
    if (ANNUNCIATED.has(alarm.state)) active += 1;
    if (UNACKNOWLEDGED.has(alarm.state)) unacked += 1;
    if (alarm.state === "shelved") shelved += 1;
  }
  return { active, unacked, shelved };
}

const HIDDEN = new Set(["shelved", "out_of_service"]);

/** Annunciated alarms in display order, then the shelved and out-of-service ones: listed,
 * never hidden, after everything that calls for attention. */
export function shownAlarms(alarms) {
  const calling = alarms.filter((alarm) => ANNUNCIATED.has(alarm.state)).sort(byPriorityThenTime);
  const quiet = alarms.filter((alarm) => HIDDEN.has(alarm.state)).sort(byPriorityThenTime);
  return [...calling, ...quiet];
}

/**
 * Which alarms call for attention: every unacknowledged one, of every priority. Blinking
 * lasts until acknowledged; the tone, the most urgent unsilenced alarm's, until
 * acknowledged or silenced. Silencing never acknowledges: the alarm stays unacknowledged
 * (and blinking) for the console. An alarm raised again after a silence sounds again.
 */
export class Annunciator {
  constructor() {
    this.silenced = new Set();  // alarm ids whose sound was silenced
    this.unacked = [];          // unacknowledged alarms, display order (most urgent first)
  }

  /** A fresh alarm list from the API. */
  update(alarms) {
    this.unacked = alarms.filter((alarm) => UNACKNOWLEDGED.has(alarm.state)).sort(byPriorityThenTime);
    const ids = new Set(this.unacked.map((alarm) => alarm.id));
    for (const id of this.silenced) if (!ids.has(id)) this.silenced.delete(id);
  }

  /** Events of a delta: a (re-)raised alarm sounds even if it was silenced. Returns the
   * priority of the most urgent fresh alarm, or null. */
  events(events) {
    let fresh = null;
    for (const event of events) {
      if (event.kind === "raised" || event.kind === "realarmed") {
        this.silenced.delete(event.id);
        if (fresh === null || PRIORITY_RANK[event.priority] < PRIORITY_RANK[fresh]) {
          fresh = event.priority;
        }
      }
    }
    return fresh;
  }

  /** Silence what sounds now; returns the ids silenced (the page logs them). */
  silence() {
    const ids = this.unacked.filter((alarm) => !this.silenced.has(alarm.id)).map((alarm) => alarm.id);
    for (const id of ids) this.silenced.add(id);
    return ids;
  }

  /** Unacknowledged critical alarms. */
  get critical() {
    return this.unacked.filter((alarm) => alarm.priority === "critical");
  }

  get flashing() {
    return this.unacked.length > 0;
  }

  /** The priority whose tone plays, or null: the most urgent unsilenced alarm's. */
  get tone() {
    const loud = this.unacked.find((alarm) => !this.silenced.has(alarm.id));
    return loud ? loud.priority : null;
  }

  get sounding() {
    return this.tone !== null;
  }
}

/** The page title with the count of unacknowledged alarms in front: "(3) 监测大屏 · hazgw". */
export function titleWithCount(title, unacked) {
  const bare = title.replace(/^\(\d+\) /, "");
  return unacked > 0 ? `(${unacked}) ${bare}` : bare;
}
