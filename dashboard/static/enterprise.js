// 一企一档 (/enterprise?site=CODE): hazard sources with the GB 18218-2018 R value computed
// by the gateway from the site file, contacts with phone numbers, versioned documents, and
// the devices and points with their live state.

import { allows, api, whoAmI } from "./api.js";
import { $, el, renderTopbar } from "./ui.js";
import { display } from "./format.js";
import { stamp } from "./handoverlogic.js";

let me = null;

function sources(list) {
  return list.map((s) => {
    const id = s.identification;
    const head = el("h3", {}, `${s.name}（${s.id}）　申报等级：${s.grade_zh}`);
    if (!id.available) return el("div", { class: "hs", "data-source": s.id }, head, el("p", { class: "muted" }, id.reason));
    const verdict = id.matches_declared ? "与申报等级一致" : `与申报等级（${s.grade_zh}）不一致，请核实`;
    return el("div", { class: "hs", "data-source": s.id }, head,
      el("table", {}, el("thead", {}, el("tr", {}, ...["危险化学品", "q (t)", "Q (t)", "β", "β·q/Q", "依据"].map((h) => el("th", {}, h)))),
        el("tbody", {}, ...id.terms.map((t) => el("tr", {}, el("td", {}, t.name), el("td", { class: "num" }, String(t.q)),
          el("td", { class: "num" }, String(t.Q)), el("td", { class: "num" }, String(t.beta)),
          el("td", { class: "num" }, String(t.ratio)), el("td", {}, `${id.standard} ${t.basis}`))))),
      el("p", { class: "r-value" }, `α = ${id.alpha}${id.people !== null ? `（500 m 内 ${id.people} 人）` : "（未填人数，取 1）"}　`,
        el("strong", {}, `R = ${id.r}　计算等级：${id.grade_zh}`), `　${verdict}`));
  });
}

function documents(docs, code) {
  if (!docs.length) return [el("p", { class: "muted" }, "尚未上传文件")];
  return docs.map((d) => el("div", { class: "doc" }, el("h3", {}, d.title),
    el("table", {}, el("tbody", {}, ...d.versions.map((v, i) => el("tr", {},
      el("td", {}, `第 ${v.version} 版${i === 0 ? "（现行）" : ""}`),
      el("td", {}, el("a", { href: v.url, download: v.filename }, v.filename)),
      el("td", { class: "num" }, `${Math.ceil(v.size / 1024)} KB`),
      el("td", {}, v.uploaded_by), el("td", {}, stamp(v.uploaded_at)),
      el("td", { class: "small muted" }, v.sha256.slice(0, 16))))))));
}

async function devices(list) {
  const { points } = await api("/api/points");
  const byId = new Map(points.map((p) => [p.id, p]));
  return list.map((d) => el("div", {}, el("h3", {}, `${d.name}（${d.id}，${d.transport}）`),
    el("table", {}, el("tbody", {}, ...d.points.map((p) => {
      const shown = display(byId.get(p.id)?.reading);
      return el("tr", { "data-point": p.id }, el("td", {}, el("a", { href: `/trend?point=${encodeURIComponent(p.id)}&range=8h` }, p.tag)),
        el("td", {}, p.name), el("td", { class: `num ${shown.cls}` }, `${shown.text} ${p.unit}`), el("td", {}, shown.label || "正常"));
    })))));
}

async function load(code) {
  const view = await api(`/api/enterprises/${encodeURIComponent(code)}`);
  history.replaceState(null, "", `/enterprise?site=${encodeURIComponent(code)}`);
  $("ent-title").textContent = `${view.name}（${view.code}）`;
  $("ent-plan").href = `/plan?site=${encodeURIComponent(code)}`;
  $("ent-plan").hidden = !view.has_plan;
  $("ent-sources").replaceChildren(...sources(view.hazard_sources));
  $("ent-contacts").replaceChildren(...view.contacts.map((c) => el("tr", {},
    el("td", {}, c.role_zh), el("td", {}, c.name), el("td", {}, c.title),
    el("td", {}, el("a", { href: `tel:${c.phone.replaceAll(" ", "")}` }, c.phone)),
    el("td", {}, c.hazard_source_name ?? ""))));
  $("ent-docs").replaceChildren(...documents(view.documents, code));
  $("ent-devices").replaceChildren(...await devices(view.devices));
}

async function start() {
  try {
    me = await whoAmI();
  } catch {
    return;
  }
  renderTopbar(me, "/enterprise");
  try {
    const list = await api("/api/enterprises");
    $("ent-site").replaceChildren(...list.map((e) => el("option", { value: e.code }, `${e.name}（${e.code}）`)));
    const wanted = new URLSearchParams(location.search).get("site");
    const code = list.some((e) => e.code === wanted) ? wanted : list[0].code;
    $("ent-site").value = code;
    $("ent-site").addEventListener("change", (e) => load(e.target.value));
    $("ent-print").addEventListener("click", () => window.print());
    $("doc-form").hidden = !allows(me, "engineer");
    $("doc-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const file = $("doc-file").files[0];
      $("doc-error").textContent = "";
      if (!file) return;
      const site = $("ent-site").value;
      const params = new URLSearchParams({ title: $("doc-title-input").value, filename: file.name });
      const answer = await fetch(`/api/enterprises/${encodeURIComponent(site)}/documents?${params}`,
        { method: "PUT", body: file, credentials: "same-origin" });
      if (!answer.ok) {
        $("doc-error").textContent = (await answer.json().catch(() => ({}))).detail ?? `HTTP ${answer.status}`;
        return;
      }
      $("doc-file").value = "";
      await load(site);
    });
    await load(code);
  } catch (e) {
    $("load-error").hidden = false;
    $("load-error").textContent = e.message;
  }
}

start();
