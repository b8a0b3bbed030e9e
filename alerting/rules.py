"""Pure evaluation of a point's readings against its alarm rules.

A ``RuleSet`` (``alerting.specs``) is what one point's alarms are after defaults have been
applied (``alerting.defaults.resolve``). A ``PointEvaluator`` holds the filter state of one point
and turns readings (and the passing of time) into ``ConditionChange``s: "the H condition is
now active at value 26.1, limit 25". It knows nothing of acknowledgement or shelving; that
is the state machine's job. Time is always passed in (``now``), never read.

Filters, per condition (``alerting.filters``):

- deadband (hysteresis): a high limit becomes active at ``value >= limit`` and returns only
  at ``value < limit - deadband``; a low limit mirrors it;
- on-delay: the raw condition must hold ``on_delay`` seconds before it becomes active;
  off-delay likewise before it returns. A reading that flips the raw condition back cancels
  the pending change; ``tick`` completes it when the delay runs out between readings.

Which readings count (the reading's quality decides, see ``collectors.readings``):

- a reading with a number (good, or uncertain out-of-range: a gas reading above the
  detector's range must still alarm) is evaluated against limits, rate and discrete rules;
  a reading without one (bad) leaves those conditions as they are: a fault during a gas
  alarm must not clear the gas alarm;
- communication is alive on good and uncertain readings and on sensor-fault readings
  (the device answered, telling us its sensor is faulty); comm-loss, stale and
  decode-error readings do not count, so a point that keeps failing to decode becomes a
  COMM_LOSS alarm instead of silently showing nothing;
- SENSOR_FAULT is active while the last reading was a sensor fault, a discrete rule marked
  ``fault`` holds, or the heartbeat has stalled; a reading with a number clears the
  first. A heartbeat is "stalled" when the device has been heard from ``timeout`` seconds
  after the bit last toggled, so a silent device is a COMM_LOSS, not also a sensor fault.
  A stall is only believed when the bit was watched all along: a failed poll (a reading
  without communication) or a gap of half the timeout between two sightings of the bit
  (the gateway or the link was away; the bit may have toggled unseen) restarts
  supervision from the next sighting. A stalled heartbeat stays stalled until it toggles.

Silence timers measure the device, not the gateway: ``shift(stall, now)`` moves them on
by the length of a stall of the gateway itself (``alerting.stall``), so a paused process
does not count its own pause as the devices' silence.

Performance: ``evaluate`` is on the hot path. A point whose conditions are all inactive
and settled, with only limit rules, costs a few attribute reads and two comparisons per
reading, and allocates nothing. Rate-of-change rules keep a short sample history and cost
more; they are meant for a few points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from alerting.filters import DelayFilter, LimitFilter, RateFilter
from alerting.specs import RuleSet
from collectors.readings import Quality, Reading, Reason
from config.vocabulary import AlarmType

# ------------------------------------------------------------------------------ output


@dataclass(frozen=True, slots=True)
class ConditionChange:
    """A condition became active (``active``) or returned. Made only when that happens."""

    alarm_type: AlarmType
    active: bool
    value: float | bool | None = None
    limit: float | None = None
    detail: str | None = None


# --------------------------------------------------------------------------- evaluator

_GOOD = Quality.GOOD
_OUT_OF_RANGE = Reason.OUT_OF_RANGE
_SENSOR_FAULT = Reason.SENSOR_FAULT
_ALIVE_REASONS = frozenset({Reason.NONE, Reason.OUT_OF_RANGE, Reason.SENSOR_FAULT})


class PointEvaluator:
    """The filter state of one point's rules. Not thread-safe; one event loop owns it."""

    __slots__ = (
        "_band_high",
        "_band_low",
        "_comm",
        "_discrete",
        "_fault",
        "_fault_bit",
        "_fault_reading",
        "_filters",
        "_hb_armed",
        "_hb_changed_at",
        "_hb_seen_at",
        "_hb_stalled",
        "_hb_state",
        "_last_value",
        "_limits",
        "_pending",
        "_rate",
        "_simple",
        "alive_at",
        "comm_timeout",
        "idle",
        "rules",
    )

    def __init__(
        self, rules: RuleSet, now: float, pending: set[PointEvaluator] | None = None
    ) -> None:
        self.rules = rules
        self.alive_at = now  # comm-loss counts from start-up until the first reading
        self._pending = pending
        self._limits = tuple(LimitFilter(spec) for spec in rules.limits)
        self._rate = RateFilter(rules.rate) if rules.rate is not None else None
        discrete = rules.discrete
        self._discrete = (
            DelayFilter(AlarmType.DISCRETE, discrete.on_delay, discrete.off_delay)
            if discrete is not None and not discrete.fault
            else None
        )
        fault = rules.fault
        self._fault = (
            DelayFilter(AlarmType.SENSOR_FAULT, fault.on_delay, fault.off_delay)
            if fault is not None
            else None
        )
        self._comm = DelayFilter(AlarmType.COMM_LOSS, 0.0, 0.0) if rules.comm is not None else None
        self.comm_timeout = rules.comm.timeout if rules.comm is not None else math.inf
        filters: list[DelayFilter] = [*self._limits]
        for extra in (self._rate, self._discrete, self._fault, self._comm):
            if extra is not None:
                filters.append(extra)
        self._filters = tuple(filters)
        self._fault_reading = False
        self._fault_bit = False
        self._hb_armed = False
        self._hb_state = False
        self._hb_changed_at = now
        self._hb_seen_at = now
        self._hb_stalled = False
        self._last_value: float | bool | None = None
        # The quiet band: values strictly inside it cannot start any limit condition.
        highs = [spec.value for spec in rules.limits if spec.high]
        lows = [spec.value for spec in rules.limits if not spec.high]
        self._band_high = min(highs) if highs else math.inf
        self._band_low = max(lows) if lows else -math.inf
        self._simple = rules.rate is None and rules.discrete is None and rules.heartbeat is None
        self.idle = True

    # ------------------------------------------------------------------ hot path

    def evaluate(self, reading: Reading, now: float) -> list[ConditionChange] | None:
        """One reading of this point, arrived at ``now``."""
        value = reading.value
        if (
            self.idle
            and self._simple
            and reading.quality is _GOOD
            and value is not None
            and self._band_low < value < self._band_high
        ):
            self.alive_at = now
            return None
        return self._evaluate(reading, now)

    def _evaluate(self, reading: Reading, now: float) -> list[ConditionChange] | None:
        changes: list[ConditionChange] | None = None
        reason = reading.reason
        value = reading.value
        if reason in _ALIVE_REASONS:
            self.alive_at = now
            self._watch_gap(now)
            comm = self._comm
            if comm is not None and comm.active and comm.feed(False, now):
                changes = [ConditionChange(AlarmType.COMM_LOSS, False, value)]
        else:
            # The poll failed: the heartbeat was not watched, supervision restarts from
            # the first good poll after the reconnect.
            self._hb_armed = False
        if reason is _SENSOR_FAULT:
            self._fault_reading = True
        elif value is not None:  # never NaN: a Reading refuses it (collectors.readings)
            self._last_value = value
            if reason is Reason.NONE or reason is _OUT_OF_RANGE:
                self._fault_reading = False
            changes = self._evaluate_value(value, reading.ts, now, changes)
        changes = self._update_fault(now, changes, value)
        self._settle()
        return changes

    def _evaluate_value(
        self,
        value: float | bool,
        ts: float,
        now: float,
        changes: list[ConditionChange] | None,
    ) -> list[ConditionChange] | None:
        for limit in self._limits:
            if limit.feed(limit.raw(value), now):
                changes = _add(changes, ConditionChange(
                    limit.alarm_type, limit.active, value, limit.limit
                ))
        rate_filter = self._rate
        if rate_filter is not None:
            rate = rate_filter.rate(ts, float(value))
            if rate is not None and rate_filter.feed(rate_filter.raw(rate), now):
                changes = _add(changes, ConditionChange(
                    AlarmType.RATE_OF_CHANGE, rate_filter.active, rate, rate_filter.limit
                ))
        discrete = self.rules.discrete
        if discrete is not None:
            raw = discrete.matches(value)
            if discrete.fault:
                self._fault_bit = raw
            else:
                state = self._discrete
                assert state is not None
                if state.feed(raw, now):
                    changes = _add(changes, ConditionChange(
                        AlarmType.DISCRETE, state.active, value
                    ))
        heartbeat = self.rules.heartbeat
        if heartbeat is not None and not heartbeat.from_status_word:
            self._beat(bool(value), now)
        return changes

    # ------------------------------------------------------------------ heartbeat

    def heartbeat(self, beat: bool, now: float) -> list[ConditionChange] | None:
        """The heartbeat bit of the point's status word, as read at ``now``."""
        if self.rules.heartbeat is None:
            return None
        self._beat(bool(beat), now)
        changes = self._update_fault(now, None, None)
        self._settle()
        return changes

    def _watch_gap(self, now: float) -> None:
        """Not watched for half the timeout: the bit may have toggled unseen."""
        heartbeat = self.rules.heartbeat
        if heartbeat is not None and now - self._hb_seen_at >= heartbeat.timeout / 2:
            self._hb_armed = False

    def _beat(self, beat: bool, now: float) -> None:
        self._watch_gap(now)
        self._hb_seen_at = now
        if not self._hb_armed:
            # A heartbeat never seen is not monitored: silence is the comm-loss alarm's job.
            # A stall already reported stays until the bit toggles.
            self._hb_armed = True
            self._hb_state = beat
            self._hb_changed_at = now
            return
        elif beat is not self._hb_state:
            self._hb_state = beat
            self._hb_changed_at = now
            self._hb_stalled = False
        self._check_stall()

    def _check_stall(self) -> None:
        heartbeat = self.rules.heartbeat
        if heartbeat is not None and self._hb_armed and not self._hb_stalled:
            self._hb_stalled = self.alive_at - self._hb_changed_at >= heartbeat.timeout

    # ---------------------------------------------------------------------- fault

    def _update_fault(
        self, now: float, changes: list[ConditionChange] | None, value: float | bool | None
    ) -> list[ConditionChange] | None:
        fault = self._fault
        if fault is None:
            return changes
        self._check_stall()
        raw = self._fault_reading or self._fault_bit or self._hb_stalled
        if fault.feed(raw, now):
            changes = _add(changes, ConditionChange(
                AlarmType.SENSOR_FAULT, fault.active, value, None,
                self._fault_detail() if fault.active else None,
            ))
        return changes

    def _fault_detail(self) -> str:
        causes = []
        if self._fault_reading:
            causes.append("sensor fault reading")
        if self._fault_bit:
            causes.append("fault state")
        if self._hb_stalled:
            heartbeat = self.rules.heartbeat
            timeout = heartbeat.timeout if heartbeat is not None else 0.0
            causes.append(f"heartbeat stalled for {timeout:g} s or more")
        return ", ".join(causes) or "fault"

    # ---------------------------------------------------------------------- time

    def tick(self, now: float) -> list[ConditionChange] | None:
        """Delays that ran out, comm loss, stalled heartbeat."""
        changes: list[ConditionChange] | None = None
        comm = self._comm
        if comm is not None and not comm.active and now - self.alive_at >= self.comm_timeout:
            comm.feed(True, now)
            changes = [ConditionChange(
                AlarmType.COMM_LOSS, True, None, self.comm_timeout,
                f"no valid reading for {now - self.alive_at:.0f} s",
            )]
        for state in self._filters:
            if state is self._fault or state is comm:
                continue
            if state.due(now):
                changes = _add(changes, self._timed_change(state))
        fault = self._fault
        if fault is not None and fault.due(now):
            changes = _add(changes, ConditionChange(
                AlarmType.SENSOR_FAULT, fault.active, None, None,
                self._fault_detail() if fault.active else None,
            ))
        changes = self._update_fault(now, changes, None)
        self._settle()
        return changes

    def _timed_change(self, state: DelayFilter) -> ConditionChange:
        limit = state.limit if isinstance(state, LimitFilter | RateFilter) else None
        # The rate at the last reading is not kept; for the others the last value is the one
        # that held through the delay (a pending point always takes the slow path).
        value = None if isinstance(state, RateFilter) else self._last_value
        return ConditionChange(state.alarm_type, state.active, value, limit, "after delay")

    def shift(self, stall: float, now: float) -> None:
        """The gateway itself stood still for ``stall`` seconds (a blocked event loop, a
        paused process): move the silence timers and running delays on by that much, so
        that the device's silence is measured without the gateway's."""
        self.alive_at = min(now, self.alive_at + stall)
        self._hb_changed_at = min(now, self._hb_changed_at + stall)
        self._hb_seen_at = min(now, self._hb_seen_at + stall)
        for state in self._filters:
            if state.since is not None:
                state.since = min(now, state.since + stall)

    @property
    def pending(self) -> bool:
        """True while a delay runs: the engine ticks this evaluator."""
        return any(state.since is not None for state in self._filters)

    @property
    def comm_active(self) -> bool:
        return self._comm is not None and self._comm.active

    def _settle(self) -> None:
        idle = True
        for state in self._filters:
            if state.active or state.since is not None:
                idle = False
                if state.since is not None and self._pending is not None:
                    self._pending.add(self)
                    break
        self.idle = idle and not (self._fault_reading or self._fault_bit or self._hb_stalled)

    # ------------------------------------------------------------------- recovery

    def seed(self, alarm_type: AlarmType) -> None:
        """Mark a condition active that was active before a restart, so that the next
        readings can return it (instead of it standing forever)."""
        for state in self._filters:
            if state.alarm_type is alarm_type:
                state.active = True
                state.since = None
        if alarm_type is AlarmType.SENSOR_FAULT:
            self._fault_reading = True  # cleared by the next reading with a number
        self.idle = False

    def condition(self, alarm_type: AlarmType) -> bool:
        """Whether a condition is active now (after its filters)."""
        for state in self._filters:
            if state.alarm_type is alarm_type:
                return state.active
        return False


def _add(changes: list[ConditionChange] | None, change: ConditionChange) -> list[ConditionChange]:
    if changes is None:
        return [change]
    changes.append(change)
    return changes
