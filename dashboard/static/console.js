// The duty console (值班台): active alarms sorted by priority then time, acknowledge one /
// the selected / all visible with a comment, shelve with a reason and a duration, handling
// notes (闭环处置), history with filters and CSV export, point trends, shift handover.
// Buttons for actions are only built for roles that may use them (viewers get none); the
// API refuses them anyway (403).

import { allows, api, whoAmI } from "./api.js";
import { ConsoleBell } from "./consolebell.js";
import { commentText, initI18n, onLanguageChange, t, tOr } from "./i18n.js";
import { LiveModel, mergeAlarms } from "./livemodel.js";
import {
  $, UNACKNOWLEDGED, alarmTypeLabel, byPriorityThenTime, el, formatDateTime, formatNumber,
  formatWhen, priorityChip, renderTopbar, showConnection, showReading, stateLabel, toast,
  valueWithLimit,
} from "./ui.js";

const PRIORITIES = ["critical", "high", "medium", "low"];
const TYPES = ["HH", "H", "L", "LL", "ROC", "DISCRETE", "COMM_LOSS", "SENSOR_FAULT"];
const KINDS = ["raised", "returned", "acknowledged", "shelved", "unshelved", "out_of_service",
  "in_service", "note", "notified", "notify_failed", "escalated", "realarmed"];
const SHELVE_MINUTES = [15, 30, 60, 120, 240, 480];
const SERVICE_HOURS = [1, 4, 8, 24, 72, 168];
// 处置结论: a critical alarm is acknowledged with one of these and a comment (alerting.ackrules).
const DISPOSITIONS = ["real", "false_alarm", "maintenance", "instrument_fault"];
const URGENT = new Set(["critical", "high"]);
const RANGES = ["1h", "8h", "24h", "7d"];
const HISTORY_PAGE = 500;
const RECENT_EVENTS = 30;

const page = {
  me: null,
  canAct: false,
  canService: false,  // 停用 / 投用: engineer or above
  alarms: [],
  sites: new Map(),        // site code -> enterprise name
  sourceNames: new Map(),  // "site/hazard source id" -> name
  selected: new Set(),     // alarm ids ticked
  currentCells: new Map(), // point id -> td of the live value
  tab: "active",
  historyEvents: [],
  recentEvents: [],
  trend: { point: null, range: "1h", plot: null },
};
let live = null;
const bell = new ConsoleBell();
let connection = { state: "connecting", attempt: 0, delay: 0 };

export function alarmPath(id) {
  // An alarm id is SITE/TAG/TYPE; the API takes the three as path segments, each encoded.
  return `/api/alarms/${id.split("/").map(encodeURIComponent).join("/")}`;
}

function describe(alarm) {
  return `${alarm.hazard_source_name ?? alarm.hazard_source} · ${alarm.point_name ?? ""} ${alarm.tag} · ${alarmTypeLabel(alarm.type)}`;
}

function failed(error) {
  toast(t("console.actionFailed", { e: error.message }), "error");
}

// ---------------------------------------------------------------- active alarms

// Fetched after a websocket snapshot only; deltas bring changed records and new events.
async function loadAlarms() {
  const [body, recent] = await Promise.all([
    api("/api/alarms"), api(`/api/alarms/history?limit=${RECENT_EVENTS}`),
  ]);
  page.recentEvents = recent.events;
  $("load-error").hidden = true;
  showAlarms(body.alarms);
  renderRecent();
}

function showAlarms(alarms) {
  page.alarms = alarms;
  for (const alarm of page.alarms) {
    if (alarm.site_name) page.sites.set(alarm.site, alarm.site_name);
  }
  const ids = new Set(page.alarms.map((alarm) => alarm.id));
  for (const id of page.selected) if (!ids.has(id)) page.selected.delete(id);
  renderAlarms();
  bell.update(page.alarms);
}

/** Events of a websocket delta (journal order) on top of the recent events (newest first). */
function addRecentEvents(events) {
  bell.events(events);
  page.recentEvents = [...events].reverse().concat(page.recentEvents).slice(0, RECENT_EVENTS);
  renderRecent();
}

