// The park wall: one tile per enterprise from GET /api/enterprises, the park's figures and
// alarms from GET /api/park, refreshed every 2 s; a click drills down to one enterprise:
// its hazard sources and points in their live alarm colours, like the enterprise's wall.
import { priorityClass, ageText, parkAlarmText, sourceCards, cellClass } from "/static/parklogic.js";
import { REQUEST_TIMEOUT } from "/static/api.js";
import { watchGateway } from "/static/gatewaywatch.js";
import { currentLanguage, initI18n, locale, onLanguageChange, t, tOr } from "/static/i18n.js";

const $ = (id) => document.getElementById(id);
let selected = null;

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function tile(e) {
  const node = el("div", `ent ${priorityClass(e)}`);
  node.dataset.code = e.code;
  node.append(el("div", "name", e.name));
  const meta = el("div", "meta");
  meta.append(el("span", "", e.code));
  if (e.grade) meta.append(el("span", "", t("park.gradeSource", { grade: tOr(`grade.${e.grade}`, String(e.grade)) })));
  meta.append(el("span", "", t("park.data", { age: ageText(e.data_age, t) })));
  if (e.backlog) meta.append(el("span", "", t("park.backlog", { n: e.backlog })));
  node.append(meta);
  const state = e.online
    ? (e.worst_priority ? t("park.colourAlarm", { colour: tOr(`colour.${e.worst_priority}`, e.worst_priority) }) : t("duty.normal"))
    : t("park.offline");
  node.append(el("div", e.online ? "state" : "state off", state));
  node.addEventListener("click", () => { selected = e.code; refresh(); });
  return node;
}

async function getJson(url) {
  // Bounded like api.js: a hung gateway must show as an error, not an endless wait.
  const response = await fetch(url, { credentials: "same-origin", signal: AbortSignal.timeout(REQUEST_TIMEOUT) });
  if (response.status === 401) { location.href = "/login?next=/park"; throw new Error("401"); }
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

function alarmWords(alarm) {
  return `${tOr(`type.${alarm.alarm_type}`, alarm.alarm_type)} ${tOr(`wall.state.${alarm.state}`, alarm.state)}`;
}

function pointCell(e, p) {
  const node = el("div", `pt ${cellClass(e, p)}`);
  node.append(el("span", "tag", p.tag), el("span", "pname", p.name));
  const words = p.alarms.map(alarmWords).join(" · ");
  node.append(el("span", "pstate", e.online === false ? "—" : (words || t("park.normal"))));
  return node;
}

function sourceCard(e, card) {
  const node = el("section", `hs ${cellClass(e, card)}`);
  const head = el("div", "hs-head");
  head.append(el("span", "hs-name", card.name || t("park.otherPoints")));
  if (card.grade) head.append(el("span", "hs-grade", t("park.gradeSource", { grade: tOr(`grade.${card.grade}`, card.grade) })));
  if (card.kind) head.append(el("span", "hs-kind", tOr(`kind.${card.kind}`, card.kind)));
  node.append(head);
  const grid = el("div", "pts");
  grid.append(...card.points.map((p) => pointCell(e, p)));
  node.append(grid);
  return node;
}

async function showDetail(code) {
  const e = await getJson(`/api/enterprises/${encodeURIComponent(code)}`);
  $("tiles").hidden = true;
  $("drill").hidden = false;
  $("drill-title").textContent = t("park.detail", { name: `${e.name} (${e.code})` });
  $("drill-state").textContent = e.online ? t("park.data", { age: ageText(e.data_age, t) }) : t("park.offline");
  $("drill-state").className = e.online ? "drill-state" : "drill-state off";
  $("drill-cards").replaceChildren(...sourceCards(e).map((card) => sourceCard(e, card)));
}

function showPark() {
  selected = null;
  $("drill").hidden = true;
  $("tiles").hidden = false;
}

async function refresh() {
  try {
    const [list, park] = await Promise.all([getJson("/api/enterprises"), getJson("/api/park")]);
    $("tiles").replaceChildren(...list.enterprises.map(tile));
    const f = park.figures;
    $("online-rate").textContent = `${f.online}/${f.enterprises}`;
    $("alarms-today").textContent = f.alarms_today;
    $("unanswered").textContent = f.unanswered_calls;
    const names = new Map(list.enterprises.map((e) => [e.code, e.name]));
    $("park-alarms").replaceChildren(...park.alarms.slice(0, 30).map((a) => {
      const li = el("li", a.active ? "active" : "", parkAlarmText(a, names, t, currentLanguage()));
      if (a.enterprise_acked_at) li.append(el("div", "ack", t("park.acked", { by: a.enterprise_acked_by || "" })));
      if (a.response) li.append(el("div", "ack", t("park.answered", { by: a.response.answered_by, action: a.response.action })));
      return li;
    }));
    if (selected) await showDetail(selected);
    else showPark();
    $("load-error").hidden = true;
  } catch (error) {
    $("load-error").hidden = false;
    $("load-error").textContent = t("park.loadFailed", { e: error.message });
  }
}

$("drill-back").addEventListener("click", () => { showPark(); refresh(); });
initI18n();
onLanguageChange(() => refresh());  // the wall's words again now, not at the next 2 s
setInterval(() => { $("clock").textContent = new Date().toLocaleTimeString(locale(), { hour12: false }); }, 1000);
setInterval(refresh, 2000);
refresh();
watchGateway();
