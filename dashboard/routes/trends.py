"""Trends of any points, overlaid: one window, one bucket width, every point's mean, min and
max per bucket computed in InfluxDB (``GROUP BY time`` / ``aggregateWindow``), with its
limits and alarm marks.

    GET /api/trends?point=SITE/TAG&point=SITE/TAG&range=1h|8h|24h|7d|30d
    GET /api/trends?point=...&from=<epoch s>&to=<epoch s>      a custom window
    GET /api/trends.csv?...                                    the same as CSV (Excel: UTF-8 BOM)

At most ``MAX_POINTS`` points. A custom window gets the narrowest bucket width of
``BUCKET_WIDTHS`` that keeps it under ``MAX_BUCKETS`` buckets. Empty buckets stay null, so
that a communication loss is a gap and never a line drawn across it.
"""

from __future__ import annotations

import csv
import io
import math
import time
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from alerting.engine import AlarmEngine
from alerting.journal import AlarmJournal, HistoryQuery
from config.catalog import Catalog, PointKey
from dashboard.routes.console import MAX_TREND_ALARMS, TREND_MARKS, TrendAlarmOut, _zone
from dashboard.trends import TrendError, TrendPoint, TrendSource, TrendWindow

Clock = Callable[[], float]
MAX_POINTS = 8
MAX_BUCKETS = 720
MAX_SPAN_S = 400 * 86400.0  # records are kept 30-90 days; a year and a month is plenty
PRESETS = {"1h": 3600.0, "8h": 8 * 3600.0, "24h": 86400.0, "7d": 7 * 86400.0,
           "30d": 30 * 86400.0}
BUCKET_WIDTHS = (1, 2, 5, 10, 15, 30, 60, 120, 180, 300, 600, 900, 1200, 1800, 3600, 7200,
                 10800, 21600, 43200, 86400)


PointsQ = Annotated[list[str], Query(alias="point")]
FromQ = Annotated[float | None, Query(alias="from")]
RangeQ = Annotated[str | None, Query(alias="range")]


class SeriesOut(BaseModel):
    site: str
    tag: str
    name: str
    unit: str
    points: list[TrendPoint]
    limits: dict[str, float]
    alarms: list[TrendAlarmOut]


class TrendsOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: float = Field(alias="from")
    to: float
    interval_s: float
    series: list[SeriesOut]


def window_between(start: float, end: float) -> TrendWindow:
    """The window [start, end) with the narrowest listed bucket width giving at most
    ``MAX_BUCKETS`` buckets; its start aligned to a multiple of the width."""
    span = end - start
    width = next((w for w in BUCKET_WIDTHS if span / w <= MAX_BUCKETS), BUCKET_WIDTHS[-1])
    return TrendWindow(start=math.floor(start / width) * width, end=end, interval=float(width))


def parse_point(text: str, catalog: Catalog) -> PointKey:
    site, sep, tag = text.partition("/")
    key = PointKey(site, tag)
    if not sep or catalog.get(key) is None:
        raise HTTPException(404, f"unknown point {text!r}: write SITE/TAG, e.g. DEMO-CHEM/LT-101")
    return key


def clean(value: float | None) -> str:
    """A number for CSV without float artefacts (22.700000000000003 is 22.7)."""
    if value is None:
        return ""
    rounded = round(value, 6)
    return repr(0.0 if rounded == 0 else rounded)


def trends_csv(trends: TrendsOut, zone: tzinfo) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = ["时间", "时间戳(秒)"]
    for s in trends.series:
        unit = f"({s.unit})" if s.unit else ""
        header += [f"{s.tag} {s.name} 平均{unit}", f"{s.tag} 最小", f"{s.tag} 最大"]
    writer.writerow(header)
    rows: dict[float, list[str]] = {}
    for index, s in enumerate(trends.series):
        for ts, mean, low, high in s.points:
            row = rows.setdefault(ts, [""] * (3 * len(trends.series)))
            row[3 * index: 3 * index + 3] = [clean(mean), clean(low), clean(high)]
    for ts in sorted(rows):
        local = datetime.fromtimestamp(ts, zone).strftime("%Y-%m-%d %H:%M:%S")
        writer.writerow([local, f"{ts:.0f}", *rows[ts]])
    return out.getvalue().encode("utf-8-sig")


def trends_router(
    journal: AlarmJournal,
    engine: AlarmEngine,
    catalog: Catalog,
    *,
    trend: TrendSource | None,
    clock: Clock = time.time,
) -> APIRouter:
    api = APIRouter(prefix="/api", tags=["trends"])

    async def build(points: list[str], range_name: str | None, start: float | None,
                    end: float | None) -> TrendsOut:
        if not points or len(points) > MAX_POINTS:
            raise HTTPException(422, f"give 1 to {MAX_POINTS} points (point=SITE/TAG)")
        keys = list(dict.fromkeys(parse_point(p, catalog) for p in points))
        now = clock()
        if start is not None or end is not None:
            if start is None or end is None or not start < end:
                raise HTTPException(422, "a custom range needs from < to (epoch seconds)")
            if end - start > MAX_SPAN_S:
                raise HTTPException(422, f"a range of at most {MAX_SPAN_S / 86400:.0f} days")
        else:
            span = PRESETS.get(range_name or "1h")
            if span is None:
                raise HTTPException(422, f"range: one of {', '.join(PRESETS)} (or from and to)")
            start, end = now - span, now
        if trend is None:
            raise HTTPException(503, "没有配置数据库，无法查询趋势 / no storage configured: "
                                "trends need InfluxDB (storage: in the gateway file)")
        window = window_between(start, end)
        series = []
        for key in keys:
            info = catalog[key]
            try:
                rows = await trend.query(key, window)
            except TrendError as error:
                raise HTTPException(502, f"trend query failed: {error}") from error
            evaluator = engine.point_rules(key)
            limits = ({spec.alarm_type.value: spec.value for spec in evaluator.rules.limits}
                      if evaluator is not None else {})
            marks = journal.history(HistoryQuery(
                site=key.site, tag=key.tag, since=window.start, until=window.end + 0.001,
                kinds=TREND_MARKS, limit=MAX_TREND_ALARMS, ascending=True))
            series.append(SeriesOut(
                site=key.site, tag=key.tag, name=info.config.name, unit=info.config.unit,
                points=rows, limits=limits,
                alarms=[TrendAlarmOut(ts=e.ts, type=e.alarm_type, kind=e.kind,
                                      priority=e.priority) for e in marks],
            ))
        return TrendsOut(from_=window.start, to=window.end, interval_s=window.interval,
                         series=series)

    @api.get("/trends", response_model=TrendsOut, response_model_by_alias=True)
    async def trends(
        points: PointsQ, range_name: RangeQ = None,
        start: FromQ = None, to: float | None = None,
    ) -> TrendsOut:
        return await build(points, range_name, start, to)

    @api.get("/trends.csv", response_class=Response)
    async def trends_export(
        points: PointsQ, range_name: RangeQ = None,
        start: FromQ = None, to: float | None = None, tz: str | None = None,
    ) -> Response:
        result = await build(points, range_name, start, to)
        zone = _zone(tz)
        stamp = datetime.fromtimestamp(result.from_, zone).strftime("%Y%m%d-%H%M")
        return Response(trends_csv(result, zone), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition":
                                 f'attachment; filename="trend-{stamp}.csv"'})

    return api
