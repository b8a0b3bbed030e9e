"""Plan the reads of one device: as few requests as possible. Pure.

Every point needs one *span* (table, address, count) for its value and maybe one
for its status word. Spans of one table are sorted and merged greedily into a
request while

* the request stays within the protocol limit (125 registers, 2000 coils or inputs), and
* the unused addresses between two spans (the gap) are at most ``max_gap``.

Overlapping and identical spans share registers (a status word beside several
channels is read once). In ``read_individually`` mode every distinct span is its own
request: one per point plus one per status word, for devices that refuse reads
covering more than one point. ``separate`` names spans that must be read alone even
in merged mode: the collector puts the spans of a merged request the device refused
(exception 2, illegal data address: a gap over unimplemented registers) here, so that
one bad address no longer takes its neighbours down with it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from config.modbus import ModbusSource, RegisterTable
from config.sharing import SharedValues

MAX_REGISTERS = 125  # Modbus application protocol, functions 3 and 4
MAX_BITS = 2000  # functions 1 and 2

# Devices with the same register layout have equal spans and slots: one instance of each.
_SHARED = SharedValues()

# Registers before bits, holding before input: a stable order for logs and tests.
_TABLE_ORDER = {
    RegisterTable.HOLDING: 0,
    RegisterTable.INPUT: 1,
    RegisterTable.COILS: 2,
    RegisterTable.DISCRETE_INPUTS: 3,
}


@dataclass(frozen=True, slots=True, order=True)
class Span:
    table: RegisterTable
    address: int
    count: int

    @property
    def end(self) -> int:
        return self.address + self.count

    def __str__(self) -> str:
        return f"{self.table.value} {self.address}..{self.end - 1}"


@dataclass(frozen=True, slots=True)
class ReadRequest:
    """One Modbus read: ``count`` registers (or bits) of ``table`` from ``address``."""

    table: RegisterTable
    address: int
    count: int
    spans: tuple[Span, ...]  # what the points need from it, sorted

    @property
    def end(self) -> int:
        return self.address + self.count

    def __str__(self) -> str:
        return f"{self.table.value} {self.address}..{self.end - 1}"


@dataclass(frozen=True, slots=True)
class Slot:
    """Where a span's values lie in the answers: ``answers[request][offset:offset+count]``."""

    request: int
    offset: int
    count: int


@dataclass(frozen=True, slots=True)
class SourceSlots:
    value: Slot
    status: Slot | None


@dataclass(frozen=True, slots=True)
class ReadPlan:
    requests: tuple[ReadRequest, ...]
    slots: tuple[SourceSlots, ...]  # one per source, in the order given

    @property
    def register_count(self) -> int:
        return sum(request.count for request in self.requests)


def value_span(source: ModbusSource) -> Span:
    return _SHARED.share(Span(source.table, source.address, source.register_count))


def status_span(source: ModbusSource) -> Span | None:
    word = source.status_word
    return None if word is None else _SHARED.share(Span(word.table, word.address, 1))


def plan_reads(
    sources: Sequence[ModbusSource],
    *,
    max_gap: int,
    read_individually: bool = False,
    separate: Collection[Span] = (),
    max_registers: int = MAX_REGISTERS,
    max_bits: int = MAX_BITS,
) -> ReadPlan:
    if max_gap < 0:
        raise ValueError(f"max_gap must not be negative, got {max_gap}")
    if not 1 <= max_registers <= MAX_REGISTERS or not 1 <= max_bits <= MAX_BITS:
        raise ValueError("request limits must lie within the protocol's (125 registers, 2000 bits)")
    wanted: list[Span] = []
    for source in sources:
        wanted.append(value_span(source))
        status = status_span(source)
        if status is not None:
            wanted.append(status)
    alone = set(separate)
    if read_individually:
        requests = _individual(wanted)
    else:
        requests = _merged(wanted, max_gap, alone, max_registers, max_bits)
    return ReadPlan(tuple(requests), _slots(sources, requests))


def _individual(wanted: Sequence[Span]) -> list[ReadRequest]:
    """One request per distinct span, in the order the points list them."""
    seen: dict[Span, None] = dict.fromkeys(wanted)
    return [ReadRequest(span.table, span.address, span.count, (span,)) for span in seen]


def _merged(
    wanted: Sequence[Span], max_gap: int, alone: set[Span], max_registers: int, max_bits: int
) -> list[ReadRequest]:
    ordered = sorted(
        set(wanted), key=lambda span: (_TABLE_ORDER[span.table], span.address, span.count)
    )
    requests: list[ReadRequest] = []
    group: list[Span] = []
    start = end = 0

    def close() -> None:
        if group:
            table = group[0].table
            requests.append(ReadRequest(table, start, end - start, tuple(group)))

    for span in ordered:
        limit = max_bits if span.table.is_bit_table else max_registers
        fits = (
            group
            and span.table is group[0].table
            and span not in alone
            and group[-1] not in alone
            and span.address - end <= max_gap
            and max(end, span.end) - start <= limit
        )
        if fits:
            group.append(span)
            end = max(end, span.end)
        else:
            close()
            group = [span]
            start, end = span.address, span.end
    close()
    return requests


def _slots(
    sources: Sequence[ModbusSource], requests: Sequence[ReadRequest]
) -> tuple[SourceSlots, ...]:
    where: dict[Span, Slot] = {}
    for index, request in enumerate(requests):
        for span in request.spans:
            where.setdefault(
                span, _SHARED.share(Slot(index, span.address - request.address, span.count))
            )
    slots = []
    for source in sources:
        status = status_span(source)
        slots.append(_SHARED.share(
            SourceSlots(where[value_span(source)], None if status is None else where[status])
        ))
    return tuple(slots)
