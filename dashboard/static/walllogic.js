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

/**
 * The tile's colour: the worst annunciated alarm's colour from the server; green when
 * normal; grey when none of its points has a usable reading (no data is not "normal").
 */
export function tileColour(status, points, readings) {
  if (status && status.worst_priority) return status.colour;
  const usable = points.some((point) => {
    const reading = readings.get(point.id);
    return reading && reading[1] !== "bad" && reading[0] !== null;
  });
  return usable ? "green" : "grey";
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

/** Annunciated alarms in display order (shelved and out-of-service ones are not shown). */
export function shownAlarms(alarms) {
  return alarms.filter((alarm) => ANNUNCIATED.has(alarm.state)).sort(byPriorityThenTime);
}

/**
 * Which critical alarms call for attention. Flashing lasts until acknowledged; the sound
 * until acknowledged or silenced. Silencing never acknowledges: the alarm stays
 * unacknowledged (and flashing) for the console. A critical alarm raised again after a
 * silence sounds again.
 */
export class Annunciator {
  constructor() {
    this.silenced = new Set();  // alarm ids whose sound was silenced
    this.critical = [];         // unacknowledged critical alarms, display order
  }

  /** A fresh alarm list from the API. */
  update(alarms) {
    this.critical = alarms
      .filter((alarm) => alarm.priority === "critical" && UNACKNOWLEDGED.has(alarm.state))
      .sort(byPriorityThenTime);
    const ids = new Set(this.critical.map((alarm) => alarm.id));
    for (const id of this.silenced) if (!ids.has(id)) this.silenced.delete(id);
  }

  /** Events of a delta: a (re-)raised critical alarm sounds even if it was silenced. */
  events(events) {
    let fresh = false;
    for (const event of events) {
      if (event.priority === "critical" && (event.kind === "raised" || event.kind === "realarmed")) {
        this.silenced.delete(event.id);
        fresh = true;
      }
    }
    return fresh;
  }

  silence() {
    for (const alarm of this.critical) this.silenced.add(alarm.id);
  }

  get flashing() {
    return this.critical.length > 0;
  }

  get sounding() {
    return this.critical.some((alarm) => !this.silenced.has(alarm.id));
  }
}
