// Pure helpers of the plan page (tested under node --test): a detector's state from its
// reading and its alarms, a hazard source's from its points, and zooming the view box.

export const RANK = { critical: 0, high: 1, medium: 2, low: 3 };
const ANNUNCIATED = new Set(["active_unacknowledged", "active_acknowledged", "returned_unacknowledged"]);
const UNACK = new Set(["active_unacknowledged", "returned_unacknowledged"]);

/**
 * {state, priority, blink, label, word} of a point (word: the i18n key of the label, which
 * for an alarm takes the priority as {p}): an annunciated alarm (worst priority) first,
 * then comm loss and sensor fault (from the reading or a system alarm), shelved or out of
 * service, else normal; no reading yet is "waiting". Priority is also in the label: never
 * shown by colour alone.
 */
export function pointStatus(reading, alarms) {
  const shown = alarms.filter((a) => ANNUNCIATED.has(a.state))
    .sort((a, b) => RANK[a.priority] - RANK[b.priority]);
  const blink = alarms.some((a) => UNACK.has(a.state));
  if (shown.length) {
    const worst = shown[0];
    if (worst.type === "COMM_LOSS") return { state: "comm", priority: worst.priority, blink, label: "通讯中断", word: "reason.comm_loss" };
    if (worst.type === "SENSOR_FAULT") return { state: "fault", priority: worst.priority, blink, label: "故障", word: "plan.fault" };
    return { state: "alarm", priority: worst.priority, blink, label: `报警·${PRIORITY_WORDS[worst.priority]}`, word: "plan.alarmOf" };
  }
  const reason = reading ? reading[2] : null;
  if (reading && reading[1] === "bad") {
    if (reason === "sensor_fault") return { state: "fault", priority: null, blink, label: "故障", word: "plan.fault" };
    return { state: "comm", priority: null, blink, label: reason === "comm_loss" ? "通讯中断" : "数据无效",
      word: reason === "comm_loss" ? "reason.comm_loss" : "quality.bad" };
  }
  if (alarms.some((a) => a.state === "shelved")) return { state: "shelved", priority: null, blink, label: "搁置", word: "plan.shelved" };
  if (alarms.some((a) => a.state === "out_of_service")) return { state: "oos", priority: null, blink, label: "停用", word: "plan.oos" };
  if (!reading) return { state: "waiting", priority: null, blink: false, label: "等待数据", word: "reading.none" };
  return { state: "normal", priority: null, blink: false, label: "正常", word: "duty.normal" };
}

export const PRIORITY_WORDS = { critical: "紧急", high: "高", medium: "中", low: "低" };

const ORDER = { alarm: 0, fault: 1, comm: 2, shelved: 3, oos: 4, waiting: 5, normal: 6 };

/** The worst of several statuses (a hazard source from its points). */
export function worstStatus(statuses) {
  let worst = { state: "normal", priority: null, blink: false, label: "正常", word: "duty.normal" };
  for (const s of statuses) {
    const a = ORDER[s.state] - ORDER[worst.state];
    if (a < 0 || (a === 0 && s.priority && (!worst.priority || RANK[s.priority] < RANK[worst.priority]))) {
      worst = { ...s, blink: worst.blink || s.blink };
    } else if (s.blink) {
      worst = { ...worst, blink: true };
    }
  }
  return worst;
}

/** The view box after zooming by `factor` about (cx, cy), kept inside the image and never
 * wider than it (factor < 1 zooms in). */
export function zoomBox([x, y, w, h], factor, cx, cy, width, height) {
  const nw = Math.min(width, Math.max(width / 16, w * factor));
  const nh = nw * (h / w);
  let nx = cx - (cx - x) * (nw / w);
  let ny = cy - (cy - y) * (nh / h);
  nx = Math.min(Math.max(0, nx), width - nw);
  ny = Math.min(Math.max(0, ny), height - nh);
  return [nx, ny, nw, nh];
}
