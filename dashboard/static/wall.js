// The wall display (大屏): one tile per hazard source coloured by its worst active alarm,
// key values live over /ws, alarm counts, flood banner, clock, connectivity, and for every
// unacknowledged alarm of any priority a blinking tile, a banner, the count in the page
// title and the priority's own tone (silencing is logged and does not acknowledge).

import { adoptDisplayToken, api, whoAmI } from "./api.js";
import { Beeper } from "./audio.js";
import { watchGateway } from "./gatewaywatch.js";
import { initI18n, locale, onLanguageChange, t, tOr } from "./i18n.js";
import { LiveModel, mergeAlarms } from "./livemodel.js";
import {
  $, UNACKNOWLEDGED, alarmTypeLabel, el, formatNumber, formatWhen, limitText, roleLabel,
  showConnection, showReading, stateLabel,
} from "./ui.js";
import {
  Annunciator, alarmsByPoint, counts, devicesOnline, heartbeatKey, keyPoints, layout, shownAlarms,
  sourceKey, tileState, titleWithCount,
} from "./walllogic.js";

const HEALTH_EVERY = 5000;
const LOAD_EVERY = 15000;
const MAX_ALARMS_SHOWN = 8;
const MAX_DEVICES_SHOWN = 8;

const page = {
  me: null,
  pointsEpoch: null,
  points: new Map(),      // point id -> point config
  sources: new Map(),     // "site/id" -> {info, site, siteName, points: [...], tile}
  cells: new Map(),       // point id -> {cell, value, unit, label}
  statuses: new Map(),    // "site/id" -> /api/hazard-sources entry
  alarms: [],
  load: [],
  health: null,
  healthError: null,
  lastUpdate: null,
};
const annunciator = new Annunciator();
const beeper = new Beeper({ onState: showAudioState });
let live = null;
let connection = { state: "connecting", attempt: 0, delay: 0 };

// ------------------------------------------------------------------ data loading

async function loadPoints() {
  const body = await api("/api/points");
  page.pointsEpoch = body.epoch;
  page.points = new Map(body.points.map((point) => [point.id, point]));
  for (const point of body.points) {
    // Values from the websocket are newer; these only fill gaps before the snapshot.
    if (point.reading !== null && !live.readings.has(point.id)) {
      live.readings.set(point.id, point.reading);
    }
  }
  buildTiles(body.points);
}

async function loadAlarms() {
  const [alarms, sources] = await Promise.all([api("/api/alarms"), api("/api/hazard-sources")]);
  page.alarms = alarms.alarms;
  page.statuses = new Map(sources.sources.map((s) => [sourceKey(s.site, s.id), s]));
  annunciator.update(page.alarms);
  if ([...page.statuses.keys()].some((key) => !page.sources.has(key))) {
    buildTiles([...page.points.values()]);  // a hazard source without points: a grey tile
  }
  hideLoadError();
  renderAlarms();
}

/** Alarm records and hazard-source statuses from a websocket delta. */
function applyAlarms(records, sources) {
  page.alarms = mergeAlarms(page.alarms, records);
  for (const source of sources) page.statuses.set(sourceKey(source.site, source.id), source);
  annunciator.update(page.alarms);
  renderAlarms();
}

async function loadFloods() {
  try {
    page.load = (await api("/api/alarms/load")).reports;
  } catch (error) {
    if (error.status === 401) return;
    console.warn("alarm load", error);
  }
  renderFlood();
}

async function loadHealth() {
  try {
    page.health = await api("/api/health");
    page.healthError = null;
  } catch (error) {
    // 503 carries the body too: the gateway answers, but it is down.
    if (error.status === 503 && error.body && error.body.collectors) {
      page.health = error.body;
      page.healthError = null;
    } else {
      page.healthError = error;
    }
  }
  renderHealth();
}

async function reload() {
  if (page.pointsEpoch === null || page.pointsEpoch !== live.epoch) {
    // First load, or the gateway restarted and its configuration may have changed.
    await loadPoints();
  }
  await loadAlarms();
}

// ----------------------------------------------------------------------- tiles

