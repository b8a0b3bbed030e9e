"""One instance of each equal frozen value: built-once data repeated across many points.

A site of thousands of points repeats the same small immutable values (the default alarm
specs, a read plan's spans and slots on devices with the same register layout): keeping
one copy of each is part of what lets 50,000 points fit in a small gateway box's memory.
"""

from __future__ import annotations

from typing import TypeVar, cast

_T = TypeVar("_T")


class SharedValues:
    """``share(value)`` gives the first value seen equal to ``value`` (else ``value``).

    Only for immutable, hashable values, whose equal instances are interchangeable.
    Bounded: past ``limit`` entries the table starts again, which costs only the sharing."""

    __slots__ = ("_limit", "_values")

    def __init__(self, limit: int = 10_000) -> None:
        self._limit = limit
        self._values: dict[object, object] = {}

    def share(self, value: _T) -> _T:
        found = self._values.get(value)
        if found is not None:
            return cast(_T, found)
        if len(self._values) >= self._limit:
            self._values.clear()
        self._values[value] = value
        return value

    def share_optional(self, value: _T | None) -> _T | None:
        return None if value is None else self.share(value)

    def share_if_hashable(self, value: _T) -> _T:
        """``share(value)``, or ``value`` itself when it cannot be hashed (a model holding
        a dict, such as a status word's bits)."""
        try:
            return self.share(value)
        except TypeError:  # unhashable: kept as it is, which is always correct
            return value


# Parts of point models (ranges, Modbus sources) that many points have alike.
SHARED_PARTS = SharedValues()
