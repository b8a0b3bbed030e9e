// Pure helpers of the trend page (tested under node --test): the page's address, the axes
// (one per unit, at most two), and the columns uPlot draws from several series.

export const PRESETS = ["1h", "8h", "24h", "7d", "30d"];
export const MAX_POINTS = 8;
export const COLOURS = ["#5aa9ff", "#f5a524", "#3ecf8e", "#e879f9", "#f87171", "#a3e635", "#22d3ee", "#fbbf24"];

/** {points: ["SITE/TAG"...], range, from, to} from a query string. */
export function parseTrendQuery(search) {
  const params = new URLSearchParams(search);
  const points = [...new Set(params.getAll("point").filter((p) => p.includes("/")))].slice(0, MAX_POINTS);
  const from = Number(params.get("from")) || null;
  const to = Number(params.get("to")) || null;
  const range = PRESETS.includes(params.get("range")) ? params.get("range") : "8h";
  return from && to && from < to ? { points, range: null, from, to } : { points, range, from: null, to: null };
}

/** The query string for the API and for the page's own address. */
export function trendQuery({ points, range, from, to }) {
  const params = new URLSearchParams();
  for (const p of points) params.append("point", p);
  if (from && to) {
    params.set("from", String(Math.floor(from)));
    params.set("to", String(Math.floor(to)));
  } else {
    params.set("range", range ?? "8h");
  }
  return params.toString();
}

/** A third unit on one chart; units, tag and unit let the page say it in its language. */
export class TooManyUnits extends Error {
  constructor(units, tag, unit) {
    super(`最多两种单位同屏：已有 ${units.map((u) => u || "无单位").join("、")}，${tag} 的单位是 ${unit || "无单位"}`);
    this.units = [...units];
    this.tag = tag;
    this.unit = unit ?? "";
  }
}

/**
 * One axis per unit, at most two: the first unit on the left, the second on the right.
 * Returns {units: [...], scaleOf: [scale name per series]}; throws on a third unit.
 */
export function assignAxes(series) {
  const units = [];
  const scaleOf = [];
  for (const s of series) {
    let index = units.indexOf(s.unit ?? "");
    if (index < 0) {
      if (units.length === 2) {
        throw new TooManyUnits(units, s.tag, s.unit);
      }
      units.push(s.unit ?? "");
      index = units.length - 1;
    }
    scaleOf.push(index === 0 ? "y0" : "y1");
  }
  return { units, scaleOf };
}

/** Columns [xs, mean0, min0, max0, mean1, ...] over the union of bucket times (null where a
 * series has no bucket: a gap, never joined). */
export function mergeColumns(series) {
  const times = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const at = new Map(times.map((ts, i) => [ts, i]));
  const columns = [times];
  for (const s of series) {
    const mean = new Array(times.length).fill(null);
    const min = new Array(times.length).fill(null);
    const max = new Array(times.length).fill(null);
    for (const [ts, m, lo, hi] of s.points) {
      const i = at.get(ts);
      mean[i] = m;
      min[i] = lo;
      max[i] = hi;
    }
    columns.push(mean, min, max);
  }
  return columns;
}

/** The y range of one scale: its series' values and limits, padded. */
export function scaleRange(columns, series, scaleOf, scale) {
  let lo = Infinity;
  let hi = -Infinity;
  series.forEach((s, i) => {
    if (scaleOf[i] !== scale) return;
    for (const col of columns.slice(1 + 3 * i, 4 + 3 * i)) {
      for (const v of col) if (typeof v === "number") { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    }
    for (const v of Object.values(s.limits ?? {})) {
      if (typeof v === "number") { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    }
  });
  if (!Number.isFinite(lo)) return [0, 1];
  const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.1 || 1;
  return [lo - pad, hi + pad];
}