function buildTiles(points) {
  const sources = new Map();
  const siteNames = new Map();
  for (const point of points) {
    const key = sourceKey(point.site, point.hazard_source.id);
    siteNames.set(point.site, point.enterprise);
    if (!sources.has(key)) {
      sources.set(key, { info: point.hazard_source, site: point.site, siteName: point.enterprise, points: [] });
    }
    sources.get(key).points.push(point);
  }
  // Hazard sources without points still get a tile (grey: no data).
  for (const [key, status] of page.statuses) {
    if (!sources.has(key)) {
      sources.set(key, {
        info: { id: status.id, name: status.name, grade: status.grade, kind: status.kind },
        site: status.site, siteName: status.site_name, points: [],
      });
    }
  }
  page.sources = sources;
  page.cells.clear();
  $("site-names").textContent = [...siteNames.values()].join(" · ");

  const shape = layout(sources.size);
  const container = $("tiles");
  container.style.setProperty("--cols", shape.cols);
  container.style.setProperty("--rows", shape.rows);
  container.className = `tiles d${shape.density}`;
  container.replaceChildren();
  for (const [key, source] of sources) {
    source.tile = buildTile(key, source, shape.cells);
    container.append(source.tile.root);
  }
  renderAllReadings();
  renderTiles();
}

function buildTile(key, source, maxCells) {
  const name = el("h2", {}, source.info.name);
  const grade = el("span", { class: "badge" });
  const status = el("span", { class: "status-text" });
  const tally = el("span", { class: "counts" });
  const values = el("div", { class: "values" });
  const shown = keyPoints(source.points).slice(0, maxCells);
  for (const point of shown) values.append(buildCell(point));
  const hidden = source.points.length - shown.length;
  const more = el("div", { class: "more" });
  more.hidden = hidden <= 0;
  const root = el("article", { class: "tile", "data-source": key, "data-colour": "grey" },
    el("header", { class: "tile-head" }, name, grade),
    el("div", { class: "tile-status" }, status, tally),
    values, more);
  return { root, grade, status, tally, more, hidden };
}

function buildCell(point) {
  const value = el("span", { class: "value" }, "—");
  const unit = el("span", { class: "unit" }, point.gas ? `${point.unit} ${point.gas}` : point.unit);
  const label = el("span", { class: "label" });
  const cell = el("div", { class: "val q-none", "data-point": point.id },
    el("div", { class: "name" }, point.name, el("span", { class: "tag" }, point.tag)),
    el("div", { class: "reading" }, label, value, unit));
  page.cells.set(point.id, { cell, value, unit, label, point });
  return cell;
}

/** Is a heartbeat point's sensor-fault (stalled heartbeat) alarm annunciated? */
function heartbeatStalled(id) {
  return page.alarms.some((alarm) => `${alarm.site}/${alarm.tag}` === id
    && alarm.type === "SENSOR_FAULT" && UNACK_OR_ACTIVE.has(alarm.state));
}
const UNACK_OR_ACTIVE = new Set(["active_unacknowledged", "active_acknowledged"]);

function renderReading(id) {
  const entry = page.cells.get(id);
  if (!entry) return;
  const reading = live.readings.get(id);
  const shown = showReading(reading);
  if (entry.point.heartbeat) {
    // A controller's heartbeat is not a tripped detector: 心跳正常 / 心跳停止.
    const key = heartbeatKey(reading, heartbeatStalled(id));
    if (key !== null) {
      shown.text = t(key);
      shown.label = "";
      shown.cls = key === "heartbeat.ok" ? "q-good" : "q-bad";
    }
    entry.cell.classList.add("heartbeat");
  }
  entry.cell.classList.remove("q-none", "q-good", "q-bad", "q-uncertain");
  entry.cell.classList.add(shown.cls);
  entry.value.textContent = shown.text;
  entry.label.textContent = shown.label;
  entry.label.hidden = shown.label === "";
  // A bad reading shows its reason, never a number, and no unit.
  entry.unit.hidden = shown.cls === "q-bad" || shown.cls === "q-none";
}

function renderAllReadings() {
  for (const id of page.cells.keys()) renderReading(id);
}

