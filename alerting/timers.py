"""The engine's clockwork apart from readings: shelves that run out, acknowledged alarms
due for re-alarm, and the ticker that drives them (with comm-loss and delay timers, which
live in each point's evaluator, ``alerting.rules``). Pure but for ``tick_forever``."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Protocol

from alerting.events import AlarmState
from alerting.statemachine import (
    AlarmRecord,
    Stimulus,
    stimulus_for_restore,
    stimulus_for_unshelve,
)

Due = tuple[AlarmRecord, Stimulus, str]


def standing_timers(
    records: Iterable[AlarmRecord],
    realarm_of: Callable[[AlarmRecord], float | None],
    now: float,
) -> list[Due]:
    """The records whose shelf has run out or whose re-alarm time has come, with the
    stimulus to apply and the comment it is journalled with."""
    due: list[Due] = []
    for record in list(records):
        if (
            record.state is AlarmState.SHELVED
            and record.shelved_until is not None
            and record.shelved_until <= now
        ):
            due.append((record, stimulus_for_unshelve(record, expired=True), "shelf expired"))
        elif (
            record.state is AlarmState.OUT_OF_SERVICE
            and record.shelved_until is not None
            and record.shelved_until <= now
        ):
            due.append((record, stimulus_for_restore(record), "停用到期，自动投用"))
        elif record.state is AlarmState.ACKED and record.active:
            realarm = realarm_of(record)
            if (
                realarm is not None
                and record.acked_at is not None
                and now - record.acked_at >= realarm
            ):
                due.append(
                    (record, Stimulus.REALARM, f"still active {realarm:g} s after acknowledgement")
                )
    return due


class Ticking(Protocol):
    def tick(self, now: float | None = None) -> None: ...


async def tick_forever(engine: Ticking, interval: float = 0.5) -> None:
    """Drive ``engine.tick`` until cancelled. A failing tick is a bug: it propagates."""
    while True:
        engine.tick()
        await asyncio.sleep(interval)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Building tens of thousands of evaluators allocates about a million small objects;
    the cyclic collector would rescan the whole (large) heap many times over meanwhile,
    tripling start-up time. None of these objects form cycles worth collecting now."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
