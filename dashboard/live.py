"""The latest reading of every point, kept for the API, websockets and wall displays."""

from __future__ import annotations

from collections.abc import Sequence

from collectors.readings import Reading
from config.catalog import PointKey


class LiveState:
    def __init__(self) -> None:
        self.latest: dict[PointKey, Reading] = {}

    def accept(self, readings: Sequence[Reading]) -> None:
        latest = self.latest
        for reading in readings:
            previous = latest.get(reading.point)
            # Out-of-order batches (MQTT batch payloads) must not roll a point back in time.
            if previous is None or reading.ts >= previous.ts:
                latest[reading.point] = reading
