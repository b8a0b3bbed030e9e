"""How the notifier lets time pass: an injected clock and an injected way to wait.

The notifier never reads the time or sleeps by itself: ``Notifier(clock=..., wait=...)``.
The gateway gives it ``time.time`` and ``wait_or_wake``; tests give it a clock they move by
hand, whose waits end when the test says time has passed, so escalation and retry
timings are checked exactly and no test waits for real seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

Clock = Callable[[], float]
# wait(wake, seconds): return when ``wake`` is set or ``seconds`` have passed, whichever
# is first; with ``wake`` None, just let ``seconds`` pass.
Wait = Callable[[asyncio.Event | None, float], Awaitable[None]]


async def wait_or_wake(wake: asyncio.Event | None, seconds: float) -> None:
    """The real ``Wait``, on the event loop's clock."""
    if wake is None:
        await asyncio.sleep(seconds)
        return
    # asyncio.timeout, not wait_for: no extra task, and a clean cancellation.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await wake.wait()
