"""InfluxDB 1.x ``/write`` transport (also the 1.x compatibility API of InfluxDB 1.8+, 2.x, 3.x).

Bodies are gzipped (level 1: line protocol shrinks about tenfold and the CPU cost stays
small); zlib releases the GIL, so compression runs in a worker thread and the event loop
keeps serving collectors and alarms meanwhile.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import logging

from collectors.http import HttpClient, HttpError, form_body
from config.gateway_file import InfluxV1
from config.redact import redact_text, redact_url
from gateway.storage.errors import RetryableError, classify_response, error_message

log = logging.getLogger(__name__)

_NETWORK_ERRORS = (HttpError, OSError)


def quote_identifier(name: str) -> str:
    """An InfluxQL identifier in double quotes: ``my"db`` → ``"my\\"db"``."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def auth_headers(settings: InfluxV1) -> dict[str, str]:
    """HTTP basic authentication when the target has a username. The password is read out
    of its ``SecretStr`` here only, into a header that is never logged."""
    if not settings.username:
        return {}
    password = settings.password.get_secret_value() if settings.password is not None else ""
    credentials = base64.b64encode(f"{settings.username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {credentials}"}


class InfluxV1Transport:
    def __init__(self, settings: InfluxV1, timeout: float = 10.0) -> None:
        self._settings = settings
        self._timeout = timeout
        self._base = settings.url.rstrip("/")
        self._params = {"db": settings.database, "precision": "ns"}
        if settings.retention_policy:
            self._params["rp"] = settings.retention_policy
        self._headers = auth_headers(settings)
        self._client: HttpClient | None = None
        self._database_ready = not settings.create_database

    @property
    def description(self) -> str:
        rp = f"/{self._settings.retention_policy}" if self._settings.retention_policy else ""
        return f"influx_v1 {redact_url(self._base)} db={self._settings.database}{rp}"

    async def open(self) -> None:
        if self._client is None or self._client.closed:
            self._client = HttpClient(headers=self._headers, timeout=self._timeout)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    def _require_client(self) -> HttpClient:
        if self._client is None or self._client.closed:
            raise RuntimeError(f"{self.description}: transport is not open")
        return self._client

    async def create_database(self) -> None:
        """CREATE DATABASE (a no-op when it exists). Network trouble raises RetryableError;
        a refusal (no admin rights) is logged and writing goes ahead: the database may
        well exist, and if not, the write's 404 says so."""
        client = self._require_client()
        query = f"CREATE DATABASE {quote_identifier(self._settings.database)}"
        form, form_headers = form_body({"q": query})
        try:
            response = await client.post(f"{self._base}/query", form, headers=form_headers)
        except _NETWORK_ERRORS as exc:
            reason = redact_text(repr(exc))
            raise RetryableError(f"{self.description}: CREATE DATABASE: {reason}") from exc
        status = response.status
        text = response.text()
        if status >= 500:
            raise RetryableError(
                f"{self.description}: CREATE DATABASE: HTTP {status}: {error_message(text)}",
                status=status,
            )
        if status != 200 or '"error"' in text:
            log.warning(
                "%s: CREATE DATABASE refused (HTTP %d: %s); writing anyway",
                self.description, status, error_message(text),
            )
        else:
            log.info("%s: database ready", self.description)
        self._database_ready = True

    async def write(self, body: bytes, lines: int) -> None:
        client = self._require_client()
        if not self._database_ready:
            await self.create_database()
        data = await asyncio.to_thread(gzip.compress, body, 1)
        headers = {"Content-Encoding": "gzip", "Content-Type": "text/plain; charset=utf-8"}
        try:
            response = await client.post(
                f"{self._base}/write", data, params=self._params, headers=headers
            )
        except _NETWORK_ERRORS as exc:
            raise RetryableError(f"{self.description}: {redact_text(repr(exc))}") from exc
        status = response.status
        if status in (200, 204):
            return
        text = response.text()
        retry_after = response.header("Retry-After")
        if status == 404 and self._settings.create_database:
            self._database_ready = False  # dropped behind our back: create it before the retry
        error = classify_response(
            status, text, lines, target=self.description, retry_after=retry_after
        )
        if error is not None:
            raise error
