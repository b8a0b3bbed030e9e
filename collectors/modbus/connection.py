"""Where a Modbus device is reached, and the client that reaches it.

Devices sharing an endpoint share one connection: the units behind one serial server
(RTU over TCP) or on one RS-485 port, or several unit ids of one TCP gateway. A serial
port is one connection whatever unit talks on it, so serial devices are grouped by the
port path alone and must agree on the line settings.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.framer import FramerType
from pymodbus.pdu import ModbusPDU

from config.modbus import ModbusRtuOverTcpDevice, ModbusRtuSerialDevice, ModbusTcpDevice
from config.site import ModbusDevice


@dataclass(frozen=True, slots=True)
class TcpEndpoint:
    host: str
    port: int
    framing: Literal["socket", "rtu"]  # socket: Modbus TCP (MBAP); rtu: RTU frames over TCP

    def __str__(self) -> str:
        scheme = "modbus-tcp" if self.framing == "socket" else "rtu-over-tcp"
        return f"{scheme}://{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class SerialEndpoint:
    port: str
    baudrate: int = 9600
    bytesize: int = 8
    parity: Literal["N", "E", "O"] = "N"
    stopbits: int = 1

    def __str__(self) -> str:
        return f"serial:{self.port} {self.baudrate} {self.bytesize}{self.parity}{self.stopbits}"


Endpoint = TcpEndpoint | SerialEndpoint


def endpoint_of(device: ModbusDevice) -> Endpoint:
    if isinstance(device, ModbusTcpDevice):
        return TcpEndpoint(device.host, device.port, "socket")
    if isinstance(device, ModbusRtuOverTcpDevice):
        return TcpEndpoint(device.host, device.port, "rtu")
    assert isinstance(device, ModbusRtuSerialDevice)
    line = device.serial
    return SerialEndpoint(line.port, line.baudrate, line.bytesize, line.parity, line.stopbits)


def connection_key(endpoint: Endpoint) -> str:
    """Devices with equal keys must share one connection (one master per serial port)."""
    if isinstance(endpoint, SerialEndpoint):
        return f"serial:{endpoint.port}"
    return str(endpoint)


class ModbusClient(Protocol):
    """The part of pymodbus' async client the collector uses (tests may supply their own)."""

    @property
    def connected(self) -> bool: ...

    async def connect(self) -> bool: ...

    def close(self) -> None: ...

    def read_coils(
        self, address: int, *, count: int = ..., device_id: int = ...,
        no_response_expected: bool = ...,
    ) -> Awaitable[ModbusPDU]: ...

    def read_discrete_inputs(
        self, address: int, *, count: int = ..., device_id: int = ...,
        no_response_expected: bool = ...,
    ) -> Awaitable[ModbusPDU]: ...

    def read_holding_registers(
        self, address: int, *, count: int = ..., device_id: int = ...,
        no_response_expected: bool = ...,
    ) -> Awaitable[ModbusPDU]: ...

    def read_input_registers(
        self, address: int, *, count: int = ..., device_id: int = ...,
        no_response_expected: bool = ...,
    ) -> Awaitable[ModbusPDU]: ...


ClientFactory = Callable[[Endpoint, float], ModbusClient]
"""Builds an unconnected client for an endpoint; the float is the connect timeout."""

# Our own per-request timeout (asyncio.wait_for in the hub) decides; pymodbus' internal
# one is set this much later so that it never fires first.
_INTERNAL_TIMEOUT_MARGIN = 1.0
# pymodbus closes a TCP connection by itself after retries+3 unanswered requests; with one
# dead unit among live ones on a serial server that would drop everybody. The hub decides.
_NEVER_DISCONNECT = 1_000_000


def pymodbus_client(endpoint: Endpoint, connect_timeout: float) -> ModbusClient:
    """A pymodbus async client that neither retries nor reconnects on its own: the hub
    does both, with its own timeouts and backoff."""
    timeout = connect_timeout + _INTERNAL_TIMEOUT_MARGIN
    client: AsyncModbusTcpClient | AsyncModbusSerialClient
    if isinstance(endpoint, TcpEndpoint):
        client = AsyncModbusTcpClient(
            endpoint.host,
            port=endpoint.port,
            framer=FramerType.SOCKET if endpoint.framing == "socket" else FramerType.RTU,
            timeout=timeout,
            retries=0,
            reconnect_delay=0,
            name=str(endpoint),
        )
    else:
        client = AsyncModbusSerialClient(
            endpoint.port,
            framer=FramerType.RTU,
            baudrate=endpoint.baudrate,
            bytesize=endpoint.bytesize,
            parity=endpoint.parity,
            stopbits=endpoint.stopbits,
            timeout=timeout,
            retries=0,
            reconnect_delay=0,
            name=str(endpoint),
        )
    client.set_max_no_responses(_NEVER_DISCONNECT)
    return client
