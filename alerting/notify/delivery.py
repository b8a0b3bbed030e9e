"""Delivery of notices on one channel: a bounded queue and one sender that works through
it in order, retrying with back-off, so that a dead mail server never delays the WeCom
robot (each channel has its own ``Lane``).

The lane knows nothing of alarms or the journal: what became of each notice — sent on
the n-th attempt, or given up on — goes to the ``Outcomes`` the notifier gives it, which
records it as NOTIFIED / NOTIFY_FAILED events.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from alerting.notify.channels import Channel, DeliveryError
from alerting.notify.messages import Notice
from alerting.notify.timing import Clock, Wait
from collectors.backoff import backoff_delays
from config.notifications import RetryPolicy

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ChannelStatus:
    name: str
    kind: str
    queued: int = 0
    sent: int = 0  # notices delivered
    failed: int = 0  # notices given up on
    retries: int = 0
    dropped: int = 0  # notices refused by a full queue
    last_success: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None


@dataclass(frozen=True, slots=True)
class Outcomes:
    """What the lane tells its owner. ``sent(notice, channel, attempt)``;
    ``failed(notice, error, attempts)`` (attempts 0: the queue was full);
    ``count(counter)`` for the notifier's health counters."""

    sent: Callable[[Notice, Channel, int], None]
    failed: Callable[[Notice, str, int], None]
    count: Callable[[str], None]


class Lane:
    """One channel's queue (at most ``capacity`` notices) and its sender."""

    def __init__(
        self,
        status: ChannelStatus,
        capacity: int,
        retry: RetryPolicy,
        outcomes: Outcomes,
        *,
        clock: Clock,
        wait: Wait,
        rng: random.Random,
    ) -> None:
        self.status = status
        self._capacity = capacity
        self._retry = retry
        self._outcomes = outcomes
        self._clock = clock
        self._wait = wait
        self._rng = rng
        self._queue: deque[Notice] = deque()
        self._ready = asyncio.Event()

    def __len__(self) -> int:
        return len(self._queue)

    def offer(self, notice: Notice) -> None:
        """Queue ``notice``; a full queue refuses it, loudly: logged, counted, and told to
        the owner as a failure."""
        if len(self._queue) >= self._capacity:
            self.status.dropped += 1
            self._outcomes.count("dropped")
            log.error(
                "notification queue of channel %s is full (%d notices): %r not sent",
                self.status.name,
                self._capacity,
                notice.title,
            )
            self._give_up(notice, "通知队列已满，未发送", attempts=0)
            return
        self._queue.append(notice)
        self.status.queued = len(self._queue)
        self._ready.set()

    async def run(self, channel: Channel) -> None:
        """Deliver until cancelled, in order; a notice leaves the queue once it has been
        sent or given up on."""
        while True:
            while not self._queue:
                self._ready.clear()
                await self._ready.wait()
            await self._deliver(channel, self._queue[0])
            self._queue.popleft()
            self.status.queued = len(self._queue)

    async def _deliver(self, channel: Channel, notice: Notice) -> None:
        retry = self._retry
        delays = backoff_delays(
            retry.initial_delay, retry.max_delay, retry.factor, jitter=0.1, rng=self._rng
        )
        error = "no attempt made"
        attempt = 0
        for attempt in range(1, retry.attempts + 1):
            try:
                await channel.send(notice)
            except DeliveryError as failure:
                error = failure.reason
                final = not failure.retryable or attempt == retry.attempts
                log.log(
                    logging.ERROR if final else logging.WARNING,
                    "notice %r via %s, attempt %d/%d failed: %s",
                    notice.title,
                    channel.name,
                    attempt,
                    retry.attempts,
                    failure.reason,
                )
                if final:
                    break
            except Exception as failure:  # a channel bug must not stop the others: counted
                log.exception("channel %s failed unexpectedly", channel.name)
                self._outcomes.count("channel_bugs")
                error = f"unexpected {type(failure).__name__}: {failure}"
                break
            else:
                self.status.sent += 1
                self.status.last_success = self._clock()
                self._outcomes.count("sent")
                self._outcomes.sent(notice, channel, attempt)
                return
            self.status.retries += 1
            self._outcomes.count("retries")
            await self._wait(None, next(delays))
        self._give_up(notice, error, attempts=attempt)

    def _give_up(self, notice: Notice, error: str, attempts: int) -> None:
        self.status.failed += 1
        self.status.last_error = error
        self.status.last_error_at = self._clock()
        self._outcomes.count("failed")
        self._outcomes.failed(notice, error, attempts)