function visibleAlarms() {
  const text = $("filter-text").value.trim().toLowerCase();
  const site = $("filter-site").value;
  const priority = $("filter-priority").value;
  return page.alarms.filter((alarm) => {
    if (site && alarm.site !== site) return false;
    if (priority && alarm.priority !== priority) return false;
    if (!text) return true;
    return [alarm.tag, alarm.point_name, alarm.hazard_source_name, alarm.hazard_source, alarm.site_name]
      .some((field) => field && field.toLowerCase().includes(text));
  }).sort(byPriorityThenTime);
}

const ALARM_COLUMNS = [
  ["select", ""], ["priority", "console.col.priority"], ["time", "console.col.time"],
  ["source", "console.col.source"], ["point", "console.col.point"], ["type", "console.col.type"],
  ["value", "console.col.value"], ["current", "console.col.current"], ["state", "console.col.state"],
  ["by", "console.col.by"], ["actions", "console.col.actions"],
];

function renderAlarmHead() {
  const cells = ALARM_COLUMNS.filter(([name]) => name !== "select" || page.canAct).map(([name, key]) => {
    if (name === "select") {
      return el("th", {}, el("input", {
        type: "checkbox", id: "select-all", "aria-label": t("console.selectAll"),
        onchange: (event) => selectAllVisible(event.target.checked),
      }));
    }
    return el("th", { class: name === "value" || name === "current" ? "num" : null }, t(key));
  });
  $("alarm-head").replaceChildren(...cells);
}

function renderAlarms() {
  const rows = visibleAlarms();
  page.currentCells.clear();
  const unacked = page.alarms.filter((alarm) => UNACKNOWLEDGED.has(alarm.state)).length;
  $("alarm-count").textContent = t("console.count", { n: page.alarms.length, u: unacked });
  $("tab-count").textContent = unacked > 0 ? `(${unacked})` : "";
  $("alarm-rows").replaceChildren(...rows.map(alarmRow));
  $("alarm-empty").hidden = rows.length > 0;
  const all = $("select-all");
  if (all) all.checked = rows.length > 0 && rows.every((alarm) => page.selected.has(alarm.id));
}

function alarmRow(alarm) {
  const unack = UNACKNOWLEDGED.has(alarm.state);
  const pointId = `${alarm.site}/${alarm.tag}`;
  const current = el("td", { class: "num current" });
  page.currentCells.set(pointId, current);
  renderCurrent(pointId, current);
  let state = stateLabel(alarm.state);
  if (alarm.state === "shelved" && alarm.shelved_until) {
    state += ` · ${t("console.shelvedUntil", { t: formatWhen(alarm.shelved_until) })}`;
  }
  const cells = [];
  if (page.canAct) {
    cells.push(el("td", {}, el("input", {
      type: "checkbox", class: "pick", "aria-label": alarm.id, checked: page.selected.has(alarm.id),
      onchange: (event) => {
        if (event.target.checked) page.selected.add(alarm.id);
        else page.selected.delete(alarm.id);
        event.target.closest("tr").classList.toggle("selected", event.target.checked);
      },
    })));
  }
  cells.push(
    el("td", {}, priorityChip(alarm.priority)),
    el("td", { class: "num", title: formatDateTime(alarm.raised_at) }, formatWhen(alarm.raised_at)),
    el("td", {}, alarm.hazard_source_name ?? alarm.hazard_source,
      el("div", { class: "muted small" }, alarm.site_name ?? alarm.site)),
    el("td", {}, el("a", { href: "#", class: "point-link", onclick: (event) => {
      event.preventDefault();
      openTrend({ site: alarm.site, tag: alarm.tag, name: alarm.point_name, unit: alarm.unit });
    } }, alarm.tag), " ", el("span", { class: "muted" }, alarm.point_name ?? "")),
    el("td", {}, alarmTypeLabel(alarm.type)),
    el("td", { class: "num" }, valueWithLimit(alarm.value, alarm.unit, alarm.type, alarm.limit)),
    current,
    el("td", { class: `state state-${alarm.state}` }, state),
    el("td", { class: "small" }, alarm.acknowledged_by ?? ""),
    el("td", { class: "actions" }, ...actionButtons(alarm)),
  );
  return el("tr", {
    "data-alarm": alarm.id, "data-state": alarm.state, "data-priority": alarm.priority,
    class: [unack ? "unack" : "", page.selected.has(alarm.id) ? "selected" : ""].join(" ").trim() || null,
  }, ...cells);
}

