"""What the trend view asks of the database: windows, buckets and one query.

The InfluxDB queries that implement it live with the storage writers (gateway/storage/query.py).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from config.catalog import PointKey

# range name → (seconds covered, bucket width in seconds)
RANGES: Mapping[str, tuple[float, float]] = {
    "1h": (3600.0, 10.0),
    "8h": (8 * 3600.0, 60.0),
    "24h": (24 * 3600.0, 180.0),
    "7d": (7 * 86400.0, 1440.0),
}

# ts, mean, min, max (None for an empty bucket)
TrendPoint = tuple[float, float | None, float | None, float | None]


class TrendError(Exception):
    """The database could not answer the trend query; the message says which and why."""


@dataclass(frozen=True, slots=True)
class TrendWindow:
    start: float  # aligned to a multiple of ``interval``
    end: float
    interval: float

    @property
    def buckets(self) -> int:
        return math.ceil((self.end - self.start) / self.interval)


def trend_window(range_name: str, now: float) -> TrendWindow:
    """The window of ``range_name`` (a key of ``RANGES``) ending at ``now``."""
    try:
        span, interval = RANGES[range_name]
    except KeyError:
        raise ValueError(
            f"unknown trend range {range_name!r}: use one of {', '.join(RANGES)}"
        ) from None
    start = math.floor((now - span) / interval) * interval
    return TrendWindow(start=start, end=now, interval=interval)


class TrendSource(Protocol):
    @property
    def description(self) -> str: ...

    async def query(self, key: PointKey, window: TrendWindow) -> list[TrendPoint]: ...
