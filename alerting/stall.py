"""Noticing that the gateway itself stood still, so that its silence is not the devices'.

A comm-loss timer asks "how long since this device was last heard?". If the gateway's
event loop was blocked, or its process paused (SIGSTOP, a VM frozen, a debugger), nobody
listened meanwhile: the devices may have answered every second. Firing comm-loss and
heartbeat alarms for all of them on resumption is a false alarm for every device.

The monotonic clock keeps running while the process is stopped, and the engine's ticker
runs every half second: a gap between two ticks much longer than that is a stall of the
gateway. ``StallGuard.check`` returns its length; the engine moves every silence timer on
by that much (``PointEvaluator.shift``), so a device that answers the first poll after
the pause raises nothing, and one that stays silent is reported as soon as its own
silence, not counting the pause, reaches its timeout. Pure: the monotonic time is passed
in.
"""

from __future__ import annotations

from dataclasses import dataclass

# Ticks come every 0.5 s. A loop busy for 2 s is already a stall worth excluding: the
# devices' silence cannot have been observed meanwhile.
DEFAULT_STALL_AFTER = 2.0


@dataclass(slots=True)
class StallGuard:
    """``check(mono)`` on every tick: the seconds the gateway stood still since the last
    tick (beyond ``expected``), or 0.0."""

    stall_after: float = DEFAULT_STALL_AFTER
    expected: float = 0.5  # the ticker's own interval: not a stall
    stalls: int = 0
    longest: float = 0.0
    _last: float | None = None

    def check(self, mono: float) -> float:
        last, self._last = self._last, mono
        if last is None:
            return 0.0
        gap = mono - last
        if gap < self.stall_after:
            return 0.0
        stall = gap - self.expected
        self.stalls += 1
        self.longest = max(self.longest, stall)
        return stall
