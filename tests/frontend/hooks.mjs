// Module hooks for the front-end tests (registered by static.mjs).
//
// - /static/terms.js is not a file: the gateway makes it from alerting/terms.py
//   (dashboard/routes/terms.py). The tests get the very module the gateway serves, from the
//   gateway's own code, so they check the screens against the real vocabulary.
// - The pages load dashboard/static/*.js as ES modules (<script type="module">); node is
//   told the same instead of guessing from a package.json.

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const STATIC = new URL("../../dashboard/static/", import.meta.url).href;
const TERMS = new URL("terms.js", STATIC).href;

/** The project's python: $HAZGW_PYTHON (set by test_node.py), else .venv, else python3. */
function python() {
  if (process.env.HAZGW_PYTHON) return process.env.HAZGW_PYTHON;
  const venv = `${ROOT}.venv/bin/python`;
  return existsSync(venv) ? venv : "python3";
}

function termsModule() {
  const code = "import sys; from dashboard.routes.terms import terms_module; "
    + "sys.stdout.write(terms_module())";
  return execFileSync(python(), ["-c", code], {
    cwd: ROOT,
    env: { ...process.env, PYTHONPATH: ROOT },
    encoding: "utf8",
    timeout: 60_000,
  });
}

export async function resolve(specifier, context, next) {
  if (context.parentURL && new URL(specifier, context.parentURL).href === TERMS) {
    return { url: TERMS, shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (url === TERMS) {
    return { format: "module", source: termsModule(), shortCircuit: true };
  }
  if (url.startsWith(STATIC) && url.endsWith(".js")) {
    return next(url, { ...context, format: "module" });
  }
  return next(url, context);
}
