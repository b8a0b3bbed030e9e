// Alarm tone with the Web Audio API: a two-tone beep repeated until stopped. No sound
// files. Browsers keep an AudioContext suspended until someone clicks the page (a kiosk
// browser can be started with --autoplay-policy=no-user-gesture-required); onState
// reports "suspended" so that the page can offer a button.

export class Beeper {
  constructor({ period = 1400, onState = () => {} } = {}) {
    this.period = period;
    this.onState = onState;
    this.ctx = null;
    this.timer = null;
  }

  context() {
    if (this.ctx === null) {
      const Context = window.AudioContext ?? window.webkitAudioContext;
      if (!Context) return null;
      this.ctx = new Context();
      this.ctx.onstatechange = () => this.onState(this.ctx.state);
      this.onState(this.ctx.state);
    }
    return this.ctx;
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
  }

  get playing() {
    return this.timer !== null;
  }

  start() {
    if (this.timer !== null) return;
    this.beep();
    this.timer = setInterval(() => this.beep(), this.period);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }

  beep() {
    const ctx = this.context();
    // Suspended until someone clicks (autoplay policy): the page shows a button for that.
    if (!ctx || ctx.state !== "running") return;
    const start = ctx.currentTime + 0.02;
    [[988, 0], [740, 0.3]].forEach(([frequency, offset]) => {
      const oscillator = ctx.createOscillator();
      const gain = ctx.createGain();
      oscillator.type = "square";
      oscillator.frequency.value = frequency;
      const t0 = start + offset;
      gain.gain.setValueAtTime(0.0001, t0);
      gain.gain.exponentialRampToValueAtTime(0.25, t0 + 0.02);
      gain.gain.setValueAtTime(0.25, t0 + 0.24);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.28);
      oscillator.connect(gain).connect(ctx.destination);
      oscillator.start(t0);
      oscillator.stop(t0 + 0.3);
    });
  }
}
