"""`hazgw user ...` and `hazgw display-token ...`: manage sign-in on a gateway's state folder.

    hazgw user add NAME --role viewer|operator|engineer|admin [--password-stdin]
    hazgw user list
    hazgw user remove NAME
    hazgw user passwd NAME [--password-stdin]
    hazgw user role NAME ROLE
    hazgw display-token create NAME
    hazgw display-token list
    hazgw display-token revoke ID

All take ``--state-dir`` (default ``var``, as ``hazgw run``): the user database is
``<state-dir>/users.db``. They may run while the gateway runs (SQLite WAL); a removed user
or revoked token is refused at its next request. The password is asked twice on the
terminal (never an argument: it would land in the shell history), or read as one line
from standard input with ``--password-stdin`` for scripts.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TextIO

from dashboard.auth.roles import parse_role
from dashboard.auth.service import AuthError, AuthService
from dashboard.auth.store import StoreError

Handler = Callable[[argparse.Namespace, AuthService], int]


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli"


def read_password(args: argparse.Namespace, stdin: TextIO, stderr: TextIO) -> str | None:
    """The new password from stdin (``--password-stdin``) or asked twice; None if the two
    answers differ or nothing was given."""
    if args.password_stdin:
        line = stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password.removesuffix("\r")
        if not password:
            print("error: no password on standard input", file=stderr)
            return None
        return password
    first = getpass.getpass(f"password for {args.name}: ")
    second = getpass.getpass("again: ")
    if first != second:
        print("error: the passwords differ", file=stderr)
        return None
    return first


def _table(rows: list[list[str]], out: TextIO) -> None:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)]
        print("  ".join(cells).rstrip(), file=out)


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if "\u2e80" <= char <= "\ufaff" or "\uff00" <= char <= "\uffef" else 1
               for char in text)


# ---------------------------------------------------------------------- handlers


def _user_add(args: argparse.Namespace, auth: AuthService) -> int:
    role = parse_role(args.role)
    password = read_password(args, sys.stdin, sys.stderr)
    if password is None:
        return 1
    user = auth.add_user(args.name, password, role, actor=_actor())
    print(f"added user {user.name} ({user.role.value})")
    return 0


def _user_list(args: argparse.Namespace, auth: AuthService) -> int:
    users = auth.users()
    if not users:
        print("no users yet: add one with `hazgw user add NAME --role admin`")
        return 0
    rows = [["NAME", "ROLE", "CREATED", "BY", "LAST LOGIN"]]
    rows += [
        [u.name, u.role.value, _when(u.created_at), u.created_by or "-", _when(u.last_login_at)]
        for u in users
    ]
    _table(rows, sys.stdout)
    return 0


def _user_remove(args: argparse.Namespace, auth: AuthService) -> int:
    auth.remove_user(args.name, actor=_actor())
    print(f"removed user {args.name}")
    return 0


def _user_passwd(args: argparse.Namespace, auth: AuthService) -> int:
    if auth.get_user(args.name) is None:
        print(f"error: no user {args.name!r}", file=sys.stderr)
        return 1
    password = read_password(args, sys.stdin, sys.stderr)
    if password is None:
        return 1
    auth.set_password(args.name, password, actor=_actor())
    print(f"password of {args.name} changed; their sessions have ended")
    return 0


def _user_role(args: argparse.Namespace, auth: AuthService) -> int:
    user = auth.set_role(args.name, parse_role(args.role), actor=_actor())
    print(f"{user.name} is now {user.role.value}")
    return 0


def _token_create(args: argparse.Namespace, auth: AuthService) -> int:
    record, token = auth.create_display_token(args.name, actor=_actor())
    print(f"display token {record.id} ({record.name}), shown only now:")
    print(token)
    print(f"open the wall display at http://<gateway>/wall?display_token={token}")
    return 0


def _token_list(args: argparse.Namespace, auth: AuthService) -> int:
    records = auth.display_tokens()
    if not records:
        print("no display tokens")
        return 0
    rows = [["ID", "NAME", "CREATED", "BY", "LAST USED", "REVOKED"]]
    rows += [
        [str(r.id), r.name, _when(r.created_at), r.created_by or "-", _when(r.last_used_at),
         _when(r.revoked_at) if r.revoked_at is not None else "active"]
        for r in records
    ]
    _table(rows, sys.stdout)
    return 0


def _token_revoke(args: argparse.Namespace, auth: AuthService) -> int:
    record = auth.revoke_display_token(args.id, actor=_actor())
    print(f"display token {record.id} ({record.name}) revoked")
    return 0


def run_auth_command(handler: Handler, args: argparse.Namespace) -> int:
    """Open the state folder's user database, run ``handler``, report errors plainly."""
    try:
        auth = AuthService.open(Path(args.state_dir))
    except StoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        return handler(args, auth)
    except (AuthError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        auth.close()


# ------------------------------------------------------------------------ parser


def _command(
    parent: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help_text: str,
    handler: Handler,
) -> argparse.ArgumentParser:
    parser = parent.add_parser(name, help=help_text)
    parser.add_argument(
        "--state-dir", type=Path, default=Path("var"),
        help="the gateway's state folder (default: var)",
    )
    parser.set_defaults(handler=lambda args: run_auth_command(handler, args))
    return parser


def add_user_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``user`` and ``display-token`` to the ``hazgw`` command line. Each command's
    ``args.handler(args)`` returns the exit code."""
    user = subparsers.add_parser("user", help="manage the people who may sign in")
    users = user.add_subparsers(dest="user_command", required=True)
    add = _command(users, "add", "add a user (the password is asked, or --password-stdin)",
                   _user_add)
    add.add_argument("name")
    add.add_argument("--role", required=True, help="viewer, operator, engineer or admin")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password as one line from standard input")
    _command(users, "list", "list users", _user_list)
    remove = _command(users, "remove", "remove a user and end their sessions", _user_remove)
    remove.add_argument("name")
    passwd = _command(users, "passwd", "set a user's password (ends their sessions)",
                      _user_passwd)
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true")
    role = _command(users, "role", "change a user's role", _user_role)
    role.add_argument("name")
    role.add_argument("role", help="viewer, operator, engineer or admin")

    token = subparsers.add_parser(
        "display-token", help="pair wall displays without a password (read-only, revocable)"
    )
    tokens = token.add_subparsers(dest="token_command", required=True)
    create = _command(tokens, "create", "create a display token (printed once)", _token_create)
    create.add_argument("name", help="which screen, e.g. 指挥中心大屏")
    _command(tokens, "list", "list display tokens", _token_list)
    revoke = _command(tokens, "revoke", "revoke a display token", _token_revoke)
    revoke.add_argument("id", type=int)
