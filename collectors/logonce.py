"""Log a repeating problem at most once per key per window, saying how often it happened
in between.

A device flooding bad payloads, a broker refusing us every second, a database down for
hours: each must stay visible in the log without drowning it. One line per key and window,
with the count of what was held back, does both. The clock is injected (tests pass their
own); a wall clock stepped back never silences a key until it catches up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass(slots=True)
class _Entry:
    last_logged: float
    suppressed: int = 0


class LogOnce:
    """``log(level, key, message, *args)`` logs unless ``key`` was logged less than
    ``window`` seconds ago; ``allow(key)`` only decides, for callers that log themselves.

    Keys are e.g. (topic, reason). Topics under a wildcard subscription are unbounded, so at
    most ``max_keys`` are remembered; when full, the oldest tenth is forgotten (a forgotten
    key may log once more than strictly necessary, never less).
    """

    def __init__(
        self,
        logger: logging.Logger,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 1000,
    ) -> None:
        if window <= 0 or max_keys < 1:
            raise ValueError("window and max_keys must be positive")
        self.logger = logger
        self.window = window
        self.max_keys = max_keys
        self._clock = clock
        self._entries: dict[Hashable, _Entry] = {}

    def allow(self, key: Hashable, now: float | None = None) -> int | None:
        """None: stay quiet. A number: log now; that many occurrences were held back since
        the last time ``key`` was logged."""
        if now is None:
            now = self._clock()
        entry = self._entries.get(key)
        if entry is None:
            if len(self._entries) >= self.max_keys:
                self._forget_oldest()
            self._entries[key] = _Entry(now)
            return 0
        # abs(): a wall clock stepped back must not silence a key until it catches up.
        if abs(now - entry.last_logged) >= self.window:
            suppressed = entry.suppressed
            # Re-insert so that dict order stays oldest-logged first.
            del self._entries[key]
            self._entries[key] = _Entry(now)
            return suppressed
        entry.suppressed += 1
        return None

    def log(
        self, level: int, key: Hashable, message: str, *args: object, now: float | None = None
    ) -> bool:
        """Log ``message % args`` at ``level`` unless ``key`` is in its quiet window; a line
        after a quiet window says how many were held back. Returns whether it logged."""
        if now is None:
            now = self._clock()
        entry = self._entries.get(key)
        since = None if entry is None else abs(now - entry.last_logged)
        suppressed = self.allow(key, now)
        if suppressed is None:
            return False
        if suppressed and since is not None:
            message += " (%d more like this in the last %.0f s)"
            args = (*args, suppressed, since)
        self.logger.log(level, message, *args)
        return True

    def reset(self, key: Hashable) -> int:
        """Forget ``key`` (the problem is over: its next occurrence logs at once); returns
        how many were held back since it was last logged."""
        entry = self._entries.pop(key, None)
        return entry.suppressed if entry is not None else 0

    def _forget_oldest(self) -> None:
        for _ in range(max(1, self.max_keys // 10)):
            if not self._entries:
                return
            del self._entries[next(iter(self._entries))]

    def __len__(self) -> int:
        return len(self._entries)
