"""QoS 1/2 messages acknowledged to the broker only once their readings are durable.

With a persistent session the broker keeps every message it has not seen acknowledged and
sends it again after a reconnect, a broker restart (with its persistence on) or a gateway
``kill -9``. So the acknowledgement is the hand-over of responsibility: it goes out only
after ``durable()`` (the store-and-forward buffer's group commit) covered the readings the
message became. Acks are sent in batches, one commit per batch, so the wait costs one
fsync per batch, not per message. A small batch (a quiet device, or a broker that lets
few messages go unacknowledged: mosquitto's default window is 20) asks for a commit at
once; a large one waits for the next group commit (at most ``commit_interval``), which
keeps commits large under a heavy stream.

``max_unacked`` bounds the messages received but not yet acknowledged: at the bound the
collector stops taking messages until a commit frees room, and the broker holds the rest
(within its own in-flight window, ``max_inflight_messages`` in mosquitto).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

# Returns once everything emitted so far is durable; True: commit now rather than at the
# next group commit.
Durable = Callable[[bool], Awaitable[None]]
SendAck = Callable[[int, int], object]  # (message id, qos)
URGENT_BELOW = 64  # messages: a batch this small asks for an immediate commit


class Acker:
    def __init__(
        self,
        send_ack: SendAck,
        durable: Durable,
        max_unacked: int,
        on_acked: Callable[[int], object] = lambda count: None,
    ) -> None:
        if max_unacked < 1:
            raise ValueError("max_unacked must be positive")
        self._send_ack = send_ack
        self._durable = durable
        self._on_acked = on_acked
        self._max = max_unacked
        self._pending: list[tuple[int, int]] = []
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self.unacked = 0  # received, emitted, not yet acknowledged
        self.acked = 0

    def emitted(self, messages: list[tuple[int, int]]) -> None:
        """Messages whose readings were just emitted: acknowledge them once durable."""
        if not messages:
            return
        self._pending.extend(messages)
        self.unacked += len(messages)
        self._wake.set()
        if self.unacked >= self._max:
            self._room.clear()

    async def room(self) -> None:
        """Until fewer than ``max_unacked`` messages wait for their acknowledgement."""
        await self._room.wait()

    async def run(self) -> None:
        """Acknowledge what was emitted, a commit at a time, until cancelled."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            taken, self._pending = self._pending, []
            if not taken:
                continue
            # Covers every reading emitted before this call.
            await self._durable(len(taken) < URGENT_BELOW)
            for mid, qos in taken:
                self._send_ack(mid, qos)
            self.unacked -= len(taken)
            self.acked += len(taken)
            self._on_acked(len(taken))
            if self.unacked < self._max:
                self._room.set()
