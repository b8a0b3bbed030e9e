// The console knows the shift: the current shift, its end and who is on it, in the top bar,
// linking to the handover page. Refreshed every minute (a shift changes twice a day).

import { api } from "./api.js";
import { onLanguageChange, t } from "./i18n.js";
import { stamp, setZone } from "./handoverlogic.js";

async function show() {
  const bar = document.getElementById("topbar");
  if (!bar) return;
  let info;
  try {
    info = await api("/api/shifts/current", { redirect: false });
  } catch {
    return;  // not signed in yet, or no duty services: nothing to show
  }
  setZone(info.timezone);
  let badge = document.getElementById("shift-badge");
  if (!badge) {
    badge = document.createElement("a");
    badge.id = "shift-badge";
    badge.className = "shift-badge";
    badge.href = "/handover";
    bar.querySelector(".spacer")?.before(badge);
  }
  const cur = info.current;
  badge.textContent = cur
    ? t("shift.badge", { name: cur.name, end: stamp(cur.end).slice(11), who: cur.officers.join("、") || "—" })
    : t("shift.badgeNone");
  badge.title = cur ? t("shift.badgeTitle", { name: cur.name, from: stamp(cur.start), to: stamp(cur.end) }) : "";
}

show();
onLanguageChange(show);
setInterval(show, 60_000);
