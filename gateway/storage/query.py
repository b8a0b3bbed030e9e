"""Downsampled trend queries: one point's mean, min and max per time bucket, for the console.

Each range has a fixed bucket width so that a trend has at most about 500 buckets:

    1h → 10 s (360)    8h → 60 s (480)    24h → 180 s (480)    7d → 1440 s (420)

Buckets are aligned to multiples of their width; empty buckets are kept (as None) so that
a gap in the data shows as a gap, never as a line drawn across it. Good and uncertain
readings (e.g. out of range) count; bad ones carry no trustworthy value and do not.

Two back ends, chosen by ``StorageSettings.target`` (``build_trend_source``):

- InfluxDB 1.x: InfluxQL over HTTP (``GET /query``) with ``GROUP BY time(...) fill(null)``;
  tested against a real influxd 1.6.
- InfluxDB 2.x: Flux ``aggregateWindow`` through influxdb-client's async query API. Not
  tested against a server here (the only v2-compatible server on the test machine,
  VictoriaMetrics, has no Flux); its query text and result parsing are tested as pure
  functions.

Query building and result parsing are pure; the sources do the I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from collectors.http import HttpClient, HttpError
from collectors.readings import Quality
from config.catalog import PointKey
from config.gateway_file import InfluxV1, InfluxV2, StorageSettings
from config.redact import redact_text, redact_url
from dashboard.trends import TrendError, TrendPoint, TrendSource, TrendWindow
from gateway.storage.lineprotocol import READING_MEASUREMENT
from gateway.storage.v1 import auth_headers

# ------------------------------------------------------------------------ InfluxQL


def _identifier(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _influxql_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def influxql(
    key: PointKey,
    window: TrendWindow,
    *,
    database: str | None = None,
    retention_policy: str | None = None,
    measurement: str = READING_MEASUREMENT,
) -> str:
    """The InfluxQL statement for one point's trend (times as integer nanoseconds)."""
    source = _identifier(measurement)
    if retention_policy:
        prefix = _identifier(database) if database else ""
        source = f"{prefix}.{_identifier(retention_policy)}.{source}"
    start_ns = round(window.start * 1e9)
    end_ns = round(window.end * 1e9)
    return (
        'SELECT mean("value"), min("value"), max("value") '
        f"FROM {source} "
        f'WHERE "site" = {_influxql_string(key.site)} AND "tag" = {_influxql_string(key.tag)} '
        f'AND "quality" != {_influxql_string(Quality.BAD.value)} '
        f"AND time >= {start_ns} AND time < {end_ns} "
        f"GROUP BY time({int(window.interval)}s) fill(null)"
    )


