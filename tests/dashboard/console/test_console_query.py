"""Trend query building and result parsing: pure, by tables."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from influxdb_client.client.flux_table import FluxRecord, FluxTable

from config.catalog import PointKey
from dashboard.trends import RANGES, TrendError, TrendWindow, trend_window
from gateway.storage.query import flux, influxql, parse_flux, parse_influxql

NOW = 1_700_000_123.4


@pytest.mark.parametrize(
    ("name", "interval", "max_buckets"),
    [("1h", 10, 361), ("8h", 60, 481), ("24h", 180, 481), ("7d", 1440, 421)],
)
def test_each_range_has_at_most_about_500_aligned_buckets(
    name: str, interval: float, max_buckets: int
) -> None:
    window = trend_window(name, NOW)
    assert window.interval == interval
    assert window.start % interval == 0
    assert window.end == NOW
    assert window.start <= NOW - RANGES[name][0] < window.start + interval
    assert window.buckets <= max_buckets <= 501


def test_unknown_range() -> None:
    with pytest.raises(ValueError, match="1h, 8h, 24h, 7d"):
        trend_window("2h", NOW)


WINDOW = TrendWindow(start=1_700_000_000.0, end=1_700_003_600.5, interval=10.0)


@pytest.mark.parametrize(
    ("key", "kwargs", "expected_parts"),
    [
        (
            PointKey("DEMO", "LT-101"),
            {},
            [
                'SELECT mean("value"), min("value"), max("value") FROM "reading" ',
                "WHERE \"site\" = 'DEMO' AND \"tag\" = 'LT-101' AND \"quality\" != 'bad' ",
                "AND time >= 1700000000000000000 AND time < 1700003600500000000 ",
                "GROUP BY time(10s) fill(null)",
            ],
        ),
        (
            PointKey("it's", "a\\b"),
            {"database": "hazgw", "retention_policy": "thirty_days"},
            [
                'FROM "hazgw"."thirty_days"."reading" ',
                "\"site\" = 'it\\'s' AND \"tag\" = 'a\\\\b'",
            ],
        ),
    ],
)
def test_influxql(key: PointKey, kwargs: dict[str, str], expected_parts: list[str]) -> None:
    statement = influxql(key, WINDOW, **kwargs)
    for part in expected_parts:
        assert part in statement


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"results": [{"statement_id": 0}]}, []),
        # Before the first write the database does not exist yet: an empty series.
        ({"results": [{"statement_id": 0, "error": "database not found: hazgw"}]}, []),
        (
            {"results": [{"series": [{"name": "reading", "columns": ["time", "mean", "min",
                                                                       "max"],
                                      "values": [[20, 2.5, 2, 3], [10, None, None, None]]}]}]},
            [(10.0, None, None, None), (20.0, 2.5, 2.0, 3.0)],
        ),
    ],
)
def test_parse_influxql(document: object, expected: list[tuple[float, ...]]) -> None:
    assert parse_influxql(document) == expected


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"error": "database not found: x"}, "database not found"),
        ({"results": [{"error": "bad statement"}]}, "bad statement"),
        ({"results": []}, "without results"),
        ([], "unexpected"),
        ({"results": [{"series": [{"values": [[1, 2]]}]}]}, "unexpected InfluxDB row"),
        ({"results": [{"series": [{"values": [[1, "x", 2, 3]]}]}]}, "expected a number"),
        ({"results": [{"series": [{"values": [[None, 1, 2, 3]]}]}]}, "without a time"),
    ],
)
def test_parse_influxql_errors(document: object, message: str) -> None:
    with pytest.raises(TrendError, match=message):
        parse_influxql(document)


def test_flux_text() -> None:
    text = flux(PointKey('D"x', "T${1}"), WINDOW, "hazgw")
    assert 'from(bucket: "hazgw")' in text
    assert "range(start: 2023-11-14T22:13:20.000000Z, stop: 2023-11-14T23:13:20.500000Z)" in text
    assert 'r.site == "D\\"x"' in text and 'r.tag == "T\\${1}"' in text
    assert 'r.quality != "bad"' in text
    for name in ("mean", "min", "max"):
        assert (
            f'aggregateWindow(every: 10s, fn: {name}, createEmpty: true, timeSrc: "_start") '
            f'|> yield(name: "{name}")'
        ) in text


def _table(result: str, rows: list[tuple[float, float | None]]) -> FluxTable:
    table = FluxTable()
    for ts, value in rows:
        table.records.append(
            FluxRecord(table=0, values={"result": result, "_value": value,
                                        "_time": datetime.fromtimestamp(ts, tz=UTC)})
        )
    return table


def test_parse_flux_merges_the_three_yields() -> None:
    tables = [
        _table("mean", [(10, 2.5), (20, None)]),
        _table("min", [(10, 2.0), (20, None)]),
        _table("max", [(10, 3.0), (20, None)]),
        _table("_result", [(10, 99.0)]),  # anything else is ignored
    ]
    assert parse_flux(tables) == [(10.0, 2.5, 2.0, 3.0), (20.0, None, None, None)]


def test_parse_flux_rejects_records_without_time() -> None:
    table = FluxTable()
    table.records.append(FluxRecord(table=0, values={"result": "mean", "_value": 1.0}))
    with pytest.raises(TrendError):
        parse_flux([table])


def test_window_bucket_count_rounds_up() -> None:
    assert TrendWindow(0.0, 25.0, 10.0).buckets == math.ceil(2.5)
