"""InfluxDB 2.x ``/api/v2/write`` transport through influxdb-client's async API.

The client gzips the body itself (``enable_gzip=True``). Its errors are mapped to the same
retry/split/reject outcomes as the v1 transport.
"""

from __future__ import annotations

import aiohttp
from influxdb_client.client.influxdb_client_async import InfluxDBClientAsync
from influxdb_client.client.write_api_async import WriteApiAsync
from influxdb_client.rest import ApiException

from config.gateway_file import InfluxV2
from config.redact import redact_text, redact_url
from gateway.storage.errors import RetryableError, classify_response

_NETWORK_ERRORS = (aiohttp.ClientError, TimeoutError, OSError)


def _header(exc: ApiException, name: str) -> str | None:
    headers = getattr(exc, "headers", None)
    if headers is None:
        return None
    value = headers.get(name)
    return value if isinstance(value, str) else None


def _body_text(exc: ApiException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, bytes):
        return body.decode(errors="replace")
    if isinstance(body, str):
        return body
    return str(getattr(exc, "reason", "") or "")


class InfluxV2Transport:
    def __init__(self, settings: InfluxV2, timeout: float = 10.0) -> None:
        self._settings = settings
        self._timeout = timeout
        self._client: InfluxDBClientAsync | None = None
        self._write_api: WriteApiAsync | None = None

    @property
    def description(self) -> str:
        s = self._settings
        return f"influx_v2 {redact_url(s.url.rstrip('/'))} org={s.org} bucket={s.bucket}"

    async def open(self) -> None:
        # The client insists on being built inside a running event loop, hence here.
        if self._client is None:
            s = self._settings
            self._client = InfluxDBClientAsync(
                url=s.url, token=s.token.get_secret_value(), org=s.org,
                timeout=int(self._timeout * 1000), enable_gzip=True,
            )
            self._write_api = self._client.write_api()

    async def close(self) -> None:
        if self._client is not None:
            client, self._client, self._write_api = self._client, None, None
            await client.close()  # type: ignore[no-untyped-call]  # untyped upstream

    async def write(self, body: bytes, lines: int) -> None:
        if self._write_api is None:
            raise RuntimeError(f"{self.description}: transport is not open")
        try:
            await self._write_api.write(
                bucket=self._settings.bucket, org=self._settings.org,
                record=body,  # the client's default precision is ns, as we encode
            )
        except ApiException as exc:
            status = getattr(exc, "status", None)
            if not isinstance(status, int) or status == 0:
                reason = redact_text(str(exc.message))
                raise RetryableError(f"{self.description}: {reason}") from exc
            error = classify_response(
                status, _body_text(exc), lines, target=self.description,
                retry_after=_header(exc, "Retry-After"),
            )
            if error is None:  # a 2xx raised as an exception: nothing to retry
                return
            raise error from exc
        except _NETWORK_ERRORS as exc:
            raise RetryableError(f"{self.description}: {redact_text(repr(exc))}") from exc