def _number(value: object, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TrendError(f"{where}: expected a number, got {value!r}")
    return float(value)


def parse_influxql(document: object) -> list[TrendPoint]:
    """The rows of an InfluxQL answer (``epoch=s``): [[time, mean, min, max], ...]."""
    if not isinstance(document, dict):
        raise TrendError(f"unexpected InfluxDB answer: {str(document)[:200]}")
    if "error" in document:
        raise TrendError(f"InfluxDB: {document['error']}")
    results = document.get("results")
    if not isinstance(results, list) or not results:
        raise TrendError(f"InfluxDB answer without results: {str(document)[:200]}")
    result = results[0]
    if not isinstance(result, dict):
        raise TrendError(f"unexpected InfluxDB result: {str(result)[:200]}")
    if "error" in result:
        if str(result["error"]).startswith("database not found"):
            # Nothing written yet (the writer creates the database on its first write):
            # an empty series, not an error.
            return []
        raise TrendError(f"InfluxDB: {result['error']}")
    points: list[TrendPoint] = []
    for series in result.get("series") or []:
        for row in series.get("values") or []:
            if not isinstance(row, list) or len(row) != 4:
                raise TrendError(f"unexpected InfluxDB row {str(row)[:200]}")
            ts = _number(row[0], "time")
            if ts is None:
                raise TrendError("InfluxDB row without a time")
            points.append(
                (ts, _number(row[1], "mean"), _number(row[2], "min"), _number(row[3], "max"))
            )
    points.sort(key=lambda point: point[0])
    return points


# ---------------------------------------------------------------------------- Flux


def _flux_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("${", "\\${") + '"'


def _flux_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def flux(
    key: PointKey, window: TrendWindow, bucket: str, measurement: str = READING_MEASUREMENT
) -> str:
    """The Flux query for one point's trend: three yields, ``mean``, ``min`` and ``max``."""
    every = f"{int(window.interval)}s"
    lines = [
        f"data = from(bucket: {_flux_string(bucket)})",
        f"  |> range(start: {_flux_time(window.start)}, stop: {_flux_time(window.end)})",
        f"  |> filter(fn: (r) => r._measurement == {_flux_string(measurement)} "
        'and r._field == "value")',
        f"  |> filter(fn: (r) => r.site == {_flux_string(key.site)} "
        f"and r.tag == {_flux_string(key.tag)} "
        f"and r.quality != {_flux_string(Quality.BAD.value)})",
        '  |> keep(columns: ["_time", "_value"])',
        "  |> group()",
    ]
    for name in ("mean", "min", "max"):
        lines.append(
            f"data |> aggregateWindow(every: {every}, fn: {name}, createEmpty: true, "
            f'timeSrc: "_start") |> yield(name: "{name}")'
        )
    return "\n".join(lines)


class _Record(Protocol):
    values: dict[str, Any]


class _Table(Protocol):
    records: list[Any]


_FLUX_COLUMN = {"mean": 1, "min": 2, "max": 3}


def parse_flux(tables: Iterable[_Table]) -> list[TrendPoint]:
    """Merge the ``mean``/``min``/``max`` yields into trend points by time."""
    rows: dict[float, list[float | None]] = {}
    for table in tables:
        for record in table.records:
            values: Mapping[str, Any] = record.values
            column = _FLUX_COLUMN.get(str(values.get("result")))
            if column is None:
                continue
            when = values.get("_time")
            if not isinstance(when, datetime):
                raise TrendError(f"Flux record without a time: {dict(values)}")
            row = rows.setdefault(when.timestamp(), [None, None, None])
            row[column - 1] = _number(values.get("_value"), values.get("result", "value"))
    return [(ts, row[0], row[1], row[2]) for ts, row in sorted(rows.items())]


# ------------------------------------------------------------------------- sources


class InfluxV1Trend:
    """InfluxQL over HTTP. A client per query: trends are asked for now and then, and this
    leaves nothing open to close."""

    def __init__(self, settings: InfluxV1, timeout: float = 10.0) -> None:
        self._settings = settings
        self._timeout = timeout
        self._base = settings.url.rstrip("/")
        self._headers = auth_headers(settings)

    @property
    def description(self) -> str:
        return f"influx_v1 {redact_url(self._base)} db={self._settings.database}"

    async def query(self, key: PointKey, window: TrendWindow) -> list[TrendPoint]:
        settings = self._settings
        statement = influxql(
            key, window, database=settings.database, retention_policy=settings.retention_policy
        )
        params = {"db": settings.database, "q": statement, "epoch": "s"}
        try:
            async with HttpClient(headers=self._headers, timeout=self._timeout) as client:
                response = await client.get(f"{self._base}/query", params=params)
        except HttpError as error:
            raise TrendError(f"{self.description}: {redact_text(repr(error))}") from error
        status = response.status
        text = response.text()
        if status != 200:
            raise TrendError(f"{self.description}: HTTP {status}: {text[:300]}")
        try:
            document = json.loads(text)
        except ValueError as error:
            raise TrendError(f"{self.description}: answer is not JSON: {text[:200]}") from error
        try:
            return parse_influxql(document)
        except TrendError as error:
            raise TrendError(f"{self.description}: {redact_text(str(error))}") from error


class InfluxV2Trend:
    """Flux through influxdb-client's async API (a client per query, closed after it)."""

    def __init__(self, settings: InfluxV2, timeout: float = 10.0) -> None:
        self._settings = settings
        self._timeout = timeout

    @property
    def description(self) -> str:
        s = self._settings
        return f"influx_v2 {redact_url(s.url.rstrip('/'))} org={s.org} bucket={s.bucket}"

    async def query(self, key: PointKey, window: TrendWindow) -> list[TrendPoint]:
        # Imported here: influxdb-client is only loaded by gateways with a v2 target.
        # aiohttp too: influxdb-client's async API runs on it (the v1 source does not).
        import aiohttp
        from influxdb_client.client.influxdb_client_async import InfluxDBClientAsync
        from influxdb_client.rest import ApiException

        s = self._settings
        client = InfluxDBClientAsync(
            url=s.url, token=s.token.get_secret_value(), org=s.org,
            timeout=int(self._timeout * 1000),
        )
        try:
            tables = await client.query_api().query(flux(key, window, s.bucket), org=s.org)
        except ApiException as error:
            raise TrendError(f"{self.description}: HTTP {error.status}: {error.reason}") from error
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise TrendError(f"{self.description}: {redact_text(repr(error))}") from error
        finally:
            await client.close()  # type: ignore[no-untyped-call]  # untyped upstream
        return parse_flux(tables)


def build_trend_source(settings: StorageSettings | None) -> TrendSource | None:
    """The trend source for the configured storage; None when readings are not stored."""
    if settings is None:
        return None
    target = settings.target
    if isinstance(target, InfluxV1):
        return InfluxV1Trend(target, timeout=settings.timeout)
    return InfluxV2Trend(target, timeout=settings.timeout)
