"""Secret tokens: random, prefixed by what they are, stored only as a SHA-256 digest.

A stolen copy of the user database therefore holds no usable session or display token.
SHA-256 (not argon2) is right here: the tokens carry 256 random bits, nothing to guess.
"""

from __future__ import annotations

import hashlib
import secrets
from enum import StrEnum


class TokenKind(StrEnum):
    SESSION = "hzs_"  # a login session (cookie or bearer), expires
    DISPLAY = "hzd_"  # a wall display: long-lived, read-only, revocable


MAX_TOKEN_LENGTH = 200


def new_token(kind: TokenKind) -> str:
    return kind.value + secrets.token_urlsafe(32)


def token_kind(token: str) -> TokenKind | None:
    if len(token) > MAX_TOKEN_LENGTH:
        return None
    for kind in TokenKind:
        if token.startswith(kind.value) and len(token) > len(kind.value):
            return kind
    return None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
