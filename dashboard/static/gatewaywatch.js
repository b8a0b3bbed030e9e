// Every page notices a hung gateway within 10 s and says so: 网关无响应 / Gateway not
// responding, in a banner over the page, until the gateway answers again (then it goes by
// itself). A hung gateway (process stopped, event loop stalled) still accepts TCP
// connections and never answers, so only a timeout can tell.
//
// Any answer of any request through api.js proves the gateway alive; every PROBE_EVERY,
// unless something answered within the last half of it, GET /api/me is asked with a
// PROBE_TIMEOUT. Worst case: the gateway hangs just after an answer; the next probe starts
// within PROBE_EVERY and gives up PROBE_TIMEOUT later: 1.5 + 4 = 5.5 s (the websocket's own
// watchdog, liveclient.js, takes at most 6 s).

import { api, onReachability } from "./api.js";
import { onLanguageChange, t } from "./i18n.js";

export const PROBE_EVERY = 1500;
export const PROBE_TIMEOUT = 4000;

const watch = { started: false, hung: false, probing: false, lastAnswer: 0, badge: null };

function banner() {
  let box = document.getElementById("gateway-hung");
  if (!box) {
    box = document.createElement("div");
    box.id = "gateway-hung";
    box.className = "gateway-hung";
    box.setAttribute("role", "alert");
    box.hidden = true;
    document.body.prepend(box);
  }
  return box;
}

// The connection badge of live pages says 已连接 until the websocket's watchdog fires; while
// hung it says 网关无响应, and gets back what it said (unless the page changed it meanwhile).
function badge(hung) {
  const node = document.getElementById("conn-state");
  if (!node) return;
  if (hung) {
    watch.badge = { text: node.textContent, className: node.className };
    node.textContent = t("conn.hungShort");
    node.className = "conn conn-disconnected";
    watch.badge.shown = node.textContent;
  } else if (watch.badge && node.textContent === watch.badge.shown) {
    node.textContent = watch.badge.text;
    node.className = watch.badge.className;
  }
}

function show(hung) {
  const changed = hung !== watch.hung;
  watch.hung = hung;
  const box = banner();
  box.textContent = t("conn.hung");
  box.hidden = !hung;
  document.body.classList.toggle("gateway-hung-page", hung);
  if (changed) badge(hung);
}

async function probe() {
  // Half the period: the answer to the previous probe (a few ms after its tick) must not
  // make this tick skip.
  if (watch.probing || Date.now() - watch.lastAnswer < PROBE_EVERY / 2) return;
  watch.probing = true;
  try {
    await api("/api/me", { redirect: false, timeout: PROBE_TIMEOUT });
  } catch {
    // onReachability has already been told whether the gateway answered (a 401 did).
  } finally {
    watch.probing = false;
  }
}

/** Start watching (once per page; later calls do nothing). */
export function watchGateway() {
  if (watch.started) return;
  watch.started = true;
  watch.lastAnswer = Date.now();
  onReachability((answered) => {
    if (answered) watch.lastAnswer = Date.now();
    if (answered === watch.hung) show(!answered);
  });
  onLanguageChange(() => { if (watch.hung) show(true); });
  setInterval(probe, PROBE_EVERY);
  window.hazgwGatewayWatch = watch;  // for tests
}
