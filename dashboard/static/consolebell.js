// The console's annunciation (报警提示): every unacknowledged alarm, of any priority, plays
// its priority's tone until acknowledged or silenced, blinks the bar above the tabs (seen
// on every tab: History and Handover too) and its row, and counts in the page title. A
// silence is journalled against each alarm (POST /api/alarms/silence) and acknowledges
// nothing. While the browser blocks sound a warning stays up until sound works. The rules
// are the wall's (walllogic.Annunciator); this module only puts them on the page.

import { api } from "./api.js";
import { Beeper } from "./audio.js";
import { t } from "./i18n.js";
import { $ } from "./ui.js";
import { Annunciator, titleWithCount } from "./walllogic.js";

export class ConsoleBell {
  constructor() {
    this.annunciator = new Annunciator();
    this.beeper = new Beeper({ onState: (state) => this.showAudio(state) });
  }

  start() {
    $("bell-silence").addEventListener("click", () => this.silence());
    $("audio-blocked").addEventListener("click", () => this.beeper.unlock());
    // Any click on the page lifts the browser's autoplay block.
    document.addEventListener("pointerdown", () => this.beeper.unlock(), { once: true });
    this.beeper.context();
  }

  /** The full alarm list, after every change. */
  update(alarms) {
    this.annunciator.update(alarms);
    this.render();
  }

  /** Events of a delta: a fresh alarm sounds at once. */
  events(events) {
    const fresh = this.annunciator.events(events);
    if (fresh !== null && !this.beeper.playing) this.beeper.start(fresh);
  }

  render() {
    const calling = this.annunciator.unacked;
    const tone = this.annunciator.tone;
    if (tone !== null) this.beeper.start(tone);
    else this.beeper.stop();
    document.body.dataset.sound = tone !== null ? "on" : calling.length > 0 ? "silenced" : "off";
    document.body.dataset.tone = tone ?? "";
    document.title = titleWithCount(document.title, calling.length);
    const bar = $("bell");
    bar.hidden = calling.length === 0;
    if (calling.length > 0) {
      bar.dataset.priority = calling[0].priority;
      $("bell-text").textContent = t("console.bell", { n: calling.length });
    }
    const button = $("bell-silence");
    button.textContent = tone !== null ? t("wall.silence") : t("wall.silenced");
    button.disabled = tone === null;
  }

  silence() {
    const ids = this.annunciator.silence();
    this.render();
    if (ids.length > 0) {
      api("/api/alarms/silence", { method: "POST", body: { ids, where: "console" } }).catch((error) => {
        console.warn("silence not recorded", error);
      });
    }
  }

  showAudio(state) {
    $("audio-blocked").hidden = state === "running";
    document.body.dataset.audio = state;
  }

  relabel() {
    this.render();
    this.showAudio(this.beeper.state);
  }
}
