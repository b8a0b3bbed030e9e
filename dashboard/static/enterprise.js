// 一企一档 (/enterprise?site=CODE): hazard sources with the GB 18218-2018 R value computed
// by the gateway from the site file, contacts with phone numbers, versioned documents, and
// the devices and points with their live state.

import { allows, api, whoAmI } from "./api.js";
import { $, el, renderTopbar, showReading } from "./ui.js";
import { initI18n, onLanguageChange, t, tOr } from "./i18n.js";
import { stamp } from "./handoverlogic.js";
import { basisText } from "./enterpriselogic.js";

let me = null;
let view = null;  // the last answers, drawn again when the language changes
let readings = new Map();

const gradeOf = (grade, zh) => tOr(`grade.${grade}`, zh ?? String(grade));

function sources(list) {
  return list.map((s) => {
    const id = s.identification;
    const declared = gradeOf(s.grade, s.grade_zh);
    const head = el("h3", {}, t("ent.declared", { name: s.name, id: s.id, grade: declared }));
    if (!id.available) {
      return el("div", { class: "hs", "data-source": s.id }, head,
        el("p", { class: "muted" }, id.code === "no_chemicals" ? t("ent.noChemicals") : id.reason));
    }
    const verdict = id.matches_declared ? t("ent.matches") : t("ent.differs", { grade: declared });
    const heads = [t("ent.col.chemical"), "q (t)", "Q (t)", "β", "β·q/Q", t("ent.col.basis")];
    return el("div", { class: "hs", "data-source": s.id }, head,
      el("table", {}, el("thead", {}, el("tr", {}, ...heads.map((h) => el("th", {}, h)))),
        el("tbody", {}, ...id.terms.map((row) => el("tr", {}, el("td", {}, row.name), el("td", { class: "num" }, String(row.q)),
          el("td", { class: "num" }, String(row.Q)), el("td", { class: "num" }, String(row.beta)),
          el("td", { class: "num" }, String(row.ratio)), el("td", {}, `${id.standard} ${basisText(row.basis, t)}`))))),
      el("p", { class: "r-value" }, id.people !== null
        ? t("ent.alpha", { alpha: id.alpha, n: id.people }) : t("ent.alphaDefault", { alpha: id.alpha }),
      el("strong", {}, t("ent.r", { r: id.r, grade: gradeOf(id.grade, id.grade_zh) })), ` ${verdict}`));
  });
}

function documents(docs, code) {
  if (!docs.length) return [el("p", { class: "muted" }, t("ent.noDocs"))];
  return docs.map((d) => el("div", { class: "doc" }, el("h3", {}, d.title),
    el("table", {}, el("tbody", {}, ...d.versions.map((v, i) => el("tr", {},
      el("td", {}, `${t("ent.version", { n: v.version })}${i === 0 ? t("ent.current") : ""}`),
      el("td", {}, el("a", { href: v.url, download: v.filename }, v.filename)),
      el("td", { class: "num" }, `${Math.ceil(v.size / 1024)} KB`),
      el("td", {}, v.uploaded_by), el("td", {}, stamp(v.uploaded_at)),
      el("td", { class: "small muted" }, v.sha256.slice(0, 16))))))));
}

function devices(list) {
  return list.map((d) => el("div", {}, el("h3", {}, t("ent.device", { name: d.name, id: d.id, transport: d.transport })),
    el("table", {}, el("tbody", {}, ...d.points.map((p) => {
      const shown = showReading(readings.get(p.id));
      return el("tr", { "data-point": p.id }, el("td", {}, el("a", { href: `/trend?point=${encodeURIComponent(p.id)}&range=8h` }, p.tag)),
        el("td", {}, p.name), el("td", { class: `num ${shown.cls}` }, `${shown.text} ${p.unit}`), el("td", {}, shown.label || t("duty.normal")));
    })))));
}

async function load(code) {
  const [answer, { points }] = await Promise.all([
    api(`/api/enterprises/${encodeURIComponent(code)}`), api("/api/points")]);
  view = answer;
  readings = new Map(points.map((p) => [p.id, p.reading]));
  history.replaceState(null, "", `/enterprise?site=${encodeURIComponent(code)}`);
  draw(code);
}

function draw(code) {
  $("ent-title").textContent = t("duty.named", { name: view.name, code: view.code });
  $("ent-plan").href = `/plan?site=${encodeURIComponent(code)}`;
  $("ent-plan").hidden = !view.has_plan;
  $("ent-sources").replaceChildren(...sources(view.hazard_sources));
  $("ent-contacts").replaceChildren(...view.contacts.map((c) => el("tr", {},
    el("td", {}, tOr(`contact.${c.role}`, c.role_zh)), el("td", {}, c.name), el("td", {}, c.title),
    el("td", {}, el("a", { href: `tel:${c.phone.replaceAll(" ", "")}` }, c.phone)),
    el("td", {}, c.hazard_source_name ?? ""))));
  $("ent-docs").replaceChildren(...documents(view.documents, code));
  $("ent-devices").replaceChildren(...devices(view.devices));
}

async function start() {
  initI18n();
  try {
    me = await whoAmI();
  } catch {
    return;
  }
  renderTopbar(me, "/enterprise");
  try {
    const list = await api("/api/enterprises");
    const siteOptions = () => $("ent-site").replaceChildren(...list.map((e) =>
      el("option", { value: e.code }, t("duty.named", { name: e.name, code: e.code }))));
    siteOptions();
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
    onLanguageChange(() => {
      renderTopbar(me, "/enterprise");
      const site = $("ent-site").value;
      siteOptions();
      $("ent-site").value = site;
      // The default title of a new document follows the language while nobody typed one.
      const title = $("doc-title-input");
      if (!title.dataset.typed) title.value = t("ent.docDefault");
      if (view) draw(view.code);
    });
    $("doc-title-input").addEventListener("input", (e) => { e.target.dataset.typed = "1"; });
    $("doc-title-input").value = t("ent.docDefault");
    await load(code);
  } catch (e) {
    $("load-error").hidden = false;
    $("load-error").textContent = e.message;
  }
}

start();
