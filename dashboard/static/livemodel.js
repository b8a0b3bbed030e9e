// Live readings and alarm state over /ws, shared by the wall and the console; knows
// nothing about the DOM. The alarm lists are fetched from the API only after a snapshot
// (first connection, a gateway restart, a resync after a gap); after that every delta
// carries the current record of each alarm its events touched, and of its hazard source,
// in the shapes the API lists answer (docs/websocket.md), and the page applies them.

import { LiveClient } from "./liveclient.js";
import { WS_UNAUTHORIZED, liveUrl, whoAmI } from "./api.js";

/**
 * The alarm list with `records` applied: a record replaces the one with its id, a new one
 * is added, one in state "normal" has left the active list.
 */
export function mergeAlarms(alarms, records) {
  if (records.length === 0) return alarms;
  const byId = new Map(alarms.map((alarm) => [alarm.id, alarm]));
  for (const record of records) {
    if (record.state === "normal") byId.delete(record.id);
    else byId.set(record.id, record);
  }
  return [...byId.values()];
}

export class LiveModel {
  /**
   * @param {object} options
   * @param {() => Promise<void>} options.reload  fetch the alarm lists etc. (after a snapshot)
   * @param {(ids: Set<string>|null) => void} options.onReadings  null: everything replaced
   * @param {(alarms: object[], sources: object[]) => void} [options.onAlarms]
   *   alarm records and hazard-source statuses of a delta, to apply to the fetched lists
   * @param {(events: object[]) => void} [options.onEvents]  alarm events of a delta, in order
   * @param {(status: object) => void} [options.onStatus]
   * @param {(error: Error) => void} [options.onReloadError]
   */
  constructor({ reload, onReadings, onAlarms, onEvents, onStatus, onReloadError }) {
    this.readings = new Map();  // point id -> [value, quality, reason, ts]
    this.epoch = null;
    this.connected = false;
    this.lastMessageAt = null;
    this.reloadFn = reload;
    this.onReadings = onReadings;
    this.onAlarms = onAlarms ?? (() => {});
    this.onEvents = onEvents ?? (() => {});
    this.onStatus = onStatus ?? (() => {});
    this.onReloadError = onReloadError ?? ((error) => console.error(error));
    this.reloadTimer = null;
    this.reloading = null;
    this.reloadAgain = false;
    this.held = [];  // alarm changes that arrived while a reload was running
    this.client = null;
  }

  start() {
    this.client = new LiveClient({
      url: liveUrl(),
      onSnapshot: (msg) => this.snapshot(msg),
      onDelta: (msg) => this.delta(msg),
      onStatus: (status) => this.status(status),
    });
    this.client.start();
  }

  snapshot(msg) {
    this.readings = new Map(Object.entries(msg.readings));
    this.epoch = msg.epoch;
    this.lastMessageAt = Date.now();
    this.onReadings(null);
    // Alarms are not part of a snapshot: whatever happened while away is in the API.
    this.requestReload(0);
  }

  delta(msg) {
    this.lastMessageAt = Date.now();
    const ids = new Set(Object.keys(msg.readings));
    for (const [id, reading] of Object.entries(msg.readings)) this.readings.set(id, reading);
    if (ids.size > 0) this.onReadings(ids);
    // Events first: a page may note something about them (a critical alarm raised again
    // sounds even if it was silenced) that the records then show.
    if (msg.events && msg.events.length > 0) this.onEvents(msg.events);
    const alarms = msg.alarms ?? [];
    const sources = msg.sources ?? [];
    if (alarms.length > 0 || sources.length > 0) {
      // A list being fetched may answer older than this: apply it again afterwards.
      if (this.reloading || this.reloadTimer !== null) this.held.push([alarms, sources]);
      this.onAlarms(alarms, sources);
    }
  }

  status(status) {
    this.connected = status.state === "connected";
    this.onStatus(status);
    if (status.code === WS_UNAUTHORIZED) {
      // The session ended (expired, revoked, signed out elsewhere): /api/me answers 401
      // and api.js takes the browser to the login page.
      whoAmI().catch(() => {});
    }
  }

  /** Reload soon; calls that arrive while a reload runs cause one more, never overlap. */
  requestReload(delay = 100) {
    if (this.reloading) {
      this.reloadAgain = true;
      return;
    }
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => this.runReload(), delay);
  }

  async runReload() {
    this.reloadTimer = null;
    this.reloading = (async () => {
      try {
        await this.reloadFn();
      } catch (error) {
        this.onReloadError(error);
      }
    })();
    await this.reloading;
    this.reloading = null;
    const held = this.held;
    this.held = [];
    for (const [alarms, sources] of held) this.onAlarms(alarms, sources);
    if (this.reloadAgain) {
      this.reloadAgain = false;
      this.requestReload(0);
    }
  }
}
