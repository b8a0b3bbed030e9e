// Alarm tones with the Web Audio API, one per priority, repeated until stopped. No sound
// files. A duty officer tells the priority by ear: critical is fast, high and alternating;
// high a slower two-tone; medium a single tone every 2.5 s; low a soft one every 5 s.
//
// Browsers keep an AudioContext suspended until someone clicks the page. A wall PC runs
// Chromium with --autoplay-policy=no-user-gesture-required (docs/operation.md); otherwise
// onState reports "suspended" and the page shows "报警声音未启用" until sound works.

export const TONES = {
  critical: { period: 1000, notes: [[1319, 0], [988, 0.18], [1319, 0.36], [988, 0.54]], gain: 0.3 },
  high: { period: 1600, notes: [[988, 0], [740, 0.3]], gain: 0.25 },
  medium: { period: 2500, notes: [[660, 0]], gain: 0.2 },
  low: { period: 5000, notes: [[523, 0]], gain: 0.12 },
};

export class Beeper {
  constructor({ onState = () => {} } = {}) {
    this.onState = onState;
    this.ctx = null;
    this.timer = null;
    this.priority = null;  // the tone now playing
  }

  context() {
    if (this.ctx === null) {
      const Context = window.AudioContext ?? window.webkitAudioContext;
      if (!Context) {
        this.onState("unavailable");
        return null;
      }
      this.ctx = new Context();
      this.ctx.onstatechange = () => this.onState(this.ctx.state);
      this.onState(this.ctx.state);
    }
    return this.ctx;
  }

  /** "running" when a tone can be heard; "suspended", "closed" or "unavailable" if not. */
  get state() {
    return this.ctx ? this.ctx.state : "unavailable";
  }

  /** Try to start audio (call from a click handler to lift the autoplay block). */
  async unlock() {
    const ctx = this.context();
    if (ctx && ctx.state === "suspended") {
      try {
        await ctx.resume();
      } catch (error) {
        console.warn("alarm sound cannot start", error);
      }
    }
    this.onState(ctx ? ctx.state : "unavailable");
    if (this.priority !== null && ctx && ctx.state === "running") this.beep();
  }

  get playing() {
    return this.timer !== null;
  }

  /** Play ``priority``'s tone until ``stop`` (switching tone if another was playing). */
  start(priority = "critical") {
    const tone = TONES[priority] ?? TONES.critical;
    if (this.timer !== null && this.priority === priority) return;
    this.stop();
    this.priority = priority;
    this.beep();
    this.timer = setInterval(() => this.beep(), tone.period);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.priority = null;
  }

  beep() {
    const ctx = this.context();
    // Suspended until someone clicks (autoplay policy): the page warns about that.
    if (!ctx || ctx.state !== "running" || this.priority === null) return;
    const tone = TONES[this.priority] ?? TONES.critical;
    const start = ctx.currentTime + 0.02;
    for (const [frequency, offset] of tone.notes) {
      const oscillator = ctx.createOscillator();
      const gain = ctx.createGain();
      oscillator.type = "square";
      oscillator.frequency.value = frequency;
      const t0 = start + offset;
      gain.gain.setValueAtTime(0.0001, t0);
      gain.gain.exponentialRampToValueAtTime(tone.gain, t0 + 0.02);
      gain.gain.setValueAtTime(tone.gain, t0 + 0.14);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.17);
      oscillator.connect(gain).connect(ctx.destination);
      oscillator.start(t0);
      oscillator.stop(t0 + 0.18);
    }
  }
}