function actionButtons(alarm) {
  const trend = el("button", { type: "button", class: "small trend", onclick: () =>
    openTrend({ site: alarm.site, tag: alarm.tag, name: alarm.point_name, unit: alarm.unit }) }, t("console.trend"));
  if (!page.canAct) return [trend];
  const buttons = [];
  if (UNACKNOWLEDGED.has(alarm.state)) {
    buttons.push(el("button", { type: "button", class: "small primary ack", onclick: () => ackOne(alarm) }, t("console.ack")));
  }
  if (alarm.state === "shelved") {
    buttons.push(el("button", { type: "button", class: "small unshelve", onclick: () => unshelve(alarm) }, t("console.unshelve")));
  } else if (alarm.state !== "out_of_service") {
    buttons.push(el("button", { type: "button", class: "small shelve", onclick: () => shelve(alarm) }, t("console.shelve")));
  }
  buttons.push(el("button", { type: "button", class: "small note", onclick: () => note(alarm) }, t("console.note")));
  if (page.canService) {
    buttons.push(alarm.state === "out_of_service"
      ? el("button", { type: "button", class: "small in-service", onclick: () => inService(alarm) }, t("service.restore"))
      : el("button", { type: "button", class: "small out-of-service", onclick: () => outOfService(alarm) }, t("service.remove")));
  }
  buttons.push(trend);
  return buttons;
}

function renderCurrent(pointId, cell) {
  const shown = showReading(live?.readings.get(pointId));
  cell.className = `num current ${shown.cls}`;
  cell.replaceChildren(el("span", { class: "value" }, shown.text));
  if (shown.label) cell.append(" ", el("span", { class: "label" }, shown.label));
}

function selectAllVisible(checked) {
  for (const alarm of visibleAlarms()) {
    if (checked) page.selected.add(alarm.id);
    else page.selected.delete(alarm.id);
  }
  renderAlarms();
}

/** Open a <dialog> with a form; resolves to its FormData, or null when cancelled. */
function ask(id, what, prepare = () => {}) {
  const dialog = $(id);
  const form = dialog.querySelector("form");
  form.reset();
  dialog.querySelector(".what").textContent = what;
  prepare(form);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "ok" ? new FormData(form) : null);
    }, { once: true });
    dialog.returnValue = "";
    dialog.showModal();
  });
}

function optionalText(value) {
  const text = (value ?? "").toString().trim();
  return text === "" ? null : text;
}

function dispositionOptions(select, withNone) {
  const options = DISPOSITIONS.map((d) => el("option", { value: d }, t(`disposition.${d}`)));
  if (withNone) options.unshift(el("option", { value: "" }, t("disposition.none")));
  select.replaceChildren(...options);
}

async function ackOne(alarm) {
  const critical = alarm.priority === "critical";
  const form = await ask("ack-dialog", describe(alarm), (f) => {
    f.elements.comment.value = $("bulk-comment").value;
    // A critical alarm is acknowledged with a disposition and a comment.
    dispositionOptions(f.elements.disposition, !critical);
    f.elements.disposition.required = critical;
    f.elements.comment.required = critical;
    f.querySelector(".disposition").hidden = !critical;
  });
  if (!form) return;
  const disposition = critical ? form.get("disposition") || null : null;
  try {
    await api(`${alarmPath(alarm.id)}/ack`, {
      method: "POST", body: { comment: optionalText(form.get("comment")), disposition },
    });
    toast(t("console.acked", { n: 1 }), "ok");
  } catch (error) {
    failed(error);
  }
}

