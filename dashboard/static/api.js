// Fetch wrapper for the hazgw API: JSON in and out, errors as ApiError with the server's
// message, and a 401 sends the browser to /login?next=<this page>.
//
// Sessions ride on the HttpOnly cookie set by POST /api/login. A wall display paired
// with a display token (/wall?display_token=...) sends it as a bearer token instead, and
// as ?token= on the websocket (browsers cannot set headers on a websocket).

const DISPLAY_TOKEN_KEY = "hazgw.displayToken";
const ROLE_RANK = { viewer: 0, operator: 1, engineer: 2, admin: 3 };

// Every request gives up after this long (a hung gateway accepts the connection and never
// answers): the page then says so within 10 s instead of waiting for ever. Calls that are
// slow by nature (a configuration reload, a long trend) pass their own `timeout`.
export const REQUEST_TIMEOUT = 8000;

let bearer = null;
let leaving = false;  // signing out: the 401s that follow must not start a second navigation
const reachability = new Set();  // listeners told (true/false) whether the gateway answered

/** listener(answered: boolean) after every request: any HTTP answer is true; a timeout or
 * a network error false. gatewaywatch.js uses it to show 网关无响应. */
export function onReachability(listener) {
  reachability.add(listener);
  return () => reachability.delete(listener);
}

function reached(answered) {
  for (const listener of reachability) listener(answered);
}

export class ApiError extends Error {
  constructor(status, message, body = null) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** Send this token as Authorization: Bearer on every request (null: cookie only). */
export function useBearer(token) {
  bearer = token || null;
}

/**
 * A display token from ?display_token= is stored (so that a reload of the wall keeps
 * working), removed from the address bar, and used; otherwise a stored one is used.
 */
export function adoptDisplayToken() {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get("display_token");
  let token = null;
  try {
    if (fromUrl) {
      localStorage.setItem(DISPLAY_TOKEN_KEY, fromUrl);
      url.searchParams.delete("display_token");
      history.replaceState(null, "", url.pathname + url.search + url.hash);
    }
    token = localStorage.getItem(DISPLAY_TOKEN_KEY);
  } catch {
    token = fromUrl;  // storage blocked: works until the page reloads
  }
  useBearer(token);
  return token;
}

export function forgetDisplayToken() {
  try {
    localStorage.removeItem(DISPLAY_TOKEN_KEY);
  } catch {
    // nothing stored
  }
  useBearer(null);
}

export function loginUrl(reason) {
  const next = location.pathname + location.search;
  const params = new URLSearchParams({ next });
  if (reason) params.set("reason", reason);
  return `/login?${params}`;
}

export function goToLogin(reason) {
  if (leaving) return;
  leaving = true;
  if (bearer && !reason) {
    // A display token was refused: revoked or expired. Nobody may be there to type a
    // password; the login page says why.
    forgetDisplayToken();
    reason = "display";
  }
  location.assign(loginUrl(reason ?? "expired"));
}

function messageOf(status, body, fallback) {
  const detail = body && typeof body === "object" ? body.detail : null;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    // FastAPI validation errors: [{loc: [...], msg}, ...]
    return detail.map((d) => `${(d.loc ?? []).slice(1).join(".")}: ${d.msg}`).join("; ");
  }
  if (body && Array.isArray(body.errors)) return body.errors.join("\n");
  return fallback || `HTTP ${status}`;
}

/**
 * @param {string} path
 * @param {{method?: string, body?: any, redirect?: boolean, timeout?: number}} options
 *   redirect: on 401 go to the login page (default); false to get the ApiError instead.
 *   timeout: ms before giving up (REQUEST_TIMEOUT); the error then has status 0.
 */
export async function api(path, { method = "GET", body, redirect = true, timeout = REQUEST_TIMEOUT } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "same-origin",
      signal: AbortSignal.timeout(timeout),
    });
  } catch (error) {
    // A fetch the page itself aborted (navigating away) says nothing about the gateway.
    if (error.name !== "AbortError") reached(false);
    if (error.name === "TimeoutError") {
      throw new ApiError(0, `${path}: 网关无响应 / gateway not responding (${timeout / 1000} s)`);
    }
    throw new ApiError(0, `${path}: ${error.message}`);  // gateway unreachable
  }
  reached(true);
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") ?? "";
  let payload = null;
  try {
    payload = type.includes("json") ? await response.json() : await response.text();
  } catch {
    payload = null;
  }
  if (response.ok) return payload;
  const error = new ApiError(response.status, messageOf(response.status, payload, response.statusText), payload);
  error.retryAfter = Number(response.headers.get("retry-after")) || null;
  if (response.status === 401 && redirect) goToLogin();
  throw error;
}

/** Who is signed in ({name, role, display}); redirects to /login when nobody is. */
export function whoAmI() {
  return api("/api/me");
}

export function roleRank(role) {
  return ROLE_RANK[role] ?? -1;
}

/** Whether the user's role is at least `role` (viewer < operator < engineer < admin). */
export function allows(me, role) {
  return me !== null && !me.display && roleRank(me.role) >= roleRank(role);
}

export async function logout() {
  leaving = true;
  try {
    await api("/api/logout", { method: "POST", redirect: false });
  } finally {
    location.assign("/login");
  }
}

/** The websocket address, with the bearer token as ?token= when there is one. */
export function liveUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const base = `${scheme}//${location.host}/ws`;
  return bearer ? `${base}?token=${encodeURIComponent(bearer)}` : base;
}

/** Close code the server uses for an unauthenticated websocket. */
export const WS_UNAUTHORIZED = 4401;
