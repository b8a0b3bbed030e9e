// The trend page (/trend?point=SITE/TAG&point=...&range=8h): any points overlaid, one axis
// per unit (two at most), the mean line with its min-max band, limits dashed, alarm marks,
// gaps as gaps; presets and a custom range; CSV from the API, PNG from the chart.

import uPlot from "/vendor/uplot/dist/uPlot.esm.js";
import { api, whoAmI } from "./api.js";
import { $, el, renderTopbar } from "./ui.js";
import { initI18n, onLanguageChange, t, tOr } from "./i18n.js";
import { COLOURS, MAX_POINTS, PRESETS, TooManyUnits, assignAxes, mergeColumns, parseTrendQuery, scaleRange, trendQuery } from "./trendlogic.js";
import { timeLabel } from "./trend.js";

const LIMIT_COLOURS = { HH: "#e5484d", H: "#f76b15", L: "#f76b15", LL: "#e5484d" };
const PRIORITY_COLOURS = { critical: "#e5484d", high: "#f76b15", medium: "#ffc53d", low: "#3e63dd" };

let state = parseTrendQuery(location.search);
let names = new Map();
let unitOf = new Map();
let plot = null;
let last = null;  // the last answer, drawn again when the language changes

function marks(series, scaleOf) {
  return (u) => {
    const { ctx } = u;
    const { left, top, width, height } = u.bbox;
    const px = devicePixelRatio;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    ctx.lineWidth = 2 * px;
    ctx.font = `${12 * px}px sans-serif`;
    ctx.textAlign = "left";
    ctx.textBaseline = "bottom";
    series.forEach((s, i) => {
      for (const [name, value] of Object.entries(s.limits ?? {})) {
        const y = u.valToPos(value, scaleOf[i], true);
        ctx.strokeStyle = LIMIT_COLOURS[name] ?? "#aaa";
        ctx.setLineDash([8 * px, 6 * px]);
        ctx.beginPath();
        ctx.moveTo(left, y);
        ctx.lineTo(left + width, y);
        ctx.stroke();
        ctx.fillStyle = ctx.strokeStyle;
        ctx.fillText(`${s.tag} ${name} ${value}`, left + 6 * px, y - 4 * px);
      }
      ctx.setLineDash([]);
      for (const alarm of s.alarms ?? []) {
        const x = u.valToPos(alarm.ts, "x", true);
        ctx.strokeStyle = PRIORITY_COLOURS[alarm.priority] ?? "#ccc";
        ctx.globalAlpha = alarm.kind === "raised" ? 0.9 : 0.45;
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, top + height);
        ctx.stroke();
        ctx.globalAlpha = 1;
      }
    });
    ctx.restore();
  };
}

function draw(result) {
  const box = $("chart");
  const series = result.series;
  const { units, scaleOf } = assignAxes(series);  // throws before the old chart is gone
  box.replaceChildren();
  plot?.destroy();
  plot = null;
  const data = mergeColumns(series);
  const withDate = result.to - result.from > 20 * 3600;
  const axis = { stroke: "#8a99a8", grid: { stroke: "#223140", width: 1 }, ticks: { stroke: "#223140" } };
  const scales = { x: { time: true, range: () => [result.from, result.to] } };
  const axes = [{ ...axis, space: withDate ? 120 : 70, values: (u, splits) => splits.map((ts) => timeLabel(ts, withDate)) }];
  units.forEach((unit, i) => {
    const name = i === 0 ? "y0" : "y1";
    scales[name] = { range: () => scaleRange(data, series, scaleOf, name) };
    axes.push({ ...axis, scale: name, label: unit || "—", size: 70, side: i === 0 ? 3 : 1,
      grid: { show: i === 0, stroke: "#223140", width: 1 } });
  });
  const uSeries = [{ label: t("tp.time"), value: (u, ts) => (ts === null ? "--" : timeLabel(ts, true)) }];
  const bands = [];
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const label = `${s.tag} ${s.name}${s.unit ? ` (${s.unit})` : ""}`;
    uSeries.push({ label, stroke: colour, width: 2, scale: scaleOf[i], spanGaps: false });
    uSeries.push({ label: t("tp.min", { tag: s.tag }), stroke: `${colour}55`, width: 1, scale: scaleOf[i], spanGaps: false });
    uSeries.push({ label: t("tp.max", { tag: s.tag }), stroke: `${colour}55`, width: 1, scale: scaleOf[i], spanGaps: false });
    bands.push({ series: [3 + 3 * i, 2 + 3 * i], fill: `${colour}1f` });
  });
  plot = new uPlot({
    width: box.clientWidth || 1000, height: 380, tzDate: (ts) => new Date(ts * 1000),
    scales, axes, series: uSeries, bands, hooks: { draw: [marks(series, scaleOf)] },
    legend: { live: true }, cursor: { drag: { x: true, y: false } },
  }, data, box);
  const empty = series.filter((s) => !s.points.some((p) => p[1] !== null)).map((s) => s.tag);
  $("chart-info").textContent = t("tp.info", { s: result.interval_s })
    + (empty.length ? t("tp.noData", { tags: empty.join(t("tp.list")) }) : "");
}

