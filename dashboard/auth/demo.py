"""The demo's users: one per role, each with the password ``demo``. Only ``hazgw demo``
calls this; a real gateway has no user until ``hazgw user add`` creates one."""

from __future__ import annotations

from dashboard.auth.roles import Role
from dashboard.auth.service import AuthService

DEMO_PASSWORD = "demo"


def create_demo_users(auth: AuthService) -> list[tuple[str, Role, str]]:
    """Create (or reset) users viewer, operator, engineer and admin with password ``demo``;
    returns ``(name, role, password)`` for the demo to print."""
    created: list[tuple[str, Role, str]] = []
    for role in Role:
        name = role.value
        record = auth.store.get_user(name)
        if record is None:
            auth.add_user(name, DEMO_PASSWORD, role, actor="hazgw demo", check_strength=False)
            created.append((name, role, DEMO_PASSWORD))
            continue
        # Reset only what differs: a reset ends the user's sessions, and a restarted demo
        # should not sign its screens out.
        if not auth.hasher.verify(record.password_hash, DEMO_PASSWORD):
            auth.set_password(name, DEMO_PASSWORD, actor="hazgw demo", check_strength=False)
        if record.role is not role:
            auth.set_role(name, role, actor="hazgw demo")
        created.append((name, role, DEMO_PASSWORD))
    return created
