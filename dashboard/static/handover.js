// The handover page (/handover): the current shift, signing a handover (both officers'
// own passwords), the book of signed records, one record to print or download as PDF,
// corrections, and report downloads. Records are never edited here or anywhere.
// zh-CN first with the English toggle of the other screens: what came from the server is kept
// and drawn again in the other language, without asking the server again.

import { allows, api, whoAmI } from "./api.js";
import { $, alarmTypeLabel, el, renderTopbar, stateLabel, toast } from "./ui.js";
import { initI18n, onLanguageChange, t, tOr } from "./i18n.js";
import { ITEM_SECTIONS, itemCounts, periodText as period, reportUrl, setZone, stamp } from "./handoverlogic.js";

let me = null;
let shiftInfo = null;
let openItems = null;  // the last answers, drawn again when the language changes
let book = [];
let shown = null;  // the record on screen: {record, corrections, ...}

const periodText = (start, end) => period(start, end, t("duty.to"));

function itemRows(key, items) {
  if (key === "devices_down") {
    return items.map((d) => el("tr", {}, el("td", {}, d.device), el("td", {}, d.collector),
      el("td", {}, tOr(`link.${d.state}`, d.state)), el("td", {}, stamp(d.last_success)), el("td", {}, d.last_error ?? "")));
  }
  return items.map((a) => {
    let detail = "";
    if (key === "shelved") {
      detail = t("ho.shelvedDetail", { by: a.shelved_by ?? "", until: stamp(a.shelved_until), reason: a.shelve_reason ?? "" });
    } else if (key === "out_of_service") {
      detail = t("ho.removedDetail", { by: a.removed_by ?? "", reason: a.removed_reason ?? "" });
    } else if (key === "unanswered") {
      detail = a.escalations ? t("ho.escalated", { n: a.escalations }) : t("ho.notEscalated");
    } else {
      detail = a.acknowledged_by ? t("ho.ackedBy", { by: a.acknowledged_by }) : t("ho.notAcked");
    }
    // The words from the gateway's vocabulary by value; the server's Chinese (*_zh) only
    // for a value this page does not know yet.
    return el("tr", {}, el("td", {}, a.tag), el("td", {}, a.name ?? ""),
      el("td", {}, tOr(`type.${a.type}`, a.type_zh ?? alarmTypeLabel(a.type))),
      el("td", {}, el("span", { class: `chip chip-${a.priority}` }, tOr(`colour.${a.priority}`, a.priority_zh ?? a.priority))),
      el("td", {}, tOr(`state.${a.state}`, a.state_zh ?? stateLabel(a.state))), el("td", {}, stamp(a.raised_at)), el("td", {}, detail));
  });
}

function renderItems(box, items) {
  const { counts } = itemCounts(items);
  const parts = [];
  for (const [key, title] of ITEM_SECTIONS) {
    const list = items?.[key] ?? [];
    parts.push(el("h3", {}, t("ho.sectionCount", { title: t(title), n: counts[key] })));
    if (!list.length) {
      parts.push(el("p", { class: "muted" }, t("duty.none")));
      continue;
    }
    const head = key === "devices_down"
      ? ["ho.col.device", "ho.col.collector", "ho.col.state", "ho.col.lastContact", "ho.col.error"]
      : ["ho.col.tag", "ho.col.pointName", "ho.col.alarm", "ho.col.level", "ho.col.state", "ho.col.raised", "ho.col.detail"];
    parts.push(el("table", { class: "items" },
      el("thead", {}, el("tr", {}, ...head.map((h) => el("th", {}, t(h))))),
      el("tbody", {}, ...itemRows(key, list))));
  }
  box.replaceChildren(...parts);
}

async function loadShift() {
  shiftInfo = await api("/api/shifts/current");
  setZone(shiftInfo.timezone);
  drawShift();
}

function drawShift() {
  if (!shiftInfo) return;
  const cur = shiftInfo.current;
  $("shift-now").textContent = cur
    ? t("ho.shiftNow", { name: cur.name, period: periodText(cur.start, cur.end),
      officers: cur.officers.join(t("tp.list")) || "—" })
    : t("ho.noSchedule");
  const last = shiftInfo.last_handover;
  $("shift-last").textContent = last
    ? t("ho.lastHandover", { shift: last.shift, from: last.outgoing, to: last.incoming, at: stamp(last.incoming_signed_at) })
    : t("ho.bookEmpty");
  const ho = shiftInfo.handing_over;
  $("ho-period").textContent = t("ho.handingPeriod", { name: ho.name, period: periodText(ho.start, ho.end) });
  const next = cur ? cur.officers : [];
  $("ho-officers").replaceChildren(...next.filter((n) => n !== me.name).map((n) => el("option", { value: n })));
}

async function loadItems() {
  openItems = await api("/api/handovers/open-items");
  renderItems($("ho-items"), openItems);
}

async function loadBook() {
  book = await api("/api/handovers?limit=100");
  drawBook();
}

function drawBook() {
  const records = book;
  $("book-empty").hidden = records.length > 0;
  $("book-rows").replaceChildren(...records.map((r) => el("tr", { "data-id": r.id },
    el("td", { class: "num" }, String(r.id)),
    el("td", {}, r.kind === "correction" ? t("ho.kind.correction", { id: r.corrects }) : t("ho.kind.handover")),
    el("td", {}, r.shift), el("td", {}, periodText(r.period_start, r.period_end)),
    el("td", {}, r.outgoing), el("td", {}, r.incoming ?? "—"),
    el("td", {}, stamp(r.outgoing_signed_at)),
    el("td", {}, el("button", { type: "button", class: "open-record",
      "aria-label": t("ho.viewRecord", { id: r.id }), onclick: () => openRecord(r.corrects ?? r.id) }, t("ho.view")),
    " ", el("a", { href: `/api/handovers/${r.corrects ?? r.id}/pdf`, download: true }, "PDF")))));
}

