"""Readings of one record as bytes: compact, fast, and exact for every field.

Layout (little endian)::

    u64 first_seq | u32 count
    u32 points  | u32 text bytes | points × 2 × u32 length in characters | text utf-8
    u8  states  | states × (u8 len, quality, u8 len, reason)
    count × u32 point index | count × u8 state index | count × u8 value kind
    count × f64 value | count × f64 ts

Points and (quality, reason) pairs are written once per record and referred to by index,
by their text rather than by enum position, so adding a ``Reason`` later does not change
what old records mean. The point text is every site and tag one after the other, decoded
in one go and cut by the lengths. The columns are ``array`` buffers: packing and unpacking them is
done in C. ``first_seq`` numbers the record's first reading; every reading ever put into a
buffer has its own sequence number, which is what commits and drops count by.
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

from collectors.readings import Quality, Reading, Reason, Value
from config.catalog import PointKey

HEAD = struct.Struct("<QI")
_U32 = struct.Struct("<I")
_U8 = struct.Struct("<B")

# Value kinds: a float, a boolean and "no value" must come back as exactly what went in.
NONE, FLOAT, FALSE, TRUE = 0, 1, 2, 3

_LITTLE = sys.byteorder == "little"


class EncodingError(ValueError):
    """A payload that passed its checksum but does not decode (a bug or a foreign file)."""


@dataclass(frozen=True, slots=True)
class Decoded:
    first_seq: int
    readings: list[Reading]


def _kind(value: Value) -> int:
    if value is None:
        return NONE
    if value is True:
        return TRUE
    if value is False:
        return FALSE
    return FLOAT


def _number(value: Value) -> float:
    if value is None or isinstance(value, bool):
        return 0.0
    return float(value)


def _column(typecode: str, values: Sequence[int] | Sequence[float]) -> bytes:
    column = array(typecode, values)
    if not _LITTLE:
        column.byteswap()
    return column.tobytes()


def _text(out: list[bytes], size: struct.Struct, text: str) -> None:
    raw = text.encode("utf-8")
    out.append(size.pack(len(raw)))
    out.append(raw)


def encode_readings(first_seq: int, readings: Sequence[Reading]) -> bytes:
    # Column by column, in C where it can be: a Reading is a tuple, so ``zip(*readings)``
    # gives the columns, and the usual record (every reading good, every value a float)
    # is packed without a Python step per reading.
    count = len(readings)
    if count:
        point_column, raw, stamps, qualities, reasons = zip(*readings, strict=True)
    else:
        point_column = raw = stamps = qualities = reasons = ()
    # Points by identity: collectors reuse one PointKey per point, and hashing the object's
    # address is much cheaper than hashing its fields. An equal key that is another object
    # is only listed twice; both decode to equal keys.
    ids = list(map(id, point_column))
    by_id = dict(zip(ids, point_column, strict=True))
    index_of = {key: index for index, key in enumerate(dict.fromkeys(ids))}
    point_index = list(map(index_of.__getitem__, ids))
    points = [by_id[key] for key in index_of]
    if qualities.count(Quality.GOOD) == count:  # GOOD always goes with Reason.NONE
        states: dict[tuple[Quality, Reason], int] = {(Quality.GOOD, Reason.NONE): 0}
        state_index: Sequence[int] = bytes(count)
    else:
        pairs = list(zip(qualities, reasons, strict=True))
        states = {pair: index for index, pair in enumerate(dict.fromkeys(pairs))}
        if len(states) > 255:
            raise ValueError("more than 255 quality/reason pairs in one record")
        state_index = list(map(states.__getitem__, pairs))
    if set(map(type, raw)) <= {float}:
        kinds: Sequence[int] = bytes((FLOAT,)) * count
        values: Sequence[float] = raw
    else:
        kinds = [FLOAT if type(v) is float else _kind(v) for v in raw]
        values = [v if type(v) is float else _number(v) for v in raw]
    names = [name for point in points for name in (point.site, point.tag)]
    text = "".join(names).encode("utf-8", "surrogatepass")  # any str, exactly
    out = [HEAD.pack(first_seq, count), _U32.pack(len(points)), _U32.pack(len(text))]
    out.append(_column("I", [len(name) for name in names]))
    out.append(text)
    out.append(_U8.pack(len(states)))
    for quality, reason in states:
        _text(out, _U8, quality.value)
        _text(out, _U8, reason.value)
    out.append(_column("I", point_index))
    out.append(bytes(state_index))  # one byte each: no byte order
    out.append(bytes(kinds))
    out.append(_column("d", values))
    out.append(_column("d", stamps))
    return b"".join(out)


def read_head(payload: bytes | memoryview) -> tuple[int, int]:
    """(first_seq, count) without decoding the readings."""
    if len(payload) < HEAD.size:
        raise EncodingError("payload shorter than its head")
    first_seq, count = HEAD.unpack_from(payload, 0)
    return int(first_seq), int(count)


class _Reader:
    def __init__(self, payload: bytes | memoryview) -> None:
        self.view = memoryview(payload)
        self.position = 0

    def take(self, size: int) -> memoryview:
        end = self.position + size
        if end > len(self.view):
            raise EncodingError("payload ends early")
        chunk = self.view[self.position : end]
        self.position = end
        return chunk

    def number(self, size: struct.Struct) -> int:
        return int(size.unpack(self.take(size.size))[0])

    def text(self, size: struct.Struct) -> str:
        return str(self.take(self.number(size)), "utf-8")

    def integers(self, typecode: str, count: int) -> array[int]:
        column: array[int] = array(typecode)
        self._fill(column, count)
        return column

    def floats(self, count: int) -> array[float]:
        column: array[float] = array("d")
        self._fill(column, count)
        return column

    def _fill(self, column: array[int] | array[float], count: int) -> None:
        column.frombytes(self.take(count * column.itemsize))
        if not _LITTLE:
            column.byteswap()


def _points(reader: _Reader) -> list[PointKey]:
    count = reader.number(_U32)
    text_bytes = reader.number(_U32)
    lengths = reader.integers("I", 2 * count)
    text = str(reader.take(text_bytes), "utf-8", "surrogatepass")
    ends = list(accumulate(lengths))
    if ends and ends[-1] != len(text):
        raise EncodingError("point names do not match their lengths")
    starts = [0, *ends]
    return [
        PointKey(text[starts[i] : ends[i]], text[starts[i + 1] : ends[i + 1]])
        for i in range(0, 2 * count, 2)
    ]


def decode_readings(payload: bytes | memoryview) -> Decoded:
    reader = _Reader(payload)
    first_seq, count = HEAD.unpack(reader.take(HEAD.size))
    try:
        points = _points(reader)
        states = [
            (Quality(reader.text(_U8)), Reason(reader.text(_U8)))
            for _ in range(reader.number(_U8))
        ]
        point_index = reader.integers("I", count)
        state_index = reader.integers("B", count)
        kinds = reader.integers("B", count)
        values = reader.floats(count)
        stamps = reader.floats(count)
        readings = [
            Reading(
                points[p],
                None if k == NONE else v if k == FLOAT else k == TRUE,
                t,
                *states[s],
            )
            for p, s, k, v, t in zip(point_index, state_index, kinds, values, stamps, strict=True)
        ]
    except (IndexError, UnicodeDecodeError) as exc:
        raise EncodingError(f"undecodable payload: {exc}") from exc
    except ValueError as exc:  # an unknown quality or reason, or an inconsistent reading
        raise EncodingError(f"undecodable payload: {exc}") from exc
    if reader.position != len(reader.view):
        raise EncodingError("payload has trailing bytes")
    return Decoded(first_seq, readings)
