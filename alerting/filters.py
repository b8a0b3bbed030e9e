"""The filters of one alarm condition: on/off delay, and the deadband of limit and
rate-of-change conditions (``alerting.rules.PointEvaluator`` holds one per condition).

- deadband (hysteresis): a high limit becomes active at ``value >= limit`` and returns only
  at ``value < limit - deadband``; a low limit mirrors it;
- on-delay: the raw condition must hold ``on_delay`` seconds before it becomes active;
  off-delay likewise before it returns. A raw condition that flips back cancels the
  pending change; ``due`` completes it when the delay runs out between readings.

Slotted classes, not dataclasses: they sit on the hot path and mutate in place.
"""

from __future__ import annotations

from collections import deque

from alerting.specs import LimitSpec, RateSpec
from config.vocabulary import AlarmType


class DelayFilter:
    """On/off delay of one condition. ``since`` is when the raw condition started to differ
    from ``active``; None while they agree."""

    __slots__ = ("active", "alarm_type", "off_delay", "on_delay", "since")

    def __init__(self, alarm_type: AlarmType, on_delay: float, off_delay: float) -> None:
        self.alarm_type = alarm_type
        self.on_delay = on_delay
        self.off_delay = off_delay
        self.active = False
        self.since: float | None = None

    def feed(self, raw: bool, now: float) -> bool:
        """The raw condition at ``now``; True when ``active`` flipped."""
        if raw is self.active:
            self.since = None
            return False
        delay = self.on_delay if raw else self.off_delay
        since = self.since
        if since is None:
            if delay <= 0:
                self.active = raw
                return True
            self.since = now
            return False
        if now - since >= delay:
            self.active = raw
            self.since = None
            return True
        return False

    def due(self, now: float) -> bool:
        """Complete a pending change whose delay has run out; True when it flipped."""
        since = self.since
        if since is None:
            return False
        delay = self.off_delay if self.active else self.on_delay
        if now - since >= delay:
            self.active = not self.active
            self.since = None
            return True
        return False

    @property
    def settled(self) -> bool:
        return not self.active and self.since is None


class LimitFilter(DelayFilter):
    __slots__ = ("clear_at", "high", "limit")

    def __init__(self, spec: LimitSpec) -> None:
        super().__init__(spec.alarm_type, spec.on_delay, spec.off_delay)
        self.high = spec.high
        self.limit = spec.value
        self.clear_at = spec.value - spec.deadband if spec.high else spec.value + spec.deadband

    def raw(self, value: float) -> bool:
        if self.high:
            return value >= (self.clear_at if self.active else self.limit)
        return value <= (self.clear_at if self.active else self.limit)


class RateFilter(DelayFilter):
    __slots__ = ("clear_at", "direction", "limit", "per", "samples", "window")

    def __init__(self, spec: RateSpec) -> None:
        super().__init__(AlarmType.RATE_OF_CHANGE, spec.on_delay, spec.off_delay)
        self.per = spec.per_seconds
        self.limit = spec.limit
        self.clear_at = spec.limit - spec.deadband
        self.window = spec.window
        self.direction = spec.direction
        self.samples: deque[tuple[float, float]] = deque()

    def rate(self, ts: float, value: float) -> float | None:
        """The rate over about ``window`` seconds ending at this sample, in the configured
        unit, signed by direction; None until the history spans half a window."""
        samples = self.samples
        if samples and ts <= samples[-1][0]:
            return None  # out of order or repeated: the history only moves forward
        if samples and ts - samples[-1][0] > 2 * self.window:
            samples.clear()  # after a long gap the old samples say nothing about now
        samples.append((ts, value))
        cutoff = ts - self.window
        # Keep the newest sample at or before the cutoff as the reference point.
        while len(samples) > 2 and samples[1][0] <= cutoff:
            samples.popleft()
        first_ts, first_value = samples[0]
        span = ts - first_ts
        if span <= 0 or span < 0.5 * self.window:
            return None
        rate = (value - first_value) / span * self.per
        if self.direction == "rise":
            return rate
        if self.direction == "fall":
            return -rate
        return abs(rate)

    def raw(self, rate: float) -> bool:
        return rate >= (self.clear_at if self.active else self.limit)
