// Commissioning view (engineer): devices with connection state, last good poll and
// errors; for a Modbus point its raw registers and the value under all four byte orders
// side by side; for an MQTT device its last raw payloads; config reload with the errors
// shown when the new configuration is rejected.

import { allows, api, whoAmI } from "./api.js";
import { currentLanguage, initI18n, onLanguageChange, t, tOr } from "./i18n.js";
import { $, el, formatDateTime, formatNumber, formatWhen, renderTopbar, toast } from "./ui.js";

const REFRESH_EVERY = 2000;
const BYTE_ORDERS = ["ABCD", "BADC", "CDAB", "DCBA"];

const page = {
  me: null,
  devices: [],
  points: [],
  device: null,   // selected device id
  point: null,    // selected point {site, tag}
  detail: null,   // last registers / mqtt answer
  detailError: null,
};

// Field names of GET /api/commissioning/devices, with fallbacks for older answers.
const field = (device, ...names) => {
  for (const name of names) if (device[name] !== undefined) return device[name];
  return null;
};

function deviceId(device) {
  return field(device, "id", "device_id");
}

function isMqtt(device) {
  return String(field(device, "transport") ?? "").startsWith("mqtt");
}

/** Points of a device: /api/points names the device without its site. */
function pointsOf(device) {
  const id = deviceId(device);
  const site = field(device, "site");
  return page.points.filter((point) =>
    (point.site === site && point.device === id) || `${point.site}/${point.device}` === id);
}

// ---------------------------------------------------------------------- devices

async function loadDevices() {
  const body = await api("/api/commissioning/devices");
  page.devices = Array.isArray(body) ? body : body.devices;
  renderDevices();
}

const DEVICE_COLUMNS = ["comm.col.device", "comm.col.site", "comm.col.transport", "comm.col.endpoint",
  "comm.col.state", "comm.col.lastGood", "comm.col.requests", "comm.col.errors", "comm.col.lastError"];

// A device's last error is the driver's own text (English, with the endpoint): in zh-CN it
// reads as its kind in Chinese, the text itself in the cell's tooltip; in English as is.
function errorText(error) {
  if (!error) return "";
  if (currentLanguage() === "en") return error;
  if (/no answer/i.test(error)) return t("comm.error.noAnswer");
  if (/not connected|refused|timed out|unreachable/i.test(error)) return t("comm.error.notConnected");
  if (/exception/i.test(error)) return t("comm.error.exception");
  return t("comm.error.other");
}

function renderDevices() {
  $("device-head").replaceChildren(...DEVICE_COLUMNS.map((key) => el("th", {}, t(key))));
  $("device-rows").replaceChildren(...page.devices.map((device) => {
    const id = deviceId(device);
    const state = field(device, "state") ?? "";
    const ok = field(device, "ok") ?? state === "connected";
    const lastGood = field(device, "last_good_poll", "last_success");
    const lastErrorAt = field(device, "last_error_at");
    const lastError = field(device, "last_error");
    return el("tr", {
      class: `clickable ${id === page.device ? "picked" : ""}`, "data-device": id,
      onclick: () => pickDevice(id),
    },
    el("td", {}, el("strong", {}, id), el("div", { class: "muted small" }, field(device, "name") ?? "")),
    el("td", {}, field(device, "site") ?? ""),
    el("td", {}, field(device, "transport") ?? ""),
    el("td", { class: "small" }, field(device, "endpoint") ?? ""),
    el("td", {}, el("span", { class: `dot ${ok ? "ok" : "bad"}` }), tOr(`link.${state}`, state)),
    el("td", { class: "num", title: formatDateTime(lastGood) }, lastGood ? formatWhen(lastGood) : t("common.never")),
    el("td", { class: "num" }, String(field(device, "request_count", "requests") ?? "")),
    el("td", { class: "num" }, String(field(device, "error_count", "errors") ?? "")),
    el("td", { class: "small", title: lastError ?? "" }, errorText(lastError),
      lastErrorAt ? el("div", { class: "muted" }, formatDateTime(lastErrorAt)) : null));
  }));
}

function pickDevice(id) {
  page.device = id;
  page.point = null;
  page.detail = null;
  page.detailError = null;
  renderDevices();
  renderPoints();
  refreshDetail();
}

// ----------------------------------------------------------------------- points

async function loadPoints() {
  page.points = (await api("/api/points")).points;
}

