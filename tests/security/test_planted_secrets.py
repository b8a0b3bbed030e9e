"""Plant a secret in every secret-bearing config field, run the whole gateway against
unreachable targets (so that every part fails and says so), and look for the secrets in
everything a person can read: the log, /api/health and the other API answers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from pathlib import Path

import httpx
import pytest
from support.waiting import poll_until

from config.issues import ConfigError
from config.redact import config_secrets, redact_text, redact_url
from dashboard.auth import Role
from gateway.logredact import RedactingFilter
from gateway.runtime import Gateway
from gateway.validation import load_gateway

EXAMPLES = Path(__file__).resolve().parents[2] / "config" / "examples"
PLANTED = {
    "url_password": "PlantedUrlPw7781",
    "influx_password": "PlantedInfluxPw4417",
    "broker_password": "PlantedBrokerPw9920",
    "hook_token": "PlantedHookTok5521",
    "hook_header": "PlantedHookHdr3310",
    "dingtalk_token": "PlantedDingTok6634",
    "dingtalk_secret": "SECPlantedDing1188",
    "smtp_password": "PlantedSmtpPw2027",
}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nothing listens there once the probe is closed


def _write_config(tmp_path: Path) -> Path:
    dead = _closed_port()
    site = (EXAMPLES / "dust_line.yaml").read_text(encoding="utf-8").replace(
        "broker: {host: 127.0.0.1, port: 11883}",
        f"broker: {{host: 127.0.0.1, port: {dead}, username: gw, "
        f"password: {PLANTED['broker_password']}}}",
    )
    (tmp_path / "site.yaml").write_text(site, encoding="utf-8")
    (tmp_path / "dust_line_plan.svg").write_bytes((EXAMPLES / "dust_line_plan.svg").read_bytes())
    p = PLANTED
    gateway = f"""\
sites: [site.yaml]
http: {{port: 0}}
storage:
  target:
    kind: influx_v1
    url: http://127.0.0.1:{dead}
    username: hazgw
    password: {p['influx_password']}
  flush_interval: 0.1
  timeout: 1
  max_retry_delay: 1
notifications:
  channels:
    hook:
      kind: webhook
      url: http://hook:{p['url_password']}@127.0.0.1:{dead}/hook?token={p['hook_token']}
      headers: {{Authorization: "Bearer {p['hook_header']}"}}
    mail:
      kind: email
      host: 127.0.0.1
      port: {dead}
      username: gw
      password: {p['smtp_password']}
      from: gw@example.com
      to: [duty@example.com]
    robot:
      kind: dingtalk
      url: http://127.0.0.1:{dead}/robot/send?access_token={p['dingtalk_token']}
      secret: {p['dingtalk_secret']}
  routes:
    - {{name: all, escalation: [{{channels: [hook, mail, robot]}}]}}
"""
    path = tmp_path / "gateway.yaml"
    path.write_text(gateway, encoding="utf-8")
    return path


def test_every_planted_secret_is_found_in_the_config(tmp_path: Path) -> None:
    loaded = load_gateway(_write_config(tmp_path))
    found = config_secrets([loaded.config, loaded.sites])
    for name, planted in PLANTED.items():
        assert any(planted in secret for secret in found), name


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://u:pw@host:8086/x", "http://u:***@host:8086/x"),
        ("http://host:8086", "http://host:8086"),
        ("https://oapi.dingtalk.com/robot/send?access_token=abc&x=1",
         "https://oapi.dingtalk.com/robot/send?access_token=***&x=1"),
        ("http://h/write?db=x&u=me&p=pw", "http://h/write?db=x&u=me&p=***"),
    ],
)
def test_urls_are_redacted(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert redact_text(f"cannot reach {url} (refused)") == f"cannot reach {shown} (refused)"


def test_the_log_filter_masks_what_a_library_quotes() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed: %s", (
        "InvalidURL('http://a:topsecret1@h/')",), None)
    assert RedactingFilter({"other-secret"}).filter(record)
    assert "topsecret1" not in record.getMessage()


async def test_no_secret_in_logs_health_or_api(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    config_file = _write_config(tmp_path)
    loaded = load_gateway(config_file)
    gateway = Gateway(
        loaded.config, loaded.sites, state_dir=tmp_path / "state", config_path=config_file
    )
    task = asyncio.create_task(gateway.run())
    answers: list[str] = []
    try:
        await asyncio.wait_for(gateway.ready.wait(), 20)
        assert gateway.parts is not None and gateway.auth is not None
        gateway.auth.add_user("sec-admin", "sec-admin-pass", Role.ADMIN, actor="test")
        async with httpx.AsyncClient(base_url=gateway.parts.server.url, timeout=10) as http:
            login = await http.post(
                "/api/login", json={"username": "sec-admin", "password": "sec-admin-pass"}
            )
            assert login.status_code == 200
            headers = {"Authorization": f"Bearer {login.json()['token']}"}

            async def storage_failed() -> bool:
                health = (await http.get("/api/health", headers=headers)).json()
                return any(
                    c["name"].startswith("storage") and c.get("detail")
                    for c in health["components"]
                )

            await poll_until(storage_failed, within=15, message="storage reports its failure")
            for path in ("/api/health", "/api/points", "/api/collectors", "/api/audit",
                         "/api/openapi.json"):
                answer = await http.get(path, headers=headers)
                answers.append(f"{path} {answer.status_code} {answer.text}")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 20)
    health_text = answers[0]
    assert "storage" in health_text
    # Every record as a handler would write it, tracebacks included.
    logged = caplog.text + "\n".join(record.getMessage() for record in caplog.records)
    assert "127.0.0.1" in logged  # the failures were logged
    for name, secret in PLANTED.items():
        assert secret not in logged, f"{name} in the log"
        for text in answers:
            assert secret not in text, f"{name} in {text[:60]}"


def test_credentials_in_two_places_are_refused(tmp_path: Path) -> None:
    (tmp_path / "site.yaml").write_text(
        (EXAMPLES / "dust_line.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    path = tmp_path / "gateway.yaml"
    path.write_text(
        "sites: [site.yaml]\nstorage:\n  target:\n    kind: influx_v1\n"
        "    url: http://u:pw@127.0.0.1:8086\n    username: u\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        load_gateway(path)
    assert "gateway.yaml:4" in str(caught.value.issues[0])
    assert "in one place" in str(caught.value.issues[0])
