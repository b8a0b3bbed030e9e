"""Registers ↔ values for every type and byte order; 4–20 mA counts → current. Pure."""

from __future__ import annotations

import math
import struct

import pytest

from collectors.modbus.decode import (
    DecodeError,
    all_byte_orders,
    decode_bit,
    decode_number,
    encode,
    is_fault_current,
    linearise,
    loop_current,
)
from config.modbus import ByteOrder, CurrentLoop, DataType

A, B, C, D = ByteOrder.ABCD, ByteOrder.BADC, ByteOrder.CDAB, ByteOrder.DCBA

# (registers, type, order, value): hand-written register images, not derived from encode().
DECODE_TABLE = [
    # float32 123456.0 = 0x47F12000 in all four orders
    ([0x47F1, 0x2000], DataType.FLOAT32, A, 123456.0),
    ([0xF147, 0x0020], DataType.FLOAT32, B, 123456.0),
    ([0x2000, 0x47F1], DataType.FLOAT32, C, 123456.0),
    ([0x0020, 0xF147], DataType.FLOAT32, D, 123456.0),
    # float32 -1.5 = 0xBFC00000
    ([0xBFC0, 0x0000], DataType.FLOAT32, A, -1.5),
    ([0x0000, 0xBFC0], DataType.FLOAT32, C, -1.5),
    ([0xC0BF, 0x0000], DataType.FLOAT32, B, -1.5),
    ([0x0000, 0xC0BF], DataType.FLOAT32, D, -1.5),
    # int32 -2 = 0xFFFFFFFE; 0x12345678 = 305419896
    ([0xFFFF, 0xFFFE], DataType.INT32, A, -2),
    ([0xFFFE, 0xFFFF], DataType.INT32, C, -2),
    ([0x1234, 0x5678], DataType.INT32, A, 0x12345678),
    ([0x3412, 0x7856], DataType.INT32, B, 0x12345678),
    ([0x5678, 0x1234], DataType.INT32, C, 0x12345678),
    ([0x7856, 0x3412], DataType.INT32, D, 0x12345678),
    # uint32 keeps the top bit as magnitude
    ([0xFFFF, 0xFFFE], DataType.UINT32, A, 0xFFFFFFFE),
    ([0x0001, 0x0000], DataType.UINT32, C, 1),
    # 16-bit: ABCD/CDAB as is, BADC/DCBA swap the two bytes
    ([0x1234], DataType.UINT16, A, 0x1234),
    ([0x1234], DataType.UINT16, C, 0x1234),
    ([0x1234], DataType.UINT16, B, 0x3412),
    ([0x1234], DataType.UINT16, D, 0x3412),
    ([0xFFFF], DataType.INT16, A, -1),
    ([0x8000], DataType.INT16, A, -32768),
    ([0x7FFF], DataType.INT16, A, 32767),
    ([0x00FF], DataType.INT16, B, -256),
    ([0xFFFF], DataType.UINT16, A, 65535),
    ([0], DataType.UINT16, A, 0),
    # float64 1.0 = 0x3FF0000000000000; 64-bit CDAB/DCBA reverse all four words
    ([0x3FF0, 0, 0, 0], DataType.FLOAT64, A, 1.0),
    ([0xF03F, 0, 0, 0], DataType.FLOAT64, B, 1.0),
    ([0, 0, 0, 0x3FF0], DataType.FLOAT64, C, 1.0),
    ([0, 0, 0, 0xF03F], DataType.FLOAT64, D, 1.0),
    # float64 123456.789 = 0x40FE240C9FBE76C9
    ([0x40FE, 0x240C, 0x9FBE, 0x76C9], DataType.FLOAT64, A, 123456.789),
    ([0x76C9, 0x9FBE, 0x240C, 0x40FE], DataType.FLOAT64, C, 123456.789),
    ([0xC976, 0xBE9F, 0x0C24, 0xFE40], DataType.FLOAT64, D, 123456.789),
    ([0xFE40, 0x0C24, 0xBE9F, 0xC976], DataType.FLOAT64, B, 123456.789),
]


@pytest.mark.parametrize(("registers", "data_type", "order", "value"), DECODE_TABLE)
def test_decode_table(
    registers: list[int], data_type: DataType, order: ByteOrder, value: float
) -> None:
    decoded = decode_number(registers, data_type, order)
    assert decoded == value
    assert type(decoded) is (float if data_type in (DataType.FLOAT32, DataType.FLOAT64) else int)


@pytest.mark.parametrize(("registers", "data_type", "order", "value"), DECODE_TABLE)
def test_encode_is_the_inverse(
    registers: list[int], data_type: DataType, order: ByteOrder, value: float
) -> None:
    assert encode(value, data_type, order) == registers


def test_domain_example_register_order() -> None:
    """domain.md's 123456.0 example: registers 0x0020, 0xF147 hold it fully reversed (DCBA);
    read as ABCD the same registers are a tiny denormal, not 123456.0."""
    assert decode_number([0x0020, 0xF147], DataType.FLOAT32, D) == 123456.0
    assert decode_number([0x47F1, 0x2000], DataType.FLOAT32, A) == 123456.0
    assert decode_number([0x0020, 0xF147], DataType.FLOAT32, A) != 123456.0


def test_float32_nan_and_inf_decode_as_such() -> None:
    assert math.isnan(decode_number([0x7FC0, 0x0000], DataType.FLOAT32, A))
    assert decode_number([0x7F80, 0x0000], DataType.FLOAT32, A) == math.inf


