"""A period's statistics per point for the duty reports, computed in InfluxDB.

Two InfluxQL statements per site (InfluxDB 1.x), each answering one row per tag:

- count, min, max and mean of the valid readings (quality not bad);
- the number of buckets with at least one valid reading: a subquery counts readings per
  bucket (empty buckets stay null, ``fill(none)``) and the outer query counts the non-null.

Nothing is fetched reading by reading: a month of a thousand points is two small answers.
InfluxDB 2.x (Flux) is not implemented: ``InfluxV2Stats`` says so in every report rather
than leaving the figures out without a word.
"""

from __future__ import annotations

import json
import math
from typing import Any

from collectors.http import HttpClient, HttpError
from collectors.readings import Quality
from config.gateway_file import InfluxV1, StorageSettings
from config.redact import redact_text, redact_url
from dashboard.reports.figures import PointStats, StatsError, StatsSource
from gateway.storage.lineprotocol import READING_MEASUREMENT
from gateway.storage.query import _identifier, _influxql_string
from gateway.storage.v1 import auth_headers


def stats_statements(
    site: str, start: float, end: float, bucket_s: float, *, source: str | None = None
) -> tuple[str, str]:
    """The two InfluxQL statements (figures, buckets with data) for ``site``'s points."""
    source = source or _identifier(READING_MEASUREMENT)
    where = (
        f'"site" = {_influxql_string(site)} AND "quality" != {_influxql_string(Quality.BAD.value)}'
        f" AND time >= {round(start * 1e9)} AND time < {round(end * 1e9)}"
    )
    figures = (
        'SELECT count("value"), min("value"), max("value"), mean("value") '
        f'FROM {source} WHERE {where} GROUP BY "tag"'
    )
    buckets = (
        'SELECT count("n") FROM (SELECT count("value") AS "n" '
        f'FROM {source} WHERE {where} GROUP BY time({int(bucket_s)}s), "tag" fill(none)) '
        'GROUP BY "tag"'
    )
    return figures, buckets


def _rows(document: Any, index: int) -> dict[str, list[Any]]:
    """tag → the first row of that tag's series in statement ``index``."""
    if not isinstance(document, dict) or "results" not in document:
        raise StatsError(f"unexpected InfluxDB answer: {str(document)[:200]}")
    results = document["results"]
    if len(results) <= index:
        raise StatsError(f"InfluxDB answered {len(results)} statements, expected {index + 1}")
    result = results[index]
    if "error" in result:
        raise StatsError(f"InfluxDB: {result['error']}")
    rows: dict[str, list[Any]] = {}
    for series in result.get("series") or []:
        tag = (series.get("tags") or {}).get("tag")
        values = series.get("values") or []
        if tag is not None and values:
            rows[str(tag)] = list(values[0])
    return rows


def parse_stats(document: Any, buckets: int) -> dict[str, PointStats]:
    """Both statements' answer, merged per tag."""
    figures = _rows(document, 0)
    with_data = _rows(document, 1)
    out: dict[str, PointStats] = {}
    for tag, row in figures.items():
        # row: time, count, min, max, mean
        count = int(row[1] or 0)
        filled = with_data.get(tag)
        out[tag] = PointStats(
            count=count, good=count,
            min=_float(row[2]), max=_float(row[3]), mean=_float(row[4]),
            buckets_with_data=int(filled[1] or 0) if filled else 0,
            buckets=buckets,
        )
    return out


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class InfluxV1Stats:
    def __init__(self, settings: InfluxV1, timeout: float = 30.0) -> None:
        self._settings = settings
        self._timeout = timeout
        self._base = settings.url.rstrip("/")
        self._headers = auth_headers(settings)

    @property
    def description(self) -> str:
        return f"influx_v1 {redact_url(self._base)} db={self._settings.database}"

    async def stats(
        self, site: str, start: float, end: float, bucket_s: float
    ) -> dict[str, PointStats]:
        settings = self._settings
        source = None
        if settings.retention_policy:
            source = (
                f"{_identifier(settings.database)}.{_identifier(settings.retention_policy)}."
                f"{_identifier(READING_MEASUREMENT)}"
            )
        statements = stats_statements(site, start, end, bucket_s, source=source)
        params = {"db": settings.database, "q": ";".join(statements), "epoch": "s"}
        try:
            async with HttpClient(headers=self._headers, timeout=self._timeout) as client:
                response = await client.get(f"{self._base}/query", params=params)
        except HttpError as error:
            raise StatsError(f"{self.description}: {redact_text(repr(error))}") from error
        status = response.status
        text = response.text()
        if status != 200:
            raise StatsError(f"{self.description}: HTTP {status}: {text[:300]}")
        try:
            document = json.loads(text)
        except ValueError as error:
            raise StatsError(f"{self.description}: answer is not JSON: {text[:200]}") from error
        return parse_stats(document, math.ceil((end - start) / bucket_s))


class InfluxV2Stats:
    def __init__(self, description: str) -> None:
        self._description = description

    @property
    def description(self) -> str:
        return self._description

    async def stats(
        self, site: str, start: float, end: float, bucket_s: float
    ) -> dict[str, PointStats]:
        raise StatsError(
            f"{self._description}: report statistics are computed with InfluxQL (InfluxDB "
            "1.x); Flux is not implemented yet"
        )


def build_stats_source(settings: StorageSettings | None) -> StatsSource | None:
    if settings is None:
        return None
    target = settings.target
    if isinstance(target, InfluxV1):
        return InfluxV1Stats(target, timeout=max(settings.timeout, 30.0))
    return InfluxV2Stats(f"influx_v2 {target.url.rstrip('/')} bucket={target.bucket}")
