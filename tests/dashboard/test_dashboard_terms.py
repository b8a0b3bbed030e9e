"""GET /static/terms.js: the shared vocabulary, served to the screens as an ES module."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from alerting.terms import keyed_terms
from dashboard.app import STATIC_DIR
from dashboard.routes.terms import terms_module
from dashboard.server import DashboardServer

pytestmark = pytest.mark.integration


async def test_terms_module_is_served_beside_the_static_files(server: DashboardServer) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
        response = await client.get("/static/terms.js")
        beside = await client.get("/static/i18n.js")  # the static mount still answers
    assert response.status_code == 200, "the static mount must not shadow the route"
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"
    assert response.text == terms_module()
    assert beside.status_code == 200 and 'from "./terms.js"' in beside.text
    assert not (STATIC_DIR / "terms.js").exists(), "a file would be a second copy"


def test_terms_module_holds_every_term() -> None:
    source = terms_module()
    assert source.startswith("// ") and "export const TERMS = Object.freeze({" in source
    body = source[source.index("({") + 1 : source.index("});") + 1]  # the TERMS table
    # The entries are JSON but for the trailing comma after the last one.
    table = json.loads(re.sub(r",\n}$", "\n}", body))
    assert table == {key: [term.zh, term.en] for key, term in keyed_terms().items()}
    assert table["reason.comm_loss"] == ["通讯中断", "Comm loss"]
    assert table["event.cleared"] == ["消除", "cleared"]
