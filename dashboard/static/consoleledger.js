// The 叫应 ledger in the console's alarm detail (the trend dialog): who was called, by
// which channel, when, with what result and retries; each level's deadline and whether it
// was met; who answered, how (console or the notice's link) and when.
// The alarm is taken from the row whose detail was opened (rows carry data-alarm), as
// consoletrend.js does; the table is drawn by ledgerlogic.js's pure functions.

import { api } from "./api.js";
import { onLanguageChange, t } from "./i18n.js";
import { noticeRows, answerRows } from "./ledgerlogic.js";
import { el, formatDateTime } from "./ui.js";

let shown = null;  // { id, ledger } of the open detail, redrawn on a language switch
let asked = 0;  // the newest request wins when details are opened quickly one after another

function alarmPath(id) {
  return id.split("/").map(encodeURIComponent).join("/");
}

function word(key, vars) {
  return t(key, vars);
}

function table(head, rows, rowClass) {
  return el("table", { class: "ledger" },
    el("thead", {}, el("tr", {}, ...head.map((key) => el("th", {}, t(key))))),
    el("tbody", {}, ...rows.map((row) => el("tr", rowClass ? rowClass(row) : {},
      ...(row.cells ?? row).map((cell) => el("td", {}, cell))))));
}

export function renderLedger(box, ledger) {
  const notices = noticeRows(ledger, word, formatDateTime);
  const answers = answerRows(ledger, word, formatDateTime);
  const parts = [];
  if (notices.length === 0) {
    parts.push(el("p", { class: "muted" }, t("ledger.none")));
  } else {
    parts.push(table(
      ["ledger.col.level", "ledger.col.channel", "ledger.col.recipient", "ledger.col.sent",
        "ledger.col.result", "ledger.col.retries", "ledger.col.deadline", "ledger.col.met"],
      notices,
      (row) => ({ "data-result": row.result, "data-met": row.met }),
    ));
  }
  parts.push(el("h3", {}, t("ledger.answers")));
  parts.push(answers.length === 0
    ? el("p", { class: "muted", "data-answers": "0" }, t("ledger.noAnswer"))
    : table(["ledger.col.who", "ledger.col.via", "ledger.col.when"], answers));
  box.replaceChildren(...parts);
  box.dataset.notices = String(notices.length);
}

async function load(id) {
  const box = document.getElementById("ledger-box");
  if (!box) return;
  const mine = ++asked;
  box.replaceChildren(el("p", { class: "muted" }, t("common.loading")));
  delete box.dataset.notices;
  try {
    const ledger = await api(`/api/alarms/${alarmPath(id)}/ledger`);
    if (mine !== asked) return;
    shown = { id, ledger };
    renderLedger(box, ledger);
  } catch (error) {
    if (mine !== asked) return;
    shown = null;
    const text = error.status === 404 ? t("ledger.none") : t("ledger.failed", { e: error.message });
    box.replaceChildren(el("p", { class: error.status === 404 ? "muted" : "error" }, text));
    box.dataset.notices = "0";
  }
}

document.addEventListener("click", (event) => {
  const opener = event.target.closest?.("#alarm-rows button.trend, #alarm-rows a.point-link");
  const row = opener?.closest("tr[data-alarm]");
  if (row) load(row.dataset.alarm);
}, true);

onLanguageChange(() => {
  const box = document.getElementById("ledger-box");
  if (box && shown) renderLedger(box, shown.ledger);
});
