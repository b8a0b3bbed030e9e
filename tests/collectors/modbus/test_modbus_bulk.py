"""Runs of plain numeric points decoded in one go give exactly the readings the per-point
path gives, for every type and byte order, including the values a reading must refuse."""

from __future__ import annotations

import math
from typing import Any

import pytest

from collectors.modbus.bulk import MIN_RUN, find_runs
from collectors.modbus.convert import PointCodec
from collectors.modbus.decode import encode
from collectors.modbus.planner import plan_reads
from collectors.readings import Quality, Reason
from config.catalog import PointKey
from config.modbus import ByteOrder, DataType, ModbusPoint

TS = 1_700_000_000.0
WIDTH = {DataType.INT16: 1, DataType.UINT16: 1, DataType.INT32: 2, DataType.UINT32: 2,
         DataType.FLOAT32: 2, DataType.FLOAT64: 4}


def make_codecs(data_type: DataType, order: ByteOrder, count: int,
                extra: dict[str, Any] | None = None, with_range: bool = True) -> list[PointCodec]:
    codecs = []
    for index in range(count):
        spec: dict[str, Any] = {
            "tag": f"P-{index}", "name": "p", "kind": "analog", "hazard_source": "H",
            "source": {"table": "holding", "address": index * WIDTH[data_type],
                       "type": data_type.value, "byte_order": order.value,
                       **(extra or {} if index == 2 else {})},
        }
        # Without a range of its own a run still refuses ±inf: its bounds are clamped
        # to the largest finite floats.
        spec["range"] = ({"low": -100, "high": 100} if with_range
                         else {"low": -math.inf, "high": math.inf})
        codecs.append(PointCodec(PointKey("S", f"P-{index}"), ModbusPoint.model_validate(spec)))
    return codecs


def per_point(codecs: list[PointCodec], registers: list[int]) -> list[Any]:
    plan = plan_reads([c.point.source for c in codecs], max_gap=0)
    out = []
    for codec, slots in zip(codecs, plan.slots, strict=True):
        slot = slots.value
        out.append(codec.reading(registers[slot.offset: slot.offset + slot.count], None, TS))
    return out


FLOATS = [1.5, -99.0, 100.0, 250.0, -1e6, math.nan, math.inf, -math.inf, 0.0, 42.25]
INTS = [1, -5, 100, 101, 0, 7, -100, 3, 99, 12]
CASES = [
    (data_type, order)
    for data_type in DataType if data_type in WIDTH
    for order in ByteOrder
    if not (WIDTH[data_type] == 4 and order in (ByteOrder.CDAB, ByteOrder.DCBA))
]


@pytest.mark.parametrize(("data_type", "order"), CASES, ids=lambda v: str(getattr(v, "value", v)))
@pytest.mark.parametrize("with_range", [True, False])
def test_a_run_gives_the_per_point_readings(
    data_type: DataType, order: ByteOrder, with_range: bool
) -> None:
    floats = data_type in (DataType.FLOAT32, DataType.FLOAT64)
    values = FLOATS if floats else [abs(v) if data_type.value.startswith("u") else v
                                    for v in INTS]
    codecs = make_codecs(data_type, order, len(values), with_range=with_range)
    registers: list[int] = []
    for value in values:
        registers += encode(value, data_type, order)
    plan = plan_reads([c.point.source for c in codecs], max_gap=0)
    runs = find_runs(codecs, plan)
    assert list(runs) == [0] and len(runs[0].codecs) == len(values)
    bulk = runs[0].readings(registers, TS)
    assert bulk == per_point(codecs, registers)
    qualities = {r.quality for r in bulk}
    assert Quality.GOOD in qualities
    if floats:  # NaN and the infinities became decode errors, never numbers
        assert sum(r.reason is Reason.DECODE_ERROR for r in bulk) == 3
    if with_range:
        assert any(r.reason is Reason.OUT_OF_RANGE for r in bulk)


def test_a_scaled_point_breaks_the_run_and_short_stretches_stay_per_point() -> None:
    codecs = make_codecs(DataType.FLOAT32, ByteOrder.ABCD, 9, extra={"scale": 2.0})
    runs = find_runs(codecs, plan_reads([c.point.source for c in codecs], max_gap=0))
    # points 0-1 (too short), 2 scaled, 3-8 a run of six
    assert MIN_RUN > 2
    assert list(runs) == [3] and len(runs[3].codecs) == 6


def test_registers_a_run_cannot_decode_are_left_to_the_per_point_path() -> None:
    codecs = make_codecs(DataType.UINT16, ByteOrder.ABCD, 5)
    run = find_runs(codecs, plan_reads([c.point.source for c in codecs], max_gap=0))[0]
    assert run.readings([1, 2, 70000, 4, 5], TS) is None  # a register beyond 16 bits
    assert run.readings([1, 2, 3], TS) is None  # a short answer
