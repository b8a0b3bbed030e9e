"""Registers of one point → a reading with its quality. Pure, table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from collectors.modbus.convert import PointCodec, status_bits
from collectors.readings import Quality, Reason
from config.catalog import PointKey
from config.modbus import ModbusPoint, StatusRole

TS = 1_700_000_000.0
KEY = PointKey("S", "P-1")
STATUS = {"table": "holding", "address": 10, "bits": {"fault": 0, "alarm": 1, "heartbeat": 15}}
LOOP = {"counts_at_4ma": 4000, "counts_at_20ma": 20000}


def make_point(source: dict[str, Any], *, kind: str = "analog", low: float = 0,
               high: float = 100) -> ModbusPoint:
    spec: dict[str, Any] = {"tag": "P-1", "name": "p", "kind": kind, "hazard_source": "H",
                            "source": source}
    if kind != "discrete_state":
        spec["range"] = {"low": low, "high": high}
    return ModbusPoint.model_validate(spec)


GOOD, UNC, BAD = Quality.GOOD, Quality.UNCERTAIN, Quality.BAD

# (source, kind, values, status word, quality, reason, value)
TABLE: list[tuple[dict[str, Any], str, list[int] | None, int | None, Quality, Reason, object]] = [
    # plain types, scale and offset
    ({"table": "holding", "address": 0, "type": "uint16"}, "analog", [42], None,
     GOOD, Reason.NONE, 42),
    ({"table": "holding", "address": 0, "type": "int16", "scale": 0.1}, "analog", [0xFFF6], None,
     UNC, Reason.OUT_OF_RANGE, pytest.approx(-1.0)),
    ({"table": "holding", "address": 0, "type": "int16", "scale": 0.1, "offset": 5}, "analog",
     [100], None, GOOD, Reason.NONE, pytest.approx(15.0)),
    ({"table": "input", "address": 0, "type": "float32", "byte_order": "CDAB"}, "analog",
     [0x0000, 0x4248], None, GOOD, Reason.NONE, 50.0),
    ({"table": "input", "address": 0, "type": "float32"}, "analog", [0x42C8, 0x0001], None,
     UNC, Reason.OUT_OF_RANGE, pytest.approx(100.0, abs=1e-4)),
    ({"table": "holding", "address": 0, "type": "uint32", "scale": 0.001}, "analog",
     [0x0000, 0x2710], None, GOOD, Reason.NONE, pytest.approx(10.0)),
    ({"table": "holding", "address": 0, "type": "float64"}, "analog", [0x3FF0, 0, 0, 0], None,
     GOOD, Reason.NONE, 1.0),
    # out of range is flagged, never clamped
    ({"table": "holding", "address": 0, "type": "uint16"}, "analog", [150], None,
     UNC, Reason.OUT_OF_RANGE, 150.0),
    # NaN and the infinities are decode errors, not numbers (a Reading refuses them)
    ({"table": "holding", "address": 0, "type": "float32"}, "analog", [0x7FC0, 0], None,
     BAD, Reason.DECODE_ERROR, None),
    ({"table": "holding", "address": 0, "type": "float32", "byte_order": "CDAB"}, "analog",
     [0, 0x7FC0], None, BAD, Reason.DECODE_ERROR, None),
    ({"table": "holding", "address": 0, "type": "float32"}, "analog", [0x7F80, 0], None,
     BAD, Reason.DECODE_ERROR, None),  # +inf
    ({"table": "holding", "address": 0, "type": "float32"}, "analog", [0xFF80, 0], None,
     BAD, Reason.DECODE_ERROR, None),  # -inf
    ({"table": "input", "address": 0, "type": "float64"}, "analog", [0x7FF8, 0, 0, 0], None,
     BAD, Reason.DECODE_ERROR, None),  # NaN
    ({"table": "input", "address": 0, "type": "float32", "scale": 0.5}, "analog",
     [0x7FC0, 0], None, BAD, Reason.DECODE_ERROR, None),  # NaN scaled is still NaN
    ({"table": "input", "address": 0, "type": "float64", "scale": 10}, "analog",
     [0x7FE1, 0xCCF3, 0x85EB, 0xC8A0], None, BAD, Reason.DECODE_ERROR, None),  # 1e308·10
    ({"table": "input", "address": 0, "type": "float32", "status_word": STATUS}, "analog",
     [0x7FC0, 0], 0x0001, BAD, Reason.SENSOR_FAULT, None),  # NaN beside a fault bit: the fault
    # wrong number of registers
    ({"table": "holding", "address": 0, "type": "float32"}, "analog", [1], None,
     BAD, Reason.DECODE_ERROR, None),
    # discrete points: bool (coil), bit of a register, a register as a state
    ({"table": "coils", "address": 3, "type": "bool"}, "discrete_state", [True], None,
     GOOD, Reason.NONE, True),
    ({"table": "discrete_inputs", "address": 3, "type": "bool"}, "discrete_state", [False], None,
     GOOD, Reason.NONE, False),
    ({"table": "holding", "address": 1, "type": "bit", "bit": 15}, "discrete_state", [0x8000],
     None, GOOD, Reason.NONE, True),
    ({"table": "holding", "address": 1, "type": "bit", "bit": 14}, "discrete_state", [0x8000],
     None, GOOD, Reason.NONE, False),
    ({"table": "holding", "address": 1, "type": "uint16"}, "discrete_state", [2], None,
     GOOD, Reason.NONE, True),
    # a request failure: comm loss, no value
    ({"table": "holding", "address": 0, "type": "uint16"}, "analog", None, None,
     BAD, Reason.COMM_LOSS, None),
    # status word: fault bit → sensor fault, other bits leave the value alone
    ({"table": "holding", "address": 0, "type": "uint16", "scale": 0.1, "status_word": STATUS},
     "analog", [250], 0x8002, GOOD, Reason.NONE, pytest.approx(25.0)),
    ({"table": "holding", "address": 0, "type": "uint16", "scale": 0.1, "status_word": STATUS},
     "analog", [250], 0x0001, BAD, Reason.SENSOR_FAULT, None),
    ({"table": "holding", "address": 0, "type": "uint16", "status_word": STATUS},
     "analog", [250], None, BAD, Reason.COMM_LOSS, None),  # status unknown: untrusted
    # 4–20 mA: linearised onto the range, NE43 faults never show a number
    ({"table": "input", "address": 0, "type": "uint16", "current_loop": LOOP}, "analog", [12000],
     None, GOOD, Reason.NONE, pytest.approx(50.0)),
    ({"table": "input", "address": 0, "type": "uint16", "current_loop": LOOP}, "analog", [4000],
     None, GOOD, Reason.NONE, pytest.approx(0.0)),
    ({"table": "input", "address": 0, "type": "uint16", "current_loop": LOOP}, "analog", [3600],
     None, UNC, Reason.OUT_OF_RANGE, pytest.approx(-2.5)),
    ({"table": "input", "address": 0, "type": "uint16", "current_loop": LOOP}, "analog", [3590],
     None, BAD, Reason.SENSOR_FAULT, None),
    ({"table": "input", "address": 0, "type": "uint16", "current_loop": LOOP}, "analog", [21010],
     None, BAD, Reason.SENSOR_FAULT, None),
    ({"table": "input", "address": 0, "type": "uint16", "current_loop": LOOP}, "analog", [0],
     None, BAD, Reason.SENSOR_FAULT, None),
    ({"table": "input", "address": 0, "type": "uint16", "current_loop": LOOP}, "analog", [20500],
     None, UNC, Reason.OUT_OF_RANGE, pytest.approx(103.125)),
    ({"table": "input", "address": 0, "type": "float32", "current_loop":
      {"counts_at_4ma": 4.0, "counts_at_20ma": 20.0}}, "analog", [0x4140, 0x0000], None,
     GOOD, Reason.NONE, pytest.approx(50.0)),  # a float mA value: 12.0
    ({"table": "input", "address": 0, "type": "float32", "current_loop":
      {"counts_at_4ma": 4.0, "counts_at_20ma": 20.0}}, "analog", [0x7FC0, 0x0000], None,
     BAD, Reason.DECODE_ERROR, None),  # a NaN register is undecodable, not a fault current
    # the fault bit wins over a plausible current
    ({"table": "input", "address": 0, "type": "uint16", "current_loop": LOOP,
      "status_word": STATUS}, "analog", [12000], 1, BAD, Reason.SENSOR_FAULT, None),
]


@pytest.mark.parametrize(("source", "kind", "values", "word", "quality", "reason", "value"), TABLE)
def test_reading_table(
    source: dict[str, Any], kind: str, values: list[int] | None, word: int | None,
    quality: Quality, reason: Reason, value: object,
) -> None:
    point = make_point(source, kind=kind)
    codec = PointCodec(KEY, point)
    reading = codec.reading(values, word, TS)
    assert (reading.quality, reading.reason) == (quality, reason)
    assert reading.value == value
    assert reading.ts == TS and reading.point == KEY
    if quality is BAD:
        assert reading.value is None


def test_status_bits_expose_roles() -> None:
    bits = status_bits(0x8002, {StatusRole.FAULT: 0, StatusRole.ALARM: 1,
                                 StatusRole.HEARTBEAT: 15}, TS)
    assert bits.word == 0x8002
    assert bits[StatusRole.HEARTBEAT] and bits[StatusRole.ALARM] and not bits[StatusRole.FAULT]
    with pytest.raises(TypeError):
        bits.roles[StatusRole.FAULT] = True  # type: ignore[index]
