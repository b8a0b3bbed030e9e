"""The one small protocol every collector implements.

A collector is built from a validated config model and does no I/O in its
constructor. ``run`` connects, reads and emits batches of readings until it is
cancelled, reconnecting with backoff on its own; it never returns on a device
error. Its ``health`` is read by the web API.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from collectors.health import CollectorHealth
from collectors.readings import Reading

Clock = Callable[[], float]
# How a collector hands over a batch of readings: synchronous, never waits.
Emit = Callable[[Sequence[Reading]], None]


class Collector(Protocol):
    name: str
    health: CollectorHealth

    async def run(self, emit: Emit) -> None: ...
