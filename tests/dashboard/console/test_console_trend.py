"""The trend route against a real InfluxDB 1.6 (influxd), written with the storage encoder
so that the series are exactly what the gateway stores."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from authkit import SITE, FakeClock, make_site, running_app

from collectors.readings import Quality, Reading, Reason
from config.catalog import Catalog, PointKey
from config.gateway_file import InfluxV1, StorageSettings
from gateway.sim.influx import InfluxdServer, influxd, influxd_available
from gateway.storage.lineprotocol import ReadingEncoder
from gateway.storage.query import build_trend_source

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not influxd_available(), reason="influxd is not installed"),
]

DB = "hazgw_trend"
LEVEL = PointKey(SITE, "LT-1")


async def write(server: InfluxdServer, readings: list[Reading]) -> None:
    body = ReadingEncoder(Catalog([make_site()])).encode(readings).body()
    async with server.session.post(
        f"{server.url}/write", params={"db": DB, "precision": "ns"}, data=body
    ) as response:
        assert response.status == 204, await response.text()


async def test_trend_from_influxd(tmp_path: Path, clock: FakeClock) -> None:
    now = clock()
    start = now - 3600.0 - (now % 10)  # the first bucket of the 1h range
    readings: list[Reading] = []
    # One reading a second for the first 60 s: buckets of 10 s see 10 values each.
    for second in range(60):
        readings.append(Reading(LEVEL, float(second), start + second))
    # A bad reading (no value) and an uncertain one (out of range, with its value).
    readings.append(Reading(LEVEL, None, start + 65, Quality.BAD, Reason.COMM_LOSS))
    readings.append(Reading(LEVEL, 25.0, start + 71, Quality.UNCERTAIN, Reason.OUT_OF_RANGE))
    readings.append(Reading(LEVEL, 5.0, start + 72))
    # Another point in the same series family must not leak in.
    readings.append(Reading(PointKey(SITE, "FT-1"), 999.0, start + 5))
    # Recent values, then a mark.
    readings.append(Reading(LEVEL, 16.0, now - 5))

    async with influxd() as server:
        await server.create_database(DB)
        await write(server, readings)
        storage = StorageSettings(
            target=InfluxV1(kind="influx_v1", url=server.url, database=DB, create_database=False)
        )
        trend = build_trend_source(storage)
        async with running_app(tmp_path, make_site(), clock=clock, trend=trend) as app:
            alarm = app.raise_alarm("LT-1", 16.0)
            async with app.login("viewer") as viewer:
                response = await viewer.get("/api/trend", params={"site": SITE, "tag": "LT-1"})
                assert response.status_code == 200, response.text
                body = response.json()
                week = await viewer.get(
                    "/api/trend", params={"site": SITE, "tag": "LT-1", "range": "7d"}
                )
                assert week.status_code == 200

    assert (body["site"], body["tag"], body["name"], body["unit"]) == (SITE, "LT-1", "1号罐液位",
                                                                       "m")
    assert (body["range"], body["interval_s"], body["from"], body["to"]) == ("1h", 10.0, start,
                                                                             now)
    points = body["points"]
    assert 360 <= len(points) <= 361
    by_time = {p[0]: p[1:] for p in points}
    assert by_time[start] == [4.5, 0.0, 9.0]
    assert by_time[start + 50] == [54.5, 50.0, 59.0]
    assert by_time[start + 60] == [None, None, None]  # only the bad reading: a gap
    assert by_time[start + 70] == [15.0, 5.0, 25.0]  # uncertain counts, bad does not
    assert by_time[start + 100] == [None, None, None]  # no data: a gap, not a line
    assert points[-1][1:] == [16.0, 16.0, 16.0]
    assert all(b[0] > a[0] for a, b in itertools.pairwise(points))
    assert body["limits"] == {"H": 15.0, "HH": 18.0, "L": 2.0}
    assert body["alarms"] == [
        {"ts": now, "type": "H", "kind": "raised", "priority": "high"}
    ]
    assert alarm.endswith("/H")
    week_body = week.json()
    assert week_body["interval_s"] == 1440.0 and len(week_body["points"]) <= 421
    assert any(p[1] is not None for p in week_body["points"])


async def test_trend_before_the_first_write_is_an_empty_series(
    tmp_path: Path, clock: FakeClock
) -> None:
    """A fresh gateway: influxd is up but nothing was written, so the database does not
    exist yet (the writer creates it on its first write). The trend is empty, not an
    error."""
    async with influxd() as server:
        storage = StorageSettings(target=InfluxV1(kind="influx_v1", url=server.url,
                                                  database="never_written"))
        trend = build_trend_source(storage)
        async with (
            running_app(tmp_path, make_site(), clock=clock, trend=trend) as app,
            app.login("viewer") as viewer,
        ):
            response = await viewer.get("/api/trend", params={"site": SITE, "tag": "LT-1"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["site"], body["tag"], body["range"]) == (SITE, "LT-1", "1h")
    assert body["points"] == []
