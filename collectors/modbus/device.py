"""Polling one device (one unit id) through its connection's hub.

A poll runs the device's planned requests in turn and turns the answers into one
batch of readings, one per point. A failed request marks only its own points bad.

Silent units (policy)
---------------------
A unit that does not answer costs its timeout × (1 + retries) for every request, and
on a shared bus everybody else waits meanwhile. So:

* the first unanswered request ends the poll: the rest of the unit's requests are not
  sent, and all its points not yet read turn BAD comm_loss. A gateway's exception 10/11
  ("target failed to respond") is asked once more first: serial gateways answer it for a
  single lost frame, and one of them must not make a live unit silent;
* a unit that has not answered since the collector started is asked without retries, as
  if it were silent: a dead unit costs its neighbours one timeout at start-up, not
  timeout × (1 + retries);
* while silent, the unit is *probed*: each poll sends only its first request, once,
  without retries;
* probes are spaced by a capped exponential backoff, from ``poll_interval`` up to
  ``SilencePolicy.probe_cap`` (default: two poll intervals, so that a unit that comes
  back is read again within two poll intervals);
* every failed probe emits BAD readings again, so the points stay visibly bad;
* the first answer ends the silence: the same poll reads everything else normally.

A dead unit therefore costs at most one timeout per two poll intervals (or per
``probe_cap``), and the others keep their poll rate. Exception responses and connection
loss are not silence: the unit (or the connection) answered, or the hub handles it with
its own backoff.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from collectors.backoff import backoff_delays
from collectors.base import Clock
from collectors.health import DeviceHealth
from collectors.modbus.bulk import Run, find_runs
from collectors.modbus.convert import PointCodec, StatusBits, status_bits
from collectors.modbus.hub import (
    ConnectionDown,
    ExceptionResponse,
    ModbusHub,
    NoResponse,
    ReadFailure,
)
from collectors.modbus.planner import ReadPlan, ReadRequest, Span, plan_reads
from collectors.readings import Quality, Reading, Reason, bad
from config.catalog import PointKey
from config.modbus import RegisterTable, StatusRole
from config.site import ModbusDevice

log = logging.getLogger(__name__)

# A gateway in front of a serial bus answers these when the unit behind it is silent.
_GATEWAY_NO_ANSWER = frozenset({10, 11})


def _unit_gone(failure: ReadFailure) -> bool:
    """The unit (or the connection) is not there, as opposed to answering with an error."""
    if isinstance(failure, NoResponse | ConnectionDown):
        return True
    return isinstance(failure, ExceptionResponse) and failure.code in _GATEWAY_NO_ANSWER


# A merged read refused with these codes probably spans unimplemented registers (2) or
# is longer than the device accepts (3): its points are then read on their own.
_SPLIT_ON = frozenset({2, 3})


@dataclass(frozen=True, slots=True)
class SilencePolicy:
    # Longest pause between probes of a silent unit, seconds; None: two poll intervals.
    probe_cap: float | None = None

    def __post_init__(self) -> None:
        if self.probe_cap is not None and self.probe_cap <= 0:
            raise ValueError("probe_cap must be positive")

    def probe_delays(self, poll_interval: float) -> Iterator[float]:
        cap = 2 * poll_interval if self.probe_cap is None else self.probe_cap
        return backoff_delays(initial=poll_interval, cap=max(poll_interval, cap), jitter=0.1)


@dataclass(frozen=True, slots=True)
class RawRegisters:
    """What a point's value was decoded from, as last read (for commissioning views)."""

    table: RegisterTable
    address: int
    values: tuple[int, ...]  # registers, or bits as 0/1 for coils and discrete inputs
    ts: float


Answer = Sequence[int] | ReadFailure

# Where the heartbeat bits of a poll's status words go: (point, bit) in point order, once
# per status word read (the alarm engine's ``accept_heartbeats`` takes exactly this).
Heartbeat = tuple[PointKey, bool]
OnHeartbeat = Callable[[Sequence[Heartbeat]], None]


