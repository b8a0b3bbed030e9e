"""Connection health of collectors and their devices, for /api/health.

Collectors own and update these objects; readers only look. Plain mutable
dataclasses on one event loop: no locks needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class LinkState(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


@dataclass(slots=True)
class DeviceHealth:
    device_id: str
    state: LinkState = LinkState.CONNECTING
    last_success: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    error_count: int = 0
    request_count: int = 0

    def succeeded(self, now: float) -> None:
        self.state = LinkState.CONNECTED
        self.last_success = now
        self.request_count += 1

    def failed(self, now: float, error: str, *, disconnected: bool = True) -> None:
        if disconnected:
            self.state = LinkState.DISCONNECTED
        self.last_error = error
        self.last_error_at = now
        self.error_count += 1
        self.request_count += 1


@dataclass(slots=True)
class CollectorHealth:
    name: str
    kind: str
    state: LinkState = LinkState.CONNECTING
    devices: dict[str, DeviceHealth] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)

    def device(self, device_id: str) -> DeviceHealth:
        health = self.devices.get(device_id)
        if health is None:
            health = self.devices[device_id] = DeviceHealth(device_id)
        return health

    def count(self, counter: str, amount: int = 1) -> None:
        self.counters[counter] = self.counters.get(counter, 0) + amount
