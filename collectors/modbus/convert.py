"""From the registers of one point to a reading with a quality. Pure.

Order of judgement, first match wins:

1. the value's (or its status word's) request failed → BAD comm_loss
2. the registers cannot be decoded → BAD decode_error
3. the status word's ``fault`` bit is set → BAD sensor_fault
4. 4–20 mA: NaN or infinite counts → BAD decode_error; a fault current (NE43) → BAD
   sensor_fault; else linearise onto the range
5. otherwise raw · scale + offset
6. ``collectors.conditioning.condition``: range check (out of range → UNCERTAIN, kept);
   a number that is not finite (a NaN register, a scale overflowing) → BAD decode_error
   through ``collectors.readings.number_reading``

A device that sets its fault bit often puts NaN in the value: the fault bit (3) wins.

A fault is never shown as a number: every BAD reading carries ``value=None``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from math import isfinite
from types import MappingProxyType

from collectors.conditioning import condition
from collectors.modbus.decode import (
    DecodeError,
    decode_bit,
    is_fault_current,
    linearise,
    loop_current,
    number_decoder,
)
from collectors.readings import Reading, Reason, bad
from config.catalog import PointKey
from config.modbus import DataType, ModbusPoint, ModbusSource, StatusRole


@dataclass(frozen=True, slots=True)
class StatusBits:
    """A status word as last read: the raw word and the configured roles' bits.

    The alarm engine reads the ``heartbeat`` and ``alarm`` roles from here.
    """

    word: int
    roles: Mapping[StatusRole, bool]
    ts: float

    def __getitem__(self, role: StatusRole) -> bool:
        return self.roles[role]


def status_bits(word: int, bits: Mapping[StatusRole, int], ts: float) -> StatusBits:
    roles = {role: bool((word >> bit) & 1) for role, bit in bits.items()}
    return StatusBits(word=word, roles=MappingProxyType(roles), ts=ts)


RawDecoder = Callable[[Sequence[int]], int | float | bool]


class PointCodec:
    """Everything needed to turn one point's registers into a reading, settled once per
    point so that the per-poll path does no config lookups."""

    __slots__ = ("_decode", "_fault_mask", "_scaled", "has_status", "key", "point")

    def __init__(self, key: PointKey, point: ModbusPoint) -> None:
        self.key = key
        self.point = point
        source = point.source
        self._decode = raw_decoder(source)
        word = source.status_word
        self.has_status = word is not None
        fault_bit = None if word is None else word.bits.get(StatusRole.FAULT)
        self._fault_mask = 0 if fault_bit is None else 1 << fault_bit
        self._scaled = source.scale != 1.0 or source.offset != 0.0

    def reading(self, values: Sequence[int] | None, status_word: int | None, ts: float) -> Reading:
        """``values`` are the point's registers (or its one bit: bools are ints); None
        means their request failed. ``status_word`` None for a point with a status word
        means the word's request failed: the fault bit is unknown, so the value cannot be
        trusted either."""
        key = self.key
        if values is None or (self.has_status and status_word is None):
            return bad(key, ts, Reason.COMM_LOSS)
        try:
            raw = self._decode(values)
        except DecodeError:
            return bad(key, ts, Reason.DECODE_ERROR)
        if status_word is not None and status_word & self._fault_mask:
            return bad(key, ts, Reason.SENSOR_FAULT)
        point = self.point
        source = point.source
        loop = source.current_loop
        if loop is not None:
            span = point.range
            assert span is not None  # ModbusPoint validation: a loop point has a range
            counts = float(raw)
            if not isfinite(counts):
                # A NaN register is undecodable, as on any other point: not a fault current.
                return bad(key, ts, Reason.DECODE_ERROR)
            current = loop_current(counts, loop)
            if is_fault_current(current, loop):
                return bad(key, ts, Reason.SENSOR_FAULT)
            return condition(key, point, linearise(current, span.low, span.high), ts)
        if self._scaled and not isinstance(raw, bool):
            return condition(key, point, raw * source.scale + source.offset, ts)
        return condition(key, point, raw, ts)


def raw_decoder(source: ModbusSource) -> RawDecoder:
    """Registers (or one bit) → the raw value of ``source``, before scaling."""
    if source.type is DataType.BOOL:

        def decode_bool(values: Sequence[int]) -> bool:
            if len(values) != 1:
                raise DecodeError(f"type bool needs 1 bit, got {len(values)}")
            return bool(values[0])

        return decode_bool
    if source.type is DataType.BIT:
        bit = source.bit
        assert bit is not None  # ModbusSource validation: type bit has a bit
        return lambda values: decode_bit(values, bit)
    return number_decoder(source.type, source.byte_order)
