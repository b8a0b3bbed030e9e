"""Log a repeating problem once per interval, saying how often it happened in between.

A database outage produces a failed write every few seconds for hours; one line a minute
with a count keeps the log readable without hiding that it is still happening.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Slot:
    last: float
    suppressed: int = 0


class RateLimitedLog:
    def __init__(
        self,
        logger: logging.Logger,
        interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._interval = interval
        self._clock = clock
        self._slots: dict[str, _Slot] = {}

    def log(self, level: int, key: str, message: str, *args: object) -> bool:
        """Log unless ``key`` was logged less than ``interval`` ago; returns whether it did."""
        now = self._clock()
        slot = self._slots.get(key)
        if slot is not None and now - slot.last < self._interval:
            slot.suppressed += 1
            return False
        if slot is not None and slot.suppressed:
            message += " (%d more like this in the last %.0f s)"
            args = (*args, slot.suppressed, now - slot.last)
        self._slots[key] = _Slot(now)
        self._logger.log(level, message, *args)
        return True

    def reset(self, key: str) -> int:
        """Forget ``key`` (the problem is over); returns how many were suppressed."""
        slot = self._slots.pop(key, None)
        return slot.suppressed if slot is not None else 0
