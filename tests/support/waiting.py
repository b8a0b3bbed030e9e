"""Bounded waiting for a condition that no event announces (a database row, a counter in
another task): ``await poll_until(lambda: ..., within=5, message="what we wait for")``.

Prefer awaiting an event when there is one; this is for the rest. Every wait is bounded and
a time-out says what was awaited and what the check last returned.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """The condition did not hold within the time allowed (an AssertionError, so that
    pytest reports it as a failed expectation)."""


async def poll_until(
    check: Callable[[], T | Awaitable[T]],
    *,
    within: float,
    interval: float = 0.05,
    message: str = "the condition",
) -> T:
    """Call ``check`` (sync or async) every ``interval`` seconds until it returns something
    truthy, and return that; raise ``WaitTimeout`` after ``within`` seconds."""
    if within <= 0 or interval <= 0:
        raise ValueError("within and interval must be positive")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    last: object = None
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result  # type: ignore[return-value]
        last = result
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise WaitTimeout(f"timed out after {within:g} s waiting for {message} "
                              f"(last: {last!r})")
        await asyncio.sleep(min(interval, remaining))
