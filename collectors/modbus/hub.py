"""One connection to one endpoint, shared by every unit behind it.

A hub owns the client and one lock: one master per bus, one request at a time, in
turn (asyncio's lock is first come, first served, so the devices' requests
interleave fairly). It pauses ``request_delay`` between requests for slow serial
devices, enforces each request's timeout and retries itself, and reconnects with
capped exponential backoff (``collectors.backoff``) when the connection is down. A
failed connect costs nothing until the next backoff delay has passed: callers get
``ConnectionDown`` at once and mark their points bad without waiting.

A connection whose every request goes unanswered (``reconnect_after_silence`` in a row,
all units) is treated as half-open, as after a serial server reboots without
resetting the TCP connection: the hub drops it and reconnects. One silent unit among
answering ones never triggers this, since any answer resets the count.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence

from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException
from pymodbus.pdu import ModbusPDU

from collectors.backoff import backoff_delays
from collectors.cancelling import cancel_pending
from collectors.health import CollectorHealth, LinkState
from collectors.modbus.connection import (
    ClientFactory,
    Endpoint,
    ModbusClient,
    SerialEndpoint,
    pymodbus_client,
)
from collectors.modbus.planner import ReadRequest
from collectors.readings import Reason
from config.modbus import RegisterTable

log = logging.getLogger(__name__)

_EXCEPTION_NAMES = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value",
    4: "device failure",
    5: "acknowledge",
    6: "device busy",
    8: "memory parity error",
    10: "gateway path unavailable",
    11: "gateway target failed to respond",
}


class ReadFailure(Exception):
    """A request got no usable answer; ``reason`` is what its points become."""

    reason = Reason.COMM_LOSS


class NoResponse(ReadFailure):
    """The unit did not answer within its timeout, retries included."""


class ConnectionDown(ReadFailure):
    """No connection to the endpoint (refused, lost, or waiting for the next attempt)."""


class ExceptionResponse(ReadFailure):
    """The unit answered with a Modbus exception."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class BadResponse(ReadFailure):
    """An answer that does not fit the request (wrong length, undecodable frame)."""

    reason = Reason.DECODE_ERROR


Backoff = Callable[[], Iterator[float]]


def quiet_pymodbus(level: int = logging.CRITICAL) -> None:
    """pymodbus logs frame dumps and its own errors for every timeout and exception
    response; the collector reports those itself (once per change, with the device's
    name). Quieted only if nobody configured the logger: set a level on the
    ``pymodbus`` logger to see its output again."""
    logger = logging.getLogger("pymodbus")
    if logger.level == logging.NOTSET:
        logger.setLevel(level)


