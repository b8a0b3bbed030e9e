"""FastAPI dependencies over the principal the auth middleware attached to the request.

    Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
    alarms_router(engine, journal, catalog, current_user=operator_user)

Without the middleware there is no principal and every dependency here answers 401: a
route that asks for a role never runs for nobody.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException
from starlette.requests import HTTPConnection

from alerting.identity import User
from dashboard.auth.principal import Principal
from dashboard.auth.roles import Role
from dashboard.auth.service import AuthService

PRINCIPAL_KEY = "hazgw.principal"  # where the middleware puts the Principal in the ASGI scope
AUTH_STATE = "hazgw_auth"  # app.state attribute holding the AuthService
DENIED_KEY = "hazgw.denied"  # (principal, role needed) of a request refused with 403


def principal_of(connection: HTTPConnection) -> Principal | None:
    principal = connection.scope.get(PRINCIPAL_KEY)
    return principal if isinstance(principal, Principal) else None


def auth_of(connection: HTTPConnection) -> AuthService | None:
    auth = getattr(connection.app.state, AUTH_STATE, None)
    return auth if isinstance(auth, AuthService) else None


def client_address(connection: HTTPConnection) -> str:
    client = connection.client
    return client.host if client is not None else "unknown"


def _principal(connection: HTTPConnection) -> Principal:
    principal = principal_of(connection)
    if principal is None:
        raise HTTPException(401, "未登录 / not signed in", {"WWW-Authenticate": "Bearer"})
    return principal


async def current_principal(connection: HTTPConnection) -> Principal:
    """The signed-in principal, or 401."""
    return _principal(connection)


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def _check(connection: HTTPConnection, role: Role) -> Principal:
    principal = _principal(connection)
    if principal.allows(role):
        return principal
    # Audited by the middleware once the answer is sent: this may run in a worker thread,
    # and the user database is used from the event loop's thread only.
    connection.scope[DENIED_KEY] = (principal, role)
    raise HTTPException(
        403, f"需要{role.label}或更高权限 / needs role {role.value} or above "
        f"(signed in as {principal.role.value})"
    )


def require(role: Role) -> Callable[[HTTPConnection], Awaitable[Principal]]:
    """A dependency: the principal if its role is ``role`` or above; 401 if nobody is
    signed in, 403 (audited as ``denied``) if the role is too low."""

    async def dependency(connection: HTTPConnection) -> Principal:
        return _check(connection, role)

    dependency.__name__ = f"require_{role.value}"
    return dependency


def require_user(role: Role) -> Callable[[HTTPConnection], User]:
    """Like ``require`` but answers the ``alerting.identity.User`` the alarm routes take
    (``alarms_router(..., current_user=require_user(Role.OPERATOR))``)."""

    def dependency(connection: HTTPConnection) -> User:
        return User(_check(connection, role).name)

    dependency.__name__ = f"user_{role.value}"
    return dependency


# Alarm actions (acknowledge, shelve, notes, out of service) need an operator or above.
operator_user = require_user(Role.OPERATOR)
# Taking an alarm out of service (停用) and back (投用) needs an engineer or above.
engineer_user = require_user(Role.ENGINEER)

Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]
Engineer = Annotated[Principal, Depends(require(Role.ENGINEER))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]

