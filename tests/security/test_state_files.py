"""The state folder and its databases are private; the first run says how to sign in; a
failed login under a name that is no account keeps that name (often a password) out of
the audit log."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import stat
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from config.gateway_file import GatewayConfig, HttpSettings
from dashboard.auth import Role
from gateway.runtime import Gateway
from gateway.sim.ports import free_port
from gateway.validation import load_site

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "config" / "examples"


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


async def test_state_is_private_and_unknown_names_stay_out_of_the_audit_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    state = tmp_path / "var" / "hazgw"
    async with _gateway(tmp_path, state) as gateway:
        assert _mode(state) == 0o700
        databases = sorted(p.name for p in state.iterdir())
        assert {"alarms.db", "users.db"} <= set(databases)
        for name in databases:  # the databases, their -wal / -shm files and sub-folders
            expected = 0o700 if (state / name).is_dir() else 0o600
            assert _mode(state / name) == expected, name
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


async def test_hazgw_run_without_users_says_how_to_create_the_first_admin(
    tmp_path: Path,
) -> None:
    dead = free_port()
    site = (EXAMPLES / "dust_line.yaml").read_text(encoding="utf-8").replace(
        "port: 11883", f"port: {dead}"
    )
    (tmp_path / "site.yaml").write_text(site, encoding="utf-8")
    (tmp_path / "dust_line_plan.svg").write_bytes((EXAMPLES / "dust_line_plan.svg").read_bytes())
    (tmp_path / "gateway.yaml").write_text(
        "sites: [site.yaml]\nhttp: {port: 0}\n", encoding="utf-8"
    )
    state = tmp_path / "state"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway.cli", "run", str(tmp_path / "gateway.yaml"),
        "--state-dir", str(state), stderr=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL, cwd=ROOT,
    )
    assert process.stderr is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(30):
            while not any("dashboard listening" in line for line in lines):
                raw = await process.stderr.readline()
                assert raw, "hazgw run ended early:\n" + "".join(lines)
                lines.append(raw.decode(errors="replace"))
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
    hint = [line for line in lines if "no users yet" in line]
    assert hint and f"hazgw user add <name> --role admin --state-dir {state}" in hint[0]
    assert _mode(state) == 0o700
