// The answer-link page (/a/<token>): the alarm a notice's link names, and its
// acknowledgement by the signed-in person. Nobody signed in: api.js sends the browser to
// /login?next=/a/<token>, which comes back here. A used, expired or forged link is said
// so in words, in both languages.

import { api } from "./api.js";
import { applyI18n, initI18n, onLanguageChange, t, tOr } from "./i18n.js";
import { linkView } from "./ledgerlogic.js";
import { el, formatDateTime } from "./ui.js";

const $ = (id) => document.getElementById(id);
const DISPOSITIONS = ["real", "false_alarm", "maintenance", "instrument_fault"];
const token = decodeURIComponent(location.pathname.replace(/^\/a\//, ""));
const path = `/api/answer/${encodeURIComponent(token)}`;
let answer = null;  // GET /api/answer/<token>
let done = null;  // the alarm as the acknowledgement left it
let failure = null;

function message(key, vars) {
  const box = $("answer-message");
  box.hidden = !key;
  box.textContent = key ? t(key, vars) : "";
  box.dataset.status = answer?.status ?? "";
}

function fact(label, value) {
  return [el("dt", {}, label), el("dd", {}, value ?? "—")];
}

function render() {
  if (failure) {
    message("common.error", { e: failure });
    return;
  }
  if (!answer) return;
  const view = linkView(answer);
  if (view.message) {
    message(view.message, { ...view.vars, when: formatDateTime(answer.used_at) });
    $("answer-alarm").hidden = true;
    return;
  }
  const alarm = done ?? answer.alarm;
  $("answer-alarm").hidden = false;
  $("answer-heading").textContent =
    `${alarm.site_name ?? alarm.site} ${alarm.tag} ${alarm.point_name ?? ""} · ${tOr(`type.${alarm.type}`, alarm.type)}`;
  $("answer-for").textContent = t("answer.for", { who: answer.recipient, route: answer.route });
  $("answer-facts").replaceChildren(
    ...fact(t("history.priority"), tOr(`priority.${alarm.priority}`, alarm.priority)),
    ...fact(t("answer.state"), tOr(`state.${alarm.state}`, alarm.state)),
    ...fact(t("answer.value"), alarm.value == null ? null : `${alarm.value} ${alarm.unit ?? ""}`),
    ...fact(t("answer.raised"), formatDateTime(alarm.raised_at)),
  );
  if (done) {
    $("answer-form").hidden = true;
    message("answer.done", { user: done.acknowledged_by, when: formatDateTime(done.acknowledged_at) });
    return;
  }
  $("answer-form").hidden = !view.form;
  message(view.form ? null : "answer.notAwaiting", { state: tOr(`state.${alarm.state}`, alarm.state) });
  const select = $("answer-disposition");
  select.replaceChildren(...DISPOSITIONS.map((d) => el("option", { value: d }, t(`disposition.${d}`))));
  select.required = view.critical;
  select.closest("label").hidden = !view.critical;
  $("answer-comment").required = view.critical;
}

async function acknowledge(event) {
  event.preventDefault();
  const view = linkView(answer);
  const comment = $("answer-comment").value.trim() || null;
  const error = $("answer-error");
  error.hidden = true;
  if (view.critical && !comment) {
    error.hidden = false;
    error.textContent = t("disposition.none");
    return;
  }
  const disposition = view.critical ? $("answer-disposition").value : null;
  $("answer-ack").disabled = true;
  try {
    done = await api(`${path}/ack`, { method: "POST", body: { comment, disposition } });
  } catch (failed) {
    if (failed.status === 410 || failed.status === 404) {
      answer = await api(path);  // used or expired meanwhile: say which
    } else if (failed.status === 403) {
      error.hidden = false;
      error.textContent = t("answer.readOnly");
    } else {
      error.hidden = false;
      error.textContent = failed.message;
    }
  } finally {
    $("answer-ack").disabled = false;
  }
  render();
}

async function start() {
  initI18n();
  applyI18n();
  onLanguageChange(render);
  $("answer-form").addEventListener("submit", acknowledge);
  try {
    answer = await api(path);
  } catch (error) {
    if (error.status === 401) return;  // on the way to the login page
    failure = error.message;
  }
  render();
}

start();
