// How a reading is shown. Rule: a bad reading never shows a number.
//
// The live page is Chinese only: its labels are the zh-CN words of the gateway's
// vocabulary (/static/terms.js, made from alerting/terms.py), the same as on the wall,
// the console, the CSV export and the notifications.

import { TERMS } from "./terms.js";

/** The Chinese word for a vocabulary key ("reason.comm_loss"), undefined if there is none. */
function zh(key) {
  return Object.hasOwn(TERMS, key) ? TERMS[key][0] : undefined;
}

export const GRADE_LABELS = { 1: "一级", 2: "二级", 3: "三级", 4: "四级" };

export const SOURCE_KINDS = {
  tank_farm: "储罐区",
  warehouse: "库区",
  process_unit: "生产装置",
  dust_line: "粉尘涉爆",
};

/** @param {[any, string, string, number] | undefined} reading  [value, quality, reason, ts] */
export function display(reading) {
  if (!reading) {
    return { cls: "q-none", text: "—", label: "等待数据" };
  }
  const [value, quality, reason] = reading;
  if (quality === "bad" || value === null || value === undefined) {
    return { cls: "q-bad", text: "—", label: zh(`reason.${reason}`) ?? zh("quality.bad") };
  }
  const text = formatValue(value);
  if (quality === "uncertain") {
    return { cls: "q-uncertain", text, label: zh(`reason.${reason}`) ?? zh("quality.uncertain") };
  }
  return { cls: "q-good", text, label: "" };
}

export function formatValue(value) {
  if (typeof value === "boolean") return value ? "触发" : "正常";
  const magnitude = Math.abs(value);
  const digits = magnitude >= 1000 ? 0 : magnitude >= 100 ? 1 : magnitude >= 1 ? 2 : 3;
  return value.toFixed(digits);
}

export function formatTime(ts, now = new Date()) {
  if (typeof ts !== "number") return "";
  const when = new Date(ts * 1000);
  const time = when.toLocaleTimeString("zh-CN", { hour12: false });
  if (when.toDateString() === now.toDateString()) return time;
  // Not today: the date matters, an old value must not pass for a current one.
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(when.getMonth() + 1)}-${pad(when.getDate())} ${time}`;
}
