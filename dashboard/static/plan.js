// The plant plan (/plan?site=CODE): the site's image with every detector in its live colour
// and state (websocket readings, alarm records), blinking while unacknowledged; zoom with
// the buttons or the wheel; a click shows the point's value and alarms and opens its trend.

import { api, whoAmI } from "./api.js";
import { LiveModel, mergeAlarms } from "./livemodel.js";
import { $, alarmTypeLabel, el, renderTopbar, showConnection, stateLabel } from "./ui.js";
import { initI18n, onLanguageChange, t, tOr } from "./i18n.js";
import { formatValue } from "./format.js";
import { pointStatus, worstStatus, zoomBox } from "./planlogic.js";

const SVG = "http://www.w3.org/2000/svg";
let plans = [];
let plan = null;
let live = null;
let alarms = [];
let box = null;
let selected = null;
let status = null;  // the connection's last, said again when the language changes

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

function alarmsOf(pointId) {
  return alarms.filter((a) => `${a.site}/${a.tag}` === pointId);
}

function statusOf(mark) {
  if (mark.kind === "point") return pointStatus(live?.readings.get(mark.id), alarmsOf(mark.id));
  // A hazard source: the worst of all its points, placed on the plan or not.
  return worstStatus((plan.source_points[mark.id] ?? []).map((id) => pointStatus(live?.readings.get(id), alarmsOf(id))));
}

/** A status's words in the page's language (planlogic's label is the Chinese of the same). */
function labelOf(s) {
  return t(s.word, { p: tOr(`priority.${s.priority}`, s.priority ?? "") });
}

function paint() {
  if (!plan) return;
  for (const node of $("plan").querySelectorAll(".mark")) {
    const mark = plan.marks[Number(node.dataset.index)];
    const s = statusOf(mark);
    node.setAttribute("class", ["mark", mark.kind === "source" ? "source" : "point", `s-${s.state}`,
      s.priority ? `p-${s.priority}` : "", s.blink ? "blink" : "", selected === mark ? "selected" : ""].join(" ").trim());
    node.dataset.state = s.state;
    node.querySelector("title").textContent = t("plan.markTitle", { label: mark.label, name: mark.name, s: labelOf(s) });
    const badge = node.querySelector("text.state");
    if (badge) badge.textContent = s.state === "normal" ? "" : labelOf(s);
  }
  if (selected) showDetail(selected);
}

function draw() {
  const root = $("plan");
  box = [0, 0, plan.width, plan.height];
  root.setAttribute("viewBox", box.join(" "));
  const marks = plan.marks.map((mark, index) => {
    const title = svg("title");
    const group = svg("g", { class: "mark", "data-index": String(index), "data-id": mark.id, tabindex: "0",
      role: "button", transform: `translate(${mark.x} ${mark.y})` }, title);
    if (mark.kind === "source") {
      group.append(svg("rect", { x: -90, y: -18, width: 180, height: 36, rx: 6 }),
        svg("text", { x: 0, y: 6, "text-anchor": "middle" }, mark.label.slice(0, 12)));
    } else {
      group.append(svg("circle", { r: 13 }), svg("text", { x: 18, y: 5 }, mark.label),
        svg("text", { x: 18, y: 24, class: "state" }));
    }
    const open = () => { selected = mark; paint(); };
    group.addEventListener("click", open);
    group.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); } });
    return group;
  });
  root.replaceChildren(svg("image", { href: plan.image, x: 0, y: 0, width: plan.width, height: plan.height }), ...marks);
  paint();
}

function zoom(factor, cx = box[0] + box[2] / 2, cy = box[1] + box[3] / 2) {
  box = zoomBox(box, factor, cx, cy, plan.width, plan.height);
  $("plan").setAttribute("viewBox", box.join(" "));
}

function showDetail(mark) {
  const panel = $("detail");
  panel.hidden = false;
  const s = statusOf(mark);
  $("detail-title").textContent = `${mark.label} ${mark.kind === "point" ? mark.name : ""}`;
  $("detail-state").textContent = t("plan.state", { s: labelOf(s) });
  const reading = mark.kind === "point" ? live?.readings.get(mark.id) : null;
  $("detail-value").textContent = reading ? `${reading[0] === null ? "—" : formatValue(reading[0])} ${mark.unit}` : "";
  const list = mark.kind === "point" ? alarmsOf(mark.id) : alarms.filter((a) => a.hazard_source === mark.id);
  $("detail-alarms").replaceChildren(list.length
    ? el("ul", {}, ...list.map((a) => el("li", {}, `${a.tag} ${alarmTypeLabel(a.type)} · ${stateLabel(a.state)}`)))
    : el("p", { class: "muted" }, t("plan.noAlarms")));
  const trend = $("detail-trend");
  trend.href = `/trend?point=${encodeURIComponent(mark.id)}&range=8h`;
  trend.hidden = mark.kind !== "point";
}

async function reload() {
  alarms = (await api("/api/alarms")).alarms;
  paint();
}

async function start() {
  initI18n();
  let me;
  try {
    me = await whoAmI();
  } catch {
    return;
  }
  renderTopbar(me, "/plan");
  plans = await api("/api/plans");
  if (!plans.length) {
    $("load-error").hidden = false;
    $("load-error").textContent = t("plan.noPlans");
    return;
  }
  const wanted = new URLSearchParams(location.search).get("site");
  const siteOptions = () => $("plan-site").replaceChildren(...plans.map((p) =>
    el("option", { value: p.site }, t("duty.named", { name: p.enterprise, code: p.site }))));
  siteOptions();
  const choose = (code) => {
    plan = plans.find((p) => p.site === code) ?? plans[0];
    $("plan-site").value = plan.site;
    history.replaceState(null, "", `/plan?site=${encodeURIComponent(plan.site)}`);
    selected = null;
    $("detail").hidden = true;
    draw();
  };
  $("plan-site").addEventListener("change", (e) => choose(e.target.value));
  $("zoom-in").addEventListener("click", () => zoom(0.7));
  $("zoom-out").addEventListener("click", () => zoom(1 / 0.7));
  $("zoom-reset").addEventListener("click", () => zoom(1e9));
  $("plan").addEventListener("wheel", (e) => {
    e.preventDefault();
    const rect = $("plan").getBoundingClientRect();
    const cx = box[0] + ((e.clientX - rect.left) / rect.width) * box[2];
    const cy = box[1] + ((e.clientY - rect.top) / rect.height) * box[3];
    zoom(e.deltaY < 0 ? 0.85 : 1 / 0.85, cx, cy);
  }, { passive: false });
  choose(wanted);
  onLanguageChange(() => {
    renderTopbar(me, "/plan");
    siteOptions();
    $("plan-site").value = plan.site;
    paint();
    if (status) showConnection(status);
  });
  live = new LiveModel({
    reload,
    onReadings: () => paint(),
    onAlarms: (records) => { alarms = mergeAlarms(alarms, records); paint(); },
    onStatus: (next) => { status = next; showConnection(next); },
    onReloadError: (e) => { $("load-error").hidden = false; $("load-error").textContent = e.message; },
  });
  live.start();
  window.hazgwPlan = { get box() { return box; } };  // for tests
}

start();
