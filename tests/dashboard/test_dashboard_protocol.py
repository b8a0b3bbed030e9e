"""Wire format: readings, events, hello parsing (docs/websocket.md)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from alerting.events import AlarmEvent, AlarmState, EventKind
from collectors.readings import Quality, Reading, Reason
from config.catalog import PointKey
from config.vocabulary import AlarmType, Priority
from dashboard.protocol import (
    ProtocolError,
    Resume,
    delta_message,
    encode_event,
    encode_reading,
    parse_hello,
    snapshot_message,
)
from dashboard.schemas.alarms import EventOut

P = PointKey("DEMO-CHEM", "LT-101")


@pytest.mark.parametrize(
    ("reading", "expected"),
    [
        (Reading(P, 12.5, 1.23456), [12.5, "good", "", 1.235]),
        (Reading(P, True, 1.0), [True, "good", "", 1.0]),
        (Reading(P, False, 1.0), [False, "good", "", 1.0]),
        (Reading(P, None, 1.0, Quality.BAD, Reason.COMM_LOSS), [None, "bad", "comm_loss", 1.0]),
        (
            Reading(P, None, 1.0, Quality.BAD, Reason.SENSOR_FAULT),
            [None, "bad", "sensor_fault", 1.0],
        ),
        (
            Reading(P, 130.0, 1.0, Quality.UNCERTAIN, Reason.OUT_OF_RANGE),
            [130.0, "uncertain", "out_of_range", 1.0],
        ),
        (Reading(P, 3.0, 1.0, Quality.UNCERTAIN, Reason.STALE), [3.0, "uncertain", "stale", 1.0]),
        (
            Reading(P, None, 1.0, Quality.BAD, Reason.DECODE_ERROR),
            [None, "bad", "decode_error", 1.0],
        ),
    ],
)
def test_encode_reading(reading: Reading, expected: list[Any]) -> None:
    assert encode_reading(reading) == expected
    json.dumps(encode_reading(reading), allow_nan=False)


def test_messages_are_strict_json() -> None:
    snapshot = json.loads(snapshot_message(
        "E", 3, [Reading(P, None, 2.0, Quality.BAD, Reason.DECODE_ERROR)], 5.0, "connect"
    ))
    assert snapshot == {
        "type": "snapshot",
        "v": 1,
        "epoch": "E",
        "seq": 3,
        "ts": 5.0,
        "reason": "connect",
        "readings": {"DEMO-CHEM/LT-101": [None, "bad", "decode_error", 2.0]},
    }
    event = AlarmEvent(
        alarm_id="DEMO-CHEM/LT-101/HH",
        point=P,
        alarm_type=AlarmType.HIGH_HIGH,
        kind=EventKind.ACKNOWLEDGED,
        state=AlarmState.ACKED,
        priority=Priority.CRITICAL,
        ts=9.0,
        value=math.nan,
        limit=18.0,
        user="张三",
        comment="已通知现场",
        seq=77,
    )
    delta = json.loads(delta_message(4, 3, [], [event]))
    assert delta["events"] == [encode_event(event)]
    # One shape for an event: as /api/alarms/history answers it (EventOut).
    assert delta["events"][0] == {
        "seq": 77,
        "ts": 9.0,
        "id": "DEMO-CHEM/LT-101/HH",
        "site": "DEMO-CHEM",
        "tag": "LT-101",
        "hazard_source": "",
        "type": "HH",
        "kind": "acknowledged",
        "state": "active_acknowledged",
        "priority": "critical",
        "colour": "red",
        "value": None,
        "limit": 18.0,
        "user": "张三",
        "comment": "已通知现场",
        "until": None,
    }
    assert set(delta["events"][0]) == set(EventOut.model_fields)
    assert (delta["alarms"], delta["sources"]) == ([], [])  # no alarm feed given


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"type": "hello"}', None),
        ("{}", None),
        ('{"type": "hello", "resume": null, "epoch": "x"}', None),
        ('{"type": "hello", "resume": 41, "epoch": "abc"}', Resume("abc", 41)),
        ('{"resume": 0, "epoch": "abc", "future": 1}', Resume("abc", 0)),
    ],
)
def test_parse_hello(text: str, expected: Resume | None) -> None:
    assert parse_hello(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ("[1]", "JSON object"),
        ('{"type": "ping"}', "expected a hello"),
        ('{"resume": -1, "epoch": "a"}', "non-negative"),
        ('{"resume": true, "epoch": "a"}', "non-negative"),
        ('{"resume": 1.5, "epoch": "a"}', "non-negative"),
        ('{"resume": 3}', "epoch"),
        ('{"resume": 3, "epoch": ""}', "epoch"),
    ],
)
def test_parse_hello_refuses(text: str, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        parse_hello(text)
