"""The task that moves readings from a sink buffer into InfluxDB.

Per batch: take up to ``batch_size`` readings (or what came within ``flush_interval``),
encode them, write, then commit the batch to the buffer. What each answer does:

- 2xx: written.
- network error, timeout, 5xx, 429, 401/403/404: the same body again after a capped
  exponential backoff (Retry-After honoured), until it succeeds or the task is cancelled.
  While the server does not answer at all (refused, reset, timed out) the delay stays at
  most ``unreachable_retry_delay``: a refused connection costs nothing, and the writer
  must write again within a second of the database coming back, not after a back-off
  that grew through a long outage. A server that answers 5xx/429 gets the full back-off.
  Meanwhile new readings wait in the bounded buffer, which counts what it has to drop.
- 413: the request is halved and each half sent on its own, recursively; a single line
  still too large is counted rejected.
- other 4xx: the lines the server refused are counted rejected and logged (rate-limited);
  the rest of the batch was stored by the server, and the writer moves on. A buffer that
  can quarantine (the durable one) gets the whole batch with the server's answer instead of
  a commit: the readings are kept in its quarantine file, and the rest flows.

On cancellation the writer drains what is buffered (and the batch it was writing) for at
most ``drain_timeout`` seconds, then reports what it could not write.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from collectors.backoff import backoff_delays
from collectors.logonce import LogOnce
from collectors.readings import Reading
from gateway.pipeline import Batch, QuarantineBuffer, ReadingBuffer
from gateway.storage.errors import RejectedError, RetryableError, TooLargeError
from gateway.storage.lineprotocol import ReadingEncoder, encode_body
from gateway.storage.transport import Transport

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WriterHealth:
    """A snapshot for /api/health. Timestamps are epoch seconds."""

    target: str
    connected: bool | None  # None until the first write was attempted
    running: bool
    lines_written: int  # lines the server stored
    batches_written: int  # buffer batches fully handled (written, or rejected by the server)
    requests: int  # successful HTTP writes (a split batch makes several)
    retries: int  # failed attempts that will be (or were) retried
    splits: int  # times a request was halved after 413
    rejected_lines: int  # lines the server refused (4xx); never retried
    unencodable: int  # readings that cannot be line protocol (non-finite good value, ...)
    last_error: str | None
    last_error_at: float | None
    last_success: float | None
    buffer_length: int
    buffer_dropped: int
    unwritten_at_shutdown: int  # readings still buffered when the drain time ran out
    quarantined: int = 0  # readings of rejected batches moved to the buffer's quarantine


class InfluxWriter:
    def __init__(
        self,
        transport: Transport,
        encoder: ReadingEncoder,
        buffer: ReadingBuffer,
        *,
        batch_size: int = 5000,
        flush_interval: float = 1.0,
        max_retry_delay: float = 30.0,
        initial_retry_delay: float = 0.5,
        unreachable_retry_delay: float = 0.5,
        drain_timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
        log_interval: float = 60.0,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        self._transport = transport
        self._encoder = encoder
        self._buffer = buffer
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self._max_retry_delay = max_retry_delay
        self._initial_retry_delay = min(initial_retry_delay, max_retry_delay)
        self._unreachable_retry_delay = min(unreachable_retry_delay, max_retry_delay)
        self._drain_timeout = drain_timeout
        self._clock = clock
        self._ratelog = LogOnce(log, log_interval)
        self._inflight: Batch | None = None
        self._running = False
        self._closed = False
        self._failing_since: float | None = None
        # counters
        self._connected: bool | None = None
        self._lines_written = 0
        self._batches_written = 0
        self._requests = 0
        self._retries = 0
        self._splits = 0
        self._rejected = 0
        self._unencodable = 0
        self._last_error: str | None = None
        self._last_error_at: float | None = None
        self._last_success: float | None = None
        self._unwritten_at_shutdown = 0
        self._quarantined = 0

    # ------------------------------------------------------------------ public

    @property
    def target(self) -> str:
        return self._transport.description

    @property
    def health(self) -> WriterHealth:
        return WriterHealth(
            target=self._transport.description,
            connected=self._connected,
            running=self._running,
            lines_written=self._lines_written,
            batches_written=self._batches_written,
            requests=self._requests,
            retries=self._retries,
            splits=self._splits,
            rejected_lines=self._rejected,
            unencodable=self._unencodable,
            last_error=self._last_error,
            last_error_at=self._last_error_at,
            last_success=self._last_success,
            buffer_length=len(self._buffer),
            buffer_dropped=self._buffer.dropped,
            unwritten_at_shutdown=self._unwritten_at_shutdown,
            quarantined=self._quarantined,
        )

    def use_encoder(self, encoder: ReadingEncoder) -> None:
        """Encode the next batches with ``encoder`` (a reload brought a new catalog)."""
        self._encoder = encoder

    async def run(self) -> None:
        """Write batches until cancelled; then drain (bounded) and close the connection."""
        if self._closed:
            raise RuntimeError(f"{self.target}: writer already ran")
        self._running = True
        await self._transport.open()
        log.info("writing readings to %s", self.target)
        try:
            while True:
                batch = await self._buffer.take(self._batch_size, self._flush_interval)
                self._inflight = batch
                self._settle(batch, await self._write_readings(batch.readings))
                self._inflight = None
        except asyncio.CancelledError:
            await self._drain()
            raise
        finally:
            self._running = False
            self._closed = True
            await self._transport.close()

    async def write_lines(self, lines: Sequence[str]) -> None:
        """Write arbitrary line protocol (alarm events) with the same retry/split/reject
        handling as readings. Returns once stored or rejected; retries until then, so a
        caller that must not wait runs it in its own task. Call it while ``run`` is active
        or before it starts, not after the writer has shut down."""
        if isinstance(lines, str | bytes):
            # A str is a Sequence[str] too: it would go out one character per line.
            raise TypeError("write_lines takes a sequence of lines, not one str or bytes body")
        if lines:
            await self._send(lines)

    # ----------------------------------------------------------------- internal

    def _settle(self, batch: Batch, answer: str | None) -> None:
        """The batch is handled: committed, or quarantined if the server refused lines
        (``answer``: what it said)."""
        if answer is not None and isinstance(self._buffer, QuarantineBuffer):
            self._buffer.quarantine(batch, answer)
            self._quarantined += len(batch.readings)
        else:
            self._buffer.commit(batch)

    async def _write_readings(self, readings: Sequence[Reading]) -> str | None:
        """Write one batch; the server's answer if it refused any of its lines."""
        encoded = self._encoder.encode(readings)
        if encoded.unencodable:
            self._unencodable += len(encoded.unencodable)
            why = encoded.unencodable[0][1]
            self._ratelog.log(
                logging.ERROR, "unencodable",
                "%s: %d reading(s) cannot be written as line protocol, e.g. %s",
                self.target, len(encoded.unencodable), why,
            )
        answer = await self._send(encoded.lines) if encoded.lines else None
        self._batches_written += 1
        return answer

    async def _send(self, lines: Sequence[str]) -> str | None:
        """Send ``lines`` until stored or rejected: retries, splits on 413. The server's
        answer if it refused any line (the first such answer), else None."""
        if self._closed:
            raise RuntimeError(f"{self.target}: writer has shut down")
        body = encode_body(lines)
        delays = backoff_delays(initial=self._initial_retry_delay, cap=self._max_retry_delay)
        while True:
            await self._transport.open()
            try:
                await self._transport.write(body, len(lines))
            except RetryableError as exc:
                delay = next(delays)
                if exc.status is None:  # no answer: probe again soon (see the docstring)
                    delay = min(delay, self._unreachable_retry_delay)
                if exc.retry_after is not None:
                    delay = max(delay, min(exc.retry_after, self._max_retry_delay))
                self._failed(exc, delay)
                await asyncio.sleep(delay)
                if self._closed:
                    raise RuntimeError(f"{self.target}: writer has shut down") from exc
                continue
            except TooLargeError as exc:
                self._answered()
                if len(lines) == 1:
                    self._rejected_by_server(exc, 1, 1)
                    return exc.message
                self._splits += 1
                half = len(lines) // 2
                log.warning(
                    "%s: %d lines (%d bytes) too large, sending them in two halves",
                    self.target, len(lines), len(body),
                )
                first = await self._send(lines[:half])
                second = await self._send(lines[half:])
                return first if first is not None else second
            except RejectedError as exc:
                self._answered()
                self._rejected_by_server(exc, exc.rejected, len(lines))
                return exc.message
            self._answered()
            self._requests += 1
            self._lines_written += len(lines)
            self._last_success = self._clock()
            return None

    def _failed(self, exc: RetryableError, delay: float) -> None:
        now = self._clock()
        self._retries += 1
        self._connected = False
        self._last_error = exc.message
        self._last_error_at = now
        if self._failing_since is None:
            self._failing_since = now
        self._ratelog.log(
            logging.WARNING, "retry",
            "%s: write failed, retrying in %.1f s (buffered: %d): %s",
            self.target, delay, len(self._buffer), exc.message,
        )

    def _answered(self) -> None:
        """The server answered: the target is reachable again."""
        self._connected = True
        if self._failing_since is not None:
            suppressed = self._ratelog.reset("retry")
            log.warning(
                "%s: writing again after %.1f s of failures (%d more failures not logged)",
                self.target, self._clock() - self._failing_since, suppressed,
            )
            self._failing_since = None

    def _rejected_by_server(self, exc: RejectedError | TooLargeError, count: int, of: int) -> None:
        self._rejected += count
        self._lines_written += of - count
        if count < of:
            self._requests += 1
            self._last_success = self._clock()
        self._last_error = exc.message
        self._last_error_at = self._clock()
        self._ratelog.log(
            logging.ERROR, "rejected",
            "%s: server refused %d of %d lines (not retried; %d refused so far): %s",
            self.target, count, of, self._rejected, exc.message,
        )

    async def _drain(self) -> None:
        inflight = len(self._inflight.readings) if self._inflight is not None else 0
        if not inflight and not len(self._buffer):
            return
        log.info(
            "%s: shutting down, writing %d buffered readings (at most %.1f s)",
            self.target, inflight + len(self._buffer), self._drain_timeout,
        )
        try:
            async with asyncio.timeout(self._drain_timeout):
                if self._inflight is not None:
                    # Possibly half written before the cancel: rewriting is harmless, the
                    # same series and timestamp overwrite themselves.
                    answer = await self._write_readings(self._inflight.readings)
                    self._settle(self._inflight, answer)
                    self._inflight = None
                while len(self._buffer):
                    batch = await self._buffer.take(self._batch_size, 0)
                    self._inflight = batch
                    self._settle(batch, await self._write_readings(batch.readings))
                    self._inflight = None
        except TimeoutError:
            left = len(self._buffer)
            if self._inflight is not None:
                left += len(self._inflight.readings)
            self._unwritten_at_shutdown = left
            log.error(
                "%s: shutdown drain ran out of time: %d readings not written", self.target, left
            )
