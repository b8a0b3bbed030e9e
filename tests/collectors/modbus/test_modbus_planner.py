"""Planning a device's reads into few requests. Pure, table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from collectors.modbus.planner import MAX_BITS, MAX_REGISTERS, Span, plan_reads
from config.modbus import ModbusSource, RegisterTable

H, IN, CO, DI = (RegisterTable.HOLDING, RegisterTable.INPUT, RegisterTable.COILS,
                 RegisterTable.DISCRETE_INPUTS)


def src(table: str, address: int, type_: str = "uint16", **more: Any) -> ModbusSource:
    return ModbusSource.model_validate({"table": table, "address": address, "type": type_, **more})


def status(address: int, table: str = "holding") -> dict[str, Any]:
    return {"table": table, "address": address, "bits": {"fault": 0}}


Request = tuple[RegisterTable, int, int]

# (sources, max_gap, individually, expected requests as (table, address, count))
TABLE: list[tuple[list[ModbusSource], int, bool, list[Request]]] = [
    # adjacent registers merge
    ([src("holding", 0), src("holding", 1), src("holding", 2, "float32")], 0, False,
     [(H, 0, 4)]),
    # a gap within max_gap is read through, a larger one splits
    ([src("holding", 0), src("holding", 10)], 9, False, [(H, 0, 11)]),
    ([src("holding", 0), src("holding", 10)], 8, False, [(H, 0, 1), (H, 10, 1)]),
    ([src("holding", 0), src("holding", 1)], 0, False, [(H, 0, 2)]),
    ([src("holding", 0), src("holding", 2)], 0, False, [(H, 0, 1), (H, 2, 1)]),
    # order in the config does not matter
    ([src("holding", 20), src("holding", 0, "float32"), src("holding", 2)], 17, False,
     [(H, 0, 21)]),
    ([src("holding", 20), src("holding", 0, "float32"), src("holding", 2)], 16, False,
     [(H, 0, 3), (H, 20, 1)]),
    # tables never merge; holding before input before coils before discrete inputs
    ([src("input", 0), src("holding", 0), src("discrete_inputs", 0, "bool"),
      src("coils", 0, "bool")], 16, False, [(H, 0, 1), (IN, 0, 1), (CO, 0, 1), (DI, 0, 1)]),
    # 125 registers per request at most
    ([src("holding", 0), src("holding", 124)], 200, False, [(H, 0, 125)]),
    ([src("holding", 0), src("holding", 125)], 200, False, [(H, 0, 1), (H, 125, 1)]),
    ([src("holding", 0), src("holding", 123, "float32")], 200, False, [(H, 0, 125)]),
    ([src("holding", 0), src("holding", 124, "float32")], 200, False,
     [(H, 0, 1), (H, 124, 2)]),
    ([src("holding", a, "float64") for a in range(0, 200, 4)], 0, False,
     [(H, 0, 124), (H, 124, 76)]),
    # 2000 bits per request for coils and discrete inputs
    ([src("coils", 0, "bool"), src("coils", 1999, "bool")], 2000, False, [(CO, 0, 2000)]),
    ([src("coils", 0, "bool"), src("coils", 2000, "bool")], 2000, False,
     [(CO, 0, 1), (CO, 2000, 1)]),
    ([src("discrete_inputs", a, "bool") for a in (5, 6, 7, 30)], 16, False,
     [(DI, 5, 3), (DI, 30, 1)]),
    # overlapping and shared registers (a bit of a register and the register whole)
    ([src("holding", 1, "bit", bit=15), src("holding", 1), src("holding", 0)], 0, False,
     [(H, 0, 2)]),
    # status words are read too, merged with their neighbours
    ([src("holding", 0, status_word=status(1)), src("holding", 2, status_word=status(3))], 0,
     False, [(H, 0, 4)]),
    ([src("holding", 0, status_word=status(100))], 16, False, [(H, 0, 1), (H, 100, 1)]),
    ([src("input", 0, status_word=status(1))], 16, False, [(H, 1, 1), (IN, 0, 1)]),
    ([src("input", 0, status_word=status(1, "input"))], 16, False, [(IN, 0, 2)]),
    # individually: one request per distinct span, in point order, shared spans once
    ([src("holding", 0), src("holding", 1), src("holding", 2, "float32")], 16, True,
     [(H, 0, 1), (H, 1, 1), (H, 2, 2)]),
    ([src("holding", 0, status_word=status(1)), src("holding", 2, status_word=status(1))], 16,
     True, [(H, 0, 1), (H, 1, 1), (H, 2, 1)]),
    ([src("holding", 5), src("holding", 5, "bit", bit=3)], 16, True, [(H, 5, 1)]),
]


@pytest.mark.parametrize(("sources", "max_gap", "individually", "expected"), TABLE)
def test_plan_table(
    sources: list[ModbusSource], max_gap: int, individually: bool, expected: list[Request]
) -> None:
    plan = plan_reads(sources, max_gap=max_gap, read_individually=individually)
    assert [(r.table, r.address, r.count) for r in plan.requests] == expected
    _check_slots(sources, plan)


def _check_slots(sources: list[ModbusSource], plan: Any) -> None:
    """Every source's slot points at exactly its own registers inside its request."""
    assert len(plan.slots) == len(sources)
    for source, slots in zip(sources, plan.slots, strict=True):
        request = plan.requests[slots.value.request]
        assert request.table is source.table
        assert request.address + slots.value.offset == source.address
        assert slots.value.count == source.register_count
        assert slots.value.offset + slots.value.count <= request.count
        if source.status_word is None:
            assert slots.status is None
        else:
            word_request = plan.requests[slots.status.request]
            assert word_request.table is source.status_word.table
            assert word_request.address + slots.status.offset == source.status_word.address
    for request in plan.requests:
        limit = MAX_BITS if request.table.is_bit_table else MAX_REGISTERS
        assert 1 <= request.count <= limit


def test_many_points_fill_requests_to_the_limit() -> None:
    sources = [src("holding", a, "float32") for a in range(0, 1000, 2)]
    plan = plan_reads(sources, max_gap=0)
    assert [r.count for r in plan.requests] == [124] * 8 + [8]
    assert plan.register_count == 1000
    _check_slots(sources, plan)


def test_separate_spans_are_read_alone() -> None:
    """After a merged read is refused, its spans are planned one by one; others still merge."""
    sources = [src("holding", 0), src("holding", 2), src("holding", 4), src("holding", 50),
               src("holding", 51)]
    merged = plan_reads(sources, max_gap=16)
    assert [(r.address, r.count) for r in merged.requests] == [(0, 5), (50, 2)]
    refused = merged.requests[0].spans
    assert refused == (Span(H, 0, 1), Span(H, 2, 1), Span(H, 4, 1))
    plan = plan_reads(sources, max_gap=16, separate=refused)
    assert [(r.address, r.count) for r in plan.requests] == [(0, 1), (2, 1), (4, 1), (50, 2)]
    _check_slots(sources, plan)


@pytest.mark.parametrize(
    "kwargs",
    [{"max_gap": -1}, {"max_gap": 0, "max_registers": 126}, {"max_gap": 0, "max_bits": 0}],
)
def test_bad_parameters(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        plan_reads([src("holding", 0)], **kwargs)


def test_smaller_limits_for_picky_devices() -> None:
    sources = [src("holding", a) for a in range(40)]
    plan = plan_reads(sources, max_gap=0, max_registers=16)
    assert [r.count for r in plan.requests] == [16, 16, 8]
