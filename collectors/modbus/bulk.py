"""Many plain numeric points read by one request, decoded in one ``struct`` call. Pure.

A device table of 50 float32 values is the common case: decoding each point on its own
(slice, pack, unpack, range check, reading) costs more than the Modbus request itself.
A *run* is a stretch of consecutive points in one request that are all plain numbers: the
same type and byte order, registers back to back, no status word, no 4–20 mA loop, no
scale or offset, not discrete. A run's registers are packed and unpacked at once, the
range check is one comparison per value (which also refuses NaN and ±inf, the bounds
being finite), and only values outside their range go through ``condition`` one by one.
Anything a run cannot decode (a register outside 0..65535, a short answer) is left to the
per-point path, which reports it per point as before.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from collectors.conditioning import condition
from collectors.modbus.convert import PointCodec
from collectors.modbus.planner import ReadPlan
from collectors.readings import Reading, good_within
from config.modbus import ByteOrder, DataType
from config.points import DISCRETE_KINDS

_CODES = {
    DataType.INT16: "h", DataType.UINT16: "H", DataType.INT32: "i", DataType.UINT32: "I",
    DataType.FLOAT32: "f", DataType.FLOAT64: "d",
}
_INTEGERS = frozenset({DataType.INT16, DataType.UINT16, DataType.INT32, DataType.UINT32})
_BYTES_SWAPPED = frozenset({ByteOrder.BADC, ByteOrder.DCBA})
_WORDS_REVERSED = frozenset({ByteOrder.CDAB, ByteOrder.DCBA})
_MAX = sys.float_info.max
MIN_RUN = 4  # shorter stretches gain nothing over the per-point path


def _bulk_kind(codec: PointCodec) -> tuple[DataType, ByteOrder] | None:
    """(type, order) when ``codec`` can join a run, else None."""
    point = codec.point
    source = point.source
    if (
        source.type not in _CODES
        or codec.has_status
        or source.current_loop is not None
        or source.scale != 1.0
        or source.offset != 0.0
        or point.kind in DISCRETE_KINDS
    ):
        return None
    words = source.type.register_count
    if words == 4 and source.byte_order in _WORDS_REVERSED:
        return None  # a 64-bit word reversal is not a pairwise swap: per point
    return source.type, source.byte_order


@dataclass(frozen=True, slots=True)
class Run:
    """Codecs ``first``..``first + len(keys) - 1`` of a device, whose values lie back to
    back in answer ``request`` from register ``offset``."""

    first: int
    request: int
    offset: int
    registers: int
    keys: tuple[object, ...]
    codecs: tuple[PointCodec, ...]
    lows: tuple[float, ...]
    highs: tuple[float, ...]
    pack: struct.Struct
    unpack: struct.Struct
    swap_words: bool
    integers: bool

    def readings(self, answer: Sequence[int], ts: float) -> list[Reading] | None:
        """The run's readings, or None when its registers cannot be decoded here."""
        registers = answer[self.offset : self.offset + self.registers]
        if len(registers) != self.registers:
            return None
        if self.swap_words:
            swapped = list(registers)
            swapped[0::2] = registers[1::2]
            swapped[1::2] = registers[0::2]
            registers = swapped
        try:
            values: Sequence[float] = self.unpack.unpack(self.pack.pack(*registers))
        except struct.error:
            return None
        if self.integers:
            values = [float(value) for value in values]
        out = good_within(self.keys, values, self.lows, self.highs, ts)  # type: ignore[arg-type]
        if None in out:
            for index, reading in enumerate(out):
                if reading is None:
                    codec = self.codecs[index]
                    out[index] = condition(codec.key, codec.point, values[index], ts)
        return out  # type: ignore[return-value]


def find_runs(codecs: Sequence[PointCodec], plan: ReadPlan) -> dict[int, Run]:
    """The runs of ``codecs`` under ``plan``, by the index of their first codec."""
    runs: dict[int, Run] = {}
    index = 0
    while index < len(codecs):
        kind = _bulk_kind(codecs[index])
        if kind is None:
            index += 1
            continue
        start = plan.slots[index].value
        end = index + 1
        expected = start.offset + start.count
        while end < len(codecs):
            slot = plan.slots[end].value
            if (
                _bulk_kind(codecs[end]) != kind
                or slot.request != start.request
                or slot.offset != expected
            ):
                break
            expected += slot.count
            end += 1
        if end - index >= MIN_RUN:
            runs[index] = _run(codecs, index, end, start.request, start.offset, kind)
        index = end
    return runs


def _run(
    codecs: Sequence[PointCodec], first: int, end: int, request: int, offset: int,
    kind: tuple[DataType, ByteOrder],
) -> Run:
    data_type, order = kind
    members = tuple(codecs[first:end])
    words = data_type.register_count * len(members)
    lows, highs = [], []
    for codec in members:
        span = codec.point.range
        low = -_MAX if span is None else max(float(span.low), -_MAX)
        high = _MAX if span is None else min(float(span.high), _MAX)
        lows.append(low)
        highs.append(high)
    return Run(
        first=first,
        request=request,
        offset=offset,
        registers=words,
        keys=tuple(codec.key for codec in members),
        codecs=members,
        lows=tuple(lows),
        highs=tuple(highs),
        # Packing each word little-endian swaps its two bytes.
        pack=struct.Struct(("<" if order in _BYTES_SWAPPED else ">") + f"{words}H"),
        unpack=struct.Struct(f">{len(members)}{_CODES[data_type]}"),
        swap_words=order in _WORDS_REVERSED and data_type.register_count == 2,
        integers=data_type in _INTEGERS,
    )
