"""Who did it: how an action on an alarm is attributed to a person.

Every acknowledgement, shelve, note … is journalled with a user name. Routes get it
through the FastAPI dependency ``CurrentUser``, which asks the ``UserProvider`` the app
installed with ``install_user_provider(app, provider)``.

Until login arrives with the dashboard issue, the provider is ``header_provider``: the
name comes from the ``X-Hazgw-User`` request header (percent-encoded UTF-8, so that
Chinese names pass through HTTP: ``X-Hazgw-User: %E5%BC%A0%E4%B8%89`` is 张三), or, when
the header is absent, from a configured operator name (e.g. the duty desk, "值班员").
With neither, the request is refused with 401. This trusts the client: it is meant for a
gateway whose web port is reachable only from the monitoring room; login replaces the
provider, not the routes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import unquote

from fastapi import Depends, FastAPI, HTTPException
from starlette.requests import HTTPConnection

USER_HEADER = "X-Hazgw-User"
MAX_NAME_LENGTH = 64


@dataclass(frozen=True, slots=True)
class User:
    name: str


UserProvider = Callable[[HTTPConnection], User | None]


class InvalidUserName(ValueError):
    pass


def valid_name(raw: str) -> str:
    name = raw.strip()
    if not name:
        raise InvalidUserName("the user name is empty")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidUserName(f"the user name is longer than {MAX_NAME_LENGTH} characters")
    if any(not char.isprintable() for char in name):
        raise InvalidUserName("the user name contains control characters")
    return name


def header_provider(
    default_operator: str | None = None, header: str = USER_HEADER
) -> UserProvider:
    """The name from ``header`` (percent-decoded), else ``default_operator``, else nobody."""
    default = User(valid_name(default_operator)) if default_operator else None

    def provide(connection: HTTPConnection) -> User | None:
        raw = connection.headers.get(header)
        if raw is None or not raw.strip():
            return default
        try:
            return User(valid_name(unquote(raw, errors="strict")))
        except (InvalidUserName, UnicodeDecodeError) as error:
            raise HTTPException(400, f"{header}: {error}") from error

    return provide


_FALLBACK = header_provider()


def install_user_provider(app: FastAPI, provider: UserProvider) -> None:
    app.state.hazgw_user_provider = provider


def current_user(connection: HTTPConnection) -> User:
    """FastAPI dependency: the person acting, or 401."""
    provider: UserProvider = getattr(connection.app.state, "hazgw_user_provider", _FALLBACK)
    user = provider(connection)
    if user is None:
        raise HTTPException(
            401,
            f"who is acting? send the {USER_HEADER} header (percent-encoded UTF-8) "
            "or configure an operator name",
        )
    return user


CurrentUser = Annotated[User, Depends(current_user)]
