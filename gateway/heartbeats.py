"""Carry the heartbeat bits that Modbus collectors read in status words to the alarm engine.

A controller whose heartbeat bit stops toggling while it still answers is a sensor fault
(its channel values can no longer be trusted); the engine times that. The collectors keep
the last status word per point; this relay hands every newly read heartbeat bit over.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from collectors.modbus.collector import ModbusCollector
from config.catalog import PointKey
from config.modbus import StatusRole

Beats = Sequence[tuple[PointKey, bool]]


class HeartbeatRelay:
    def __init__(
        self, collectors: Sequence[ModbusCollector], deliver: Callable[[Beats], None]
    ) -> None:
        self._collectors = list(collectors)
        self._deliver = deliver
        self._seen: dict[PointKey, float] = {}
        self.relayed = 0

    def relay_once(self) -> int:
        """Deliver the heartbeat bits read since the last call; returns how many."""
        beats: list[tuple[PointKey, bool]] = []
        for collector in self._collectors:
            for key, status in collector.status_words.items():
                if StatusRole.HEARTBEAT not in status.roles or self._seen.get(key) == status.ts:
                    continue
                self._seen[key] = status.ts
                beats.append((key, status[StatusRole.HEARTBEAT]))
        if beats:
            self._deliver(beats)
            self.relayed += len(beats)
        return len(beats)

    async def run(self, interval: float = 0.25) -> None:
        while True:
            self.relay_once()
            await asyncio.sleep(interval)
