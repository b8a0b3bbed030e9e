"""Sign-in, roles, sessions, display tokens and the audit log for the dashboard.

Wiring (the gateway does this once; see docs/security.md)::

    auth = AuthService.open(state_dir)                # <state_dir>/users.db
    engine.add_listener(auth.alarm_listener)          # alarm actions into the audit log
    app = create_app(DashboardServices(..., auth=auth))
    # create_app includes auth_router(auth) and admin_router(auth) and calls
    # install_auth(app, auth): the gate, /api/* and /ws need a session
"""

from dashboard.auth.demo import DEMO_PASSWORD, create_demo_users
from dashboard.auth.deps import (
    Admin,
    Engineer,
    Operator,
    PrincipalDep,
    Viewer,
    current_principal,
    operator_user,
    principal_of,
    require,
    require_user,
)
from dashboard.auth.health import auth_component
from dashboard.auth.middleware import (
    COOKIE_NAME,
    PUBLIC_PATHS,
    UNAUTHENTICATED_CLOSE,
    AuthMiddleware,
    install_auth,
)
from dashboard.auth.passwords import DEFAULT_COST, TEST_COST, HashCost, PasswordHasher
from dashboard.auth.principal import CredentialKind, Principal
from dashboard.auth.ratelimit import Limit, LoginLimiter
from dashboard.auth.roles import Role, parse_role
from dashboard.auth.routes import auth_router
from dashboard.auth.service import (
    AuthError,
    AuthService,
    AuthSettings,
    Conflict,
    LoginRefused,
    LoginThrottled,
    NotFound,
    UserInfo,
)
from dashboard.auth.store import AuditEntry, AuthStore, StoreError

__all__ = [
    "COOKIE_NAME",
    "DEFAULT_COST",
    "DEMO_PASSWORD",
    "PUBLIC_PATHS",
    "TEST_COST",
    "UNAUTHENTICATED_CLOSE",
    "Admin",
    "AuditEntry",
    "AuthError",
    "AuthMiddleware",
    "AuthService",
    "AuthSettings",
    "AuthStore",
    "Conflict",
    "CredentialKind",
    "Engineer",
    "HashCost",
    "Limit",
    "LoginLimiter",
    "LoginRefused",
    "LoginThrottled",
    "NotFound",
    "Operator",
    "PasswordHasher",
    "Principal",
    "PrincipalDep",
    "Role",
    "StoreError",
    "UserInfo",
    "Viewer",
    "auth_component",
    "auth_router",
    "create_demo_users",
    "current_principal",
    "install_auth",
    "operator_user",
    "parse_role",
    "principal_of",
    "require",
    "require_user",
]