function renderPoints() {
  const device = page.devices.find((d) => deviceId(d) === page.device);
  $("points-of").textContent = device ? deviceId(device) : "";
  if (!device) {
    $("point-rows").replaceChildren();
    return;
  }
  const modbus = !isMqtt(device);
  $("point-rows").replaceChildren(...pointsOf(device).map((point) => el("tr", {
    class: `${modbus ? "clickable" : ""} ${page.point && page.point.tag === point.tag && page.point.site === point.site ? "picked" : ""}`,
    "data-point": point.id,
    onclick: modbus ? () => pickPoint(point) : null,
    // Reachable by keyboard: Tab to a row, Enter or Space to open its registers.
    tabindex: modbus ? "0" : null,
    "aria-label": modbus ? `${point.tag} ${point.name}` : null,
    onkeydown: modbus ? (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        pickPoint(point);
      }
    } : null,
  },
  el("td", {}, el("strong", {}, point.tag)),
  el("td", {}, point.name),
  el("td", { class: "num" }, point.reading === null || point.reading[0] === null ? "—" : formatNumber(point.reading[0])),
  el("td", { class: "muted" }, point.unit),
  el("td", { class: "small muted" }, point.reading?.[1] ? tOr(`quality.${point.reading[1]}`, point.reading[1]) : ""))));
}

function pickPoint(point) {
  page.point = { site: point.site, tag: point.tag, name: point.name };
  page.detail = null;
  page.detailError = null;
  renderPoints();
  refreshDetail();
}

// ---------------------------------------------------------------- detail panel

async function refreshDetail() {
  const device = page.devices.find((d) => deviceId(d) === page.device);
  try {
    if (device && isMqtt(device)) {
      const query = { device: deviceId(device), site: field(device, "site") ?? "" };
      page.detail = await api(`/api/commissioning/mqtt?${new URLSearchParams(query)}`);
    } else if (page.point) {
      page.detail = await api(`/api/commissioning/registers?${new URLSearchParams({ site: page.point.site, tag: page.point.tag })}`);
    } else {
      page.detail = null;
    }
    page.detailError = null;
  } catch (error) {
    page.detail = null;
    page.detailError = error;
  }
  renderDetail(device);
}

function renderDetail(device) {
  const body = $("detail-body");
  const title = $("detail-title");
  if (device && isMqtt(device)) {
    title.textContent = t("comm.mqtt");
    if (page.detailError) {
      body.replaceChildren(el("p", { class: "error" }, page.detailError.message));
      return;
    }
    const topics = page.detail?.topics ?? [];
    body.replaceChildren(topics.length === 0
      ? el("p", { class: "muted" }, t("comm.noPayloads"))
      : el("table", { id: "payloads" }, el("tbody", {}, ...topics.map((item) => el("tr", {},
        el("td", {}, el("strong", {}, item.topic), el("div", { class: "muted small" }, formatDateTime(item.received_at))),
        el("td", {}, el("pre", { class: "payload" }, item.payload)))))));
    return;
  }
  title.textContent = t("comm.registers");
  if (!page.point) {
    body.replaceChildren(el("p", { class: "muted" }, t("comm.pickPoint")));
    return;
  }
  if (page.detailError) {
    const key = page.detailError.status === 409 ? "comm.neverRead" : page.detailError.status === 404 ? "comm.notModbus" : null;
    body.replaceChildren(el("p", { class: key ? "muted" : "error" }, key ? t(key) : page.detailError.message));
    return;
  }
  const regs = page.detail;
  if (!regs) return;
  const registers = regs.registers ?? [];
  const rows = regs.interpretations ?? BYTE_ORDERS;
  const configuredRow = regs.configured ?? regs.configured_byte_order;
  body.replaceChildren(
    regs.stale ? el("p", { class: "banner stale-registers", role: "alert" }, regs.stale_reason) : "",
    el("p", {}, el("strong", {}, `${page.point.tag} ${page.point.name ?? ""}`), " ",
      el("span", { class: "muted" }, `${t("comm.table")} ${regs.table} · ${t("comm.address")} ${regs.address} · ${t("comm.type")} ${regs.type} · ${t("comm.readAt", { t: formatWhen(regs.read_at) })}`)),
    el("table", { class: "registers", id: "raw-registers" },
      el("thead", {}, el("tr", {}, el("th", {}, t("comm.address")), el("th", { class: "num" }, "dec"), el("th", { class: "num" }, "hex"), el("th", {}, "bin"))),
      el("tbody", {}, ...registers.map((value, i) => el("tr", {},
        el("td", {}, String(regs.address + i)),
        el("td", { class: "num" }, String(value)),
        el("td", { class: "num" }, `0x${value.toString(16).toUpperCase().padStart(4, "0")}`),
        el("td", { class: "small" }, value.toString(2).padStart(16, "0").replace(/(.{4})/g, "$1 ").trim()))))),
    Object.keys(regs.decoded ?? {}).length === 0
      ? el("p", { class: "muted" }, t("comm.noOrders"))
      : el("table", { class: "orders", id: "byte-orders" },
      el("thead", {}, el("tr", {}, el("th", {}, t("comm.order")), el("th", { class: "num" }, t("comm.value")),
        el("th", { class: "num" }, t("comm.scaled", { s: regs.scale ?? 1, o: regs.offset ?? 0 })), el("th", {}, ""))),
      el("tbody", {}, ...rows.map((order) => {
        const value = regs.decoded?.[order];
        const scaled = regs.scaled?.[order];
        const configured = configuredRow === order;
        const suggested = regs.suggested === order && !configured;
        return el("tr", { "data-order": order, class: configured ? "configured" : suggested ? "suggested" : null },
          el("td", {}, el("strong", {}, order)),
          el("td", { class: "num decoded" }, formatDecoded(value)),
          el("td", { class: `num scaled ${configured ? "current" : ""}` }, formatDecoded(scaled)),
          el("td", { class: "muted small" }, configured ? t("comm.configured") : suggested ? "建议：此解码在量程内" : ""));
      }))));
}

