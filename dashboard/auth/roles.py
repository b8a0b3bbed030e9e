"""Roles, from least to most trusted. Each role may do everything the ones below it may."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"  # watches: wall display, console read-only
    OPERATOR = "operator"  # acknowledges, shelves, writes handling notes
    ENGINEER = "engineer"  # commissioning views, config reload
    ADMIN = "admin"  # manages users and display tokens, reads the audit log

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank

    @property
    def label(self) -> str:
        """The role's Chinese name, for messages shown to people."""
        return _LABELS[self]


_RANKS = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ENGINEER: 2, Role.ADMIN: 3}
_LABELS = {
    Role.VIEWER: "查看员",
    Role.OPERATOR: "值班员",
    Role.ENGINEER: "工程师",
    Role.ADMIN: "管理员",
}


def parse_role(text: str) -> Role:
    """``Role`` from its name; a ValueError listing the valid names otherwise."""
    try:
        return Role(text.strip().lower())
    except ValueError:
        names = ", ".join(role.value for role in Role)
        raise ValueError(f"unknown role {text!r}: use one of {names}") from None
