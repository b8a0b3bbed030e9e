"""Honouring a cancel that a library swallowed.

On Python 3.11 ``asyncio.wait_for`` swallows a cancel that arrives just as the awaited
future completes, and returns its result instead. pymodbus awaits its answers that way, and
aiomqtt its disconnect acknowledgement on leaving ``async with client``. A collector task
would then poll or reconnect on forever, and whoever cancelled it (a TaskGroup at shutdown
or reload) wait forever. The task still counts the cancel request, so it can be honoured.
"""

from __future__ import annotations

import asyncio


def cancel_pending() -> bool:
    """Whether the current task was cancelled but the cancel got lost on the way."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def honour_cancel() -> None:
    """Raise the ``CancelledError`` a library swallowed, if the current task had one: call
    it at the top of every retry or fetch loop, so that such a loop ends when cancelled."""
    if cancel_pending():
        raise asyncio.CancelledError
