"""The state folder and its databases are private; the first run says how to sign in; a
failed login under a name that is no account keeps that name (often a password) out of
the audit log."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from config.gateway_file import GatewayConfig, HttpSettings
from dashboard.auth import Role
from gateway.runtime import Gateway
from gateway.validation import load_site

EXAMPLES = Path(__file__).resolve().parents[2] / "config" / "examples"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextlib.asynccontextmanager
async def _gateway(tmp_path: Path, state: Path) -> AsyncIterator[Gateway]:
    site = EXAMPLES / "dust_line.yaml"
    config = GatewayConfig(sites=[site], http=HttpSettings(port=0))
    gateway = Gateway(config, [load_site(site)], state_dir=state)
    task = asyncio.create_task(gateway.run())
    try:
        await asyncio.wait_for(gateway.ready.wait(), 20)
        yield gateway
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 20)


async def test_state_is_private_and_the_first_run_explains_sign_in(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    state = tmp_path / "var" / "hazgw"
    async with _gateway(tmp_path, state) as gateway:
        assert _mode(state) == 0o700
        databases = sorted(p.name for p in state.iterdir())
        assert {"alarms.db", "users.db"} <= set(databases)
        for name in databases:  # the databases and their -wal / -shm files
            assert _mode(state / name) == 0o600, name
        hint = [r.getMessage() for r in caplog.records if "no users yet" in r.getMessage()]
        assert hint and "hazgw user add" in hint[0] and "--role admin" in hint[0]

        assert gateway.parts is not None and gateway.auth is not None
        gateway.auth.add_user("operator", "operator-pass-1", Role.OPERATOR, actor="test")
        async with httpx.AsyncClient(base_url=gateway.parts.server.url) as http:
            typed = {"username": "Hunter2-Secret!", "password": "whatever-1"}
            assert (await http.post("/api/login", json=typed)).status_code == 401
        entries = gateway.auth.audit_log(action="login.failed")
        assert entries and entries[0].user is None
        assert all("Hunter2" not in repr(e) for e in gateway.auth.audit_log(limit=500))


async def test_a_wide_open_state_folder_is_narrowed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    async with _gateway(tmp_path, state):
        assert _mode(state) == 0o700
    assert any("narrowed to 700" in r.getMessage() for r in caplog.records)
