"""Who is making a request: a signed-in user or a paired wall display."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dashboard.auth.roles import Role


class CredentialKind(StrEnum):
    SESSION = "session"
    DISPLAY = "display"


@dataclass(frozen=True, slots=True)
class Principal:
    """``name`` is the user name (canonical spelling), or the display token's name.
    ``credential`` identifies what was presented: a session's token digest or a display
    token's id, so that revoking it can find the connections it opened."""

    name: str
    role: Role
    kind: CredentialKind
    credential: str
    expires_at: float | None = None

    @property
    def display(self) -> bool:
        return self.kind is CredentialKind.DISPLAY

    def allows(self, role: Role) -> bool:
        return self.role.at_least(role)
