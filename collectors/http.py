"""A small HTTP/1.1 client over ``httpcore``: what the InfluxDB 1.x writer and queries and the
notification webhooks need, and no more.

It replaced aiohttp on the gateway's path (issue 13): aiohttp with multidict, yarl and the two
TLS contexts it builds at import from the system CA bundle costs about 13 MB resident in
every gateway; httpcore (over h11 and anyio, which uvicorn and starlette load anyway) about
1.5 MB, and it builds no TLS context until an https connection needs one.

- One connection pool per scheme, bounded (``max_connections``), idle connections kept
  ``keepalive_expiry`` seconds. The https pool, and its TLS context (the system CA store,
  ``ssl.create_default_context()``), are made on the first https request only.
- Every request has a total time limit (``asyncio.timeout``) besides httpcore's connect,
  read and write limits.
- Every failure to get an answer (refused, reset, timed out, a broken answer, a bad URL) is
  one exception, ``HttpError``; an answer of any status is returned, not raised.
- Redirects are not followed. Credentials in a URL (``http://user:pw@host``) become basic
  authentication unless an Authorization header is given; no message says them.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import quote, unquote, urlencode, urlsplit

import httpcore

from config.redact import redact_text

DEFAULT_MAX_CONNECTIONS = 8
DEFAULT_KEEPALIVE_EXPIRY = 30.0

# Characters left as they are in a request target; anything else (spaces, non-ASCII) is
# percent-encoded, as aiohttp did. '%' stays: a URL already encoded is not encoded twice.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"
_DEFAULT_PORTS = {"http": 80, "https": 443}

_HTTPCORE_ERRORS = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ProxyError,
    httpcore.ConnectionNotAvailable,
)


class HttpError(OSError):
    """No answer: the connection was refused or broke, the time limit passed, or the answer
    was not HTTP. ``timed_out`` says which of these it was, for messages. The message never
    contains the URL (callers say where, redacted) nor a credential."""

    def __init__(self, reason: str, *, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.timed_out = timed_out

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """An answer: its status, its headers (names lower-cased; repeated ones joined with
    ", ") and its whole body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def charset(self) -> str:
        content_type = self.headers.get("content-type", "")
        for parameter in content_type.split(";")[1:]:
            key, _, value = parameter.strip().partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return value.strip().strip('"')
        return "utf-8"

    def text(self) -> str:
        """The body decoded (the Content-Type's charset, else UTF-8); bytes that do not
        decode become U+FFFD rather than an error."""
        try:
            return self.body.decode(self.charset, errors="replace")
        except LookupError:  # a charset Python does not know
            return self.body.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class _Target:
    https: bool
    url: httpcore.URL
    host_header: str
    authorization: str | None


def _target(url: str, params: Mapping[str, str] | None) -> _Target:
    """``url`` (plus ``params``) as httpcore wants it. Raises ValueError when it is not an
    absolute http(s) URL."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"not an http or https URL (scheme {scheme or 'missing'!r})")
    host = parts.hostname
    if not host:
        raise ValueError("URL without a host")
    port = parts.port  # ValueError when not a number or out of range
    ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    bracketed = f"[{ascii_host}]" if ":" in ascii_host else ascii_host
    host_header = bracketed if port in (None, _DEFAULT_PORTS[scheme]) else f"{bracketed}:{port}"
    query = parts.query
    if params:
        encoded = urlencode(params)
        query = f"{query}&{encoded}" if query else encoded
    target = quote(parts.path or "/", safe=_PATH_SAFE)
    if query:
        target += "?" + quote(query, safe=_QUERY_SAFE)
    authorization = None
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(credentials.encode()).decode()
    return _Target(
        https=scheme == "https",
        url=httpcore.URL(scheme=scheme, host=ascii_host, port=port, target=target),
        host_header=host_header,
        authorization=authorization,
    )


def _headers_of(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


class HttpClient:
    """Requests with base ``headers`` and a total ``timeout`` (seconds) each, over pooled
    keep-alive connections. ``close`` releases them; a closed client refuses requests."""

    def __init__(
        self,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        keepalive_expiry: float = DEFAULT_KEEPALIVE_EXPIRY,
    ) -> None:
        self._headers = dict(headers or {})
        self._timeout = timeout
        self._max_connections = max_connections
        self._keepalive_expiry = keepalive_expiry
        self._plain: httpcore.AsyncConnectionPool | None = None
        self._tls: httpcore.AsyncConnectionPool | None = None
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def _pool(self, https: bool) -> httpcore.AsyncConnectionPool:
        if self._closed:
            raise RuntimeError("the HTTP client is closed")
        if https:
            if self._tls is None:
                self._tls = httpcore.AsyncConnectionPool(
                    ssl_context=ssl.create_default_context(),
                    max_connections=self._max_connections,
                    keepalive_expiry=self._keepalive_expiry,
                )
            return self._tls
        if self._plain is None:
            # No TLS context: httpcore would only make one (from certifi) for https.
            self._plain = httpcore.AsyncConnectionPool(
                max_connections=self._max_connections,
                keepalive_expiry=self._keepalive_expiry,
            )
        return self._plain

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        time_limit: float | None = None,
    ) -> HttpResponse:
        """Send one request and read the whole answer. Raises ``HttpError`` when there is
        no answer within ``time_limit`` (the client's when None)."""
        limit = self._timeout if time_limit is None else time_limit
        try:
            target = _target(url, params)
        except ValueError as error:
            raise HttpError(f"bad URL: {redact_text(str(error))}") from error
        pool = self._pool(target.https)
        merged = {"Host": target.host_header, **self._headers, **(headers or {})}
        if target.authorization is not None and not any(
            name.lower() == "authorization" for name in merged
        ):
            merged["Authorization"] = target.authorization
        if body is None and method.upper() in ("POST", "PUT", "PATCH"):
            body = b""
        extensions = {"timeout": {"connect": limit, "read": limit, "write": limit, "pool": limit}}
        try:
            async with asyncio.timeout(limit):
                response = await pool.request(
                    method.upper(), target.url, headers=list(merged.items()), content=body,
                    extensions=extensions,
                )
        except TimeoutError as error:
            raise HttpError(f"timed out after {limit:g} s", timed_out=True) from error
        except httpcore.TimeoutException as error:
            raise HttpError(
                f"timed out after {limit:g} s ({type(error).__name__})", timed_out=True
            ) from error
        except (*_HTTPCORE_ERRORS, OSError) as error:
            detail = redact_text(str(error)) or "no detail"
            raise HttpError(f"{type(error).__name__}: {detail}") from error
        return HttpResponse(response.status, _headers_of(response.headers), response.content)

    async def get(
        self,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        time_limit: float | None = None,
    ) -> HttpResponse:
        return await self.request("GET", url, params=params, headers=headers, time_limit=time_limit)

    async def post(
        self,
        url: str,
        body: bytes,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        time_limit: float | None = None,
    ) -> HttpResponse:
        return await self.request(
            "POST", url, params=params, headers=headers, body=body, time_limit=time_limit
        )

    async def close(self) -> None:
        """Close every pooled connection. Idempotent."""
        self._closed = True
        pools = [pool for pool in (self._plain, self._tls) if pool is not None]
        self._plain = self._tls = None
        for pool in pools:
            await pool.aclose()

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


def form_body(fields: Mapping[str, str]) -> tuple[bytes, dict[str, str]]:
    """An ``application/x-www-form-urlencoded`` body and its Content-Type header."""
    return urlencode(fields).encode(), {"Content-Type": "application/x-www-form-urlencoded"}