async function openRecord(id) {
  shown = await api(`/api/handovers/${id}`);
  drawRecord();
  $("record").scrollIntoView({ block: "start" });
}

function drawRecord() {
  if (!shown) return;
  const detail = shown;
  const r = detail.record;
  $("record").hidden = false;
  $("record-title").textContent = t("ho.recordTitle", { id: r.id, shift: r.shift });
  $("record-period").textContent = t("ho.recordPeriod", { period: periodText(r.period_start, r.period_end) });
  $("record-signatures").replaceChildren(
    el("tr", {}, el("th", {}, t("ho.outgoing")), el("td", {}, r.outgoing), el("td", {}, stamp(r.outgoing_signed_at, true))),
    el("tr", {}, el("th", {}, t("ho.incoming")), el("td", {}, r.incoming ?? "—"), el("td", {}, stamp(r.incoming_signed_at, true))));
  $("record-notes").textContent = r.notes || t("ho.noNotes");
  renderItems($("record-items"), r.open_items);
  const corrections = detail.corrections;
  $("record-corrections").replaceChildren(...(corrections.length ? [
    el("h3", {}, t("ho.corrections", { n: corrections.length })),
    el("table", {}, el("tbody", {}, ...corrections.map((c) => el("tr", {},
      el("td", {}, `#${c.id}`), el("td", {}, c.outgoing), el("td", {}, stamp(c.outgoing_signed_at)),
      el("td", {}, c.notes))))),
  ] : []));
  $("record-hash").textContent = t("ho.hash", { hash: r.hash,
    verdict: detail.book_intact ? t("ho.intact") : t("ho.broken", { id: detail.first_broken }) });
  $("record-pdf").href = `/api/handovers/${r.id}/pdf`;
  $("record").dataset.id = String(r.id);
  $("correction-form").hidden = !allows(me, "operator");
  document.title = `${t("ho.recordTitle", { id: r.id, shift: r.shift })} · hazgw`;
}

async function signHandover(event) {
  event.preventDefault();
  const error = $("ho-error");
  error.textContent = "";
  $("ho-sign").disabled = true;
  try {
    const record = await api("/api/handovers", { method: "POST", body: {
      notes: $("ho-notes").value,
      outgoing_password: $("ho-outgoing-password").value,
      incoming: $("ho-incoming").value.trim(),
      incoming_password: $("ho-incoming-password").value,
    } });
    for (const id of ["ho-notes", "ho-outgoing-password", "ho-incoming", "ho-incoming-password"]) $(id).value = "";
    toast(t("ho.done", { id: record.id }));
    await Promise.all([loadShift(), loadBook(), loadItems()]);
    await openRecord(record.id);
  } catch (e) {
    error.textContent = e.message;
  } finally {
    $("ho-sign").disabled = false;
  }
}

async function addCorrection(event) {
  event.preventDefault();
  const id = $("record").dataset.id;
  $("corr-error").textContent = "";
  try {
    await api(`/api/handovers/${id}/corrections`, { method: "POST", body: {
      text: $("corr-text").value, password: $("corr-password").value } });
    $("corr-text").value = "";
    $("corr-password").value = "";
    await Promise.all([openRecord(id), loadBook()]);
  } catch (e) {
    $("corr-error").textContent = e.message;
  }
}

function updateReportLink() {
  const kind = $("rp-kind").value;
  $("rp-shift-label").hidden = kind !== "shift";
  $("rp-download").href = reportUrl(kind, {
    date: $("rp-date").value, shift: kind === "shift" ? $("rp-shift").value : "",
    format: $("rp-format").value,
  });
}

function redraw() {
  renderTopbar(me, "/handover");
  drawShift();
  if (openItems) renderItems($("ho-items"), openItems);
  drawBook();
  drawRecord();
}

async function start() {
  initI18n();
  try {
    me = await whoAmI();
  } catch {
    return;  // not signed in: api.js is sending the browser to the login page
  }
  renderTopbar(me, "/handover");
  onLanguageChange(redraw);
  try {
    await loadShift();
    await loadBook();
    if (allows(me, "operator")) {
      $("handover-panel").hidden = false;
      $("ho-outgoing").value = me.name;
      await loadItems();
    }
  } catch (e) {
    const banner = $("load-error");
    banner.hidden = false;
    banner.textContent = e.message;
  }
  $("handover-form").addEventListener("submit", signHandover);
  $("correction-form").addEventListener("submit", addCorrection);
  $("record-print").addEventListener("click", () => window.print());
  $("record-close").addEventListener("click", () => {
    $("record").hidden = true;
    shown = null;
    document.title = `${t("ho.title")} · hazgw`;
  });
  const yesterday = new Date(Date.now() - 86400000);
  $("rp-date").value = `${yesterday.getFullYear()}-${String(yesterday.getMonth() + 1).padStart(2, "0")}-${String(yesterday.getDate()).padStart(2, "0")}`;
  const shifts = shiftInfo?.current ? [shiftInfo.current.name, shiftInfo.handing_over.name] : [];
  $("rp-shift").replaceChildren(...[...new Set(shifts)].map((n) => el("option", { value: n }, n)));
  for (const id of ["rp-kind", "rp-date", "rp-shift", "rp-format"]) $(id).addEventListener("change", updateReportLink);
  updateReportLink();
}

start();
