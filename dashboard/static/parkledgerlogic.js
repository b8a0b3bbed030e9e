// Pure helpers of the park's 叫应 ledger page (GET /api/park/ledger, /api/park/report),
// tested with node --test (tests/frontend/parkledgerlogic.test.mjs). tr is i18n's t.
import { clockText, parkAlarmText } from "./parklogic.js";

export const WINDOWS = { day: 24 * 3600, week: 7 * 86400 };

/** The query of a window preset: this or the previous shift of the park's schedule (the
 * server knows it; without one, 8 hours), or the last 24 h / 7 days ending at now. */
export function queryOf(preset, now) {
  if (preset === "shift" || preset === "previous") {
    return `shift=${preset === "shift" ? "current" : "previous"}`;
  }
  const span = WINDOWS[preset] ?? WINDOWS.day;
  return `since=${(now - span).toFixed(0)}&until=${now.toFixed(0)}`;
}

/** A span of seconds in words: "45 秒", "12 分钟", "2 小时 5 分"; "—" without one. */
export function durationText(seconds, tr) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 60) return tr("dur.s", { n: Math.round(seconds) });
  if (seconds < 3600) return tr("dur.min", { n: Math.round(seconds / 60) });
  const minutes = Math.round(seconds / 60);
  return tr("dur.h", { h: Math.floor(minutes / 60), m: minutes % 60 });
}

/** Whom the officer calls: the enterprise's first contact ("主要负责人 张三 138..."). */
function whom(row) {
  const c = (row.contacts || [])[0];
  return c ? [c.role, c.name, c.phone].filter(Boolean).join(" ") : row.enterprise_name;
}

/**
 * One ledger row as the page's table cells (text only), in the page's language:
 * raised, kind, enterprise, the alarm's line, ack deadline, who called whom, who
 * answered and when (with the time it took), what was done, the enterprise's own
 * acknowledgement, cleared, status. ``cls`` is the row's CSS class (its status).
 */
export function ledgerCells(row, tr, lang, now) {
  const at = (ts) => (typeof ts === "number" ? clockText(ts, lang, now) : "—");
  const r = row.response;
  const line = parkAlarmText(row, new Map(), tr, lang, now);
  return {
    cls: `st-${row.status}`,
    cells: [
      at(row.raised_at),
      tr(`pledger.kind.${row.kind}`),
      `${row.enterprise_name} (${row.enterprise})`,
      line,
      row.kind === "call" ? at(row.deadline) : "—",
      row.kind === "call"
        ? tr("pledger.calledBy", { officer: r ? r.recorded_by : "—", whom: whom(row) })
        : "—",
      r ? `${r.answered_by} · ${tr("pledger.after", { time: at(r.answered_at), d: durationText(row.answer_s, tr) })}` : "—",
      r ? r.action : "—",
      row.enterprise_acked_at
        ? `${row.enterprise_acked_by || ""} ${at(row.enterprise_acked_at)}`.trim()
        : "—",
      typeof row.cleared_at === "number" ? at(row.cleared_at) : "—",
      tr(`pledger.status.${row.status}`),
    ],
  };
}

/** The shift report's headline figures as [label key, value text, css class]. */
export function reportFigures(report, tr) {
  return [
    ["pledger.fig.alarms", String(report.alarms), ""],
    ["pledger.fig.calls", String(report.calls), ""],
    ["pledger.fig.answered", String(report.answered), "good"],
    ["pledger.fig.overdue", String(report.overdue), report.overdue ? "bad" : ""],
    ["pledger.fig.acked", String(report.enterprise_acked), ""],
    ["pledger.fig.offline", String(report.offline_enterprises), report.offline_enterprises ? "warn" : ""],
    ["pledger.fig.offlineNow", String(report.offline_at_end), report.offline_at_end ? "bad" : ""],
    ["pledger.fig.median", durationText(report.answer_median_s, tr), ""],
    ["pledger.fig.p90", durationText(report.answer_p90_s, tr), ""],
  ];
}

/** One enterprise of the report as table cells. */
export function enterpriseCells(e, tr) {
  return [`${e.name} (${e.code})`, String(e.calls), String(e.answered), String(e.overdue),
    String(e.offline_alarms), e.offline_s ? durationText(e.offline_s, tr) : "—"];
}