// The colour through the CSSOM: the CSP refuses style attributes.
function swatch(colour) {
  const node = el("span", { class: "swatch" });
  node.style.background = colour;
  return node;
}

function renderPicked() {
  $("picked").replaceChildren(...state.points.map((p, i) => el("span", { class: "picked-point" },
    swatch(COLOURS[i % COLOURS.length]), ` ${names.get(p) ?? p} `,
    el("button", { type: "button", class: "ghost small", "aria-label": t("tp.remove", { p }), onclick: () => {
      state.points = state.points.filter((x) => x !== p);
      refresh();
    } }, "×"))));
  $("presets").replaceChildren(...PRESETS.map((r) => el("button", { type: "button", "data-range": r,
    "aria-pressed": String(state.range === r), onclick: () => { state = { ...state, range: r, from: null, to: null }; refresh(); } },
    tOr(`trend.range.${r}`, t(`tp.range.${r}`)))));
}

async function refresh() {
  const query = trendQuery(state);
  history.replaceState(null, "", `/trend?${query}`);
  renderPicked();
  $("export-csv").href = `/api/trends.csv?${query}`;
  const error = $("load-error");
  error.hidden = true;
  if (!state.points.length) {
    last = null;
    $("chart").replaceChildren(el("p", { class: "empty" }, t("tp.pick")));
    return;
  }
  try {
    last = await api(`/api/trends?${query}`, { timeout: 30000 });
    draw(last);
  } catch (e) {
    error.hidden = false;
    error.textContent = errorText(e);
  }
}

function localInput(ts) {
  const d = new Date(ts * 1000 - new Date().getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

/** A refusal in the page's language (a third unit), else the error's own message. */
function errorText(e) {
  if (e instanceof TooManyUnits) {
    const unit = (u) => u || t("tp.noUnit");
    return t("tp.units", { units: e.units.map(unit).join(t("tp.list")), tag: e.tag, unit: unit(e.unit) });
  }
  return e.message;
}

function redraw(me) {
  renderTopbar(me, "/trend");
  renderPicked();
  if (last) draw(last);
  else if (!state.points.length) $("chart").replaceChildren(el("p", { class: "empty" }, t("tp.pick")));
}

async function start() {
  initI18n();
  let me;
  try {
    me = await whoAmI();
  } catch {
    return;
  }
  renderTopbar(me, "/trend");
  onLanguageChange(() => redraw(me));
  const { points } = await api("/api/points");
  names = new Map(points.map((p) => [`${p.site}/${p.tag}`, `${p.tag} ${p.name}`]));
  unitOf = new Map(points.map((p) => [`${p.site}/${p.tag}`, p.unit ?? ""]));
  $("pick-point").replaceChildren(...points.map((p) => el("option", { value: `${p.site}/${p.tag}` },
    `${p.site} · ${p.tag} ${p.name}${p.unit ? ` (${p.unit})` : ""}`)));
  $("pick-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const p = $("pick-point").value;
    if (!p || state.points.includes(p) || state.points.length >= MAX_POINTS) return;
    const next = [...state.points, p];
    try {
      assignAxes(next.map((q) => ({ tag: q, unit: unitOf.get(q) })));
    } catch (e) {
      const banner = $("load-error");
      banner.hidden = false;
      banner.textContent = errorText(e);  // the chart and the list stay as they were
      return;
    }
    state.points = next;
    refresh();
  });
  $("custom-apply").addEventListener("click", () => {
    const from = Date.parse($("custom-from").value) / 1000;
    const to = Date.parse($("custom-to").value) / 1000;
    if (from < to) {
      state = { ...state, range: null, from, to };
      refresh();
    }
  });
  const now = Date.now() / 1000;
  $("custom-from").value = localInput(state.from ?? now - 86400);
  $("custom-to").value = localInput(state.to ?? now);
  $("export-png").addEventListener("click", () => {
    const canvas = $("chart").querySelector("canvas");
    if (!canvas) return;
    const link = el("a", { href: canvas.toDataURL("image/png"), download: `trend-${Math.floor(now)}.png` });
    document.body.append(link);
    link.click();
    link.remove();
  });
  await refresh();
}

start();