function renderTiles() {
  const byPoint = alarmsByPoint(page.alarms);
  for (const [id, entry] of page.cells) if (entry.point.heartbeat) renderReading(id);
  for (const [id, entry] of page.cells) {
    const alarm = byPoint.get(id);
    if (alarm) entry.cell.dataset.priority = alarm.priority;
    else delete entry.cell.dataset.priority;
    entry.cell.classList.toggle("unack", Boolean(alarm && alarm.unack));
  }
  const calling = new Set(annunciator.unacked.map((a) => sourceKey(a.site, a.hazard_source)));
  for (const [key, source] of page.sources) {
    const status = page.statuses.get(key);
    const state = tileState(status, source.points, live.readings);
    const colour = state.colour;
    const tile = source.tile;
    tile.root.dataset.colour = colour;
    tile.root.classList.toggle("flash", calling.has(key));
    tile.grade.textContent = `${tOr(`grade.${source.info.grade}`, source.info.grade)} · ${tOr(`kind.${source.info.kind}`, source.info.kind)}`;
    // Bad points and hidden alarms are said in words beside the colour, with counts.
    const words = [t(`status.${colour}`)];
    if (state.bad.comm_loss > 0) words.push(`${t("reason.comm_loss")} ${state.bad.comm_loss}`);
    if (state.bad.sensor_fault > 0) words.push(`${t("reason.sensor_fault")} ${state.bad.sensor_fault}`);
    if (state.bad.other > 0) words.push(`${t("reading.bad")} ${state.bad.other}`);
    tile.status.textContent = [...new Set(words)].join(" · ");
    const tally = [];
    if (status) {
      tally.push(`${t("wall.active")} ${status.annunciated}`, `${t("wall.unacked")} ${status.unacknowledged}`);
      if (status.shelved > 0) tally.push(`${t("wall.shelved")} ${status.shelved}`);
      if (status.out_of_service > 0) tally.push(`${t("wall.outOfService")} ${status.out_of_service}`);
    }
    tile.tally.textContent = tally.join(" · ");
    tile.more.textContent = t("wall.more", { n: tile.hidden });
  }
}

// ---------------------------------------------------------------------- alarms

function alarmTitle(alarm) {
  return `${alarm.point_name ?? alarm.tag} ${alarm.tag}`;
}

function sourceName(alarm) {
  return alarm.hazard_source_name ?? alarm.hazard_source;
}

function alarmDetail(alarm) {
  // A discrete alarm's value (on/off) says nothing the alarm type does not.
  const numeric = typeof alarm.value === "number";
  const value = numeric ? ` ${formatNumber(alarm.value)}${alarm.unit ? ` ${alarm.unit}` : ""}` : "";
  const limit = alarm.limit === null ? "" : ` (${limitText(alarm.type, alarm.limit)})`;
  return `${alarmTypeLabel(alarm.type)}${value}${limit}`;
}

function renderAlarms() {
  const tally = counts(page.alarms);
  $("count-active").textContent = tally.active;
  $("count-unacked").textContent = tally.unacked;
  $("kpi-active").classList.toggle("alert", tally.active > 0);
  $("kpi-unacked").classList.toggle("alert", tally.unacked > 0);

  const list = $("alarm-list");
  const shown = shownAlarms(page.alarms);
  const items = shown.slice(0, MAX_ALARMS_SHOWN).map((alarm) => el("li", {
    "data-alarm": alarm.id, "data-priority": alarm.priority,
    class: UNACKNOWLEDGED.has(alarm.state) ? "unack" : null,
  },
  el("span", { class: "a-what" }, alarmTitle(alarm)),
  el("span", { class: "a-time" }, formatWhen(alarm.raised_at)),
  el("span", { class: "a-detail" }, `${alarmDetail(alarm)} · ${sourceName(alarm)}`),
  el("span", { class: "a-state" }, tOr(`wall.state.${alarm.state}`, stateLabel(alarm.state)))));
  if (shown.length === 0) items.push(el("li", { class: "none" }, t("wall.noAlarms")));
  if (shown.length > MAX_ALARMS_SHOWN) {
    items.push(el("li", { class: "overflow" }, t("wall.moreAlarms", { n: shown.length - MAX_ALARMS_SHOWN })));
  }
  list.replaceChildren(...items);
  renderTiles();
  renderCritical();
}

