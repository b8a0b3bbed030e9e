"""Login rate limiting, per user name and per client address. Pure: time comes from a clock.

A key (a user name or an address) may fail ``failures`` times within ``window`` seconds;
then further attempts are refused without checking the password until the oldest of those
failures leaves the window. Refused attempts are not counted, so a block ends on time.
A success clears the user name's failures but not the address's: one valid account must
not let an address guess at the others.

Memory is bounded: at most ``max_keys`` keys are tracked, the least recently failed are
forgotten first.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limit:
    failures: int
    window: float  # seconds

    def __post_init__(self) -> None:
        if self.failures < 1 or self.window <= 0:
            raise ValueError(f"a login limit needs failures >= 1 and window > 0, got {self}")


@dataclass(frozen=True, slots=True)
class Block:
    """An attempt refused: retry after ``retry_after`` seconds. ``first`` is True for the
    first refusal of this block (worth an audit entry; the repeats are not)."""

    retry_after: float
    key: str
    first: bool

    @property
    def retry_after_header(self) -> str:
        return str(max(1, math.ceil(self.retry_after)))


class LoginLimiter:
    def __init__(
        self,
        per_user: Limit,
        per_address: Limit,
        clock: Callable[[], float],
        *,
        max_keys: int = 10_000,
    ) -> None:
        self.per_user = per_user
        self.per_address = per_address
        self._clock = clock
        self._max_keys = max_keys
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._reported: dict[str, float] = {}  # key -> end of the block already reported

    @staticmethod
    def user_key(user: str) -> str:
        return "user:" + user.strip().casefold()

    @staticmethod
    def address_key(address: str) -> str:
        return "address:" + address

    def check(self, user: str, address: str) -> Block | None:
        """None when the attempt may go ahead, else the block that refuses it."""
        now = self._clock()
        for key, limit in (
            (self.user_key(user), self.per_user),
            (self.address_key(address), self.per_address),
        ):
            times = self._recent(key, limit, now)
            if times is not None and len(times) >= limit.failures:
                # The attempt is allowed again when enough failures have left the window.
                until = times[len(times) - limit.failures] + limit.window
                first = self._reported.get(key, -math.inf) < until
                self._reported[key] = until
                return Block(retry_after=until - now, key=key, first=first)
        return None

    def failed(self, user: str, address: str) -> None:
        now = self._clock()
        self._add(self.user_key(user), now)
        self._add(self.address_key(address), now)

    def succeeded(self, user: str) -> None:
        key = self.user_key(user)
        self._failures.pop(key, None)
        self._reported.pop(key, None)

    def tracked(self) -> int:
        return len(self._failures)

    def _recent(self, key: str, limit: Limit, now: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - limit.window:
            times.popleft()
        if not times:
            del self._failures[key]
            self._reported.pop(key, None)
            return None
        return times

    def _add(self, key: str, now: float) -> None:
        times = self._failures.get(key)
        if times is None:
            times = self._failures[key] = deque()
        else:
            self._failures.move_to_end(key)
        times.append(now)
        # Only as many failures as a block needs are worth keeping.
        keep = max(self.per_user.failures, self.per_address.failures)
        while len(times) > keep:
            times.popleft()
        while len(self._failures) > self._max_keys:
            forgotten, _ = self._failures.popitem(last=False)
            self._reported.pop(forgotten, None)
