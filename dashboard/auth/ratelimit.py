"""Login rate limiting per (account, address) and per address, with growing delays.
Pure: time comes from a clock.

Why these two keys and no per-account key: a limit on the account alone lets anyone lock a
duty officer out by typing wrong passwords for ``operator`` (the right password, from the
right desk, would be refused during a gas leak). Limiting the pair (account, address)
stops one address guessing one account; limiting the address stops one address guessing
many accounts. The operator at another address is untouched by either. Guessing spread
over many addresses is slowed by argon2 and belongs to the network (docs/security.md).

After ``free`` failures a key is locked for ``first_delay`` seconds; every further failure
doubles the lock, up to ``max_delay``. While locked, attempts are refused without
checking the password and are not counted, so a lock ends on time. A key is forgotten
``forget_after`` seconds after its last failure once no lock holds. A success clears the
pair, never the address: one valid account must not let an address guess at the others.

Memory is bounded: at most ``max_keys`` keys are tracked, the least recently failed are
forgotten first.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True, slots=True)
class Limit:
    free: int  # the failure that locks the key for the first time
    first_delay: float  # seconds of the first lock; each further failure doubles it
    max_delay: float
    forget_after: float  # seconds after the last failure when the key starts afresh

    def __post_init__(self) -> None:
        if self.free < 1 or not 0 < self.first_delay <= self.max_delay <= self.forget_after:
            raise ValueError(
                "a login limit needs free >= 1 and 0 < first_delay <= max_delay <= "
                f"forget_after, got {self}"
            )

    def delay(self, failures: int) -> float:
        """Seconds locked after ``failures`` failures (0 below ``free``)."""
        over = failures - self.free
        if over < 0:
            return 0.0
        return min(self.max_delay, self.first_delay * 2.0 ** min(over, 64))


class Scope(Enum):
    ACCOUNT_ADDRESS = "account+address"
    ADDRESS = "address"


@dataclass(frozen=True, slots=True)
class Block:
    """An attempt refused until ``until`` (clock time), ``retry_after`` seconds from now.
    ``first`` is True for the first refusal of this lock (worth an audit entry and a log
    line; the repeats are not)."""

    retry_after: float
    until: float
    scope: Scope
    failures: int
    first: bool

    @property
    def retry_after_header(self) -> str:
        return str(max(1, math.ceil(self.retry_after)))


@dataclass(slots=True)
class _Record:
    failures: int
    last: float
    reported_until: float = -math.inf


class LoginLimiter:
    def __init__(
        self,
        per_account_address: Limit,
        per_address: Limit,
        clock: Callable[[], float],
        *,
        max_keys: int = 10_000,
    ) -> None:
        self.per_account_address = per_account_address
        self.per_address = per_address
        self._clock = clock
        self._max_keys = max_keys
        self._records: OrderedDict[tuple[Scope, str], _Record] = OrderedDict()

    @staticmethod
    def account(user: str) -> str:
        return user.strip().casefold()

    def _keys(self, user: str, address: str) -> tuple[tuple[tuple[Scope, str], Limit], ...]:
        return (
            ((Scope.ACCOUNT_ADDRESS, f"{self.account(user)}\x00{address}"),
             self.per_account_address),
            ((Scope.ADDRESS, address), self.per_address),
        )

    def check(self, user: str, address: str) -> Block | None:
        """None when the attempt may go ahead, else the block that refuses it (the longest
        lock when both keys are locked)."""
        now = self._clock()
        found: Block | None = None
        for key, limit in self._keys(user, address):
            record = self._current(key, limit, now)
            if record is None:
                continue
            until = record.last + limit.delay(record.failures)
            if until <= now:
                continue
            if found is None or until > found.until:
                first = record.reported_until < until
                record.reported_until = until
                found = Block(until - now, until, key[0], record.failures, first)
        return found

    def failed(self, user: str, address: str) -> None:
        now = self._clock()
        for key, limit in self._keys(user, address):
            record = self._current(key, limit, now)
            if record is None:
                record = self._records[key] = _Record(0, now)
            self._records.move_to_end(key)
            record.failures += 1
            record.last = now
        while len(self._records) > self._max_keys:
            self._records.popitem(last=False)

    def succeeded(self, user: str, address: str) -> None:
        key, _ = self._keys(user, address)[0]
        self._records.pop(key, None)

    def tracked(self) -> int:
        return len(self._records)

    def _current(self, key: tuple[Scope, str], limit: Limit, now: float) -> _Record | None:
        record = self._records.get(key)
        if record is None:
            return None
        locked_until = record.last + limit.delay(record.failures)
        if now >= max(locked_until, record.last + limit.forget_after):
            del self._records[key]
            return None
        return record
