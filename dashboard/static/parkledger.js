// The park's 叫应 ledger and shift report: GET /api/park/report and /api/park/ledger for a
// window (this shift, the previous one, 24 h, 7 days), refreshed every 10 s; CSV of the
// same window. The rows and figures come from the park journal, the same on every instance.
import { ledgerCells, reportFigures, enterpriseCells, queryOf } from "/static/parkledgerlogic.js";
import { clockText } from "/static/parklogic.js";
import { REQUEST_TIMEOUT } from "/static/api.js";
import { currentLanguage, initI18n, onLanguageChange, t } from "/static/i18n.js";

const $ = (id) => document.getElementById(id);
let preset = "shift";

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

async function getJson(url) {
  const response = await fetch(url, { credentials: "same-origin", signal: AbortSignal.timeout(REQUEST_TIMEOUT) });
  if (response.status === 401) { location.href = "/login?next=/park/ledger"; throw new Error("401"); }
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

function tableRow(cells, cls) {
  const tr = el("tr", cls);
  tr.append(...cells.map((text) => el("td", "", text)));
  return tr;
}

async function refresh() {
  const lang = currentLanguage();
  const query = queryOf(preset, Date.now() / 1000);
  try {
    const [report, ledger] = await Promise.all([
      getJson(`/api/park/report?${query}`), getJson(`/api/park/ledger?${query}`),
    ]);
    const now = ledger.now;
    const span = t("pledger.window", { from: clockText(report.since, lang, now), to: clockText(report.until, lang, now) });
    $("window").textContent = report.shift ? `${report.shift} · ${span}` : span;
    $("figures").replaceChildren(...reportFigures(report, t).map(([key, value, cls]) => {
      const fig = el("div", `pl-fig ${cls}`.trim());
      fig.append(el("span", "n", value), el("span", "k", t(key)));
      return fig;
    }));
    $("by-enterprise").tBodies[0].replaceChildren(...report.enterprises.map((e) => tableRow(enterpriseCells(e, t), "")));
    const rows = [...ledger.rows].reverse();  // newest first
    $("ledger").tBodies[0].replaceChildren(...rows.map((row) => {
      const { cls, cells } = ledgerCells(row, t, lang, now);
      const tr = tableRow(cells, cls);
      tr.dataset.id = row.id;
      return tr;
    }));
    $("empty").hidden = rows.length > 0;
    $("csv").href = `/api/park/ledger.csv?${query}&tz=${encodeURIComponent(Intl.DateTimeFormat().resolvedOptions().timeZone)}`;
    $("load-error").hidden = true;
  } catch (error) {
    $("load-error").hidden = false;
    $("load-error").textContent = t("park.loadFailed", { e: error.message });
  }
}

for (const button of document.querySelectorAll("[data-window]")) {
  button.addEventListener("click", () => {
    preset = button.dataset.window;
    for (const other of document.querySelectorAll("[data-window]")) other.classList.toggle("on", other === button);
    refresh();
  });
}
document.querySelector('[data-window="shift"]').classList.add("on");
initI18n();
onLanguageChange(() => refresh());
setInterval(refresh, 10000);
refresh();
