// Small DOM and formatting helpers shared by the wall, console and commissioning pages.

import { formatValue } from "./format.js";
import { locale, t, tOr, toggleLanguage } from "./i18n.js";
import { allows, logout } from "./api.js";
import { watchGateway } from "./gatewaywatch.js";

export const $ = (id) => document.getElementById(id);

/** el("td", {class: "x", "data-id": 3}, "text", child...) */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

export const PRIORITY_RANK = { critical: 0, high: 1, medium: 2, low: 3 };
export const ANNUNCIATED = new Set(["active_unacknowledged", "active_acknowledged", "returned_unacknowledged"]);
export const UNACKNOWLEDGED = new Set(["active_unacknowledged", "returned_unacknowledged"]);

/** Most urgent first, then the newest (issue: sorted by priority and time). */
export function byPriorityThenTime(a, b) {
  const rank = (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9);
  if (rank !== 0) return rank;
  return (b.raised_at ?? b.changed_at ?? 0) - (a.raised_at ?? a.changed_at ?? 0);
}

/**
 * How a live reading [value, quality, reason, ts] is shown. A bad reading never shows a
 * number; an uncertain one is marked.
 */
export function showReading(reading, unit = "") {
  if (!reading) return { cls: "q-none", text: "—", label: t("reading.none") };
  const [value, quality, reason] = reading;
  if (quality === "bad" || value === null || value === undefined) {
    return { cls: "q-bad", text: "—", label: tOr(`reason.${reason}`, t("reading.bad")) };
  }
  const text = typeof value === "boolean" ? t(value ? "reading.on" : "reading.off") : formatValue(value);
  if (quality === "uncertain") {
    return { cls: "q-uncertain", text, label: tOr(`reason.${reason}`, t("reading.uncertain")), unit };
  }
  return { cls: "q-good", text, label: "", unit };
}

export function formatNumber(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return t(value ? "reading.on" : "reading.off");
  return formatValue(value);
}

const pad = (n) => String(n).padStart(2, "0");

/** hh:mm:ss today, MM-DD hh:mm:ss otherwise: an old time must not pass for a current one. */
export function formatWhen(ts, now = new Date()) {
  if (typeof ts !== "number") return "";
  const when = new Date(ts * 1000);
  const time = `${pad(when.getHours())}:${pad(when.getMinutes())}:${pad(when.getSeconds())}`;
  if (when.toDateString() === now.toDateString()) return time;
  return `${pad(when.getMonth() + 1)}-${pad(when.getDate())} ${time}`;
}

export function formatDateTime(ts) {
  if (typeof ts !== "number") return "";
  const d = new Date(ts * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/**
 * An alarm's limit as text: a number, except a comm-loss alarm's, which is the silence
 * allowed before it (超时 30 秒 / timeout 30 s), not a limit of the value.
 */
export function limitText(type, limit) {
  if (limit === null || limit === undefined) return "";
  // Seconds as set (30, 2.5), not as a measured value with two decimals.
  return type === "COMM_LOSS" ? t("alarm.timeout", { s: String(Math.round(limit * 10) / 10) }) : formatNumber(limit);
}

/** The value and limit cell of an alarm or event: "25.1 %LEL / 25", "— · 超时 30 秒". */
export function valueWithLimit(value, unit, type, limit) {
  const shown = value === null || value === undefined ? "—" : `${formatNumber(value)}${unit ? ` ${unit}` : ""}`;
  if (limit === null || limit === undefined) return shown;
  return type === "COMM_LOSS" ? `${shown} · ${limitText(type, limit)}` : `${shown} / ${formatNumber(limit)}`;
}

export function priorityChip(priority) {
  return el("span", { class: `chip prio-${priority}` }, tOr(`priority.${priority}`, priority));
}

export function alarmTypeLabel(type) {
  return tOr(`type.${type}`, type);
}

export function stateLabel(state) {
  return tOr(`state.${state}`, state);
}

export function roleLabel(me) {
  if (me.display) return t("role.display");
  return tOr(`role.${me.role}`, me.role);
}

/** The top bar of the console and commissioning pages: brand, nav, user, language, sign-out. */
export function renderTopbar(me, current) {
  const bar = $("topbar");
  if (!bar) return;
  const links = [
    ["/wall", "nav.wall"],
    ["/console", "nav.console"],
    ["/plan", "nav.plan"],
    ["/trend", "nav.trend"],
    ["/handover", "nav.handover"],
    ["/enterprise", "nav.enterprise"],
    ...(allows(me, "engineer") ? [["/commissioning", "nav.commissioning"]] : []),
  ];
  const nav = el("nav", {}, ...links.map(([href, key]) =>
    el("a", { href, class: href === current ? "current" : null, "data-i18n": key }, t(key))));
  const user = el("span", { class: "user", id: "user-badge" },
    el("strong", {}, me.name ?? ""), " ", el("span", { class: "role" }, roleLabel(me)));
  const out = el("button", { type: "button", class: "ghost", id: "logout", "data-i18n": "nav.logout",
    onclick: () => logout() }, t("nav.logout"));
  const lang = el("button", { type: "button", class: "ghost lang-toggle", "data-i18n": "lang.toggle",
    onclick: toggleLanguage }, t("lang.toggle"));
  bar.querySelector(".nav-slot")?.replaceChildren(nav);
  bar.querySelector(".user-slot")?.replaceChildren(user, lang, out);
  watchGateway();  // every page with this top bar says 网关无响应 when the gateway hangs
}

/** The connection badge and banner for LiveClient status changes. */
export function showConnection({ state, attempt, delay }) {
  const badge = $("conn-state");
  const banner = $("disconnected-banner");
  document.body.dataset.connection = state;
  if (state === "connected") {
    badge.textContent = t("conn.connected");
    badge.className = "conn conn-connected";
    if (banner) banner.hidden = true;
    document.body.classList.remove("stale");
  } else if (state === "disconnected") {
    badge.textContent = t("conn.disconnected");
    badge.className = "conn conn-disconnected";
    if (banner) {
      banner.hidden = false;
      const detail = banner.querySelector(".detail");
      if (detail) detail.textContent = t("conn.stale", { s: (delay / 1000).toFixed(1), n: attempt });
    }
    document.body.classList.add("stale");
  } else if (!document.body.classList.contains("stale")) {
    badge.textContent = t("conn.connecting");
    badge.className = "conn conn-connecting";
  }
}

export function toast(message, kind = "info") {
  let box = $("toast");
  if (!box) {
    box = el("div", { id: "toast", role: "status" });
    document.body.append(box);
  }
  const item = el("div", { class: `toast toast-${kind}` }, message);
  box.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 4000);
}

export function nowLocaleTime() {
  return new Date().toLocaleTimeString(locale(), { hour12: false });
}
