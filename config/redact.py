"""Secrets out of text meant for people: logs, ``/api/health``, error messages.

A URL may carry credentials (``http://user:pw@host``) or keys in its query
(``?key=...``, ``?access_token=...``). Every description of a target, and every error text
that may quote a URL, goes through ``redact_text`` before anyone reads it. The URL itself is
still used as given to connect.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, SecretStr

MASK = "***"
# Query parameters that are secrets in the services we talk to (WeCom key, DingTalk
# access_token and sign, InfluxDB v1 p / u+p, generic token / password).
SECRET_PARAMETERS = frozenset({
    "key", "token", "access_token", "secret", "sign", "password", "passwd", "pwd", "p",
    "apikey", "api_key", "auth", "authorization", "signature", "sig",
})
# scheme://user:password@ anywhere in a text; the user name stays (it helps find the
# account), the password goes.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^/\s:@]*):[^/\s@]*@")
_QUERY_SECRET = re.compile(
    r"(?P<lead>[?&;](?:" + "|".join(sorted(SECRET_PARAMETERS, key=len, reverse=True))
    + r")=)[^&\s'\"#]*",
    re.IGNORECASE,
)


def redact_url(url: str) -> str:
    """``url`` with its password and secret query values replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.partition(":")[0]
        netloc = f"{user}:{MASK}@{hostport}" if ":" in userinfo else f"{user}@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(name, MASK if name.lower() in SECRET_PARAMETERS else value) for name, value in pairs],
            safe="*",
        )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with URL passwords, secret query values and each of ``secrets`` masked."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    text = _QUERY_SECRET.sub(lambda m: f"{m['lead']}{MASK}", text)
    for secret in sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def config_secrets(value: object) -> set[str]:
    """Every secret in a validated config: ``SecretStr`` values, URL passwords and secret
    query values, found by walking the models (so a new secret field is covered too)."""
    found: set[str] = set()
    stack: list[object] = [value]
    seen = 0
    while stack and seen < 100_000:
        seen += 1
        item = stack.pop()
        if isinstance(item, SecretStr):
            found.add(item.get_secret_value())
        elif isinstance(item, BaseModel):
            stack.extend(getattr(item, name) for name in type(item).model_fields)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        elif isinstance(item, str) and "://" in item:
            found.update(_url_secrets(item))
    return {secret for secret in found if secret}


def _url_secrets(url: str) -> set[str]:
    try:
        parts = urlsplit(url)
    except ValueError:
        return set()
    found = set()
    if parts.password:
        found.add(parts.password)
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name.lower() in SECRET_PARAMETERS:
            found.add(value)
    return found
