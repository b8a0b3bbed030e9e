// The sign-in form: POST /api/login, then on to ?next= (same-origin paths only) or /console.

import { api } from "./api.js";
import { initI18n, onLanguageChange, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
let lastError = null;  // [key, vars], re-translated on a language switch

/** Only a path on this server: never an open redirect to another site. */
export function safeNext(raw) {
  if (typeof raw !== "string" || !raw.startsWith("/") || raw.startsWith("//") || raw.startsWith("/\\")) {
    return "/console";
  }
  if (raw.startsWith("/login")) return "/console";
  return raw;
}

function showError(key, vars) {
  lastError = key ? [key, vars] : null;
  const box = $("login-error");
  box.hidden = !key;
  box.textContent = key ? t(key, vars) : "";
}

function showReason() {
  const reason = new URLSearchParams(location.search).get("reason");
  const box = $("login-reason");
  const key = { expired: "login.expired", display: "login.display" }[reason];
  box.hidden = !key;
  if (key) box.textContent = t(key);
}

async function submit(event) {
  event.preventDefault();
  const username = $("username").value.trim();
  const password = $("password").value;
  if (!username || !password) {
    showError("login.bad");
    return;
  }
  const button = $("login-submit");
  button.disabled = true;
  button.textContent = t("login.busy");
  try {
    await api("/api/login", { method: "POST", body: { username, password }, redirect: false });
    location.assign(safeNext(new URLSearchParams(location.search).get("next")));
  } catch (error) {
    if (error.status === 401) showError("login.bad");
    else if (error.status === 429) showError("login.limited", { s: error.retryAfter ?? 60 });
    else showError("login.failed", { e: error.message });
    $("password").select();
  } finally {
    button.disabled = false;
    button.textContent = t("login.submit");
  }
}

initI18n();
showReason();
onLanguageChange(() => {
  showReason();
  if (lastError) showError(...lastError);
});
$("login-form").addEventListener("submit", submit);
