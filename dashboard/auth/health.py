"""Sign-in and audit figures for ``/api/health`` (``DashboardServices.components``)."""

from __future__ import annotations

from dashboard.auth.service import AuthService
from dashboard.components import ComponentStatus


def auth_component(auth: AuthService) -> ComponentStatus:
    stats = auth.stats
    return ComponentStatus(
        name="auth",
        ok=stats.audit_failures == 0,
        counters={
            "logins": stats.logins,
            "failed_logins": stats.failed_logins,
            "throttled_logins": stats.throttled_logins,
            "audit_failures": stats.audit_failures,
            "open_websockets": len(auth.connections),
        },
        detail=None if stats.audit_failures == 0 else "audit log writes failing",
    )
