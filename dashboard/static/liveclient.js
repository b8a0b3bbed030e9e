// Websocket client for /ws (docs/websocket.md): hello with resume, snapshot/delta
// sequence checking, heartbeat watchdog, reconnect with exponential backoff and jitter.
// Shared by every screen; knows nothing about the DOM.

export class LiveClient {
  /**
   * @param {object} options
   * @param {(msg: object) => void} options.onSnapshot  replace all state
   * @param {(msg: object) => void} options.onDelta     merge readings, handle events
   * @param {(status: {state: string, attempt: number, delay: number, code?: number}) => void} options.onStatus
   */
  constructor({ url, onSnapshot, onDelta, onStatus, minDelay = 500, maxDelay = 10000,
                silenceLimit = 6000 }) {
    this.url = url ?? defaultUrl();
    this.onSnapshot = onSnapshot;
    this.onDelta = onDelta;
    this.onStatus = onStatus ?? (() => {});
    this.minDelay = minDelay;
    this.maxDelay = maxDelay;
    // The server heartbeats every 2 s; 3 missed = dead link, noticed within 6 s (a page
    // must notice a hung gateway within 10 s).
    this.silenceLimit = silenceLimit;
    this.epoch = null;
    this.seq = null;
    this.attempt = 0;
    this.ws = null;
    this.stopped = false;
    this.retryTimer = null;
    this.watchdog = null;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.watchdog);
    if (this.ws) this.ws.close(1000, "page closed");
  }

  connect() {
    this.onStatus({ state: "connecting", attempt: this.attempt, delay: 0 });
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (error) {
      console.error("websocket", error);
      this.scheduleReconnect(undefined);
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      const hello = { type: "hello" };
      if (this.epoch !== null && this.seq !== null) {
        hello.epoch = this.epoch;
        hello.resume = this.seq;
      }
      ws.send(JSON.stringify(hello));
      this.feedWatchdog(ws);
    };
    ws.onmessage = (event) => this.handle(ws, event.data);
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearTimeout(this.watchdog);
      this.scheduleReconnect(event.code);
    };
    ws.onerror = () => {};  // onclose follows and reports
  }

  feedWatchdog(ws) {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      console.warn("websocket silent too long; reconnecting");
      ws.close(4000, "silent");
      // A dead TCP link may never deliver the close event: report it now.
      if (this.ws === ws) {
        this.ws = null;
        this.scheduleReconnect(4000);
      }
    }, this.silenceLimit);
  }

  handle(ws, data) {
    this.feedWatchdog(ws);
    let msg;
    try {
      msg = JSON.parse(data);
    } catch (error) {
      console.error("bad message from server", error);
      return;
    }
    if (msg.type === "snapshot") {
      this.epoch = msg.epoch;
      this.seq = msg.seq;
      this.connected();
      this.onSnapshot(msg);
    } else if (msg.type === "delta") {
      if (msg.prev !== this.seq) {
        // A gap: state would be wrong. Start over with a fresh snapshot.
        console.warn(`sequence gap: have ${this.seq}, delta continues ${msg.prev}`);
        this.seq = null;
        ws.close(4001, "sequence gap");
        return;
      }
      this.seq = msg.seq;
      this.connected();
      this.onDelta(msg);
    } else if (msg.type === "heartbeat") {
      if (msg.seq !== this.seq) {
        console.warn(`heartbeat at ${msg.seq}, client at ${this.seq}: resync`);
        this.seq = null;
        ws.close(4001, "sequence gap");
        return;
      }
      this.connected();
    }
  }

  connected() {
    if (this.attempt !== 0 || !this.isConnected) {
      this.attempt = 0;
      this.isConnected = true;
      this.onStatus({ state: "connected", attempt: 0, delay: 0 });
    }
  }

  scheduleReconnect(code) {
    this.isConnected = false;
    if (this.stopped) return;
    const base = Math.min(this.maxDelay, this.minDelay * 2 ** this.attempt);
    const delay = Math.round(base * (0.5 + Math.random() / 2));
    this.attempt += 1;
    this.onStatus({ state: "disconnected", attempt: this.attempt, delay, code });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }
}

function defaultUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws`;
}
