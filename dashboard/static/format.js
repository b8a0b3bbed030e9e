// How a reading is shown. Rule: a bad reading never shows a number.

export const REASON_LABELS = {
  comm_loss: "通讯中断",
  sensor_fault: "传感器故障",
  out_of_range: "超量程",
  decode_error: "数据解析错误",
  stale: "数据超时",
};

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
    return { cls: "q-bad", text: "—", label: REASON_LABELS[reason] ?? "数据无效" };
  }
  const text = formatValue(value);
  if (quality === "uncertain") {
    return { cls: "q-uncertain", text, label: REASON_LABELS[reason] ?? "数据可疑" };
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