class DevicePoller:
    def __init__(
        self,
        site: str,
        device: ModbusDevice,
        hub: ModbusHub,
        health: DeviceHealth,
        *,
        clock: Clock,
        silence: SilencePolicy,
    ) -> None:
        self.site = site
        self.device = device
        self.hub = hub
        self.health = health
        self.clock = clock
        self.silence = silence
        self.name = f"{site}/{device.id} (unit {device.unit} on {hub.endpoint})"
        self.codecs = tuple(PointCodec(PointKey(site, p.tag), p) for p in device.points)
        self._sources = [point.source for point in device.points]
        self._separate: set[Span] = set()
        self.plan: ReadPlan = self._plan()
        # Stretches of plain numeric points decoded in one go (collectors/modbus/bulk.py).
        self._runs: dict[int, Run] = find_runs(self.codecs, self.plan)
        self.silent_polls = 0  # polls in a row in which the unit did not answer
        self.answered = False  # the unit answered at least once since the start
        self._probe_delays: Iterator[float] | None = None
        self._failing: str | None = None  # last logged failure, to log changes only
        self._index = {codec.key: index for index, codec in enumerate(self.codecs)}
        # The last answer to each request of the current plan, with its time: points'
        # raw registers are sliced from here on demand, not copied every poll.
        self._last_answers: dict[int, tuple[Sequence[int], float]] = {}
        self._status: dict[PointKey, StatusBits] = {}
        self._beats: list[Heartbeat] = []
        # Per status word (table, address): its heartbeat bit and when that last changed.
        self._beat_since: dict[tuple[RegisterTable, int], tuple[bool, float]] = {}
        self._stalled: set[tuple[RegisterTable, int]] = set()

    @property
    def keys(self) -> list[PointKey]:
        return [codec.key for codec in self.codecs]

    def last_raw(self, key: PointKey) -> RawRegisters | None:
        """The registers ``key``'s value was last decoded from (None: never read yet)."""
        index = self._index.get(key)
        if index is None:
            return None
        slot = self.plan.slots[index].value
        answer = self._last_answers.get(slot.request)
        if answer is None:
            return None
        values, ts = answer
        source = self.codecs[index].point.source
        return RawRegisters(
            source.table, source.address, tuple(values[slot.offset : slot.offset + slot.count]), ts
        )

    @property
    def last_status(self) -> Mapping[PointKey, StatusBits]:
        return MappingProxyType(self._status)

    def take_heartbeats(self) -> list[Heartbeat]:
        """The heartbeat bits the last poll decoded (from status words with a ``heartbeat``
        role), in point order; each status word read is handed out once."""
        beats, self._beats = self._beats, []
        return beats

    def all_bad(self, reason: Reason) -> list[Reading]:
        now = self.clock()
        return [bad(codec.key, now, reason) for codec in self.codecs]

    def next_delay(self) -> float:
        """Seconds from this poll's start to the next one."""
        if self.silent_polls == 0:
            self._probe_delays = None
            return self.device.poll_interval
        if self._probe_delays is None:
            self._probe_delays = self.silence.probe_delays(self.device.poll_interval)
        return next(self._probe_delays)

    async def poll(self) -> list[Reading]:
        device = self.device
        plan = self.plan
        probing = self.silent_polls > 0 or not self.answered
        answers: list[Answer] = []
        stamps: list[float] = []
        silent = False
        failures: list[ReadFailure] = []
        self._beats = []  # only this poll's: nothing piles up if nobody takes them
        for request in plan.requests:
            try:
                values = await self._read(request, 0 if probing else device.retries)
            except ReadFailure as failure:
                now = self.clock()
                gone = _unit_gone(failure)
                self.health.failed(now, str(failure), disconnected=gone)
                if gone:
                    failures.append(failure)
                    silent = not isinstance(failure, ConnectionDown)
                    # Skip the rest: the unit (or link) is gone, more requests only block
                    # the bus.
                    skipped = len(plan.requests) - len(answers)
                    answers.extend([failure] * skipped)
                    stamps.extend([now] * skipped)
                    break
                failures.append(failure)
                answers.append(failure)
                stamps.append(now)
                probing = False  # it answered
            else:
                now = self.clock()
                self.health.succeeded(now)
                answers.append(values)
                stamps.append(now)
                probing = False
                self.answered = True
        self.silent_polls = self.silent_polls + 1 if silent else 0
        readings = self._readings(plan, answers, stamps)
        self._log_change(failures)
        self._split_refused(plan, answers)
        return readings

    # ---------------------------------------------------------------- internals

    async def _read(self, request: ReadRequest, retries: int) -> Sequence[int]:
        """One request; a gateway's "target failed to respond" (10/11) is asked once more
        before it counts, like a timeout that retries would have covered."""
        device = self.device
        try:
            return await self.hub.read(
                device.unit, request, answer_timeout=device.timeout, retries=retries
            )
        except ExceptionResponse as failure:
            if failure.code not in _GATEWAY_NO_ANSWER:
                raise
            self.hub.health.count("gateway_retries")
            return await self.hub.read(device.unit, request, answer_timeout=device.timeout)

    def _plan(self) -> ReadPlan:
        return plan_reads(
            self._sources,
            max_gap=self.device.max_gap,
            read_individually=self.device.read_individually,
            separate=self._separate,
        )

    def _readings(
        self, plan: ReadPlan, answers: Sequence[Answer], stamps: Sequence[float]
    ) -> list[Reading]:
        for index, answer in enumerate(answers):
            if not isinstance(answer, ReadFailure):
                self._last_answers[index] = (answer, stamps[index])
        readings: list[Reading] = []
        append = readings.append
        codecs = self.codecs
        runs = self._runs
        index = 0
        while index < len(codecs):
            run = runs.get(index)
            if run is not None:
                answer = answers[run.request]
                if not isinstance(answer, ReadFailure):
                    decoded = run.readings(answer, stamps[run.request])
                    if decoded is not None:
                        readings.extend(decoded)
                        index += len(decoded)
                        continue
            codec = codecs[index]
            slots = plan.slots[index]
            index += 1
            slot = slots.value
            answer = answers[slot.request]
            ts = stamps[slot.request]
            if isinstance(answer, ReadFailure):
                append(bad(codec.key, ts, answer.reason))
                continue
            word: int | None = None
            status_slot = slots.status
            if status_slot is not None:
                status_answer = answers[status_slot.request]
                if not isinstance(status_answer, ReadFailure):
                    word = int(status_answer[status_slot.offset])
                    self._remember_status(codec, word, stamps[status_slot.request])
            reading = codec.reading(answer[slot.offset : slot.offset + slot.count], word, ts)
            if word is not None and reading.quality is Quality.GOOD and self._stalled_word(
                codec, ts
            ):
                # The controller may have frozen with its last values: not good, and
                # with its own reason, until the heartbeat moves again.
                reading = Reading(
                    codec.key, reading.value, reading.ts, Quality.UNCERTAIN,
                    Reason.HEARTBEAT_STALLED,
                )
            append(reading)
        return readings

    def _stalled_word(self, codec: PointCodec, ts: float) -> bool:
        status_word = codec.point.source.status_word
        if status_word is None or StatusRole.HEARTBEAT not in status_word.bits:
            return False
        where = (status_word.table, status_word.address)
        since = self._beat_since.get(where)
        stalled = since is not None and ts - since[1] > status_word.heartbeat_timeout
        if stalled != (where in self._stalled):
            if stalled:
                self._stalled.add(where)
                log.warning(
                    "%s: heartbeat of the status word at %s %d has not changed for %.0f s;"
                    " its points are uncertain until it moves", self.name, where[0].value,
                    where[1], ts - (since[1] if since else ts),
                )
            else:
                self._stalled.discard(where)
                log.info("%s: heartbeat at %s %d moves again", self.name, where[0].value,
                         where[1])
        return stalled

    def _remember_status(self, codec: PointCodec, word: int, ts: float) -> None:
        status_word = codec.point.source.status_word
        assert status_word is not None  # only points with a status word have a status slot
        status = self._status[codec.key] = status_bits(word, status_word.bits, ts)
        beat = status.roles.get(StatusRole.HEARTBEAT)
        if beat is not None:
            self._beats.append((codec.key, beat))
            where = (status_word.table, status_word.address)
            since = self._beat_since.get(where)
            if since is None or since[0] != beat:
                self._beat_since[where] = (beat, ts)

    def _split_refused(self, plan: ReadPlan, answers: Sequence[Answer]) -> None:
        """Read the points of a refused merged request one by one from the next poll on."""
        split = False
        for request, answer in zip(plan.requests, answers, strict=True):
            if (
                isinstance(answer, ExceptionResponse)
                and answer.code in _SPLIT_ON
                and len(request.spans) > 1
            ):
                self._separate.update(request.spans)
                split = True
                log.warning(
                    "%s: merged read refused (%s); reading its %d parts one by one from now on",
                    self.name, answer, len(request.spans),
                )
        if split:
            self.plan = self._plan()
            self._runs = find_runs(self.codecs, self.plan)
            self._last_answers.clear()  # request numbers changed

    def _log_change(self, failures: Sequence[ReadFailure]) -> None:
        """Log when the device starts failing, changes how, or recovers; not every poll.
        Connection trouble is the hub's to log: here it only counts as "failing"."""
        first = failures[0] if failures else None
        state: str | None
        if first is None:
            state = None
        elif isinstance(first, ConnectionDown):
            state = "connection down"
        elif _unit_gone(first):
            state = "silent"  # probes word it differently (no retries): same state
        else:
            state = str(first)
        if state == self._failing:
            return
        if first is None:
            log.info("%s: answering again", self.name)
        elif not isinstance(first, ConnectionDown):
            more = f" (and {len(failures) - 1} more failed requests)" if len(failures) > 1 else ""
            log.warning("%s: %s%s", self.name, first, more)
        self._failing = state