@pytest.mark.parametrize(
    ("registers", "data_type"),
    [
        ([1], DataType.FLOAT32),
        ([1, 2, 3], DataType.FLOAT32),
        ([1, 2], DataType.UINT16),
        ([], DataType.INT16),
        ([1, 2], DataType.FLOAT64),
        ([0x10000], DataType.UINT16),
        ([-1], DataType.INT16),
        ([0x10000, 0], DataType.INT32),
        ([1], DataType.BOOL),
        ([1], DataType.BIT),
    ],
)
def test_decode_errors(registers: list[int], data_type: DataType) -> None:
    with pytest.raises(DecodeError):
        decode_number(registers, data_type, A)


@pytest.mark.parametrize(
    ("word", "bit", "expected"),
    [(0x0001, 0, True), (0x0001, 1, False), (0x8000, 15, True), (0x7FFF, 15, False),
     (0x0004, 2, True), (0xFFFB, 2, False), (0, 0, False)],
)
def test_bits(word: int, bit: int, expected: bool) -> None:
    assert decode_bit([word], bit) is expected


def test_bit_errors() -> None:
    with pytest.raises(DecodeError):
        decode_bit([1, 2], 0)
    with pytest.raises(DecodeError):
        decode_bit([1], 16)


@pytest.mark.parametrize(
    ("value", "data_type", "order", "registers"),
    [
        (True, DataType.BOOL, A, [1]),
        (False, DataType.BIT, A, [0]),
        (-1, DataType.INT16, A, [0xFFFF]),
        (250.0, DataType.UINT16, A, [250]),
        (-2, DataType.INT16, B, [0xFEFF]),
    ],
)
def test_encode_small(
    value: float, data_type: DataType, order: ByteOrder, registers: list[int]
) -> None:
    assert encode(value, data_type, order) == registers


@pytest.mark.parametrize(
    ("value", "data_type"),
    [(70000, DataType.UINT16), (-1, DataType.UINT16), (1.5, DataType.INT16),
     (2**32, DataType.UINT32)],
)
def test_encode_refuses_what_does_not_fit(value: float, data_type: DataType) -> None:
    with pytest.raises(ValueError):
        encode(value, data_type, A)


def test_all_byte_orders_for_commissioning() -> None:
    shown = all_byte_orders([0x2000, 0x47F1], DataType.FLOAT32)
    assert shown[C] == 123456.0
    assert set(shown) == set(ByteOrder)
    assert shown[A] == struct.unpack(">f", bytes.fromhex("200047F1"))[0]
    assert isinstance(all_byte_orders([1], DataType.FLOAT32)[A], str)  # the error, not a crash


# ------------------------------------------------------------------------ 4–20 mA

LOOP = CurrentLoop(counts_at_4ma=4000, counts_at_20ma=20000)  # 1 count = 1 µA
LOOP_6400 = CurrentLoop(counts_at_4ma=6400, counts_at_20ma=32000)


@pytest.mark.parametrize(
    ("loop", "raw", "current", "fault"),
    [
        (LOOP, 4000, 4.0, False),
        (LOOP, 20000, 20.0, False),
        (LOOP, 12000, 12.0, False),
        (LOOP, 3590, 3.59, True),  # below 3.6 mA: NE43 fault
        (LOOP, 3600, 3.6, False),  # the edge itself is not a fault
        (LOOP, 3800, 3.8, False),
        (LOOP, 20500, 20.5, False),
        (LOOP, 21000, 21.0, False),  # the edge itself is not a fault
        (LOOP, 21010, 21.01, True),  # above 21 mA: NE43 fault
        (LOOP, 0, 0.0, True),  # open loop
        (LOOP, 3500, 3.5, True),  # vendor fault current
        (LOOP_6400, 6400, 4.0, False),
        (LOOP_6400, 5760, 3.6, False),
        (LOOP_6400, 5759, 3.599375, True),
        (LOOP_6400, 32000, 20.0, False),
        (LOOP_6400, 34000, 21.25, True),
        (CurrentLoop(counts_at_4ma=20000, counts_at_20ma=4000), 20000, 4.0, False),  # inverted A/D
    ],
)
def test_loop_current_and_ne43(loop: CurrentLoop, raw: float, current: float, fault: bool) -> None:
    measured = loop_current(raw, loop)
    assert measured == pytest.approx(current, abs=1e-9)
    assert is_fault_current(measured, loop) is fault


def test_custom_fault_limits() -> None:
    loop = CurrentLoop(counts_at_4ma=4000, counts_at_20ma=20000, fault_below_ma=3.8,
                       fault_above_ma=20.5)
    assert is_fault_current(3.7, loop)
    assert not is_fault_current(3.8, loop)
    assert is_fault_current(20.6, loop)
    assert is_fault_current(math.nan, loop)


@pytest.mark.parametrize(
    ("current", "low", "high", "value"),
    [(4.0, 0, 100, 0.0), (20.0, 0, 100, 100.0), (12.0, 0, 100, 50.0), (8.0, -40, 120, 0.0),
     (3.8, 0, 100, -1.25), (20.5, 0, 16, 16.5)],
)
def test_linearise(current: float, low: float, high: float, value: float) -> None:
    assert linearise(current, low, high) == pytest.approx(value)
