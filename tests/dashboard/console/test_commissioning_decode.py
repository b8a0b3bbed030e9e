"""Commissioning's decodings by table: 16-bit registers as int16/uint16 (and byte-swapped),
integers kept whole, and the suggestion of the one interpretation inside the range."""

from __future__ import annotations

import pytest

from config.modbus import DataType
from dashboard.routes.commissioning import decode_registers, suggest


@pytest.mark.parametrize(
    ("registers", "scale", "decoded", "scaled"),
    [
        ([0xFFFF], 1.0, {"int16": -1, "uint16": 65535, "int16 (BA)": -1, "uint16 (BA)": 65535},
         {"int16": -1, "uint16": 65535, "int16 (BA)": -1, "uint16 (BA)": 65535}),
        ([0x0102], 0.5, {"int16": 258, "uint16": 258, "int16 (BA)": 513, "uint16 (BA)": 513},
         {"int16": 129.0, "uint16": 129.0, "int16 (BA)": 256.5, "uint16 (BA)": 256.5}),
        ([0x8000], 1.0, {"int16": -32768, "uint16": 32768, "int16 (BA)": 128,
                         "uint16 (BA)": 128},
         {"int16": -32768, "uint16": 32768, "int16 (BA)": 128, "uint16 (BA)": 128}),
    ],
)
def test_sixteen_bit(registers: list[int], scale: float, decoded: dict[str, int],
                     scaled: dict[str, float]) -> None:
    got_decoded, got_scaled = decode_registers(registers, DataType.INT16, scale, 0.0)
    assert got_decoded == decoded and got_scaled == scaled
    assert all(isinstance(v, int) for v in got_decoded.values())


def test_thirty_two_bit_orders_and_bits() -> None:
    decoded, _ = decode_registers([0x47F1, 0x2000], DataType.FLOAT32, 1.0, 0.0)
    assert list(decoded) == ["ABCD", "BADC", "CDAB", "DCBA"] and decoded["ABCD"] == 123456.0
    assert decode_registers([1], DataType.BIT, 1.0, 0.0) == ({}, {})


@pytest.mark.parametrize(
    ("scaled", "configured", "expected"),
    [
        ({"int16": -1, "uint16": 65535}, "uint16", "int16"),  # only int16 fits -50..100
        ({"int16": 12, "uint16": 12}, "uint16", "uint16"),  # both fit: the configured one
        ({"int16": 12, "uint16": 12}, "uint16 (BA)", None),  # both fit, neither configured
        ({"ABCD": 1e30, "CDAB": "bad"}, "ABCD", None),
    ],
)
def test_suggest(scaled: dict[str, float | str], configured: str, expected: str | None) -> None:
    assert suggest(scaled, -50, 100, configured) == expected
    assert suggest(scaled, None, None, configured) is None
