"""Answer links: ``<public url>/a/<token>`` in a notice opens its alarm for acknowledgement.

The token names the alarm, the route and level of the notice and who that level is
(its recipient), carries its expiry and a random nonce, and is signed with HMAC-SHA256
under a key kept in the state folder (``answer-link.key``, mode 0600, made on first use).
A forged or altered token fails the signature check; an expired one is refused by time;
a used one is refused because its nonce is in the journal (``answer_links``, written in
the same step as the acknowledgement). The token grants nothing by itself: the page asks
for a login first, and the person acknowledges under their own name and role.

Pure apart from ``load_or_create_key``; the clock is passed in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

KEY_FILE = "answer-link.key"
KEY_BYTES = 32
NONCE_BYTES = 12
DEFAULT_EXPIRY = 24 * 3600.0
MAX_TOKEN_CHARS = 2048  # a longer path segment is not one of ours: refused before parsing
_DOMAIN = b"hazgw-answer-link-v1."


class Refusal(StrEnum):
    FORGED = "forged"  # not signed by this gateway, or altered
    EXPIRED = "expired"
    USED = "used"


@dataclass(frozen=True, slots=True)
class Grant:
    """What a valid token names."""

    alarm_id: str
    route: str
    level: int
    recipient: str
    expires: float
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class AnswerLinks:
    def __init__(self, key: bytes, base_url: str, expiry: float = DEFAULT_EXPIRY) -> None:
        if len(key) < 16:
            raise ValueError("the answer-link key must be at least 16 bytes")
        if expiry <= 0:
            raise ValueError("answer links must expire after a positive time")
        self._key = key
        self.base_url = base_url.rstrip("/")
        self.expiry = expiry

    def _signature(self, body: str) -> str:
        return _b64(hmac.new(self._key, _DOMAIN + body.encode("ascii"), hashlib.sha256).digest())

    def token(self, alarm_id: str, route: str, level: int, recipient: str, now: float) -> str:
        payload = {
            "a": alarm_id,
            "r": route,
            "l": level,
            "w": recipient,
            "x": int(now + self.expiry),
            "n": _b64(secrets.token_bytes(NONCE_BYTES)),
        }
        body = _b64(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())
        return f"{body}.{self._signature(body)}"

    def link(self, alarm_id: str, route: str, level: int, recipient: str, now: float) -> str:
        return f"{self.base_url}/a/{self.token(alarm_id, route, level, recipient, now)}"

    def check(self, token: str, now: float) -> Grant | Refusal:
        """The grant of a well-signed, unexpired token; why not otherwise. Whether it was
        used is the journal's to say (``LedgerStore.is_used``)."""
        if len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
            return Refusal.FORGED
        body, signature = token.split(".")
        try:
            body.encode("ascii")
            signature.encode("ascii")
        except UnicodeEncodeError:
            return Refusal.FORGED
        if not hmac.compare_digest(signature, self._signature(body)):
            return Refusal.FORGED
        try:
            data = json.loads(_unb64(body))
            grant = Grant(
                alarm_id=str(data["a"]),
                route=str(data["r"]),
                level=int(data["l"]),
                recipient=str(data["w"]),
                expires=float(data["x"]),
                nonce=str(data["n"]),
            )
        except (ValueError, KeyError, TypeError, binascii.Error):
            # Signed by us but unreadable: only a key shared with another program could
            # make one. Treated as forged all the same.
            return Refusal.FORGED
        if now >= grant.expires:
            return Refusal.EXPIRED
        return grant


def load_or_create_key(folder: Path) -> bytes:
    """The key in ``folder/answer-link.key``, made (random, 0600) when missing. Raises
    ``OSError`` when it cannot be read or written, ``ValueError`` when it is too short."""
    path = folder / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_bytes()
        if len(key) < 16:
            raise ValueError(f"{path} holds {len(key)} bytes: not an answer-link key") from None
        return key
    key = secrets.token_bytes(KEY_BYTES)
    with os.fdopen(fd, "wb") as file:
        file.write(key)
    return key
