"""Log at most once per key per window: a device flooding bad payloads must stay visible
without drowning the log. Pure; the caller passes the time."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass


@dataclass(slots=True)
class _Entry:
    last_logged: float
    suppressed: int = 0


class LogLimiter:
    """``allow(key, now)`` says whether to log now, and how many were held back since.

    Keys are e.g. (topic, reason). Topics under a wildcard subscription are unbounded, so
    at most ``max_keys`` are remembered; when full, the oldest entries are forgotten (a
    forgotten key may log once more than strictly necessary, never less).
    """

    def __init__(self, window: float = 60.0, max_keys: int = 1000) -> None:
        if window <= 0 or max_keys < 1:
            raise ValueError("window and max_keys must be positive")
        self.window = window
        self.max_keys = max_keys
        self._entries: dict[Hashable, _Entry] = {}

    def allow(self, key: Hashable, now: float) -> int | None:
        """None: stay quiet. A number: log now; that many occurrences were suppressed before."""
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

    def _forget_oldest(self) -> None:
        for _ in range(max(1, self.max_keys // 10)):
            if not self._entries:
                return
            del self._entries[next(iter(self._entries))]

    def __len__(self) -> int:
        return len(self._entries)
