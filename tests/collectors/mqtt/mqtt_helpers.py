"""Helpers shared by the MQTT collector tests: device configs, a recording sink, an
injected clock, a running collector."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pytest

from collectors.mqtt import MqttCollector
from collectors.readings import Reading
from config.mqtt import MqttDevice

SITE = "T-SITE"
NOW = 1_700_000_000.0
WAIT = 10.0  # seconds: every wait is bounded; generous for a loaded 2-core machine

POINTS: list[dict[str, Any]] = [
    {"tag": "PDT-301", "name": "压差", "kind": "pressure_difference", "unit": "Pa",
     "range": {"low": 0, "high": 3000}, "hazard_source": "DL-1"},
    {"tag": "TT-302", "name": "灰斗温度", "kind": "temperature", "unit": "°C",
     "range": {"low": -20, "high": 150}, "hazard_source": "DL-1"},
    {"tag": "XS-303", "name": "火花探测", "kind": "discrete_state", "hazard_source": "DL-1",
     "key": "spark"},
]

SUBSCRIPTIONS: list[dict[str, Any]] = [
    {"topic": "plant/dp", "format": "value", "point": "PDT-301", "qos": 1},
    {"topic": "plant/+/state", "format": "object", "qos": 1},
    {"topic": "plant/batch/#", "format": "batch", "qos": 1},
]


def make_device(
    port: int = 1883,
    *,
    subscriptions: Sequence[dict[str, Any]] = SUBSCRIPTIONS,
    points: Sequence[dict[str, Any]] = POINTS,
    **broker: Any,
) -> MqttDevice:
    return MqttDevice.model_validate(
        {
            "id": "dust-1",
            "transport": "mqtt",
            "broker": {"host": "127.0.0.1", "port": port, **broker},
            "subscriptions": list(subscriptions),
            "points": list(points),
        }
    )


class FakeClock:
    """Injected wall clock; tests move it by hand."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Sink:
    """Records every emitted batch and lets a test await what it expects."""

    def __init__(self) -> None:
        self.batches: list[list[Reading]] = []
        self._changed = asyncio.Event()

    def __call__(self, readings: Sequence[Reading]) -> None:
        self.batches.append(list(readings))
        self._changed.set()

    @property
    def readings(self) -> list[Reading]:
        return [reading for batch in self.batches for reading in batch]

    async def wait_for(
        self, predicate: Callable[[list[Reading]], bool], within: float = WAIT
    ) -> list[Reading]:
        async with asyncio.timeout(within):
            while not predicate(self.readings):
                self._changed.clear()
                await self._changed.wait()
        return self.readings


def fast_retries() -> Iterator[float]:
    """Reconnect quickly in tests; the production backoff is tested on its own."""
    while True:
        yield 0.05


@asynccontextmanager
async def running(collector: MqttCollector, sink: Sink) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(collector.run(sink))
    try:
        yield task
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            async with asyncio.timeout(WAIT):
                await task
