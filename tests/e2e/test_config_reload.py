"""Config reload without restart: validated first, rejected whole on any error, otherwise the
gateway restarts its parts in-process with the new files."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import httpx
import pytest
from e2e_kit import sign_in
from support.waiting import poll_until

from dashboard.auth import Role
from gateway.runtime import Gateway
from gateway.validation import load_gateway

pytestmark = pytest.mark.timeout(60)

SITE = """
enterprise: {{name: 重载测试, code: RL}}
hazard_sources:
  - {{id: HS1, name: 罐区, grade: 2, kind: tank_farm}}
devices:
  - id: dust
    transport: mqtt
    broker: {{host: 127.0.0.1, port: 9}}
    subscriptions:
      - {{topic: rl/state, format: object}}
    points:
{points}
"""
POINT = (
    "      - {{tag: {tag}, name: 测点, kind: temperature, range: {{low: 0, high: 100}}, "
    "hazard_source: {source}}}\n"
)


def write_site(path: Path, tags: list[str], source: str = "HS1") -> None:
    points = "".join(POINT.format(tag=tag, source=source) for tag in tags)
    path.write_text(SITE.format(points=points.rstrip("\n")), encoding="utf-8")


async def test_bad_reload_changes_nothing_and_good_reload_applies(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    write_site(site, ["TT-1"])
    config_file = tmp_path / "gateway.yaml"
    config_file.write_text("sites: [site.yaml]\nhttp: {port: 0}\n", encoding="utf-8")
    loaded = load_gateway(config_file)
    gateway = Gateway(
        loaded.config, loaded.sites, state_dir=tmp_path / "state", config_path=config_file
    )
    task = asyncio.create_task(gateway.run())
    try:
        await asyncio.wait_for(gateway.ready.wait(), 20)
        assert gateway.parts is not None
        first_parts = gateway.parts
        url = first_parts.server.url

        write_site(site, ["TT-1", "TT-2"], source="HS-UNKNOWN")
        rejected = await gateway.reload()
        assert not rejected.ok
        assert any("site.yaml:" in e and "unknown hazard source" in e for e in rejected.errors)
        assert gateway.parts is first_parts  # nothing restarted
        token = await sign_in(gateway, Role.VIEWER)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=url, headers=headers) as http:
            tags = {p["tag"] for p in (await http.get("/api/points")).json()["points"]}
        assert tags == {"TT-1"}

        write_site(site, ["TT-1", "TT-2"])
        accepted = await gateway.reload()
        assert accepted.ok and accepted.points == 2, accepted
        await poll_until(lambda: gateway.parts is not first_parts, within=10, message="new parts")
        await asyncio.wait_for(gateway.ready.wait(), 20)

        async def tags_now() -> set[str]:
            try:
                async with httpx.AsyncClient(base_url=url, headers=headers) as http:
                    answer = await http.get("/api/points")
            except httpx.TransportError:
                return set()
            return {p["tag"] for p in answer.json()["points"]}

        await poll_until(lambda: _has(tags_now(), "TT-2"), within=15, message="TT-2 after reload")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 20)


async def _has(tags: object, tag: str) -> bool:
    assert asyncio.iscoroutine(tags)
    return tag in await tags
