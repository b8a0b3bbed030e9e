// A point's trend with uPlot (installed from npm, served under /vendor): the mean per
// interval with its min–max band, the alarm limits as dashed lines, alarm moments as
// vertical marks. Data: GET /api/trend {points: [[ts, mean, min, max]], limits, alarms}.

import uPlot from "/vendor/uplot/dist/uPlot.esm.js";

const LIMIT_COLOURS = { HH: "#e5484d", H: "#f76b15", L: "#f76b15", LL: "#e5484d" };
const PRIORITY_COLOURS = { critical: "#e5484d", high: "#f76b15", medium: "#ffc53d", low: "#3e63dd" };

/** Columns for uPlot from the API's rows. */
export function columns(points) {
  const xs = [];
  const mean = [];
  const min = [];
  const max = [];
  for (const [ts, m, lo, hi] of points) {
    xs.push(ts);
    mean.push(m);
    min.push(lo);
    max.push(hi);
  }
  return [xs, mean, min, max];
}

/** The y range: the data and every limit, so that a limit line is never off the chart. */
export function yRange(data, limits) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const series of data.slice(1)) {
    for (const v of series) {
      if (typeof v === "number") {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  }
  for (const v of Object.values(limits ?? {})) {
    if (typeof v === "number") {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (!Number.isFinite(lo)) return [0, 1];
  const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.1 || 1;
  return [lo - pad, hi + pad];
}

function overlay(limits, alarms) {
  return (u) => {
    const { ctx } = u;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    ctx.lineWidth = 2 * devicePixelRatio;
    ctx.font = `${12 * devicePixelRatio}px sans-serif`;
    ctx.textAlign = "left";  // uPlot leaves the axis labels' alignment behind
    ctx.textBaseline = "bottom";
    for (const [name, value] of Object.entries(limits ?? {})) {
      if (typeof value !== "number") continue;
      const y = u.valToPos(value, "y", true);
      ctx.strokeStyle = LIMIT_COLOURS[name] ?? "#aaa";
      ctx.setLineDash([8 * devicePixelRatio, 6 * devicePixelRatio]);
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + width, y);
      ctx.stroke();
      ctx.fillStyle = ctx.strokeStyle;
      ctx.fillText(`${name} ${value}`, left + 6 * devicePixelRatio, y - 4 * devicePixelRatio);
    }
    ctx.setLineDash([]);
    for (const alarm of alarms ?? []) {
      const x = u.valToPos(alarm.ts, "x", true);
      if (x < left || x > left + width) continue;
      ctx.strokeStyle = PRIORITY_COLOURS[alarm.priority] ?? "#ccc";
      ctx.globalAlpha = alarm.kind === "raised" ? 0.9 : 0.45;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.beginPath();
      ctx.arc(x, top + 6 * devicePixelRatio, 4 * devicePixelRatio, 0, 2 * Math.PI);
      ctx.fillStyle = ctx.strokeStyle;
      ctx.fill();
    }
    ctx.restore();
  };
}

const pad2 = (n) => String(n).padStart(2, "0");

/** Axis and legend times: 24-hour clock, with the date when the window spans days. */
export function timeLabel(ts, withDate) {
  const d = new Date(ts * 1000);
  const time = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  return withDate ? `${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${time}` : time;
}

/**
 * Draw the trend into container (replacing what was there); returns the uPlot instance.
 * @param {{points: number[][], limits: object, alarms: object[], unit: string}} trend
 * @param {{mean: string, min: string, max: string}} labels
 */
export function drawTrend(container, trend, labels, width = container.clientWidth || 1000) {
  container.replaceChildren();
  const data = columns(trend.points);
  const xs = data[0];
  const span = (trend.to ?? xs[xs.length - 1]) - (trend.from ?? xs[0]);
  const withDate = span > 20 * 3600;
  const axis = { stroke: "#8a99a8", grid: { stroke: "#223140", width: 1 }, ticks: { stroke: "#223140" } };
  const opts = {
    width,
    height: 340,
    tzDate: (ts) => new Date(ts * 1000),
    scales: {
      // The whole window asked for, so that a gap at either end shows as a gap.
      x: { time: true, range: () => [trend.from ?? data[0][0], trend.to ?? data[0][data[0].length - 1]] },
      y: { range: () => yRange(data, trend.limits) },
    },
    axes: [
      { ...axis, space: withDate ? 120 : 70, values: (u, splits) => splits.map((ts) => timeLabel(ts, withDate)) },
      { ...axis, label: trend.unit ?? "", size: 70 },
    ],
    series: [
      { label: labels.time, value: (u, ts) => (ts === null ? "--" : `${timeLabel(ts, true)}:${pad2(new Date(ts * 1000).getSeconds())}`) },
      { label: labels.mean, stroke: "#5aa9ff", width: 2, spanGaps: false },
      { label: labels.min, stroke: "rgba(90,169,255,0.35)", width: 1 },
      { label: labels.max, stroke: "rgba(90,169,255,0.35)", width: 1 },
    ],
    bands: [{ series: [3, 2], fill: "rgba(90,169,255,0.12)" }],
    hooks: { draw: [overlay(trend.limits, trend.alarms)] },
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
  };
  return new uPlot(opts, data, container);
}
