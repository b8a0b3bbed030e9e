"""Registers ↔ numbers, and 4–20 mA counts → current. Pure functions, no Modbus I/O.

Byte orders name where the bytes of a value land on the wire, A being the most
significant byte of the value (see ``ByteOrder``):

=====  ==========================  ======================================
order  float32 123456.0 (47F12000)  meaning
=====  ==========================  ======================================
ABCD   0x47F1 0x2000                big-endian words, big-endian bytes
BADC   0xF147 0x0020                bytes swapped within each word
CDAB   0x2000 0x47F1                word order reversed (low word first)
DCBA   0x0020 0xF147                fully reversed (little-endian)
=====  ==========================  ======================================

For 64-bit values CDAB and DCBA reverse the order of all four words. For 16-bit
types BADC and DCBA swap the two bytes of the register, ABCD and CDAB leave it.
"""

from __future__ import annotations

import functools
import math
import struct
from collections.abc import Callable, Sequence

from config.modbus import ByteOrder, CurrentLoop, DataType

Number = int | float


class DecodeError(ValueError):
    """The registers do not hold a value of the configured type."""


_STRUCT: dict[DataType, str] = {
    DataType.INT16: "h",
    DataType.UINT16: "H",
    DataType.INT32: "i",
    DataType.UINT32: "I",
    DataType.FLOAT32: "f",
    DataType.FLOAT64: "d",
}
_INTEGER_TYPES = frozenset({DataType.INT16, DataType.UINT16, DataType.INT32, DataType.UINT32})
_WORDS_REVERSED = frozenset({ByteOrder.CDAB, ByteOrder.DCBA})
_BYTES_SWAPPED = frozenset({ByteOrder.BADC, ByteOrder.DCBA})


NumberDecoder = Callable[[Sequence[int]], Number]


@functools.cache
def number_decoder(data_type: DataType, order: ByteOrder) -> NumberDecoder:
    """A function decoding ``data_type`` in ``order`` from exactly its registers.

    Built once per (type, order): the struct formats and the word order are settled
    here, not for every value.
    """
    code = _STRUCT.get(data_type)
    if code is None:
        raise DecodeError(f"type {data_type.value} is not a number")
    needed = data_type.register_count
    # Packing each word little-endian swaps its two bytes.
    pack = struct.Struct(("<" if order in _BYTES_SWAPPED else ">") + "H" * needed).pack
    unpack = struct.Struct(">" + code).unpack
    reverse = order in _WORDS_REVERSED and needed > 1
    plain_word = data_type is DataType.UINT16 and order in (ByteOrder.ABCD, ByteOrder.CDAB)

    def decode(registers: Sequence[int]) -> Number:
        if len(registers) != needed:
            raise DecodeError(
                f"type {data_type.value} needs {needed} register(s), got {len(registers)}"
            )
        if plain_word:
            value = registers[0]  # the common case, without a struct round trip
            if not 0 <= value <= 0xFFFF:
                raise DecodeError(f"register value {value} outside 0..65535")
            return value
        try:
            raw = pack(*(registers[::-1] if reverse else registers))
        except struct.error as error:
            raise DecodeError(f"register value outside 0..65535 in {list(registers)}") from error
        number: Number = unpack(raw)[0]
        return number

    return decode


def decode_number(registers: Sequence[int], data_type: DataType, order: ByteOrder) -> Number:
    """Decode a numeric value (not ``bool``/``bit``) from exactly the registers it needs."""
    return number_decoder(data_type, order)(registers)


def decode_bit(registers: Sequence[int], bit: int) -> bool:
    """Bit ``bit`` (0 = least significant) of one 16-bit register."""
    if len(registers) != 1:
        raise DecodeError(f"type bit needs 1 register, got {len(registers)}")
    if not 0 <= bit <= 15:
        raise DecodeError(f"bit {bit} is not 0..15")
    return bool((registers[0] >> bit) & 1)


def encode(value: float | int | bool, data_type: DataType, order: ByteOrder) -> list[int]:
    """The registers a device would hold for ``value``: the inverse of ``decode_number``.

    ``bool`` and ``bit`` encode as one register 1/0 (``bit`` sets bit 0 only: write the
    whole status word yourself for other bits).
    """
    if data_type in (DataType.BOOL, DataType.BIT):
        return [1 if value else 0]
    code = _STRUCT[data_type]
    if data_type in _INTEGER_TYPES:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"{value} is not an integer, cannot encode as {data_type.value}")
        value = int(value)
    try:
        raw = struct.pack(">" + code, value)
    except struct.error as error:
        raise ValueError(f"{value} does not fit {data_type.value}: {error}") from error
    count = len(raw) // 2
    endian = "<" if order in _BYTES_SWAPPED else ">"
    words = list(struct.unpack(f"{endian}{count}H", raw))
    if order in _WORDS_REVERSED:
        words.reverse()
    return words


def all_byte_orders(registers: Sequence[int], data_type: DataType) -> dict[ByteOrder, Number | str]:
    """The value under each byte order, for commissioning ("which one looks right?").

    A decode problem shows as its message instead of a number.
    """
    shown: dict[ByteOrder, Number | str] = {}
    for order in ByteOrder:
        try:
            shown[order] = decode_number(registers, data_type, order)
        except DecodeError as error:
            shown[order] = str(error)
    return shown


# ------------------------------------------------------------------------ 4–20 mA

# Edges are inclusive: NE43 says "below 3.6 mA" and "above 21 mA", so exactly 3.6 and
# 21.0 are not faults; the epsilon keeps float rounding of the count→mA step from
# deciding an edge case either way.
_EDGE_EPSILON_MA = 1e-9


def loop_current(raw: float, loop: CurrentLoop) -> float:
    """Loop current in mA from A/D counts: I = 4 + (raw − c4)/(c20 − c4)·16."""
    return 4.0 + (raw - loop.counts_at_4ma) / (loop.counts_at_20ma - loop.counts_at_4ma) * 16.0


def is_fault_current(current_ma: float, loop: CurrentLoop) -> bool:
    """NAMUR NE43 (by default): below 3.6 mA or above 21 mA means the sensor or line failed."""
    if not math.isfinite(current_ma):
        return True
    return (
        current_ma < loop.fault_below_ma - _EDGE_EPSILON_MA
        or current_ma > loop.fault_above_ma + _EDGE_EPSILON_MA
    )


def linearise(current_ma: float, low: float, high: float) -> float:
    """value = lo + (I − 4)/16 · (hi − lo)."""
    return low + (current_ma - 4.0) / 16.0 * (high - low)
