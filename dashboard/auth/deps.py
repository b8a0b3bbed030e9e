"""FastAPI dependencies over the principal the auth middleware attached to the request.

    Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
    alarms_router(engine, journal, catalog, current_user=operator_user)

Without the middleware there is no principal and every dependency here answers 401: a
route that asks for a role never runs for nobody.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException
from starlette.requests import HTTPConnection

from alerting.identity import User
from dashboard.auth import audit
from dashboard.auth.principal import Principal
from dashboard.auth.roles import Role
from dashboard.auth.service import AuthService, audit_name

PRINCIPAL_KEY = "hazgw.principal"  # where the middleware puts the Principal in the ASGI scope
AUTH_STATE = "hazgw_auth"  # app.state attribute holding the AuthService


def principal_of(connection: HTTPConnection) -> Principal | None:
    principal = connection.scope.get(PRINCIPAL_KEY)
    return principal if isinstance(principal, Principal) else None


def auth_of(connection: HTTPConnection) -> AuthService | None:
    auth = getattr(connection.app.state, AUTH_STATE, None)
    return auth if isinstance(auth, AuthService) else None


def client_address(connection: HTTPConnection) -> str:
    client = connection.client
    return client.host if client is not None else "unknown"


def current_principal(connection: HTTPConnection) -> Principal:
    principal = principal_of(connection)
    if principal is None:
        raise HTTPException(401, "未登录 / not signed in", {"WWW-Authenticate": "Bearer"})
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require(role: Role) -> Callable[[HTTPConnection], Principal]:
    """A dependency: the principal if its role is ``role`` or above; 401 if nobody is
    signed in, 403 (audited as ``denied``) if the role is too low."""

    def dependency(connection: HTTPConnection) -> Principal:
        principal = current_principal(connection)
        if principal.allows(role):
            return principal
        auth = auth_of(connection)
        target = f"{connection.scope.get('method', 'WS')} {connection.url.path}"
        if auth is not None:
            auth.record(audit.DENIED, user=audit_name(principal), target=target,
                        detail=f"needs {role.value}, has {principal.role.value}",
                        address=client_address(connection))
        raise HTTPException(
            403, f"需要{role.label}或更高权限 / needs role {role.value} or above "
            f"(signed in as {principal.role.value})"
        )

    dependency.__name__ = f"require_{role.value}"
    return dependency


def require_user(role: Role) -> Callable[[HTTPConnection], User]:
    """Like ``require`` but answers the ``alerting.identity.User`` the alarm routes take."""
    check = require(role)

    def dependency(connection: HTTPConnection) -> User:
        return User(check(connection).name)

    dependency.__name__ = f"user_{role.value}"
    return dependency


# Alarm actions (acknowledge, shelve, notes, out of service) need an operator or above.
operator_user = require_user(Role.OPERATOR)

Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]
Engineer = Annotated[Principal, Depends(require(Role.ENGINEER))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


def user_provider(connection: HTTPConnection) -> User | None:
    """For ``alerting.identity.install_user_provider``: the signed-in person, if any."""
    principal = principal_of(connection)
    if principal is None or principal.display:
        return None
    return User(principal.name)
