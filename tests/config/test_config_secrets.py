"""Secrets from the environment (${NAME}) or a file (password_file), never a placeholder."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.issues import ConfigError
from config.loader import load_gateway

EXAMPLES = Path(__file__).resolve().parents[2] / "config" / "examples"


def _gateway(tmp_path: Path, storage: str) -> Path:
    # The site file names its plan image beside it: copy both.
    (tmp_path / "dust_line_plan.svg").write_bytes((EXAMPLES / "dust_line_plan.svg").read_bytes())
    (tmp_path / "site.yaml").write_text(
        (EXAMPLES / "dust_line.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    path = tmp_path / "gateway.yaml"
    path.write_text(f"sites: [site.yaml]\nstorage:\n  target:\n{storage}", encoding="utf-8")
    return path


V2 = "    kind: influx_v2\n    org: o\n    bucket: b\n"


def test_token_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAZGW_TEST_TOKEN", "tok-12345")
    loaded = load_gateway(_gateway(tmp_path, V2 + "    token: pre-${HAZGW_TEST_TOKEN}-$${x}\n"))
    assert loaded.config.storage is not None
    assert loaded.config.storage.target.token.get_secret_value() == "pre-tok-12345-${x}"


def test_token_from_a_file(tmp_path: Path) -> None:
    (tmp_path / "influx.token").write_text("tok-from-file\n", encoding="utf-8")
    loaded = load_gateway(_gateway(tmp_path, V2 + "    token_file: influx.token\n"))
    assert loaded.config.storage is not None
    assert loaded.config.storage.target.token.get_secret_value() == "tok-from-file"


@pytest.mark.parametrize(
    ("storage", "line", "message"),
    [
        (V2 + "    token: ${HAZGW_UNSET_FOR_TEST}\n", 7,
         "environment variable HAZGW_UNSET_FOR_TEST is not set"),
        (V2 + "    token: change-me\n", 7, "'change-me' is a placeholder, not a secret"),
        (V2 + "    token: <CHANGEME>\n", 7, "is a placeholder"),
        (V2 + "    token_file: missing.token\n", 7, "token_file: cannot read"),
        (V2 + "    token: a\n    token_file: x\n", 8, "both token and token_file"),
        ("    kind: influx_v1\n    username: u\n    password: secret\n", 6, "placeholder"),
    ],
)
def test_refused_with_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, storage: str, line: int, message: str
) -> None:
    monkeypatch.delenv("HAZGW_UNSET_FOR_TEST", raising=False)
    path = _gateway(tmp_path, storage)
    with pytest.raises(ConfigError) as caught:
        load_gateway(path)
    issue = caught.value.issues[0]
    assert str(issue).startswith(f"{path}:{line}: "), str(issue)
    assert message in str(issue)
