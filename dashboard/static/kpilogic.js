// The alarm-KPI panel's pure rules: which figures, their targets, over target or not, and
// how numbers and durations read. No DOM; tested by tests/frontend/kpilogic.test.mjs.
//
// The figures and targets come from GET /api/alarms/kpi (alerting/kpi.py); this only
// decides how each is shown beside its target.

export const PERIODS = { "8h": 8 * 3600, "24h": 24 * 3600, "7d": 7 * 86400, "30d": 30 * 86400 };

/** A share (0..1) as a percentage with one decimal: 0.0123 → "1.2 %". */
export function percent(share) {
  return `${(share * 100).toFixed(1)} %`;
}

/** A rate with at most two decimals, no trailing zeros: 2.1666 → "2.17", 3 → "3". */
export function rate(value) {
  return String(Math.round(value * 100) / 100);
}

/** Seconds as minutes below two hours, else hours: [key, {n}] for t(). */
export function durationParts(seconds) {
  if (seconds < 7200) return ["kpi.minutes", { n: rate(seconds / 60) }];
  return ["kpi.hours", { n: rate(seconds / 3600) }];
}

/**
 * The figure cards, in order: {key, value, target, over, detail?}. ``value`` and
 * ``target`` are display text with the ≤ sign; ``over`` says the figure misses its target.
 * ``t`` translates (i18n.js t); ``dur`` turns seconds into text.
 */
export function figures(kpi, t, dur) {
  const goal = kpi.targets;
  const cards = [
    { key: "kpi.per10min", value: rate(kpi.per_10min), target: `≤ ${goal.per_10min}`,
      over: kpi.per_10min > goal.per_10min },
    { key: "kpi.perDay", value: rate(kpi.per_day), target: `≤ ${goal.per_day}`,
      over: kpi.per_day > goal.per_day },
    { key: "kpi.peak", value: String(kpi.peak_10min), target: `≤ ${goal.peak_10min}`,
      over: kpi.peak_10min > goal.peak_10min },
    { key: "kpi.flood", value: percent(kpi.flood_share), target: `≤ ${percent(goal.flood_share)}`,
      over: kpi.flood_share > goal.flood_share,
      detail: t("kpi.floodDetail", { d: dur(kpi.flood_seconds), n: kpi.floods.length }) },
    { key: "kpi.topShare", value: percent(kpi.top_share), target: `≤ ${percent(goal.top10_share)}`,
      over: kpi.top_share > goal.top10_share },
    { key: "kpi.chattering", value: String(kpi.chattering.length), target: `≤ ${goal.chattering}`,
      over: kpi.chattering.length > goal.chattering },
    { key: "kpi.stale", value: String(kpi.stale.length), target: `≤ ${goal.stale}`,
      over: kpi.stale.length > goal.stale },
    { key: "kpi.shelved", value: dur(kpi.shelved_seconds), target: null, over: false,
      detail: t("kpi.alarmsCount", { n: kpi.shelved.length }) },
    { key: "kpi.outOfService", value: dur(kpi.out_of_service_seconds), target: null, over: false,
      detail: t("kpi.alarmsCount", { n: kpi.out_of_service.length }) },
    mixCard(kpi, t),
  ];
  return cards;
}

/**
 * The priority mix against ≈ 80 / 15 / 5 %: over when the high band is above its share
 * (operators stop trusting a top priority that is common) or low is well under its own.
 */
export function mixCard(kpi, t) {
  const { mix, targets: goal } = kpi;
  const value = [mix.low, mix.medium, mix.high].map((s) => Math.round(s * 100)).join(" / ");
  const target = [goal.mix_low, goal.mix_medium, goal.mix_high]
    .map((s) => Math.round(s * 100)).join(" / ");
  const over = kpi.alarms > 0 && mix.high > goal.mix_high;
  return { key: "kpi.mix", value: `${value} %`, target: `≈ ${target} %`, over,
    detail: t("kpi.mixDetail") };
}

/** The query string of the panel's choices at time ``now`` (seconds). */
export function kpiQuery({ period, post, source }, now) {
  const span = PERIODS[period] ?? PERIODS["24h"];
  const params = new URLSearchParams({ since: String(Math.floor(now - span)), until: String(Math.ceil(now)) });
  if (post) params.set("post", post);
  if (source) params.set("source", source);
  return params.toString();
}
