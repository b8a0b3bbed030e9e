"""Helpers shared by the Modbus collector tests: device configs, a recording sink,
a running collector, bounded waits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from collectors.modbus import ModbusCollector
from collectors.readings import Quality, Reading, Reason
from config.modbus import ModbusRtuOverTcpDevice, ModbusTcpDevice
from config.site import ModbusDevice, Site

SITE = "T-MB"
WAIT = 10.0  # seconds: every wait is bounded, generously for a loaded 2-core machine


def point(
    tag: str, source: dict[str, Any], *, kind: str = "analog", low: float = -1e9, high: float = 1e9
) -> dict[str, Any]:
    spec: dict[str, Any] = {"tag": tag, "name": tag, "kind": kind, "hazard_source": "HS-1",
                            "source": source}
    if kind != "discrete_state":
        spec["range"] = {"low": low, "high": high}
    return spec


def device(
    device_id: str,
    port: int,
    points: Sequence[dict[str, Any]],
    *,
    unit: int = 1,
    transport: str = "modbus_tcp",
    **settings: Any,
) -> ModbusDevice:
    data = {"id": device_id, "transport": transport, "host": "127.0.0.1", "port": port,
            "unit": unit, "points": list(points), **settings}
    if transport == "modbus_tcp":
        return ModbusTcpDevice.model_validate(data)
    return ModbusRtuOverTcpDevice.model_validate(data)


def site(devices: Sequence[ModbusDevice], code: str = SITE) -> Site:
    return Site.model_validate(
        {
            "enterprise": {"name": "测试企业", "code": code},
            "hazard_sources": [{"id": "HS-1", "name": "罐区", "grade": 2, "kind": "tank_farm"}],
            "devices": [d.model_dump(mode="json") for d in devices],
        }
    )


class Sink:
    """A list-collecting emit that lets a test await a matching reading."""

    def __init__(self) -> None:
        self.batches: list[list[Reading]] = []
        self._changed = asyncio.Event()

    def __call__(self, readings: Sequence[Reading]) -> None:
        self.batches.append(list(readings))
        self._changed.set()

    @property
    def readings(self) -> list[Reading]:
        return [reading for batch in self.batches for reading in batch]

    def mark(self) -> int:
        """A position: ``wait_for(since=mark)`` only looks at readings after it."""
        return len(self.batches)

    def of(self, tag: str, since: int = 0) -> list[Reading]:
        return [r for batch in self.batches[since:] for r in batch if r.point.tag == tag]

    async def wait_for(
        self, check: Callable[[Reading], bool], *, since: int = 0, within: float = WAIT
    ) -> Reading:
        async def first() -> Reading:
            seen = since
            while True:
                for batch in self.batches[seen:]:
                    for reading in batch:
                        if check(reading):
                            return reading
                seen = len(self.batches)
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(first(), within)


def is_good(tag: str, value: object = None) -> Callable[[Reading], bool]:
    return lambda r: (
        r.point.tag == tag and r.quality is Quality.GOOD and (value is None or r.value == value)
    )


def is_bad(tag: str, reason: Reason = Reason.COMM_LOSS) -> Callable[[Reading], bool]:
    return lambda r: r.point.tag == tag and r.quality is Quality.BAD and r.reason is reason


@asynccontextmanager
async def running(collector: ModbusCollector, sink: Sink) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(collector.run(sink))
    try:
        yield task
    finally:
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=WAIT)
        assert done, "the collector did not stop within the wait"
        if not task.cancelled() and task.exception() is not None:
            raise AssertionError("the collector failed") from task.exception()
