"""Payload parsing, table-driven: every format, every malformed kind, partial payloads."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mqtt_helpers import NOW, POINTS, SITE, make_device

from collectors.mqtt.payload import OLDEST_PLAUSIBLE_TS, PayloadParser, Problem
from collectors.readings import Quality, Reading, Reason
from config.catalog import PointKey
from config.mqtt import Subscription

G, U, B = Quality.GOOD, Quality.UNCERTAIN, Quality.BAD
NONE, OOR, DEC, STALE = Reason.NONE, Reason.OUT_OF_RANGE, Reason.DECODE_ERROR, Reason.STALE

DEVICE = make_device()
VALUE, OBJECT, BATCH = DEVICE.subscriptions

Expected = tuple[str, object, Quality, Reason, float]


def _parse(
    subscription: Subscription, payload: bytes | str, *, retained: bool = False
) -> tuple[list[Expected], list[tuple[Problem, str | None]]]:
    raw = payload.encode() if isinstance(payload, str) else payload
    parsed = PayloadParser(SITE, DEVICE).parse(subscription, raw, NOW, retained=retained)
    readings: list[Expected] = [
        (r.point.tag, r.value, r.quality, r.reason, r.ts) for r in parsed.readings
    ]
    for reading in parsed.readings:
        assert reading.point.site == SITE
    return readings, [(error.problem, error.key) for error in parsed.errors]


def js(document: Any) -> str:
    return json.dumps(document)


# (payload, readings, errors) for the value subscription (point PDT-301, range 0..3000)
VALUE_CASES: list[tuple[str, bytes | str, list[Expected], list[tuple[Problem, str | None]]]] = [
    ("number", "12.5", [("PDT-301", 12.5, G, NONE, NOW)], []),
    ("integer", "7", [("PDT-301", 7.0, G, NONE, NOW)], []),
    ("range edge", "3000", [("PDT-301", 3000.0, G, NONE, NOW)], []),
    ("above range flagged, not clamped", "3001.5", [("PDT-301", 3001.5, U, OOR, NOW)], []),
    ("below range flagged, not clamped", "-1", [("PDT-301", -1.0, U, OOR, NOW)], []),
    ("object with ts", js({"value": 8, "ts": NOW - 10}), [("PDT-301", 8.0, G, NONE, NOW - 10)], []),
    ("object without ts", js({"value": 8, "unit": "Pa"}), [("PDT-301", 8.0, G, NONE, NOW)], []),
    ("ts just inside skew", js({"value": 1, "ts": NOW + 299}),
     [("PDT-301", 1.0, G, NONE, NOW + 299)], []),
    ("bool for analog", "true", [("PDT-301", None, B, DEC, NOW)],
     [(Problem.WRONG_TYPE, "PDT-301")]),
    ("string number", '"12.5"', [("PDT-301", None, B, DEC, NOW)],
     [(Problem.WRONG_TYPE, "PDT-301")]),
    ("null", "null", [("PDT-301", None, B, DEC, NOW)], [(Problem.WRONG_TYPE, "PDT-301")]),
    ("array", "[1]", [("PDT-301", None, B, DEC, NOW)], [(Problem.WRONG_TYPE, "PDT-301")]),
    ("object without value", js({"v": 1}), [("PDT-301", None, B, DEC, NOW)],
     [(Problem.WRONG_TYPE, "PDT-301")]),
    ("NaN", "NaN", [("PDT-301", None, B, DEC, NOW)], [(Problem.NON_FINITE, "PDT-301")]),
    ("Infinity", "Infinity", [("PDT-301", None, B, DEC, NOW)], [(Problem.NON_FINITE, "PDT-301")]),
    ("-Infinity", "-Infinity", [("PDT-301", None, B, DEC, NOW)],
     [(Problem.NON_FINITE, "PDT-301")]),
    ("float overflow", "1e999", [("PDT-301", None, B, DEC, NOW)],
     [(Problem.NON_FINITE, "PDT-301")]),
    ("integer overflow", "1" + "0" * 400, [("PDT-301", None, B, DEC, NOW)],
     [(Problem.NON_FINITE, "PDT-301")]),
    ("not JSON", "twelve", [("PDT-301", None, B, DEC, NOW)], [(Problem.NOT_JSON, "PDT-301")]),
    ("not UTF-8", b"\xff\xfe\x00", [("PDT-301", None, B, DEC, NOW)],
     [(Problem.NOT_JSON, "PDT-301")]),
    ("absurd nesting", "[" * 100_000, [("PDT-301", None, B, DEC, NOW)],
     [(Problem.NOT_JSON, "PDT-301")]),
    ("empty clears a retained value", "", [], [(Problem.EMPTY, "PDT-301")]),
    ("future ts", js({"value": 1, "ts": NOW + 301}), [("PDT-301", None, B, DEC, NOW)],
     [(Problem.FUTURE_TIMESTAMP, "PDT-301")]),
    ("milliseconds ts", js({"value": 1, "ts": NOW * 1000}), [("PDT-301", None, B, DEC, NOW)],
     [(Problem.FUTURE_TIMESTAMP, "PDT-301")]),
    ("clock never set", js({"value": 1, "ts": 12345}), [("PDT-301", None, B, DEC, NOW)],
     [(Problem.BAD_TIMESTAMP, "PDT-301")]),
    ("ts as text", js({"value": 1, "ts": "2023-11-14T22:13:20Z"}),
     [("PDT-301", None, B, DEC, NOW)], [(Problem.BAD_TIMESTAMP, "PDT-301")]),
    ("ts as bool", js({"value": 1, "ts": True}), [("PDT-301", None, B, DEC, NOW)],
     [(Problem.BAD_TIMESTAMP, "PDT-301")]),
    ("ts NaN", '{"value": 1, "ts": NaN}', [("PDT-301", None, B, DEC, NOW)],
     [(Problem.BAD_TIMESTAMP, "PDT-301")]),
    ("old but plausible ts kept", js({"value": 2, "ts": OLDEST_PLAUSIBLE_TS + 1}),
     [("PDT-301", 2.0, G, NONE, OLDEST_PLAUSIBLE_TS + 1)], []),
]


@pytest.mark.parametrize(
    ("payload", "readings", "errors"),
    [case[1:] for case in VALUE_CASES],
    ids=[case[0] for case in VALUE_CASES],
)
def test_value_format(
    payload: bytes | str, readings: list[Expected], errors: list[tuple[Problem, str | None]]
) -> None:
    assert _parse(VALUE, payload) == (readings, errors)


OBJECT_CASES: list[tuple[str, str, list[Expected], list[tuple[Problem, str | None]]]] = [
    ("all points", js({"PDT-301": 1.5, "TT-302": 45, "spark": False}),
     [("PDT-301", 1.5, G, NONE, NOW), ("TT-302", 45.0, G, NONE, NOW),
      ("XS-303", False, G, NONE, NOW)], []),
    ("discrete 1", js({"spark": 1}), [("XS-303", True, G, NONE, NOW)], []),
    ("discrete 0.0", js({"spark": 0.0}), [("XS-303", False, G, NONE, NOW)], []),
    ("discrete true", js({"spark": True}), [("XS-303", True, G, NONE, NOW)], []),
    ("discrete 2", js({"spark": 2}), [("XS-303", None, B, DEC, NOW)],
     [(Problem.WRONG_TYPE, "spark")]),
    ("discrete text", js({"spark": "on"}), [("XS-303", None, B, DEC, NOW)],
     [(Problem.WRONG_TYPE, "spark")]),
    ("discrete NaN", '{"spark": NaN}', [("XS-303", None, B, DEC, NOW)],
     [(Problem.NON_FINITE, "spark")]),
    ("1e999 and -Infinity", '{"PDT-301": 1e999, "TT-302": -Infinity}',
     [("PDT-301", None, B, DEC, NOW), ("TT-302", None, B, DEC, NOW)],
     [(Problem.NON_FINITE, "PDT-301"), (Problem.NON_FINITE, "TT-302")]),
    ("tag is not the payload key", js({"XS-303": True}), [], [(Problem.UNKNOWN_KEY, "XS-303")]),
    ("partly good", '{"PDT-301": 1.2, "XX-9": 3, "TT-302": NaN, "spark": true}',
     [("PDT-301", 1.2, G, NONE, NOW), ("TT-302", None, B, DEC, NOW),
      ("XS-303", True, G, NONE, NOW)],
     [(Problem.UNKNOWN_KEY, "XX-9"), (Problem.NON_FINITE, "TT-302")]),
    ("shared ts", js({"ts": NOW - 5, "PDT-301": 1, "TT-302": 200}),
     [("PDT-301", 1.0, G, NONE, NOW - 5), ("TT-302", 200.0, U, OOR, NOW - 5)], []),
    ("future shared ts spoils each value", js({"ts": NOW + 3600, "PDT-301": 1, "spark": 0}),
     [("PDT-301", None, B, DEC, NOW), ("XS-303", None, B, DEC, NOW)],
     [(Problem.FUTURE_TIMESTAMP, "PDT-301"), (Problem.FUTURE_TIMESTAMP, "spark")]),
    ("empty object", "{}", [], []),
    ("array", js([1, 2]), [], [(Problem.WRONG_TYPE, None)]),
    ("bare number", "5", [], [(Problem.WRONG_TYPE, None)]),
    ("not JSON", "{PDT-301: 1}", [], [(Problem.NOT_JSON, None)]),
    ("empty", "", [], [(Problem.EMPTY, None)]),
]


@pytest.mark.parametrize(
    ("payload", "readings", "errors"),
    [case[1:] for case in OBJECT_CASES],
    ids=[case[0] for case in OBJECT_CASES],
)
def test_object_format(
    payload: str, readings: list[Expected], errors: list[tuple[Problem, str | None]]
) -> None:
    assert _parse(OBJECT, payload) == (readings, errors)


BATCH_CASES: list[tuple[str, str, list[Expected], list[tuple[Problem, str | None]]]] = [
    ("dated and undated", js([{"tag": "PDT-301", "value": 1, "ts": NOW - 60},
                               {"tag": "spark", "value": True}]),
     [("PDT-301", 1.0, G, NONE, NOW - 60), ("XS-303", True, G, NONE, NOW)], []),
    ("a series of one point", js([{"tag": "TT-302", "value": v, "ts": NOW - 3 + i}
                                  for i, v in enumerate([20, 21, 160])]),
     [("TT-302", 20.0, G, NONE, NOW - 3), ("TT-302", 21.0, G, NONE, NOW - 2),
      ("TT-302", 160.0, U, OOR, NOW - 1)], []),
    ("partly good", js([{"tag": "PDT-301", "value": 1}, {"tag": "nope", "value": 2},
                        {"value": 3}, 5, {"tag": "TT-302"}, {"tag": 7, "value": 1},
                        {"tag": "spark", "value": 1, "ts": NOW + 999}]),
     [("PDT-301", 1.0, G, NONE, NOW), ("TT-302", None, B, DEC, NOW),
      ("XS-303", None, B, DEC, NOW)],
     [(Problem.UNKNOWN_KEY, "nope"), (Problem.WRONG_TYPE, "[2]"), (Problem.WRONG_TYPE, "[3]"),
      (Problem.WRONG_TYPE, "TT-302"), (Problem.WRONG_TYPE, "[5]"),
      (Problem.FUTURE_TIMESTAMP, "spark")]),
    ("Infinity in one item",
     '[{"tag": "PDT-301", "value": Infinity}, {"tag": "spark", "value": 0}]',
     [("PDT-301", None, B, DEC, NOW), ("XS-303", False, G, NONE, NOW)],
     [(Problem.NON_FINITE, "PDT-301")]),
    ("NaN and 1e999 in items",
     '[{"tag": "PDT-301", "value": NaN}, {"tag": "TT-302", "value": -1e999}]',
     [("PDT-301", None, B, DEC, NOW), ("TT-302", None, B, DEC, NOW)],
     [(Problem.NON_FINITE, "PDT-301"), (Problem.NON_FINITE, "TT-302")]),
    ("empty array", "[]", [], []),
    ("object", js({"tag": "PDT-301", "value": 1}), [], [(Problem.WRONG_TYPE, None)]),
    ("not JSON", "[{]", [], [(Problem.NOT_JSON, None)]),
]


@pytest.mark.parametrize(
    ("payload", "readings", "errors"),
    [case[1:] for case in BATCH_CASES],
    ids=[case[0] for case in BATCH_CASES],
)
def test_batch_format(
    payload: str, readings: list[Expected], errors: list[tuple[Problem, str | None]]
) -> None:
    assert _parse(BATCH, payload) == (readings, errors)


@pytest.mark.parametrize(
    ("subscription", "payload", "expected"),
    [
        (VALUE, "12.5", [("PDT-301", 12.5, U, STALE, NOW)]),
        (VALUE, js({"value": 12.5, "ts": NOW - 5}), [("PDT-301", 12.5, G, NONE, NOW - 5)]),
        (VALUE, "5000", [("PDT-301", 5000.0, U, OOR, NOW)]),
        (OBJECT, js({"spark": True}), [("XS-303", True, U, STALE, NOW)]),
        (BATCH, js([{"tag": "spark", "value": 0, "ts": NOW - 1}, {"tag": "PDT-301", "value": 3}]),
         [("XS-303", False, G, NONE, NOW - 1), ("PDT-301", 3.0, U, STALE, NOW)]),
    ],
)
def test_retained_without_timestamp_is_stale(
    subscription: Subscription, payload: str, expected: list[Expected]
) -> None:
    readings, errors = _parse(subscription, payload, retained=True)
    assert (readings, errors) == (expected, [])


def test_point_keyed_ts_is_a_value_not_a_timestamp() -> None:
    points = [*POINTS, {"tag": "TS-1", "name": "t", "kind": "analog", "range": {"low": 0,
              "high": 10}, "hazard_source": "DL-1", "key": "ts"}]
    device = make_device(points=points)
    parsed = PayloadParser(SITE, device).parse(
        device.subscriptions[1], js({"ts": 5, "PDT-301": 1}).encode(), NOW
    )
    assert parsed.errors == []
    assert parsed.readings == [
        Reading(PointKey(SITE, "TS-1"), 5.0, NOW), Reading(PointKey(SITE, "PDT-301"), 1.0, NOW)
    ]


def test_max_future_skew_comes_from_the_device() -> None:
    device = make_device().model_copy(update={"max_future_skew": 5.0})
    parser = PayloadParser(SITE, device)
    late = parser.parse(VALUE, js({"value": 1, "ts": NOW + 6}).encode(), NOW)
    fine = parser.parse(VALUE, js({"value": 1, "ts": NOW + 4}).encode(), NOW)
    assert [e.problem for e in late.errors] == [Problem.FUTURE_TIMESTAMP]
    assert "5 s" in str(late.errors[0])
    assert fine.errors == [] and fine.readings[0].ts == NOW + 4


def test_error_text_names_the_key_and_the_value() -> None:
    parsed = PayloadParser(SITE, DEVICE).parse(OBJECT, js({"spark": "on"}).encode(), NOW)
    text = str(parsed.errors[0])
    assert "'spark'" in text and "'on'" in text and "wrong_type" in text


# An analog point whose range is every finite float: the one comparison is the whole check.
WIDE = {"low": -1.7976931348623157e308, "high": 1.7976931348623157e308}
UNRANGED = make_device(points=[*POINTS, {"tag": "FT-304", "name": "流量", "kind": "flow",
                                         "range": WIDE, "hazard_source": "DL-1"}])
BOUNDARY_PAYLOADS = [
    js({"PDT-301": 0.0, "TT-302": 150, "FT-304": -1e308}),
    js({"PDT-301": -0.0, "TT-302": -20.0000001, "FT-304": 10**300}),
    js({"PDT-301": 3000.0000001, "TT-302": 2**63, "FT-304": 1.7976931348623157e308}),
    '{"FT-304": 1e999, "PDT-301": -1e999}',
    js({"FT-304": 18446744073709551615, "ts": NOW - 1}),
    js({"FT-304": 5, "ts": "yesterday"}),
    js({"FT-304": "5", "PDT-301": None, "TT-302": [1], "spark": 1.0}),
    js({"ts": NOW - 5, "FT-304": 1, "XX-9": 2}),
]


@pytest.mark.parametrize("retained", [False, True])
@pytest.mark.parametrize(
    "payload", [case[1] for case in OBJECT_CASES] + BOUNDARY_PAYLOADS,
)
def test_object_fast_path_gives_what_the_general_path_gives(payload: str, retained: bool) -> None:
    """The one-comparison path for floats within range is only a shortcut: with it turned
    off (no point takes it), every payload gives the same readings and errors, in order."""
    fast = PayloadParser(SITE, UNRANGED)
    general = PayloadParser(SITE, UNRANGED)
    general.in_range = {}
    got = fast.parse(OBJECT, payload.encode(), NOW, retained=retained)
    want = general.parse(OBJECT, payload.encode(), NOW, retained=retained)
    assert [(tuple(r), type(r.value)) for r in got.readings] == [
        (tuple(r), type(r.value)) for r in want.readings
    ]
    assert got.errors == want.errors
    assert fast.in_range  # the shortcut was there to take
