"""Who did it: the person an action on an alarm is attributed to.

Every acknowledgement, shelve, note … is journalled with a user name. The dashboard's
routes take it from the signed-in principal (``dashboard.auth.deps.operator_user``) and
from nowhere else: a request without one is refused (401), and no request header can
name the person acting.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_NAME_LENGTH = 64


@dataclass(frozen=True, slots=True)
class User:
    name: str


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