function formatDecoded(value) {
  if (value === null || value === undefined) return "—";
  if (Number.isInteger(value)) return String(value);  // a raw register count: 42, not 42.00
  if (typeof value === "number" && Number.isFinite(value)) {
    const size = Math.abs(value);
    // Wrong byte orders give absurd floats: show them as such, not as a plausible 0.000.
    if (size >= 1e7 || (size > 0 && size < 1e-3)) return value.toExponential(4);
  }
  return typeof value === "number" ? formatNumber(value) : String(value);
}

// -------------------------------------------------------------------- reload

async function reloadConfig() {
  const button = $("reload-config");
  const status = $("reload-status");
  const errors = $("reload-errors");
  button.disabled = true;
  status.textContent = t("comm.reloading");
  status.className = "muted";
  errors.hidden = true;
  try {
    const result = await api("/api/config/reload", { method: "POST", timeout: 60000 });
    status.textContent = t("comm.reloaded", { sites: result.sites, points: result.points });
    status.className = "";
    toast(status.textContent, "ok");
  } catch (error) {
    if (error.status === 422 && error.body && Array.isArray(error.body.errors)) {
      status.textContent = t("comm.rejected");
      status.className = "error";
      errors.replaceChildren(...error.body.errors.map((line) => el("li", {}, line)));
      errors.hidden = false;
    } else {
      status.textContent = t("common.error", { e: error.message });
      status.className = "error";
    }
  } finally {
    button.disabled = false;
  }
}

// ----------------------------------------------------------------------- main

async function refresh() {
  try {
    await Promise.all([loadDevices(), loadPoints()]);
    $("load-error").hidden = true;
  } catch (error) {
    if (error.status === 401) return;
    $("load-error").textContent = t("common.error", { e: error.message });
    $("load-error").hidden = false;
    return;
  }
  if (page.device === null && page.devices.length > 0) page.device = deviceId(page.devices[0]);
  renderPoints();
  if (page.device !== null) await refreshDetail();
}

async function main() {
  initI18n();
  try {
    page.me = await whoAmI();
  } catch (error) {
    if (error.status !== 401) {
      $("load-error").textContent = t("common.error", { e: error.message });
      $("load-error").hidden = false;
    }
    return;
  }
  renderTopbar(page.me, "/commissioning");
  onLanguageChange(() => {
    renderTopbar(page.me, "/commissioning");
    renderDevices();
    renderPoints();
    renderDetail(page.devices.find((d) => deviceId(d) === page.device));
  });
  if (!allows(page.me, "engineer")) {
    $("forbidden").hidden = false;
    return;
  }
  $("content").hidden = false;
  $("reload-config").addEventListener("click", reloadConfig);
  await refresh();
  setInterval(refresh, REFRESH_EVERY);
  window.hazgwCommissioning = { page };
}

main();
