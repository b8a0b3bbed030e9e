"""The names of audited actions, and which alarm events are a person's actions.

Audit entries are ``(ts, user, action, target, detail, address)``. The alarm journal
keeps the full alarm history; the audit log repeats each person's alarm action so that
"who did what" is answered in one place, with logins, user and token changes and reloads.
"""

from __future__ import annotations

from typing import Final

from alerting.events import EventKind

LOGIN: Final = "login"
LOGIN_FAILED: Final = "login.failed"
LOGIN_THROTTLED: Final = "login.throttled"
LOGOUT: Final = "logout"
DENIED: Final = "denied"  # a signed-in person tried what their role does not allow
USER_ADDED: Final = "user.added"
USER_REMOVED: Final = "user.removed"
USER_ROLE: Final = "user.role"
USER_PASSWORD: Final = "user.password"
TOKEN_CREATED: Final = "display_token.created"
TOKEN_REVOKED: Final = "display_token.revoked"
CONFIG_RELOAD: Final = "config.reload"
CONFIG_RELOAD_REJECTED: Final = "config.reload_rejected"
SIGNATURE_FAILED: Final = "signature.failed"  # a wrong password on a handover signature
HANDOVER_SIGNED: Final = "handover.signed"
HANDOVER_CORRECTED: Final = "handover.corrected"
DOCUMENT_UPLOADED: Final = "document.uploaded"

# Alarm events made by a person (they carry a user name), as audit actions.
ALARM_ACTIONS: Final = {
    EventKind.ACKNOWLEDGED: "alarm.acknowledged",
    EventKind.SHELVED: "alarm.shelved",
    EventKind.UNSHELVED: "alarm.unshelved",
    EventKind.NOTE: "alarm.note",
    EventKind.REMOVED_FROM_SERVICE: "alarm.out_of_service",
    EventKind.RETURNED_TO_SERVICE: "alarm.in_service",
}

MAX_DETAIL = 2000


def clip(text: str | None, limit: int = MAX_DETAIL) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"