async function ackMany(ids) {
  const pending = ids.filter((id) => {
    const alarm = page.alarms.find((a) => a.id === id);
    return alarm && UNACKNOWLEDGED.has(alarm.state);
  });
  if (pending.length === 0) {
    toast(t("console.nothingSelected"));
    return;
  }
  // One click never acknowledges critical and high alarms: only when 含紧急/高 is ticked and
  // a comment written (critical ones also take the disposition chosen beside it).
  const comment = optionalText($("bulk-comment").value);
  const includeUrgent = $("bulk-urgent").checked;
  const urgent = pending.filter((id) => URGENT.has(page.alarms.find((a) => a.id === id)?.priority));
  if (urgent.length > 0 && includeUrgent && comment === null) {
    toast(t("ack.urgentNeedsComment"), "error");
    return;
  }
  const chosen = includeUrgent ? pending : pending.filter((id) => !urgent.includes(id));
  if (chosen.length === 0) {
    toast(t("ack.urgentLeftOut", { n: urgent.length }), "error");
    return;
  }
  try {
    const result = await api("/api/alarms/ack", {
      method: "POST",
      body: {
        ids: chosen, comment, include_urgent: includeUrgent,
        disposition: includeUrgent ? $("bulk-disposition").value || null : null,
      },
    });
    if (!includeUrgent && urgent.length > 0) toast(t("ack.urgentLeftOut", { n: urgent.length }), "error");
    toast(t("console.acked", { n: result.acknowledged.length }), "ok");
    const refused = Object.entries(result.refused);
    if (refused.length > 0) {
      toast(t("console.refused", { n: refused.length, why: refused.map(([id, why]) => `${id}: ${why}`).join("; ") }), "error");
    }
    for (const id of result.acknowledged) page.selected.delete(id);
    $("bulk-comment").value = "";
  } catch (error) {
    failed(error);
  }
}

async function shelve(alarm) {
  const form = await ask("shelve-dialog", describe(alarm), (f) => {
    f.elements.minutes.replaceChildren(...SHELVE_MINUTES.map((m) => el("option", { value: m },
      m < 60 ? t("dialog.minutes", { n: m }) : t("dialog.hours", { n: m / 60 }))));
    f.elements.minutes.value = "60";
  });
  if (!form) return;
  try {
    await api(`${alarmPath(alarm.id)}/shelve`, {
      method: "POST", body: { reason: form.get("reason").trim(), minutes: Number(form.get("minutes")) },
    });
  } catch (error) {
    failed(error);
  }
}

async function unshelve(alarm) {
  try {
    await api(`${alarmPath(alarm.id)}/unshelve`, { method: "POST", body: { comment: null } });
  } catch (error) {
    failed(error);
  }
}

async function outOfService(alarm) {
  const form = await ask("service-dialog", describe(alarm), (f) => {
    f.elements.hours.replaceChildren(...SERVICE_HOURS.map((h) => el("option", { value: h },
      h < 24 ? t("dialog.hours", { n: h }) : t("service.days", { n: h / 24 }))));
    f.elements.hours.value = "8";
  });
  if (!form) return;
  try {
    await api(`${alarmPath(alarm.id)}/out-of-service`, {
      method: "POST", body: { reason: form.get("reason").trim(), hours: Number(form.get("hours")) },
    });
  } catch (error) {
    failed(error);
  }
}

async function inService(alarm) {
  try {
    await api(`${alarmPath(alarm.id)}/in-service`, { method: "POST", body: { comment: null } });
  } catch (error) {
    failed(error);
  }
}

async function note(alarm) {
  const form = await ask("note-dialog", describe(alarm));
  if (!form) return;
  try {
    await api(`${alarmPath(alarm.id)}/notes`, { method: "POST", body: { text: form.get("text").trim() } });
    toast(t("dialog.save"), "ok");
  } catch (error) {
    failed(error);
  }
}

// --------------------------------------------------------------------- history

function historyParams(withPaging) {
  const params = new URLSearchParams();
  const since = $("h-since").value;
  const until = $("h-until").value;
  if (since) params.set("since", String(new Date(since).getTime() / 1000));
  if (until) params.set("until", String(new Date(until).getTime() / 1000));
  for (const [id, name] of [["h-site", "site"], ["h-priority", "priority"], ["h-type", "type"], ["h-kind", "kind"]]) {
    if ($(id).value) params.set(name, $(id).value);
  }
  const tag = $("h-tag").value.trim();
  if (tag) params.set("tag", tag);
  if (withPaging) params.set("limit", String(HISTORY_PAGE));
  return params;
}

function updateExportLink() {
  const params = historyParams(false);
  // Times in the CSV in the zone of the person exporting (the gateway's by default).
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone) params.set("tz", zone);
  $("h-export").href = `/api/alarms/history.csv?${params}`;
}

async function loadHistory(older = false) {
  const params = historyParams(true);
  if (older && page.historyEvents.length > 0) {
    params.set("before_seq", String(Math.min(...page.historyEvents.map((e) => e.seq))));
  }
  updateExportLink();
  try {
    const body = await api(`/api/alarms/history?${params}`);
    page.historyEvents = older ? [...page.historyEvents, ...body.events] : body.events;
    $("h-more").hidden = body.events.length < HISTORY_PAGE;
    renderHistory();
  } catch (error) {
    failed(error);
  }
}

