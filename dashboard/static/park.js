// The park wall: one tile per enterprise from GET /api/enterprises, the park's figures and
// alarms from GET /api/park, refreshed every 2 s; a click drills down to one enterprise:
// its hazard sources and points in their live alarm colours, like the enterprise's wall.
import { priorityClass, ageText, sourceCards, cellClass } from "/static/parklogic.js";
import { tOr } from "/static/i18n.js";
import { REQUEST_TIMEOUT } from "/static/api.js";
import { watchGateway } from "/static/gatewaywatch.js";

const $ = (id) => document.getElementById(id);
let selected = null;

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

const PRIORITY_ZH = { critical: "红", high: "橙", medium: "黄", low: "蓝" };

function tile(e) {
  const node = el("div", `ent ${priorityClass(e)}`);
  node.dataset.code = e.code;
  node.append(el("div", "name", e.name));
  const meta = el("div", "meta");
  meta.append(el("span", "", e.code));
  if (e.grade) meta.append(el("span", "", `${["", "一", "二", "三", "四"][e.grade]}级重大危险源`));
  meta.append(el("span", "", `数据 ${ageText(e.data_age)}`));
  if (e.backlog) meta.append(el("span", "", `待传 ${e.backlog}`));
  node.append(meta);
  const state = e.online
    ? (e.worst_priority ? `${PRIORITY_ZH[e.worst_priority] || ""}色报警` : "正常")
    : "企业离线";
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
  node.append(el("span", "pstate", e.online === false ? "—" : (words || "正常")));
  return node;
}

function sourceCard(e, card) {
  const node = el("section", `hs ${cellClass(e, card)}`);
  const head = el("div", "hs-head");
  head.append(el("span", "hs-name", card.name || "其他测点"));
  if (card.grade) head.append(el("span", "hs-grade", `${tOr(`grade.${card.grade}`, card.grade)}重大危险源`));
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
  $("drill-title").textContent = `${e.name} (${e.code}) · 危险源与测点`;
  $("drill-state").textContent = e.online ? `数据 ${ageText(e.data_age)}` : "企业离线";
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
    $("park-alarms").replaceChildren(...park.alarms.slice(0, 30).map((a) => {
      const li = el("li", a.active ? "active" : "", a.text);
      if (a.enterprise_acked_at) li.append(el("div", "ack", `企业已确认 (${a.enterprise_acked_by || ""})`));
      if (a.response) li.append(el("div", "ack", `已叫应: ${a.response.answered_by} · ${a.response.action}`));
      return li;
    }));
    if (selected) await showDetail(selected);
    else showPark();
    $("load-error").hidden = true;
  } catch (error) {
    $("load-error").hidden = false;
    $("load-error").textContent = `数据加载失败: ${error.message}`;
  }
}

$("drill-back").addEventListener("click", () => { showPark(); refresh(); });
setInterval(() => { $("clock").textContent = new Date().toLocaleTimeString("zh-CN", { hour12: false }); }, 1000);
setInterval(refresh, 2000);
refresh();
watchGateway();
