"""Flood consolidation: one message per window per key (route and level), not a hundred.

The first item for an idle key goes out at once and opens a window. Items arriving
while the window is open are held and released together as one summary when it ends;
that summary opens the next window, so a flood that goes on yields one summary per
window. A window that ends with nothing held closes. Pure, driven by ``now``.

A batch offered to an idle key goes out at once as one release: alarms that arrive in
the same instant are told together rather than the first alone and the rest later.
A window of 0 turns consolidation off: every item is released on its own, at once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Release(Generic[K, T]):
    key: K
    items: tuple[T, ...]
    summary: bool  # collected during a window (False: sent on arrival)


@dataclass(slots=True)
class _Window(Generic[T]):
    ends: float
    held: list[T] = field(default_factory=list)


class Consolidator(Generic[K, T]):
    def __init__(self, window: float) -> None:
        if window < 0:
            raise ValueError("the consolidation window cannot be negative")
        self.window = window
        self._windows: dict[K, _Window[T]] = {}

    def offer(self, key: K, items: Sequence[T], now: float) -> list[Release[K, T]]:
        """What must go out now for these new items (possibly nothing)."""
        if not items:
            return []
        if self.window <= 0:
            return [Release(key, (item,), False) for item in items]
        current = self._windows.get(key)
        if current is not None and now < current.ends:
            current.held.extend(items)
            return []
        released: list[Release[K, T]] = []
        if current is not None and current.held:
            # The window ended but nobody called due() yet: its summary goes first.
            released.append(Release(key, tuple(current.held), True))
        self._windows[key] = _Window(now + self.window)
        released.append(Release(key, tuple(items), False))
        return released

    def due(self, now: float) -> list[Release[K, T]]:
        """Summaries of windows that have ended; idle windows are forgotten."""
        released: list[Release[K, T]] = []
        for key, current in list(self._windows.items()):
            if now < current.ends:
                continue
            if current.held:
                released.append(Release(key, tuple(current.held), True))
                self._windows[key] = _Window(now + self.window)
            else:
                del self._windows[key]
        return released

    def withdraw(self, unwanted: Callable[[T], bool]) -> int:
        """Drop held items that no longer need telling (their alarm was acknowledged)."""
        dropped = 0
        for current in self._windows.values():
            kept = [item for item in current.held if not unwanted(item)]
            dropped += len(current.held) - len(kept)
            current.held = kept
        return dropped

    def next_deadline(self) -> float | None:
        """When the next summary is due (idle windows need no wake-up)."""
        return min((w.ends for w in self._windows.values() if w.held), default=None)

    @property
    def held(self) -> int:
        return sum(len(current.held) for current in self._windows.values())
