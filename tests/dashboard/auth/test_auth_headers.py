"""Security headers on every kind of answer, from the real app behind uvicorn."""

from __future__ import annotations

from pathlib import Path

import pytest
from authkit import AppKit, FakeClock, make_site, running_app

from dashboard.headers import CSP, DOCS_CSP

PATHS = [
    "/login", "/wall", "/console", "/commissioning", "/",
    "/static/theme.css", "/static/wall.js", "/vendor/uplot/dist/uPlot.iife.min.js",
    "/api/points",  # 401 without a session: the gate's own answer
    "/api/nonexistent", "/nowhere",
]


def _check(headers: object, csp: str = CSP) -> None:
    assert isinstance(headers, dict) or hasattr(headers, "get")
    get = headers.get  # type: ignore[attr-defined]
    assert get("content-security-policy") == csp
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp.split("script-src")[0]
    assert get("x-frame-options") == "DENY"
    assert get("x-content-type-options") == "nosniff"
    assert get("referrer-policy") == "no-referrer"
    assert "camera=()" in get("permissions-policy")


@pytest.mark.parametrize("path", PATHS)
async def test_every_answer_carries_the_headers(app: AppKit, path: str) -> None:
    async with app.client() as client:
        response = await client.get(path)
    assert response.status_code < 500
    _check(response.headers)
    assert "strict-transport-security" not in response.headers  # plain http


async def test_signed_in_api_answers_carry_them_too(app: AppKit) -> None:
    async with app.login("viewer") as client:
        response = await client.get("/api/points")
    assert response.status_code == 200
    _check(response.headers)


def test_the_page_policy_allows_no_inline_code() -> None:
    directives = dict(d.split(" ", 1) for d in CSP.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in CSP


async def test_docs_get_their_own_policy(app: AppKit) -> None:
    async with app.login("admin") as client:
        response = await client.get("/api/docs")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == DOCS_CSP
    assert "frame-ancestors 'none'" in DOCS_CSP


async def test_hsts_only_over_https(tmp_path: Path, clock: FakeClock) -> None:
    async with running_app(
        tmp_path, make_site(), clock=clock, trusted_proxies=["127.0.0.1/32"]
    ) as kit, kit.client() as client:
        over_tls = await client.get("/login", headers={"X-Forwarded-Proto": "https",
                                                      "X-Forwarded-For": "10.0.0.9"})
        plain = await client.get("/login", headers={"X-Forwarded-Proto": "http",
                                                    "X-Forwarded-For": "10.0.0.9"})
    assert over_tls.headers["strict-transport-security"] == "max-age=31536000"
    assert "strict-transport-security" not in plain.headers