const HISTORY_COLUMNS = [
  "history.col.time", "console.col.priority", "console.col.source", "console.col.point",
  "console.col.type", "history.kind", "console.col.state", "console.col.value",
  "history.col.user", "history.col.comment",
];

function renderHistory() {
  $("history-head").replaceChildren(...HISTORY_COLUMNS.map((key) => el("th", {}, t(key))));
  $("h-count").textContent = t("history.rows", { n: page.historyEvents.length });
  $("history-rows").replaceChildren(...page.historyEvents.map(eventRow));
}

function eventRow(event) {
  return el("tr", { "data-seq": event.seq, "data-kind": event.kind },
    el("td", { class: "num" }, formatDateTime(event.ts)),
    el("td", {}, priorityChip(event.priority)),
    el("td", {}, page.sourceNames.get(`${event.site}/${event.hazard_source}`) ?? event.hazard_source,
      el("div", { class: "muted small" }, page.sites.get(event.site) ?? event.site)),
    el("td", {}, event.tag),
    el("td", {}, alarmTypeLabel(event.type)),
    el("td", {}, tOr(`event.${event.kind}`, event.kind)),
    el("td", { class: `state state-${event.state}` }, stateLabel(event.state)),
    el("td", { class: "num" }, event.value === null && event.limit === null ? "" : valueWithLimit(event.value, "", event.type, event.limit)),
    el("td", {}, event.user ?? ""),
    el("td", { class: "small", title: event.comment ?? "" }, commentText(event.comment)));
}

function renderRecent() {
  $("recent-head").replaceChildren(...HISTORY_COLUMNS.map((key) => el("th", {}, t(key))));
  $("recent-rows").replaceChildren(...page.recentEvents.map(eventRow));
}

function toLocalInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

// ----------------------------------------------------------------- shift summary

async function loadShift() {
  const hours = $("shift-hours").value;
  try {
    const summary = await api(`/api/shift-summary?hours=${encodeURIComponent(hours)}`);
    renderShift(summary);
  } catch (error) {
    failed(error);
  }
}

function pointCell(item) {
  return el("td", {}, `${item.point_name ?? ""} ${item.tag}`,
    el("div", { class: "muted small" }, item.hazard_source_name ?? item.hazard_source));
}

function shiftOpenTable(items) {
  if (items.length === 0) return el("p", { class: "muted" }, t("shift.none"));
  return el("table", {}, el("tbody", {}, ...[...items].sort(byPriorityThenTime).map((item) => {
    let detail = item.acknowledged_by ? `${t("console.col.by")}: ${item.acknowledged_by}` : "";
    if (item.state === "shelved") {
      detail = `${item.shelve_reason ?? ""} · ${t("console.shelvedUntil", { t: formatWhen(item.shelved_until) })}`;
    } else if (item.state === "out_of_service") {
      detail = item.removed_reason ?? "";
    }
    return el("tr", { "data-alarm": item.id },
      el("td", {}, priorityChip(item.priority)),
      el("td", { class: "num" }, formatWhen(item.raised_at)),
      pointCell(item),
      el("td", {}, alarmTypeLabel(item.type)),
      el("td", { class: `state state-${item.state}` }, stateLabel(item.state)),
      el("td", { class: "small muted" }, detail));
  })));
}

function shiftAlarmTable(items) {
  if (items.length === 0) return el("p", { class: "muted" }, t("shift.none"));
  return el("table", {}, el("tbody", {}, ...items.map((item) => {
    const notes = item.events.filter((event) => event.kind === "note" && event.comment);
    return el("tr", { "data-alarm": item.id },
      el("td", {}, priorityChip(item.priority)),
      el("td", { class: "num" }, formatWhen(item.first_ts)),
      pointCell(item),
      el("td", {}, alarmTypeLabel(item.type)),
      el("td", { class: "small" }, t("shift.tally", { r: item.raised, a: item.acknowledged }),
        ...notes.map((n) => el("div", { class: "muted" }, `${n.user ?? ""}: ${commentText(n.comment)}`))),
      el("td", { class: `state state-${item.state}` }, stateLabel(item.state)));
  })));
}