class ModbusHub:
    def __init__(
        self,
        endpoint: Endpoint,
        *,
        connect_timeout: float,
        request_delay: float = 0.0,
        client_factory: ClientFactory = pymodbus_client,
        backoff: Backoff = backoff_delays,
        reconnect_after_silence: int = 3,
        health: CollectorHealth | None = None,
    ) -> None:
        if connect_timeout <= 0:
            raise ValueError(f"{endpoint}: connect_timeout must be positive")
        if request_delay < 0:
            raise ValueError(f"{endpoint}: request_delay must not be negative")
        if reconnect_after_silence < 1:
            raise ValueError(f"{endpoint}: reconnect_after_silence must be at least 1")
        self.endpoint = endpoint
        self.connect_timeout = connect_timeout
        self.request_delay = request_delay
        self.reconnect_after_silence = reconnect_after_silence
        self.health = health or CollectorHealth(str(endpoint), "modbus")
        self._factory = client_factory
        self._backoff = backoff
        self._delays = backoff()
        self._lock = asyncio.Lock()
        self._client: ModbusClient | None = None
        self._next_attempt = 0.0  # loop time before which no connect is tried
        self._failed_connects = 0
        self._last_error = ""
        self._last_request_end = 0.0
        self._unanswered = 0  # requests in a row without any answer, all units
        self._answered_since_connect = False

    @property
    def state(self) -> LinkState:
        return self.health.state

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.connected

    async def read(
        self, unit: int, request: ReadRequest, *, answer_timeout: float, retries: int = 0
    ) -> Sequence[int]:
        """The registers (or bits, as bools) of ``request`` from ``unit``.

        Raises a ``ReadFailure``: ``ConnectionDown``, ``NoResponse``, ``ExceptionResponse``
        or ``BadResponse``. Waits ``answer_timeout`` per attempt: at most about
        ``answer_timeout × (1 + retries)`` plus the requests queued ahead of it and one
        connect attempt.
        """
        async with self._lock:
            client = await self._connected_client()
            await self._pace()
            try:
                response = await self._ask(client, unit, request, answer_timeout, retries)
            finally:
                self._last_request_end = asyncio.get_running_loop().time()
            if cancel_pending():
                raise asyncio.CancelledError
            return _values(response, request, unit)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        self.health.state = LinkState.DISCONNECTED

    # ---------------------------------------------------------------- internals

    async def _connected_client(self) -> ModbusClient:
        client = self._client
        if client is not None:
            if client.connected:
                return client
            self._drop("connection lost")
        now = asyncio.get_running_loop().time()
        if now < self._next_attempt:
            raise ConnectionDown(
                f"{self.endpoint}: not connected ({self._last_error}); "
                f"next attempt in {self._next_attempt - now:.1f} s"
            )
        self.health.state = LinkState.CONNECTING
        client = self._factory(self.endpoint, self.connect_timeout)
        error = (
            "port cannot be opened" if isinstance(self.endpoint, SerialEndpoint)
            else "connection refused or timed out"
        )
        try:
            async with asyncio.timeout(self.connect_timeout):
                ok = await client.connect()
        except (OSError, TimeoutError, ModbusException) as exc:
            ok, error = False, f"{type(exc).__name__}: {exc}"
        except asyncio.CancelledError:
            client.close()
            raise
        if cancel_pending():
            client.close()
            raise asyncio.CancelledError
        if not ok or not client.connected:
            client.close()
            self._connect_failed(error)
            raise ConnectionDown(f"{self.endpoint}: cannot connect ({error})")
        if self._failed_connects:
            log.info("%s: connected after %d failed attempts", self.endpoint, self._failed_connects)
        self.health.count("connects")
        self._client = client
        self._failed_connects = 0
        self._answered_since_connect = False
        self._unanswered = 0
        self.health.state = LinkState.CONNECTED
        return client

    def _connect_failed(self, error: str) -> None:
        self._last_error = error
        self._failed_connects += 1
        self.health.count("connect_failures")
        self.health.state = LinkState.DISCONNECTED
        delay = next(self._delays)
        self._next_attempt = asyncio.get_running_loop().time() + delay
        level = logging.WARNING if self._failed_connects == 1 else logging.DEBUG
        log.log(level, "%s: cannot connect (%s); retrying in %.1f s", self.endpoint, error, delay)

    def _drop(self, why: str) -> None:
        """Forget a broken connection. A connection that had answered is retried at once
        (a device reboot); one that never answered waits for the next backoff delay, so
        that a peer accepting and then dropping connections is not hammered."""
        if self._client is not None:
            self._client.close()
            self._client = None
        self._last_error = why
        self.health.count("disconnects")
        self.health.state = LinkState.DISCONNECTED
        if self._answered_since_connect:
            self._next_attempt = 0.0
            log.warning("%s: %s; reconnecting", self.endpoint, why)
        else:
            delay = next(self._delays)
            self._next_attempt = asyncio.get_running_loop().time() + delay
            log.warning("%s: %s; reconnecting in %.1f s", self.endpoint, why, delay)

    async def _pace(self) -> None:
        if self.request_delay <= 0:
            return
        wait = self._last_request_end + self.request_delay - asyncio.get_running_loop().time()
        if wait > 0:
            await asyncio.sleep(wait)

    async def _ask(
        self, client: ModbusClient, unit: int, request: ReadRequest, answer_timeout: float,
        retries: int,
    ) -> ModbusPDU:
        for _attempt in range(retries + 1):
            self.health.count("requests")
            try:
                async with asyncio.timeout(answer_timeout):
                    response = await _call(client, unit, request)
            except TimeoutError:
                self.health.count("timeouts")
            except ModbusIOException:
                # pymodbus' own "no response" (its timeout is set later than ours, so rare)
                self.health.count("timeouts")
            except ConnectionException as exc:
                self._drop(f"connection failed: {exc}")
                raise ConnectionDown(f"{self.endpoint}: {exc}") from exc
            except ModbusException as exc:
                raise BadResponse(f"{self.endpoint} unit {unit} {request}: {exc}") from exc
            else:
                self._unanswered = 0
                if not self._answered_since_connect:
                    # The link works: the next outage starts its backoff from the bottom.
                    self._answered_since_connect = True
                    self._delays = self._backoff()
                return response
            if not client.connected:
                self._drop("connection lost while waiting for an answer")
                raise ConnectionDown(f"{self.endpoint}: connection lost")
        self._unanswered += 1
        if self._unanswered >= self.reconnect_after_silence:
            self._drop(f"no answer to {self._unanswered} requests in a row")
            self._unanswered = 0
        raise NoResponse(
            f"{self.endpoint} unit {unit}: no answer to {request} within {answer_timeout:g} s"
            + (f" ({retries + 1} attempts)" if retries else "")
        )


def _call(client: ModbusClient, unit: int, request: ReadRequest) -> Awaitable[ModbusPDU]:
    table, address, count = request.table, request.address, request.count
    if table is RegisterTable.HOLDING:
        call = client.read_holding_registers(address, count=count, device_id=unit)
    elif table is RegisterTable.INPUT:
        call = client.read_input_registers(address, count=count, device_id=unit)
    elif table is RegisterTable.COILS:
        call = client.read_coils(address, count=count, device_id=unit)
    else:
        call = client.read_discrete_inputs(address, count=count, device_id=unit)
    return call


def _values(response: ModbusPDU, request: ReadRequest, unit: int) -> Sequence[int]:
    if response.isError():
        code = response.exception_code
        name = _EXCEPTION_NAMES.get(code, "unknown exception")
        raise ExceptionResponse(f"unit {unit} {request}: exception {code} ({name})", code)
    if request.table.is_bit_table:
        bits = response.bits
        # Bits come padded to whole bytes.
        if len(bits) < request.count:
            raise BadResponse(f"unit {unit} {request}: {len(bits)} bits in the answer")
        return list(bits[: request.count])
    registers = response.registers
    if len(registers) != request.count:
        raise BadResponse(
            f"unit {unit} {request}: {len(registers)} registers in the answer, "
            f"asked for {request.count}"
        )
    return registers
