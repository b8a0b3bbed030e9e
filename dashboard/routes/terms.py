"""GET /static/terms.js: the shared vocabulary (``alerting/terms.py``) as an ES module.

The screens import it (``dashboard/static/i18n.js``, ``format.js``) instead of keeping
their own copies of the words, so the wall, the console, the CSV export and the notices
cannot drift apart. It is a module rather than JSON from ``/api`` so that it loads with
the page's other modules, before anything renders, and needs no session (the login page
uses it too). Served under ``/static`` like the files it sits beside: this route is
registered before the static mount, which would otherwise answer 404.
"""

from __future__ import annotations

import json

from fastapi import APIRouter
from fastapi.responses import Response

from alerting.terms import CHANNEL_KIND_TERMS, COMMENT_TERMS, keyed_terms

PATH = "/static/terms.js"

# The words change with a release; never keep an old table after an upgrade.
_HEADERS = {"Cache-Control": "no-cache"}


def terms_module() -> str:
    """``export const TERMS = {"reason.comm_loss": ["通讯中断", "Comm loss"], ...};``"""
    entries = "".join(
        f"  {json.dumps(key)}: {json.dumps([term.zh, term.en], ensure_ascii=False)},\n"
        for key, term in sorted(keyed_terms().items())
    )
    kinds = json.dumps(
        {kind: [term.zh, term.en] for kind, term in CHANNEL_KIND_TERMS.items()},
        ensure_ascii=False,
    )
    comments = "".join(
        f"  [{json.dumps(pattern)}, {json.dumps([term.zh, term.en], ensure_ascii=False)}],\n"
        for pattern, term in COMMENT_TERMS
    )
    return (
        "// The gateway's vocabulary, generated from alerting/terms.py: key -> [zh-CN, en].\n"
        f"export const TERMS = Object.freeze({{\n{entries}}});\n"
        "// The gateway's own comments on events: [pattern, [zh-CN, en]]; {1}… groups,\n"
        "// {kN}: group N as a channel kind (CHANNEL_KIND_TERMS).\n"
        f"export const COMMENT_TERMS = Object.freeze([\n{comments}]);\n"
        f"export const CHANNEL_KIND_TERMS = Object.freeze({kinds});\n"
    )


def router() -> APIRouter:
    api = APIRouter(tags=["terms"], include_in_schema=False)
    source = terms_module()  # the table is fixed for the life of the process

    @api.get(PATH)
    async def terms_js() -> Response:
        return Response(source, media_type="text/javascript; charset=utf-8", headers=_HEADERS)

    return api