function renderCritical() {
  const banner = $("critical-banner");
  const calling = annunciator.unacked;
  banner.hidden = calling.length === 0;
  if (calling.length > 0) {
    const first = calling[0];
    banner.dataset.priority = first.priority;
    let what = `${sourceName(first)} · ${alarmTitle(first)} ${alarmDetail(first)}`;
    if (calling.length > 1) what += `  (+${calling.length - 1})`;
    const key = first.priority === "critical" ? "wall.critical" : "wall.unackedAlarm";
    $("critical-text").textContent = t(key, { what });
  }
  const tone = annunciator.tone;
  if (tone !== null) beeper.start(tone);
  else beeper.stop();
  document.body.dataset.sound = tone !== null ? "on" : calling.length > 0 ? "silenced" : "off";
  document.body.dataset.tone = tone ?? "";
  document.title = titleWithCount(document.title, calling.length);
  const button = $("silence");
  button.textContent = tone !== null ? t("wall.silence") : t("wall.silenced");
  button.disabled = tone === null;
}

function silence() {
  const ids = annunciator.silence();
  renderCritical();
  // Silencing is not acknowledging, and it is recorded against each alarm.
  if (ids.length > 0) {
    api("/api/alarms/silence", { method: "POST", body: { ids, where: "wall" } }).catch((error) => {
      console.warn("silence not recorded", error);
    });
  }
}

function onEvents(events) {
  const fresh = annunciator.events(events);
  if (fresh !== null && !beeper.playing) {
    // Sound at once; the alarm records of the same delta fill in the banner next.
    beeper.start(fresh);
    document.body.dataset.sound = "on";
  }
}

function renderFlood() {
  const floods = page.load.filter((report) => report.flood);
  const banner = $("flood-banner");
  banner.hidden = floods.length === 0;
  banner.textContent = floods.map((report) => {
    const name = [...page.sources.values()].find((s) => s.site === report.site)?.siteName ?? report.site;
    return t("wall.flood", { site: name, n: report.alarms_in_window });
  }).join("　");
}

// ---------------------------------------------------------------------- health

/** Health's device ids are "site/device" (Modbus) or "device" (MQTT): the points' key. */
function deviceKey(deviceId) {
  if (deviceId.includes("/")) return deviceId;
  const point = [...page.points.values()].find((p) => p.device === deviceId);
  return point ? `${point.site}/${point.device}` : deviceId;
}

function deviceName(deviceId) {
  const key = deviceKey(deviceId);
  const point = [...page.points.values()].find((p) => `${p.site}/${p.device}` === key);
  return point ? point.device_name : deviceId;
}

function liveDevices() {
  return devicesOnline([...page.points.values()], live ? live.readings : new Map());
}

/** The header's devices online: from live readings, at once. */
function renderDevices() {
  const kpi = $("kpi-devices");
  kpi.classList.remove("good", "warn", "bad");
  const { online, total } = liveDevices();
  if (total === 0) {
    $("devices-online").textContent = "—";
    return;
  }
  $("devices-online").textContent = `${online}/${total}`;
  kpi.classList.add(online === total ? "good" : online === 0 ? "bad" : "warn");
}

