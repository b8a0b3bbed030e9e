// The handover page (/handover): the current shift, signing a handover (both officers'
// own passwords), the book of signed records, one record to print or download as PDF,
// corrections, and report downloads. Records are never edited here or anywhere.

import { allows, api, whoAmI } from "./api.js";
import { $, el, renderTopbar, toast } from "./ui.js";
import { ITEM_SECTIONS, itemCounts, periodText, reportUrl, setZone, stamp } from "./handoverlogic.js";

let me = null;
let shiftInfo = null;

function itemRows(key, items) {
  if (key === "devices_down") {
    return items.map((d) => el("tr", {}, el("td", {}, d.device), el("td", {}, d.collector),
      el("td", {}, d.state), el("td", {}, stamp(d.last_success)), el("td", {}, d.last_error ?? "")));
  }
  return items.map((a) => {
    let detail = "";
    if (key === "shelved") detail = `${a.shelved_by ?? ""} 至 ${stamp(a.shelved_until)}：${a.shelve_reason ?? ""}`;
    else if (key === "out_of_service") detail = `${a.removed_by ?? ""}：${a.removed_reason ?? ""}`;
    else if (key === "unanswered") detail = a.escalations ? `已升级 ${a.escalations} 次` : "未升级";
    else detail = a.acknowledged_by ? `确认人 ${a.acknowledged_by}` : "未确认";
    return el("tr", {}, el("td", {}, a.tag), el("td", {}, a.name ?? ""),
      el("td", {}, a.type_zh ?? a.type),
      el("td", {}, el("span", { class: `chip chip-${a.priority}` }, a.priority_zh ?? a.priority)),
      el("td", {}, a.state_zh ?? a.state), el("td", {}, stamp(a.raised_at)), el("td", {}, detail));
  });
}

function renderItems(box, items) {
  const { counts } = itemCounts(items);
  const parts = [];
  for (const [key, title] of ITEM_SECTIONS) {
    const list = items?.[key] ?? [];
    parts.push(el("h3", {}, `${title}（${counts[key]}）`));
    if (!list.length) {
      parts.push(el("p", { class: "muted" }, "无"));
      continue;
    }
    const head = key === "devices_down"
      ? ["设备", "采集器", "状态", "最后通讯", "错误"]
      : ["位号", "名称", "报警", "级别", "状态", "发生时间", "说明"];
    parts.push(el("table", { class: "items" },
      el("thead", {}, el("tr", {}, ...head.map((h) => el("th", {}, h)))),
      el("tbody", {}, ...itemRows(key, list))));
  }
  box.replaceChildren(...parts);
}

async function loadShift() {
  shiftInfo = await api("/api/shifts/current");
  setZone(shiftInfo.timezone);
  const cur = shiftInfo.current;
  $("shift-now").textContent = cur
    ? `${cur.name}　${periodText(cur.start, cur.end)}　值班：${cur.officers.join("、") || "—"}`
    : "未配置班次（交接覆盖自上次交接以来的时段）";
  const last = shiftInfo.last_handover;
  $("shift-last").textContent = last
    ? `上次交接：${last.shift}，${last.outgoing} → ${last.incoming}，${stamp(last.incoming_signed_at)}`
    : "还没有交接班记录";
  const ho = shiftInfo.handing_over;
  $("ho-period").textContent = `${ho.name}（${periodText(ho.start, ho.end)}）`;
  const next = cur ? cur.officers : [];
  $("ho-officers").replaceChildren(...next.filter((n) => n !== me.name).map((n) => el("option", { value: n })));
}

async function loadItems() {
  renderItems($("ho-items"), await api("/api/handovers/open-items"));
}

async function loadBook() {
  const records = await api("/api/handovers?limit=100");
  $("book-empty").hidden = records.length > 0;
  $("book-rows").replaceChildren(...records.map((r) => el("tr", { "data-id": r.id },
    el("td", { class: "num" }, String(r.id)),
    el("td", {}, r.kind === "correction" ? `更正 #${r.corrects}` : "交接班"),
    el("td", {}, r.shift), el("td", {}, periodText(r.period_start, r.period_end)),
    el("td", {}, r.outgoing), el("td", {}, r.incoming ?? "—"),
    el("td", {}, stamp(r.outgoing_signed_at)),
    el("td", {}, el("button", { type: "button", class: "open-record",
      "aria-label": `查看记录 ${r.id}`, onclick: () => openRecord(r.corrects ?? r.id) }, "查看"),
    " ", el("a", { href: `/api/handovers/${r.corrects ?? r.id}/pdf`, download: true }, "PDF")))));
}

async function openRecord(id) {
  const detail = await api(`/api/handovers/${id}`);
  const r = detail.record;
  $("record").hidden = false;
  $("record-title").textContent = `交接班记录 No.${r.id}　${r.shift}`;
  $("record-period").textContent = `时段 ${periodText(r.period_start, r.period_end)}`;
  $("record-signatures").replaceChildren(
    el("tr", {}, el("th", {}, "交班人"), el("td", {}, r.outgoing), el("td", {}, stamp(r.outgoing_signed_at, true))),
    el("tr", {}, el("th", {}, "接班人"), el("td", {}, r.incoming ?? "—"), el("td", {}, stamp(r.incoming_signed_at, true))));
  $("record-notes").textContent = r.notes || "（无）";
  renderItems($("record-items"), r.open_items);
  const corrections = detail.corrections;
  $("record-corrections").replaceChildren(...(corrections.length ? [
    el("h3", {}, `更正（${corrections.length}）`),
    el("table", {}, el("tbody", {}, ...corrections.map((c) => el("tr", {},
      el("td", {}, `#${c.id}`), el("td", {}, c.outgoing), el("td", {}, stamp(c.outgoing_signed_at)),
      el("td", {}, c.notes))))),
  ] : []));
  $("record-hash").textContent = `记录校验 SHA-256 ${r.hash}　${detail.book_intact ? "记录簿完整" : `记录簿自 No.${detail.first_broken} 起被改动！`}`;
  $("record-pdf").href = `/api/handovers/${r.id}/pdf`;
  $("record").dataset.id = String(r.id);
  $("correction-form").hidden = !allows(me, "operator");
  document.title = `交接班记录 No.${r.id} ${r.shift} · hazgw`;
  $("record").scrollIntoView({ block: "start" });
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
    toast(`交接完成：记录 No.${record.id}`);
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

async function start() {
  try {
    me = await whoAmI();
  } catch {
    return;  // not signed in: api.js is sending the browser to the login page
  }
  renderTopbar(me, "/handover");
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
  $("record-close").addEventListener("click", () => { $("record").hidden = true; });
  const yesterday = new Date(Date.now() - 86400000);
  $("rp-date").value = `${yesterday.getFullYear()}-${String(yesterday.getMonth() + 1).padStart(2, "0")}-${String(yesterday.getDate()).padStart(2, "0")}`;
  const shifts = shiftInfo?.current ? [shiftInfo.current.name, shiftInfo.handing_over.name] : [];
  $("rp-shift").replaceChildren(...[...new Set(shifts)].map((n) => el("option", { value: n }, n)));
  for (const id of ["rp-kind", "rp-date", "rp-shift", "rp-format"]) $(id).addEventListener("change", updateReportLink);
  updateReportLink();
}

start();
