// The console's 报警指标 tab: alarm-system KPIs (EEMUA 191 / ISA-18.2) per duty post and per
// hazard source, from GET /api/alarms/kpi, each figure with its target beside it and red
// when over target. Loaded when the tab is shown (console.js dispatches "console:tab") and
// on the refresh button; numbers and words re-render on a language change.

import { api } from "./api.js";
import { currentLanguage, onLanguageChange, t } from "./i18n.js";
import { durationParts, figures, kpiQuery, percent, rate } from "./kpilogic.js";
import { $, alarmTypeLabel, el, formatDateTime } from "./ui.js";

const state = { kpi: null, choice: { period: "24h", post: "", source: "" }, busy: false };

function dur(seconds) {
  const [key, vars] = durationParts(seconds);
  return t(key, vars);
}

function fillSelect(select, options, chosen) {
  select.replaceChildren(...options.map(([value, label]) => el("option", { value, selected: value === chosen }, label)));
}

// A post is a notification route: its first level's name (当班人员) in Chinese, the route's
// own id (letters, from the gateway file) in English.
function postLabel(post) {
  return currentLanguage() === "en" ? post.id : post.label;
}

function renderChoices() {
  const kpi = state.kpi;
  fillSelect($("kpi-period"), ["8h", "24h", "7d", "30d"].map((p) => [p, t(`kpi.period.${p}`)]), state.choice.period);
  fillSelect($("kpi-post"), [["", t("kpi.allPosts")], ...(kpi?.posts ?? []).map((p) => [p.id, postLabel(p)])], state.choice.post);
  fillSelect($("kpi-source"), [["", t("kpi.allSources")], ...(kpi?.sources ?? []).map((s) => [s.id, s.label])], state.choice.source);
}

function card(figure) {
  return el("div", { class: figure.over ? "kpi-card over" : "kpi-card", "data-kpi": figure.key },
    el("div", { class: "k" }, t(figure.key)),
    el("div", { class: "n" }, figure.value),
    el("div", { class: "goal" }, figure.target === null ? t("kpi.noTarget")
      : `${t("kpi.target", { t: figure.target })}${figure.over ? ` · ${t("kpi.over")}` : ""}`),
    figure.detail ? el("div", { class: "d" }, figure.detail) : null);
}

function table(headKeys, rows) {
  return el("table", {},
    el("thead", {}, el("tr", {}, ...headKeys.map((key) => el("th", {}, t(key))))),
    el("tbody", {}, ...(rows.length ? rows : [el("tr", {}, el("td", { colspan: headKeys.length, class: "muted" }, t("kpi.none")))])));
}

function scopeRows(rows, goal, label = (row) => row.label) {
  return rows.map((row) => el("tr", {},
    el("td", {}, label(row)),
    el("td", { class: "num" }, String(row.alarms)),
    el("td", { class: row.per_10min > goal.per_10min ? "num over" : "num" }, rate(row.per_10min)),
    el("td", { class: row.flood_share > goal.flood_share ? "num over" : "num" }, percent(row.flood_share))));
}

function render() {
  const kpi = state.kpi;
  renderChoices();
  if (!kpi) return;
  $("kpi-range").textContent = t("kpi.range", { from: formatDateTime(kpi.since), to: formatDateTime(kpi.until), n: kpi.alarms });
  $("kpi-cards").replaceChildren(...figures(kpi, t, dur).map(card));
  const top = kpi.top.map((item) => el("tr", {},
    el("td", {}, `${item.tag} ${alarmTypeLabel(item.alarm_id.split("/")[2])}`), el("td", {}, item.name),
    el("td", { class: "num" }, String(item.count)), el("td", { class: "num" }, percent(item.share))));
  const findings = [
    ...kpi.chattering.map((c) => [c.alarm_id, t("kpi.chatterRow", { n: c.most_in_window })]),
    ...kpi.stale.map((s) => [s.alarm_id, t("kpi.staleRow", { h: rate(s.hours) })]),
    ...kpi.shelved.map((s) => [s.alarm_id, t("kpi.shelvedRow", { d: dur(s.seconds) })]),
    ...kpi.out_of_service.map((s) => [s.alarm_id, t("kpi.oosRow", { d: dur(s.seconds) })]),
  ].map(([id, what]) => {
    const [, tag, type] = id.split("/");
    return el("tr", {}, el("td", {}, `${tag} ${alarmTypeLabel(type)}`), el("td", {}, what));
  });
  const scopeHead = ["kpi.col.scope", "kpi.col.count", "kpi.per10min", "kpi.flood"];
  $("kpi-tables").replaceChildren(
    el("div", { class: "panel" }, el("h2", {}, t("kpi.topTitle")),
      table(["kpi.col.tag", "kpi.col.name", "kpi.col.count", "kpi.col.share"], top)),
    el("div", { class: "panel" }, el("h2", {}, t("kpi.listsTitle")), table(["kpi.col.alarm", "kpi.col.what"], findings)),
    el("div", { class: "panel" }, el("h2", {}, t("kpi.byPost")), table(scopeHead, scopeRows(kpi.posts, kpi.targets, postLabel))),
    el("div", { class: "panel" }, el("h2", {}, t("kpi.bySource")), table(scopeHead, scopeRows(kpi.sources, kpi.targets))),
  );
}

async function load() {
  if (state.busy) return;
  state.busy = true;
  const box = $("kpi-error");
  try {
    state.kpi = await api(`/api/alarms/kpi?${kpiQuery(state.choice, Date.now() / 1000)}`);
    box.hidden = true;
    render();
  } catch (error) {
    box.textContent = t("common.error", { e: error.message });
    box.hidden = false;
  } finally {
    state.busy = false;
  }
}

function start() {
  if (!$("tab-kpi")) return;
  renderChoices();
  for (const [id, field] of [["kpi-period", "period"], ["kpi-post", "post"], ["kpi-source", "source"]]) {
    $(id).addEventListener("change", () => {
      state.choice[field] = $(id).value;
      load();
    });
  }
  $("kpi-refresh").addEventListener("click", load);
  document.addEventListener("console:tab", (event) => {
    if (event.detail === "kpi") load();
  });
  onLanguageChange(render);
  window.hazgwKpi = state;  // for tests
}

start();