function renderHealth() {
  const state = $("gateway-state");
  const kpi = $("kpi-gateway");
  const devicesKpi = $("kpi-devices");
  kpi.classList.remove("good", "warn", "bad");
  devicesKpi.classList.remove("good", "warn", "bad");
  const list = $("device-list");
  if (page.healthError || !page.health) {
    state.textContent = page.healthError ? t("wall.unreachable") : "—";
    if (page.healthError) kpi.classList.add("bad");
    $("devices-online").textContent = "—";
    list.replaceChildren();
    return;
  }
  const health = page.health;
  state.textContent = t(`health.${health.status}`);
  kpi.classList.add(health.status === "ok" ? "good" : health.status === "degraded" ? "warn" : "bad");
  renderDevices();
  const devices = health.collectors.flatMap((collector) => collector.devices);
  // A device is down when its health says so or its points read 通讯中断 right now (the
  // health is polled every few seconds; readings arrive at once).
  const linked = liveDevices().byDevice;
  const up = (device) => device.ok && linked.get(deviceKey(device.device_id)) !== false;
  const sorted = [...devices].sort((a, b) => Number(up(a)) - Number(up(b)));
  const items = sorted.slice(0, MAX_DEVICES_SHOWN).map((device) => el("li", {
    class: up(device) ? "ok" : "bad", "data-device": device.device_id,
  }, el("span", { class: `dot ${up(device) ? "ok" : "bad"}` }),
  el("span", { class: "name", title: device.device_id }, deviceName(device.device_id)),
  el("span", { class: "st" }, up(device) ? t("conn.connected")
    : device.ok ? t("reason.comm_loss") : tOr(`link.${device.state}`, device.state))));
  if (devices.length > MAX_DEVICES_SHOWN) {
    items.push(el("li", {}, t("wall.more", { n: devices.length - MAX_DEVICES_SHOWN })));
  }
  list.replaceChildren(...items);
}

// ----------------------------------------------------------------- clock, status

function tick() {
  const now = new Date();
  $("clock-time").textContent = now.toLocaleTimeString(locale(), { hour12: false });
  $("clock-date").textContent = now.toLocaleDateString(locale(), {
    year: "numeric", month: "2-digit", day: "2-digit", weekday: "long",
  });
  if (page.lastUpdate) {
    $("last-update").textContent = t("wall.updated", {
      t: new Date(page.lastUpdate).toLocaleTimeString(locale(), { hour12: false }),
    });
  }
}

function onStatus(status) {
  connection = status;
  showConnection(status);
  if (status.state === "disconnected") {
    // The gateway may be gone: its health is unknown, not "ok".
    page.healthError = new Error("disconnected");
    renderHealth();
  } else if (status.state === "connected") {
    loadHealth();
    loadFloods();
  }
}

function showAudioState(state) {
  // Until sound works, a large warning says so: a silent wall must not look like a quiet one.
  $("audio-blocked").hidden = state === "running";
  $("enable-sound").hidden = state !== "suspended";
  document.body.dataset.audio = state;
}

function showLoadError(error) {
  const box = $("load-error");
  box.textContent = t("wall.loadError", { e: error.message });
  box.hidden = false;
}

function hideLoadError() {
  $("load-error").hidden = true;
}

function relabel() {
  renderAllReadings();
  renderAlarms();
  renderHealth();
  renderFlood();
  showConnection(connection);
  showAudioState(beeper.state);
  if (page.me) $("who").textContent = `${page.me.name ?? ""} · ${roleLabel(page.me)}`;
  tick();
}

async function main() {
  initI18n();
  adoptDisplayToken();
  watchGateway();
  onLanguageChange(relabel);
  $("silence").addEventListener("click", silence);
  $("enable-sound").addEventListener("click", () => beeper.unlock());
  $("audio-blocked").addEventListener("click", () => beeper.unlock());
  // Any click on the wall lifts the browser's autoplay block for the alarm tone.
  document.addEventListener("pointerdown", () => beeper.unlock(), { once: true });
  tick();
  setInterval(tick, 1000);
  try {
    page.me = await whoAmI();
  } catch (error) {
    if (error.status !== 401) showLoadError(error);
    return;
  }
  $("who").textContent = `${page.me.name ?? ""} · ${roleLabel(page.me)}`;
  beeper.context();  // reports "suspended" when the browser blocks sound until a click
  live = new LiveModel({
    reload,
    onReadings: (ids) => {
      page.lastUpdate = Date.now();
      if (ids === null) renderAllReadings();
      else for (const id of ids) renderReading(id);
      if (ids === null || [...ids].some((id) => page.cells.has(id))) {
        renderTiles();
        renderHealth();
      }
    },
    onAlarms: applyAlarms,
    onEvents,
    onStatus,
    onReloadError: showLoadError,
  });
  live.start();
  loadHealth();
  loadFloods();
  setInterval(loadHealth, HEALTH_EVERY);
  setInterval(loadFloods, LOAD_EVERY);
  window.hazgwWall = { page, live, annunciator, beeper };  // for debugging and tests
}

main();
