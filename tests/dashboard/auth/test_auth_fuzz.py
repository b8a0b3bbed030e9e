"""Hostile input on every run: schemathesis against the live app (real uvicorn, every
router, an admin's token), failing on any 5xx or answer that breaks the API's own schema.

``make test`` runs it for about a minute (``HAZGW_FUZZ_SECONDS``, default 60);
``make fuzz`` gives it longer and more examples per route. Schemathesis runs as its own
process, so the app is served by this test's event loop exactly as in the gateway.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from pathlib import Path

import pytest
from authkit import AppKit, FakeClock, make_site, running_app

from config.catalog import PointKey
from dashboard.auth import Role
from dashboard.routes.commissioning import ReloadResult
from dashboard.trends import TrendPoint, TrendWindow

SECONDS = int(os.environ.get("HAZGW_FUZZ_SECONDS", "60"))
EXAMPLES = int(os.environ.get("HAZGW_FUZZ_EXAMPLES", "40"))
CHECKS = "not_a_server_error,response_schema_conformance,content_type_conformance"
# Log-out would end the admin's own session halfway through the run.
EXCLUDED = "/api/logout"


class _EmptyDatabase:
    """Trends from a database with nothing in it yet: the trend route's own parsing and
    bounds are what is fuzzed (without storage it answers 503 by design)."""

    @property
    def description(self) -> str:
        return "empty"

    async def query(self, key: PointKey, window: TrendWindow) -> list[TrendPoint]:
        return []


async def _refused_reload() -> ReloadResult:
    return ReloadResult(errors=("gateway.yaml:1: refused by the test",))


async def test_schemathesis_finds_no_server_error(tmp_path: Path, clock: FakeClock) -> None:
    async with running_app(
        tmp_path, make_site(), clock=clock, reload=_refused_reload, trend=_EmptyDatabase()
    ) as app:
        await _fuzz(app, tmp_path)


async def _fuzz(app: AppKit, tmp_path: Path) -> None:
    # An admin of its own, named so that no generated name hits it: the fuzzer renames,
    # demotes and removes users, and a changed password would end its session.
    name, password = f"fuzz-{secrets.token_hex(6)}", secrets.token_urlsafe(16)
    app.auth.add_user(name, password, Role.ADMIN, actor="test")
    async with app.client() as client:
        login = await client.post("/api/login", json={"username": name, "password": password})
    token = login.json()["token"]
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "run",
        f"{app.url}/api/openapi.json",
        "--checks", CHECKS,
        "--header", f"Authorization: Bearer {token}",
        "--max-examples", str(EXAMPLES),
        "--max-time", str(SECONDS),
        "--exclude-path", EXCLUDED,
        "--generation-database", "none",
        "--request-timeout", "10",
        "--seed", os.environ.get("HAZGW_FUZZ_SEED", "20261204"),
        "--no-color",
        # Not the stateful phase: following the API's links it changes the admin's own
        # password, which ends the very session the fuzzer signs in with.
        "--phases", "examples,coverage,fuzzing",
    ]
    process = await asyncio.create_subprocess_exec(
        *command, cwd=tmp_path, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), SECONDS + 120)
    text = output.decode(errors="replace")
    assert process.returncode == 0, text[-12000:]
    async with app.client(headers={"Authorization": f"Bearer {token}"}) as client:
        assert (await client.get("/api/me")).status_code == 200  # signed in all along


HUGE = str(2**64)


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("DELETE", f"/api/display-tokens/{HUGE}", {}),
        ("DELETE", "/api/display-tokens/0", {}),
        ("GET", "/api/alarms/history", {"before_seq": HUGE}),
        ("GET", "/api/alarms/history.csv", {"before_seq": HUGE}),
        ("GET", "/api/audit", {"before_id": HUGE}),
        ("GET", "/api/audit", {"since": "nan"}),
        ("GET", "/api/alarms/history", {"since": "inf"}),
        ("GET", "/api/alarms/history", {"until": "1e300"}),
    ],
)
async def test_numbers_out_of_range_are_422(
    app: AppKit, method: str, path: str, params: dict[str, str]
) -> None:
    """The four 500s schemathesis found (integers too large for SQLite), and their kin."""
    async with app.login("admin") as admin:
        response = await admin.request(method, path, params=params)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][-1] in {"ident", *params}
