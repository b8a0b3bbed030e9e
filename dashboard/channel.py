"""One websocket client's queue in the hub (``dashboard.hub``): a bounded outbox of encoded
messages, drained by the client's own sender task (``dashboard.routes.ws``), and the
coalescing that takes over when the outbox is full.

A client whose outbox is full only remembers which points changed (latest value wins) and
the alarm events it has not had, and gets them as one catch-up message when it is ready
again. The hub disconnects a client that falls more than ``max_events`` events behind.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from alerting.events import AlarmEvent
from config.catalog import PointKey
from dashboard.protocol import heartbeat_message

# (seq, prev, changed points, events) -> an encoded delta message
EncodeDelta = Callable[[int, int, Iterable[PointKey], Sequence[AlarmEvent]], str]


@dataclass(frozen=True, slots=True)
class Frame:
    """What changed between two flushes. Values are looked up in the live state when
    a frame is encoded, so only the keys are kept."""

    seq: int
    keys: tuple[PointKey, ...]
    events: tuple[AlarmEvent, ...]


class ChannelClosed(Exception):
    """The hub has closed this client (too slow for alarm events, or shutting down)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code} {reason}")
        self.code = code
        self.reason = reason


class ClientChannel:
    """One client's queue. Created by ``Hub.connect``; drained by one sender task."""

    def __init__(
        self,
        client_id: int,
        label: str,
        first_message: str,
        seq: int,
        *,
        max_messages: int,
        max_events: int,
        heartbeat: float,
        encode_delta: EncodeDelta,
        now: Callable[[], float],
    ) -> None:
        self.id = client_id
        self.label = label
        self._encode_delta = encode_delta
        self._now = now
        self._max_messages = max_messages
        self._max_events = max_events
        self._heartbeat = heartbeat
        self._outbox: deque[str] = deque([first_message])
        self._last_seq = seq  # seq of the newest frame in (or sent from) the outbox
        # Coalescing state; _lag_keys is None while the client keeps up.
        self._lag_keys: set[PointKey] | None = None
        self._lag_events: list[AlarmEvent] = []
        self._lag_prev = seq
        self._lag_seq = seq
        self._ready = asyncio.Event()
        self._ready.set()
        self._closed = asyncio.Event()
        self.close_code = 1000
        self.close_reason = ""
        self.catch_ups = 0

    # -- for the sender task

    async def next_message(self) -> str:
        """The next message to send; waits until there is one. Raises ``ChannelClosed``.

        When nothing changes for ``heartbeat`` seconds it returns a heartbeat, so that a
        screen can tell a quiet gateway from a dead connection."""
        while True:
            if self._closed.is_set():
                raise ChannelClosed(self.close_code, self.close_reason)
            if self._outbox:
                return self._outbox.popleft()
            if self._lag_keys is not None:
                return self._catch_up()
            self._ready.clear()
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
            # arrives as the event is set, and the sender task would never stop.
            try:
                async with asyncio.timeout(self._heartbeat):
                    await self._ready.wait()
            except TimeoutError:
                return heartbeat_message(self._last_seq, self._now())

    async def wait_closed(self) -> None:
        """Returns when the hub closes this client; the route then aborts a blocked send."""
        await self._closed.wait()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    @property
    def lagging(self) -> bool:
        return self._lag_keys is not None

    @property
    def queued(self) -> int:
        return len(self._outbox)

    # -- for the hub

    def wants_frame(self) -> bool:
        """Whether the next frame goes into the outbox (else ``coalesce`` it)."""
        return self._lag_keys is None and len(self._outbox) < self._max_messages

    def push(self, message: str, seq: int) -> None:
        """An encoded frame, shared with every client that keeps up."""
        self._outbox.append(message)
        self._last_seq = seq
        self._ready.set()

    def coalesce(self, frame: Frame) -> bool:
        """Remember a frame the outbox has no room for. False: too many alarm events."""
        if self._lag_keys is None:
            self._lag_keys = set()
            self._lag_events = []
            self._lag_prev = self._last_seq
        self._lag_keys.update(frame.keys)
        self._lag_events.extend(frame.events)
        self._lag_seq = frame.seq
        self._ready.set()
        return len(self._lag_events) <= self._max_events

    def _catch_up(self) -> str:
        keys = self._lag_keys or set()
        events = self._lag_events
        prev, seq = self._lag_prev, self._lag_seq
        self._lag_keys = None
        self._lag_events = []
        self._last_seq = seq
        self.catch_ups += 1
        return self._encode_delta(seq, prev, keys, events)

    def close(self, code: int, reason: str) -> None:
        """Stop this client: ``next_message`` raises ``ChannelClosed`` from now on."""
        if self._closed.is_set():
            return
        self.close_code = code
        self.close_reason = reason
        self._outbox.clear()
        self._lag_keys = None
        self._lag_events = []
        self._closed.set()
        self._ready.set()
