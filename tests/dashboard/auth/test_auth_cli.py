"""`hazgw user` and `hazgw display-token` on a state folder (the real parser and database)."""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import pytest

from dashboard.auth import AuthService, Role
from gateway.usercli import add_user_commands

ADDRESS = "127.0.0.1"


def run(state: Path, monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = "") -> int:
    parser = argparse.ArgumentParser(prog="hazgw")
    add_user_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([*argv, "--state-dir", str(state)])
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code: int = args.handler(args)
    return code


async def test_user_lifecycle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, monkeypatch, "user", "list") == 0
    assert "no users yet" in capsys.readouterr().out

    code = run(tmp_path, monkeypatch, "user", "add", "值班长", "--role", "operator",
               "--password-stdin", stdin="duty-pass-123\n")
    assert code == 0
    assert "added user 值班长 (operator)" in capsys.readouterr().out
    assert run(tmp_path, monkeypatch, "user", "add", "root", "--role", "admin",
               "--password-stdin", stdin="root-pass-123\n") == 0
    capsys.readouterr()

    assert run(tmp_path, monkeypatch, "user", "list") == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "ROLE", "CREATED", "BY", "LAST", "LOGIN"]
    assert any(line.startswith("root ") and " admin " in line for line in lines)
    assert any(line.startswith("值班长") and "operator" in line for line in lines)

    auth = AuthService.open(tmp_path)
    try:
        result = await auth.login("值班长", "duty-pass-123", ADDRESS)
        assert result.principal.role is Role.OPERATOR
        created = auth.audit_log(action="user.added")
        assert {e.target for e in created} == {"值班长", "root"}
        assert all(e.user is not None and e.user.startswith("cli") for e in created)
    finally:
        auth.close()

    assert run(tmp_path, monkeypatch, "user", "role", "值班长", "engineer") == 0
    assert run(tmp_path, monkeypatch, "user", "passwd", "值班长", "--password-stdin",
               stdin="other-pass-123\n") == 0
    assert "sessions have ended" in capsys.readouterr().out
    auth = AuthService.open(tmp_path)
    try:
        assert auth.authenticate(result.token) is None
        again = await auth.login("值班长", "other-pass-123", ADDRESS)
        assert again.principal.role is Role.ENGINEER
    finally:
        auth.close()

    assert run(tmp_path, monkeypatch, "user", "remove", "值班长") == 0
    assert run(tmp_path, monkeypatch, "user", "remove", "root") == 1
    assert "last admin" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (("user", "add", "x", "--role", "root", "--password-stdin"), "long-enough-1\n",
         "unknown role"),
        (("user", "add", "x", "--role", "viewer", "--password-stdin"), "short\n", "at least 8"),
        (("user", "add", "x", "--role", "viewer", "--password-stdin"), "", "no password"),
        (("user", "remove", "ghost"), "", "no user 'ghost'"),
        (("user", "passwd", "ghost", "--password-stdin"), "long-enough-1\n", "no user"),
        (("display-token", "revoke", "7"), "", "no display token 7"),
    ],
)
def test_errors_are_plain_messages(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
    stdin: str,
    message: str,
) -> None:
    assert run(tmp_path, monkeypatch, *argv, stdin=stdin) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err


def test_a_prompted_password_must_be_typed_twice_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter(["first-pass-123", "other-pass-123"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert run(tmp_path, monkeypatch, "user", "add", "x", "--role", "viewer") == 1
    assert "differ" in capsys.readouterr().err
    answers = iter(["same-pass-123", "same-pass-123"])
    assert run(tmp_path, monkeypatch, "user", "add", "x", "--role", "viewer") == 0


def test_display_tokens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, monkeypatch, "display-token", "list") == 0
    assert "no display tokens" in capsys.readouterr().out
    assert run(tmp_path, monkeypatch, "display-token", "create", "指挥中心大屏") == 0
    out = capsys.readouterr().out.splitlines()
    token = out[1]
    assert token.startswith("hzd_") and f"/wall?display_token={token}" in out[2]

    auth = AuthService.open(tmp_path)
    try:
        principal = auth.authenticate(token)
        assert principal is not None and principal.display
    finally:
        auth.close()

    assert run(tmp_path, monkeypatch, "display-token", "list") == 0
    listing = capsys.readouterr().out
    assert "指挥中心大屏" in listing and "active" in listing and token not in listing
    assert run(tmp_path, monkeypatch, "display-token", "revoke", "1") == 0
    auth = AuthService.open(tmp_path)
    try:
        assert auth.authenticate(token) is None
    finally:
        auth.close()


def test_an_unusable_state_folder_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert run(blocker, monkeypatch, "user", "list") == 1
    assert "cannot open user database" in capsys.readouterr().err
