"""From the registers of one point to a reading with a quality. Pure.

Order of judgement, first match wins:

1. the value's (or its status word's) request failed → BAD comm_loss
2. the registers cannot be decoded → BAD decode_error
3. the status word's ``fault`` bit is set → BAD sensor_fault
4. 4–20 mA: a fault current (NE43) → BAD sensor_fault; else linearise onto the range
5. otherwise raw · scale + offset
6. ``collectors.conditioning.condition``: range check (out of range → UNCERTAIN, kept),
   non-finite → BAD decode_error

A fault is never shown as a number: every BAD reading carries ``value=None``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from collectors.conditioning import condition
from collectors.modbus.decode import (
    DecodeError,
    decode_bit,
    decode_number,
    is_fault_current,
    linearise,
    loop_current,
)
from gateway.config.models import ByteOrder, DataType, ModbusPoint, StatusRole
from gateway.readings import PointKey, Reading, Reason, bad


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


@dataclass(frozen=True, slots=True)
class PointCodec:
    """Everything needed to turn one point's registers into a reading."""

    key: PointKey
    point: ModbusPoint

    def reading(
        self,
        values: Sequence[int] | None,
        status_word: int | None,
        ts: float,
        *,
        has_status: bool,
    ) -> Reading:
        """``values`` are the point's registers (or its one bit: bools are ints).
        ``values`` None means the request failed; ``status_word`` None with
        ``has_status`` means the status word's request failed (the fault bit is unknown,
        so the value cannot be trusted either)."""
        if values is None or (has_status and status_word is None):
            return bad(self.key, ts, Reason.COMM_LOSS)
        source = self.point.source
        try:
            raw = _decode_raw(values, source.type, source.bit, source.byte_order)
        except DecodeError:
            return bad(self.key, ts, Reason.DECODE_ERROR)
        word = source.status_word
        if word is not None and status_word is not None:
            fault_bit = word.bits.get(StatusRole.FAULT)
            if fault_bit is not None and (status_word >> fault_bit) & 1:
                return bad(self.key, ts, Reason.SENSOR_FAULT)
        loop = source.current_loop
        if loop is not None:
            span = self.point.range
            assert span is not None  # ModbusPoint validation: a loop point has a range
            current = loop_current(float(raw), loop)
            if is_fault_current(current, loop):
                return bad(self.key, ts, Reason.SENSOR_FAULT)
            return condition(self.key, self.point, linearise(current, span.low, span.high), ts)
        if isinstance(raw, bool):
            return condition(self.key, self.point, raw, ts)
        if source.scale != 1.0 or source.offset != 0.0:
            return condition(self.key, self.point, raw * source.scale + source.offset, ts)
        return condition(self.key, self.point, raw, ts)


def _decode_raw(
    values: Sequence[int], data_type: DataType, bit: int | None, order: ByteOrder
) -> int | float | bool:
    if data_type is DataType.BOOL:
        if len(values) != 1:
            raise DecodeError(f"type bool needs 1 bit, got {len(values)}")
        return bool(values[0])
    if data_type is DataType.BIT:
        assert bit is not None  # ModbusSource validation: type bit has a bit
        return decode_bit(values, bit)
    return decode_number(values, data_type, order)
