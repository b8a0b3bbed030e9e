// Live readings over /ws plus alarm state reloaded from the API whenever alarm events
// arrive (and after every snapshot: a reconnect or a gateway restart). Shared by the wall
// and the console; knows nothing about the DOM.

import { LiveClient } from "./liveclient.js";
import { WS_UNAUTHORIZED, liveUrl, whoAmI } from "./api.js";

export class LiveModel {
  /**
   * @param {object} options
   * @param {() => Promise<void>} options.reload  fetch alarm lists etc. (after events/snapshots)
   * @param {(ids: Set<string>|null) => void} options.onReadings  null: everything replaced
   * @param {(events: object[]) => void} [options.onEvents]  alarm events of a delta, in order
   * @param {(status: object) => void} [options.onStatus]
   * @param {(error: Error) => void} [options.onReloadError]
   */
  constructor({ reload, onReadings, onEvents, onStatus, onReloadError }) {
    this.readings = new Map();  // point id -> [value, quality, reason, ts]
    this.epoch = null;
    this.connected = false;
    this.lastMessageAt = null;
    this.reloadFn = reload;
    this.onReadings = onReadings;
    this.onEvents = onEvents ?? (() => {});
    this.onStatus = onStatus ?? (() => {});
    this.onReloadError = onReloadError ?? ((error) => console.error(error));
    this.reloadTimer = null;
    this.reloading = null;
    this.reloadAgain = false;
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
    // Events are not part of a snapshot: whatever happened while away is in the API.
    this.requestReload(0);
  }

  delta(msg) {
    this.lastMessageAt = Date.now();
    const ids = new Set(Object.keys(msg.readings));
    for (const [id, reading] of Object.entries(msg.readings)) this.readings.set(id, reading);
    if (ids.size > 0) this.onReadings(ids);
    if (msg.events && msg.events.length > 0) {
      this.onEvents(msg.events);
      this.requestReload(0);
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
    this.reloading = (async () => {
      try {
        await this.reloadFn();
      } catch (error) {
        this.onReloadError(error);
      }
    })();
    await this.reloading;
    this.reloading = null;
    if (this.reloadAgain) {
      this.reloadAgain = false;
      this.requestReload(0);
    }
  }
}
