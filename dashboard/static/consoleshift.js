// The console knows the shift: the current shift, its end and who is on it, in the top bar,
// linking to the handover page. Refreshed every minute (a shift changes twice a day).

import { api } from "./api.js";
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
    ? `${cur.name} 至 ${stamp(cur.end).slice(11)} · 值班 ${cur.officers.join("、") || "—"}`
    : "交接班";
  badge.title = cur ? `当前班次 ${cur.name}，${stamp(cur.start)} 至 ${stamp(cur.end)}` : "";
}

show();
setInterval(show, 60_000);
