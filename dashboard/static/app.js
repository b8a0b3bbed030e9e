// The minimal live page: points grouped by site and hazard source, updated over /ws.

import { LiveClient } from "./live.js";
import { GRADE_LABELS, SOURCE_KINDS, display, formatTime } from "./format.js";

const rows = new Map();      // point id -> {tr, value, label, time}
const state = new Map();     // point id -> [value, quality, reason, ts]
const dirty = new Set();
let renderQueued = false;
let configEpoch = null;
let lastUpdate = null;

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

async function loadConfig() {
  const response = await fetch("/api/points", { cache: "no-store" });
  if (response.status === 401) {
    // Signed out (or never signed in): the login page brings the browser back here.
    location.assign("/login?next=%2F");
    throw new Error("not signed in");
  }
  if (!response.ok) throw new Error(`/api/points: HTTP ${response.status}`);
  const body = await response.json();
  configEpoch = body.epoch;
  buildPage(body.points);
  for (const point of body.points) {
    // The websocket's values are newer than this answer; use these only to fill gaps.
    if (point.quality !== null && !state.has(point.id)) {
      state.set(point.id, [point.value, point.quality, point.reason, point.ts]);
    }
    dirty.add(point.id);
  }
  queueRender();
}

function buildPage(points) {
  const sites = new Map();
  for (const point of points) {
    if (!sites.has(point.site)) sites.set(point.site, { name: point.enterprise, sources: new Map() });
    const site = sites.get(point.site);
    const key = point.hazard_source.id;
    if (!site.sources.has(key)) site.sources.set(key, { info: point.hazard_source, points: [] });
    site.sources.get(key).points.push(point);
  }
  const main = $("sites");
  main.replaceChildren();
  rows.clear();
  for (const [code, site] of sites) {
    const section = el("section", { class: "site", "data-site": code },
      el("h2", {}, site.name, el("span", { class: "code" }, code)));
    for (const { info, points: sourcePoints } of site.sources.values()) {
      const tbody = el("tbody");
      for (const point of sourcePoints) tbody.append(buildRow(point));
      section.append(el("section", { class: "source", "data-source": info.id },
        el("h3", {},
          el("span", {}, info.name),
          el("span", { class: `grade grade-${info.grade}` },
            `${GRADE_LABELS[info.grade] ?? info.grade}重大危险源`),
          el("span", { class: "muted" }, SOURCE_KINDS[info.kind] ?? info.kind)),
        el("table", {},
          el("colgroup", {}, ...["tag", "name", "value", "unit", "quality", "time"].map(
            (name) => el("col", { class: `c-${name}` }))),
          el("thead", {}, el("tr", {},
            el("th", {}, "位号"), el("th", {}, "名称"), el("th", { style: "text-align:right" }, "数值"),
            el("th", {}, "单位"), el("th", {}, "状态"), el("th", {}, "时间"))),
          tbody)));
    }
    main.append(section);
  }
  if (points.length === 0) main.append(el("p", { class: "muted" }, "没有配置点位。"));
}

function buildRow(point) {
  const value = el("td", { class: "value" }, "—");
  const label = el("span", { class: "label" }, "等待数据");
  const time = el("td", { class: "time" });
  const unit = point.gas ? `${point.unit} ${point.gas}` : point.unit;
  const tr = el("tr", { class: "q-none", "data-point": point.id },
    el("td", { class: "tag" }, point.tag), el("td", { class: "name" }, point.name), value,
    el("td", { class: "unit" }, unit), el("td", { class: "quality" }, label), time);
  rows.set(point.id, { tr, value, label, time });
  return tr;
}

function applyReadings(readings) {
  for (const [id, reading] of Object.entries(readings)) {
    state.set(id, reading);
    dirty.add(id);
  }
  lastUpdate = Date.now();
  queueRender();
}

function queueRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(render);
}

// Only changed rows are touched, once per animation frame, however many deltas arrived.
function render() {
  renderQueued = false;
  for (const id of dirty) {
    const row = rows.get(id);
    if (!row) continue;  // not (yet) in the configuration the page has loaded
    const shown = display(state.get(id));
    row.tr.className = shown.cls;
    row.value.textContent = shown.text;
    row.label.textContent = shown.label;
    row.label.hidden = shown.label === "";
    row.time.textContent = formatTime(state.get(id)?.[3]);
  }
  dirty.clear();
  if (lastUpdate) $("last-update").textContent = `更新于 ${new Date(lastUpdate).toLocaleTimeString("zh-CN", { hour12: false })}`;
}

function showStatus({ state: connection, attempt, delay }) {
  const badge = $("conn-state");
  const banner = $("disconnected-banner");
  if (connection === "connected") {
    badge.textContent = "已连接";
    badge.className = "conn conn-connected";
    banner.hidden = true;
    document.body.classList.remove("stale");
  } else if (connection === "disconnected") {
    badge.textContent = "连接断开";
    badge.className = "conn conn-disconnected";
    $("disconnected-detail").textContent =
      `数据已停止更新，${(delay / 1000).toFixed(1)} 秒后第 ${attempt} 次重新连接…`;
    banner.hidden = false;
    document.body.classList.add("stale");
  } else if (banner.hidden) {
    badge.textContent = "连接中…";
    badge.className = "conn conn-connecting";
  }
}

function onSnapshot(msg) {
  // Applied at once: deltas that follow must land on top of it, never under it.
  state.clear();
  for (const id of rows.keys()) dirty.add(id);
  applyReadings(msg.readings);
  if (configEpoch === null || msg.epoch !== configEpoch) {
    // First load failed, or the gateway restarted and its configuration may have changed.
    loadConfig().then(() => { $("load-error").hidden = true; }, showLoadError);
  }
}

function onDelta(msg) {
  applyReadings(msg.readings);
}

function showLoadError(error) {
  const box = $("load-error");
  box.textContent = `加载点位配置失败：${error.message}`;
  box.hidden = false;
}

async function main() {
  try {
    await loadConfig();
    $("load-error").hidden = true;
  } catch (error) {
    showLoadError(error);
  }
  $("loading")?.remove();
  const client = new LiveClient({ onSnapshot, onDelta, onStatus: showStatus });
  client.start();
  window.hazgwLive = client;  // for debugging from the console
}

main();
