"""What the event loop is waiting for, as text: for a shutdown that did not finish in time.

A stop that hangs shows nothing but an idle loop in a thread dump; the tasks' own stacks
say which ``await`` each is parked on, and that is what the error log needs.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterable
from typing import Any


def describe_tasks(tasks: Iterable[asyncio.Task[Any]] | None = None, *, limit: int = 8) -> str:
    """Each unfinished task (all of the running loop's when ``tasks`` is None) with the
    innermost ``limit`` frames of its stack."""
    if tasks is None:
        tasks = asyncio.all_tasks()
    out = io.StringIO()
    for task in sorted(tasks, key=lambda t: t.get_name()):
        if task.done():
            continue
        out.write(f"--- task {task.get_name()}: {task.get_coro()!r}\n")
        task.print_stack(limit=limit, file=out)
    return out.getvalue()