function renderShift(summary) {
  page.lastShift = summary;
  $("shift-period").textContent = t("shift.period", { from: formatDateTime(summary.from), to: formatDateTime(summary.to) });
  const counts = summary.counts ?? {};
  $("shift-counts").replaceChildren(...[["raised", "shift.raised"], ["acknowledged", "shift.acknowledged"],
    ["unacknowledged", "wall.unacked"], ["open", "shift.open"]]
    .map(([name, key]) => el("div", { class: "count", "data-count": name },
      el("div", { class: "n" }, String(counts[name] ?? 0)), el("div", { class: "k" }, t(key)))));
  $("shift-open").replaceChildren(shiftOpenTable(summary.open));
  $("shift-alarms").replaceChildren(shiftAlarmTable(summary.alarms));
}

// ------------------------------------------------------------------------ trend

async function openTrend(point) {
  page.trend.point = point;
  const dialog = $("trend-dialog");
  $("trend-title").textContent = `${t("trend.title")} · ${point.name ?? ""} ${point.tag}`;
  if (!dialog.open) dialog.showModal();
  await Promise.all([drawRange(page.trend.range), loadPointEvents(point)]);
}

function renderRangeButtons() {
  $("trend-ranges").replaceChildren(...RANGES.map((range) => el("button", {
    type: "button", "data-range": range, "aria-pressed": String(range === page.trend.range),
    onclick: () => drawRange(range),
  }, t(`trend.range.${range}`))));
}

async function drawRange(range) {
  page.trend.range = range;
  renderRangeButtons();
  const { site, tag } = page.trend.point;
  const chart = $("trend-chart");
  const info = $("trend-info");
  info.textContent = t("common.loading");
  try {
    const trend = await api(`/api/trend?${new URLSearchParams({ site, tag, range })}`, { timeout: 30000 });
    const { drawTrend } = await import("./trend.js");
    page.trend.plot?.destroy();
    page.trend.plot = null;
    if (trend.points.length === 0) {
      chart.replaceChildren(el("p", { class: "empty" }, t("trend.empty")));
    } else {
      page.trend.plot = drawTrend(chart, trend, { time: t("history.col.time"), mean: t("trend.mean"), min: t("trend.min"), max: t("trend.max") },
        Math.max(600, chart.clientWidth));
    }
    chart.dataset.points = String(trend.points.length);
    info.textContent = `${t("trend.interval", { s: trend.interval_s, n: trend.points.length })} · ${t("trend.alarmMarks")}`;
  } catch (error) {
    page.trend.plot?.destroy();
    page.trend.plot = null;
    chart.replaceChildren(el("p", { class: "empty" }, t("trend.unavailable", { e: error.message })));
    info.textContent = "";
  }
}

async function loadPointEvents({ site, tag }) {
  const box = $("trend-events");
  try {
    const body = await api(`/api/alarms/history?${new URLSearchParams({ site, tag, limit: "50" })}`);
    box.replaceChildren(el("table", {}, el("tbody", {}, ...body.events.map((event) => el("tr", {},
      el("td", { class: "num" }, formatDateTime(event.ts)),
      el("td", {}, priorityChip(event.priority)),
      el("td", {}, alarmTypeLabel(event.type)),
      el("td", {}, tOr(`event.${event.kind}`, event.kind)),
      el("td", { class: "num" }, event.value === null ? "" : formatNumber(event.value)),
      el("td", {}, event.user ?? ""),
      el("td", { class: "small" }, commentText(event.comment)))))));
  } catch (error) {
    box.replaceChildren(el("p", { class: "muted" }, error.message));
  }
}

// ----------------------------------------------------------------- page set-up

function fillSelect(select, values, labelOf, anyKey) {
  const keep = select.value;
  select.replaceChildren(el("option", { value: "" }, t(anyKey)),
    ...values.map((value) => el("option", { value }, labelOf(value))));
  select.value = keep;
}

function fillFilters() {
  const sites = [...page.sites.keys()];
  fillSelect($("filter-site"), sites, (code) => page.sites.get(code) ?? code, "console.allSites");
  fillSelect($("filter-priority"), PRIORITIES, (p) => t(`priority.${p}`), "console.allPriorities");
  fillSelect($("h-site"), sites, (code) => page.sites.get(code) ?? code, "history.any");
  fillSelect($("h-priority"), PRIORITIES, (p) => t(`priority.${p}`), "history.any");
  fillSelect($("h-type"), TYPES, alarmTypeLabel, "history.any");
  fillSelect($("h-kind"), KINDS, (k) => tOr(`event.${k}`, k), "history.any");
}

