"""Trends of several points against a real influxd: overlays, a custom window with its
bucket width, gaps kept, limits and marks per point, and the CSV without float artefacts."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from authkit import SITE, FakeClock, make_site, running_app

from collectors.readings import Quality, Reading, Reason
from config.catalog import Catalog, PointKey
from config.gateway_file import InfluxV1, StorageSettings
from dashboard.routes.trends import MAX_BUCKETS, window_between
from gateway.sim.influx import influxd, influxd_available
from gateway.storage.lineprotocol import ReadingEncoder
from gateway.storage.query import build_trend_source

DB = "hazgw_trends"


@pytest.mark.parametrize(
    ("span", "width"),
    [(3600, 5), (8 * 3600, 60), (86400, 120), (7 * 86400, 900), (30 * 86400, 3600),
     (400 * 86400, 86400)],
)
def test_window_widths(span: float, width: float) -> None:
    window = window_between(1_700_000_000.0 - span, 1_700_000_000.0)
    assert window.interval == width
    assert window.start % width == 0
    assert window.buckets <= MAX_BUCKETS + 1


@pytest.mark.integration
@pytest.mark.skipif(not influxd_available(), reason="influxd is not installed")
async def test_overlaid_trends_and_csv(tmp_path: Path, clock: FakeClock) -> None:
    now = clock()
    start = now - 3600 - (now % 5)
    level, flow = PointKey(SITE, "LT-1"), PointKey(SITE, "FT-1")
    readings = [Reading(level, 10.0, start + s) for s in range(0, 30)]
    readings.append(Reading(level, None, start + 40, Quality.BAD, Reason.COMM_LOSS))
    readings += [Reading(level, 11.0, start + s) for s in range(60, 65)]
    # 22.7 three times: a mean InfluxDB computes as 22.700000000000003.
    readings += [Reading(flow, 22.7, start + s) for s in (0, 1, 2)]
    async with influxd() as server:
        await server.create_database(DB)
        body = ReadingEncoder(Catalog([make_site()])).encode(readings).body()
        async with server.session.post(f"{server.url}/write",
                                       params={"db": DB, "precision": "ns"}, data=body) as r:
            assert r.status == 204
        trend = build_trend_source(StorageSettings(target=InfluxV1(
            kind="influx_v1", url=server.url, database=DB, create_database=False)))
        async with running_app(tmp_path, make_site(), clock=clock, trend=trend) as app:
            app.raise_alarm("LT-1", 16.0)
            async with app.login("viewer") as viewer:
                params = [("point", f"{SITE}/LT-1"), ("point", f"{SITE}/FT-1"), ("range", "1h")]
                body = (await viewer.get("/api/trends", params=params)).json()
                custom = (await viewer.get("/api/trends", params=[
                    ("point", f"{SITE}/LT-1"), ("from", str(start)), ("to", str(start + 120))
                ])).json()
                exported = await viewer.get("/api/trends.csv",
                                            params=[*params, ("tz", "Asia/Shanghai")])
                unknown = await viewer.get("/api/trends", params=[("point", f"{SITE}/NOPE")])
                bad = await viewer.get("/api/trends", params=[("point", f"{SITE}/LT-1"),
                                                              ("from", "10"), ("to", "5")])
    assert unknown.status_code == 404 and bad.status_code == 422, (unknown.text, bad.text)
    assert body["interval_s"] == 5.0
    lt, ft = body["series"]
    assert (lt["tag"], lt["unit"], ft["tag"], ft["unit"]) == ("LT-1", "m", "FT-1", "m3/h")
    assert lt["limits"] == {"H": 15.0, "HH": 18.0, "L": 2.0}
    assert [a["kind"] for a in lt["alarms"]] == ["raised"] and ft["alarms"] == []
    by_time = {p[0]: p[1] for p in lt["points"]}
    assert by_time[start] == 10.0 and by_time[start + 40] is None  # comm loss: a gap
    assert by_time[start + 60] == 11.0
    # A custom two minutes: 1 s buckets.
    assert custom["interval_s"] == 1.0 and custom["from"] == start
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["时间", "时间戳(秒)", "LT-1 1号罐液位 平均(m)"]
    first = next(row for row in rows[1:] if row[1] == f"{start:.0f}")
    assert first[2] == "10.0" and first[5] == "22.7"
    assert "22.700000000000003" not in exported.text
