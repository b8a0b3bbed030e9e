"""Password hashing with argon2id (argon2-cffi). The cost is injectable so tests stay fast.

Hashes carry their own parameters, so a hash made at one cost verifies under another;
``needs_rehash`` tells the login path to upgrade a hash made with weaker parameters.
Hashing is CPU- and memory-bound (64 MiB per hash by default): callers on the event loop
run it in a worker thread (see ``AuthService``), never inline.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


@dataclass(frozen=True, slots=True)
class HashCost:
    """argon2id parameters. The default is RFC 9106's second recommendation (t=3, 64 MiB)."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 4

    def __post_init__(self) -> None:
        if self.time_cost < 1 or self.parallelism < 1 or self.memory_kib < 8 * self.parallelism:
            raise ValueError(f"argon2 cost too small to be valid: {self}")


DEFAULT_COST = HashCost()
# Cheap and still a real argon2id hash: for tests only (about a millisecond).
TEST_COST = HashCost(time_cost=1, memory_kib=8, parallelism=1)


class PasswordHasher:
    def __init__(self, cost: HashCost = DEFAULT_COST) -> None:
        self.cost = cost
        self._argon2 = argon2.PasswordHasher(
            time_cost=cost.time_cost, memory_cost=cost.memory_kib, parallelism=cost.parallelism
        )
        self._dummy: str | None = None
        self._dummy_lock = threading.Lock()

    def hash(self, password: str) -> str:
        return self._argon2.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """True when ``password`` matches. A malformed stored hash is a mismatch, not a crash."""
        try:
            return self._argon2.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._argon2.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def verify_nobody(self, password: str) -> None:
        """Spend the time a real verification takes, for an unknown user name, so that the
        answer's timing does not tell which user names exist."""
        with self._dummy_lock:
            if self._dummy is None:
                self._dummy = self.hash("hazgw: no such user")
            dummy = self._dummy
        self.verify(dummy, password)
