// Pure helpers of the handover page (tested under node --test): report links, how many
// open items a handover carries, and the words for a record's period.

// [section, the i18n key of its title (words_duty.js)]
export const ITEM_SECTIONS = [
  ["active", "ho.section.active"],
  ["unanswered", "ho.section.unanswered"],
  ["shelved", "ho.section.shelved"],
  ["out_of_service", "ho.section.out_of_service"],
  ["devices_down", "ho.section.devices_down"],
];

/** The download link of a report. */
export function reportUrl(kind, { date = "", shift = "", format = "pdf" } = {}) {
  const params = new URLSearchParams({ format });
  if (date) params.set("date", kind === "monthly" ? date.slice(0, 7) : date);
  if (kind === "shift" && shift) params.set("shift", shift);
  return `/api/reports/${encodeURIComponent(kind)}?${params}`;
}

/** {section: count} of an open-items snapshot, and the total. */
export function itemCounts(items) {
  const counts = {};
  let total = 0;
  for (const [key] of ITEM_SECTIONS) {
    counts[key] = (items?.[key] ?? []).length;
    if (key !== "unanswered") total += counts[key];  // unanswered are also in active
  }
  return { counts, total };
}

// Times are shown in the duty room's zone (the schedule's), whatever the browser's is: a
// record printed anywhere says the same hours.
let zone;

export function setZone(name) {
  zone = name || undefined;
}

/** "2026-12-04 08:00" (or with seconds) in the duty room's zone. */
export function stamp(ts, withSeconds = false) {
  if (ts === null || ts === undefined) return "—";
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
    timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
    minute: "2-digit", second: "2-digit", hourCycle: "h23",
  }).formatToParts(new Date(ts * 1000)).map((p) => [p.type, p.value]));
  const time = `${parts.hour}:${parts.minute}${withSeconds ? `:${parts.second}` : ""}`;
  return `${parts.year}-${parts.month}-${parts.day} ${time}`;
}

/** "start 至 end"; the page passes its language's word for "to". */
export function periodText(start, end, to = "至") {
  return `${stamp(start)} ${to} ${stamp(end)}`;
}
