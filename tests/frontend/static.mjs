// The front-end modules under test, imported the way the pages import them. Importing this
// file registers hooks.mjs first, so import the static modules through importStatic().

import { register } from "node:module";

register("./hooks.mjs", import.meta.url);

const STATIC = new URL("../../dashboard/static/", import.meta.url);

/** import("dashboard/static/<name>") with /static/terms.js made by the gateway. */
export function importStatic(name) {
  return import(new URL(name, STATIC).href);
}
