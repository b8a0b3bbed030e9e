"""Fan-out of live readings and alarm events to websocket clients.

The hub sits on the pipeline's hot path as a ``ReadingObserver``: ``accept`` only
records *which* points changed. A timer then builds one *frame* per flush interval
(or sooner when many points changed, or an alarm event is waiting), numbered by a
sequence, and reads the frame's values from ``LiveState``, so the hub and the live
state never disagree, and an out-of-order reading that the live state refused is never
shown. The frame is encoded once and shared by every client that keeps up.

Each client (``dashboard.channel.ClientChannel``) has a bounded outbox of encoded messages
and its own sender task (in ``dashboard.routes.ws``), so a slow screen never delays
another; a client whose outbox is full coalesces what it missed into one catch-up message.
Alarm events are never dropped: a client that falls more than ``client_events`` events
behind is disconnected and must resume or resync.

With ``alarms`` (``dashboard.alarmfeed.AlarmFeed``) a delta also carries the current
record of every alarm its events touched, read when the delta is encoded.

A bounded ring of recent frames lets a client that reconnects continue from its last
sequence number instead of loading a full snapshot. See docs/websocket.md.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from alerting.events import AlarmEvent
from collectors.readings import Reading
from config.catalog import PointKey
from dashboard.channel import ClientChannel, Frame
from dashboard.live import LiveState
from dashboard.protocol import (
    CLOSE_GOING_AWAY,
    CLOSE_TOO_SLOW,
    NO_CHANGES,
    AlarmChanges,
    Resume,
    delta_message,
    snapshot_message,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HubStats:
    epoch: str
    seq: int
    clients: int
    lagging_clients: int
    readings_in: int
    events_in: int
    frames: int
    snapshots: int
    resumed: int
    catch_ups: int
    kicked_slow: int
    missing_live: int
    ring_frames: int
    ring_oldest_seq: int | None


class Hub:
    """Websocket fan-out. Register it as a pipeline observer *after* the ``LiveState`` it
    is given (both run before the next flush, so either order works, but that order makes
    the intent plain); give it alarm events with ``accept_events``.

    Must be used on one event loop; ``accept``/``accept_events`` need a running loop
    (they arm a timer on it).
    """

    def __init__(
        self,
        live: LiveState,
        *,
        flush_interval: float = 0.15,
        event_delay: float = 0.02,
        max_frame_points: int = 5000,
        client_messages: int = 16,
        client_events: int = 1000,
        ring_frames: int = 256,
        ring_points: int = 200_000,
        ring_events: int = 10_000,
        heartbeat: float = 2.0,  # a page notices a hung gateway within 10 s (liveclient.js)
        clock: Callable[[], float] = time.time,
        epoch: str | None = None,
        alarms: Callable[[Sequence[AlarmEvent]], AlarmChanges] | None = None,
    ) -> None:
        if flush_interval <= 0 or event_delay < 0 or heartbeat <= 0:
            raise ValueError(
                "flush_interval and heartbeat must be positive, event_delay not negative"
            )
        for name, value in (
            ("max_frame_points", max_frame_points),
            ("client_messages", client_messages),
            ("client_events", client_events),
            ("ring_frames", ring_frames),
            ("ring_points", ring_points),
            ("ring_events", ring_events),
        ):
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        self._live = live
        self._alarm_changes = alarms
        self._flush_interval = flush_interval
        self._event_delay = min(event_delay, flush_interval)
        self._max_frame_points = max_frame_points
        self._client_messages = client_messages
        self._client_events = client_events
        self._ring_limits = (ring_frames, ring_points, ring_events)
        self._heartbeat = heartbeat
        self._clock = clock
        self.epoch = epoch or f"{int(clock() * 1000):x}-{secrets.token_hex(4)}"
        self._seq = 0
        self._dirty: set[PointKey] = set()
        self._events: list[AlarmEvent] = []
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due = 0.0
        self._ring: deque[Frame] = deque()
        self._ring_points = 0
        self._ring_events = 0
        self._channels: dict[int, ClientChannel] = {}
        self._next_id = 1
        # counters
        self.readings_in = 0
        self.events_in = 0
        self.frames = 0
        self.snapshots = 0
        self.resumed = 0
        self.kicked_slow = 0
        self.missing_live = 0
        self._catch_ups_closed = 0

    def now(self) -> float:
        return self._clock()

    @property
    def seq(self) -> int:
        """Sequence number of the newest frame (0 before the first)."""
        return self._seq

    # ------------------------------------------------------------------ input

    def accept(self, readings: Sequence[Reading]) -> None:
        """ReadingObserver: note which points changed. Cheap; never awaits."""
        if not readings:
            return
        dirty = self._dirty
        for reading in readings:
            dirty.add(reading.point)
        self.readings_in += len(readings)
        if len(dirty) >= self._max_frame_points:
            self._arm(0.0)
        elif self._timer is None:
            self._arm(self._flush_interval)

    def accept_events(self, events: Sequence[AlarmEvent]) -> None:
        """Alarm events, in journal order. Sent within ``event_delay``, never dropped."""
        if not events:
            return
        self._events.extend(events)
        self.events_in += len(events)
        self._arm(self._event_delay)

    def _arm(self, delay: float) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() + delay
        if self._timer is not None:
            if self._timer_due <= due:
                return
            self._timer.cancel()
        self._timer_due = due
        self._timer = loop.call_at(due, self.flush)

    # ------------------------------------------------------------------ frames

    def flush(self) -> None:
        """Turn what changed since the last flush into a frame and hand it to every client.
        Called by the timer; public for tests and for a final flush on shutdown."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._dirty and not self._events:
            return
        self._seq += 1
        frame = Frame(self._seq, tuple(self._dirty), tuple(self._events))
        self._dirty = set()
        self._events = []
        self.frames += 1
        self._remember(frame)
        encoded: str | None = None
        for channel in list(self._channels.values()):
            if channel.wants_frame():
                if encoded is None:
                    encoded = self._encode_delta(frame.seq, frame.seq - 1, frame.keys, frame.events)
                channel.push(encoded, frame.seq)
            elif not channel.coalesce(frame):
                self._kick_slow(channel)

    def _remember(self, frame: Frame) -> None:
        ring = self._ring
        ring.append(frame)
        self._ring_points += len(frame.keys)
        self._ring_events += len(frame.events)
        max_frames, max_points, max_events = self._ring_limits
        while len(ring) > 1 and (
            len(ring) > max_frames
            or self._ring_points > max_points
            or self._ring_events > max_events
        ):
            old = ring.popleft()
            self._ring_points -= len(old.keys)
            self._ring_events -= len(old.events)

    def _readings(self, keys: Iterable[PointKey]) -> list[Reading]:
        latest = self._live.latest
        readings = []
        missing = 0
        for key in keys:
            reading = latest.get(key)
            if reading is None:
                missing += 1
            else:
                readings.append(reading)
        if missing:
            # The hub was told about a point the live state never saw: the pipeline is
            # wired without LiveState. Loud, because the screens would freeze.
            if self.missing_live == 0:
                log.error(
                    "%d changed point(s) have no live value (is LiveState a pipeline observer?)",
                    missing,
                )
            self.missing_live += missing
        return readings

    def _encode_delta(
        self, seq: int, prev: int, keys: Iterable[PointKey], events: Sequence[AlarmEvent]
    ) -> str:
        feed = self._alarm_changes
        changes = feed(events) if feed is not None and events else NO_CHANGES
        return delta_message(seq, prev, self._readings(keys), events, changes)

    def _kick_slow(self, channel: ClientChannel) -> None:
        self.kicked_slow += 1
        log.warning(
            "websocket client %s disconnected: more than %d alarm events waiting "
            "(it must resume or resync)",
            channel.label or channel.id,
            self._client_events,
        )
        self._drop(channel, CLOSE_TOO_SLOW, "too slow for alarm events; resume or resync")

    # ------------------------------------------------------------------ clients

    def connect(self, resume: Resume | None = None, label: str = "") -> ClientChannel:
        """Register a client. Its first message is a catch-up delta when ``resume`` can be
        served from the ring, else a snapshot of every latest reading."""
        first = self._resume_message(resume)
        if first is None:
            if resume is None:
                reason = "connect"
            elif resume.epoch != self.epoch:
                reason = "new_epoch"
            else:
                reason = "resume_unavailable"
            first = snapshot_message(
                self.epoch, self._seq, self._live.latest.values(), self._clock(), reason
            )
            self.snapshots += 1
        else:
            self.resumed += 1
        channel = ClientChannel(
            self._next_id,
            label,
            first,
            self._seq,
            max_messages=self._client_messages,
            max_events=self._client_events,
            heartbeat=self._heartbeat,
            encode_delta=self._encode_delta,
            now=self.now,
        )
        self._next_id += 1
        self._channels[channel.id] = channel
        return channel

    def _resume_message(self, resume: Resume | None) -> str | None:
        if resume is None or resume.epoch != self.epoch or resume.seq > self._seq:
            return None
        if resume.seq == self._seq:
            return self._encode_delta(self._seq, resume.seq, (), ())
        if not self._ring or self._ring[0].seq > resume.seq + 1:
            return None  # the frames after resume.seq have left the ring
        keys: set[PointKey] = set()
        events: list[AlarmEvent] = []
        for frame in self._ring:
            if frame.seq > resume.seq:
                keys.update(frame.keys)
                events.extend(frame.events)
        return self._encode_delta(self._seq, resume.seq, keys, events)

    def disconnect(self, channel: ClientChannel) -> None:
        """The client has gone (or the route is done with it)."""
        self._drop(channel, 1000, "disconnected")

    def _drop(self, channel: ClientChannel, code: int, reason: str) -> None:
        if self._channels.pop(channel.id, None) is not None:
            self._catch_ups_closed += channel.catch_ups
        channel.close(code, reason)

    def close_all(self, code: int = CLOSE_GOING_AWAY, reason: str = "server shutting down") -> None:
        for channel in list(self._channels.values()):
            self._drop(channel, code, reason)

    @property
    def channels(self) -> Sequence[ClientChannel]:
        return list(self._channels.values())

    def stats(self) -> HubStats:
        channels = self._channels.values()
        return HubStats(
            epoch=self.epoch,
            seq=self._seq,
            clients=len(self._channels),
            lagging_clients=sum(1 for channel in channels if channel.lagging),
            readings_in=self.readings_in,
            events_in=self.events_in,
            frames=self.frames,
            snapshots=self.snapshots,
            resumed=self.resumed,
            catch_ups=self._catch_ups_closed + sum(channel.catch_ups for channel in channels),
            kicked_slow=self.kicked_slow,
            missing_live=self.missing_live,
            ring_frames=len(self._ring),
            ring_oldest_seq=self._ring[0].seq if self._ring else None,
        )