async function loadSites() {
  try {
    const body = await api("/api/points");
    for (const point of body.points) {
      page.sites.set(point.site, point.enterprise);
      page.sourceNames.set(`${point.site}/${point.hazard_source.id}`, point.hazard_source.name);
    }
  } catch (error) {
    console.warn("sites", error);
  }
  fillFilters();
}

function showTab(name) {
  page.tab = name;
  for (const button of document.querySelectorAll("[data-tab]")) {
    button.setAttribute("aria-selected", String(button.dataset.tab === name));
  }
  for (const button of document.querySelectorAll("[data-tab]")) {
    $(`tab-${button.dataset.tab}`).hidden = button.dataset.tab !== name;
  }
  if (name === "history") loadHistory();
  if (name === "shift") loadShift();
  // Tabs of their own modules (consolekpi.js) load when shown.
  document.dispatchEvent(new CustomEvent("console:tab", { detail: name }));
  history.replaceState(null, "", `#${name}`);
}

function relabel() {
  renderTopbar(page.me, "/console");
  renderAlarmHead();
  renderAlarms();
  fillFilters();
  renderHistory();
  renderRecent();
  if (page.lastShift) renderShift(page.lastShift);
  showConnection(connection);
  bell.relabel();
  const bulk = $("bulk-disposition");
  if (bulk) {
    const chosen = bulk.value;
    dispositionOptions(bulk, true);
    bulk.value = chosen;
  }
  if ($("trend-dialog").open) renderRangeButtons();
}

function showLoadError(error) {
  const box = $("load-error");
  box.textContent = t("common.error", { e: error.message });
  box.hidden = false;
}

async function main() {
  initI18n();
  try {
    page.me = await whoAmI();
  } catch (error) {
    if (error.status !== 401) showLoadError(error);
    return;
  }
  page.canAct = allows(page.me, "operator");
  page.canService = allows(page.me, "engineer");
  renderTopbar(page.me, "/console");
  onLanguageChange(relabel);
  bell.start();
  if (!page.canAct) {
    $("bulk-actions").remove();  // absent, not merely disabled
    $("read-only").hidden = false;
  } else {
    $("ack-selected").addEventListener("click", () => ackMany([...page.selected]));
    $("ack-visible").addEventListener("click", () => ackMany(visibleAlarms().map((alarm) => alarm.id)));
    dispositionOptions($("bulk-disposition"), true);
  }
  renderAlarmHead();
  for (const id of ["filter-text", "filter-site", "filter-priority"]) $(id).addEventListener("input", renderAlarms);
  for (const button of document.querySelectorAll("[data-tab]")) {
    button.addEventListener("click", () => showTab(button.dataset.tab));
  }
  const since = new Date(Date.now() - 24 * 3600 * 1000);
  $("h-since").value = toLocalInput(since);
  $("history-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadHistory();
  });
  $("history-form").addEventListener("change", updateExportLink);
  $("h-more").addEventListener("click", () => loadHistory(true));
  $("shift-refresh").addEventListener("click", loadShift);
  $("shift-hours").addEventListener("change", loadShift);
  $("shift-print").addEventListener("click", () => window.print());
  $("trend-close").addEventListener("click", () => $("trend-dialog").close());
  $("trend-dialog").addEventListener("close", () => {
    page.trend.plot?.destroy();
    page.trend.plot = null;
  });
  await loadSites();
  updateExportLink();
  live = new LiveModel({
    reload: loadAlarms,
    // The action's own answer is not applied: its event's delta brings the same record.
    onAlarms: (records) => showAlarms(mergeAlarms(page.alarms, records)),
    onEvents: addRecentEvents,
    onReadings: (ids) => {
      const targets = ids === null ? page.currentCells.keys() : [...ids].filter((id) => page.currentCells.has(id));
      for (const id of targets) renderCurrent(id, page.currentCells.get(id));
    },
    onStatus: (status) => {
      connection = status;
      showConnection(status);
    },
    onReloadError: showLoadError,
  });
  live.start();
  const wanted = location.hash.slice(1);
  if (["history", "shift", "kpi"].includes(wanted)) showTab(wanted);
  window.hazgwConsole = { page, live, bell };  // for debugging and tests
}

main();
