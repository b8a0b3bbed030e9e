"""Simulated Modbus devices on real pymodbus servers, for tests, benchmarks and the demo.

One server is one endpoint (a TCP port, or one end of a serial line) serving several
unit ids, like a gateway or an RS-485 bus behind a serial server. Every unit has its
four tables (coils, discrete inputs, holding and input registers) of ``size``
addresses each, all zero at first; reading past them answers exception 2.

A unit can be made *silent* (``set_unit_alive(unit, False)``): it then does not answer
at all, so the client times out, exactly like a dead slave on an RS-485 bus, while the
other units of the same server keep answering. Unknown unit ids are silent too.
``set_unit_unreachable(unit)`` instead answers exception 11, as a TCP-to-RTU gateway does
for a dead slave behind it.

How: the server's datastore is replaced by ``UnitStore``, a plain in-memory store that
tests can read and write synchronously; for a silent unit it raises pymodbus'
``NoSuchIdException``, which a server built with ``ignore_missing_devices=True`` answers
with silence instead of an exception response.

``encode(value, DataType, ByteOrder)`` gives the registers a device would hold for a
value (float32 CDAB and so on); ``VirtualSerialPair`` starts ``socat`` to make two linked
pseudo terminals for RTU over a real serial line.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

from pymodbus.constants import ExcCodes
from pymodbus.exceptions import NoSuchIdException
from pymodbus.framer import FramerType
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.server.base import ModbusBaseServer
from pymodbus.simulator import DataType as SimDataType
from pymodbus.simulator import SimData, SimDevice
from pymodbus.simulator.simcore import SimCore

from collectors.modbus.decode import encode
from gateway.sim.children import die_with_parent

__all__ = [
    "SimModbusSerialServer",
    "SimModbusServer",
    "UnitStore",
    "VirtualSerialPair",
    "encode",
]

RegisterTableName = Literal["holding", "input"]
BitTableName = Literal["coils", "discrete_inputs"]
TableName = Literal["holding", "input", "coils", "discrete_inputs"]

_TABLE_OF_FUNCTION: dict[int, TableName] = {
    1: "coils",
    5: "coils",
    15: "coils",
    2: "discrete_inputs",
    3: "holding",
    6: "holding",
    16: "holding",
    22: "holding",
    23: "holding",
    4: "input",
}


class UnitStore(SimCore):
    """The tables of every unit of one server, readable and writable without awaiting.

    A ``SimCore`` so that it can stand in for the server's own datastore.
    """

    def __init__(self, units: Iterable[int], size: int, latency: float = 0.0) -> None:
        unit_ids = sorted(set(units))
        if not unit_ids:
            raise ValueError("a simulated server needs at least one unit")
        for unit in unit_ids:
            if not 0 <= unit <= 247:
                raise ValueError(f"unit id {unit} is not 0..247")
        if not 1 <= size <= 65536:
            raise ValueError(f"size {size} is not 1..65536")
        # SimCore wants devices to build; ours are the tables below.
        super().__init__(
            [SimDevice(id=unit, simdata=[SimData(0, values=[0], datatype=SimDataType.REGISTERS)])
             for unit in unit_ids]
        )
        self.size = size
        self.latency = latency
        self.registers: dict[int, dict[RegisterTableName, list[int]]] = {
            unit: {"holding": [0] * size, "input": [0] * size} for unit in unit_ids
        }
        self.bits: dict[int, dict[BitTableName, list[bool]]] = {
            unit: {"coils": [False] * size, "discrete_inputs": [False] * size}
            for unit in unit_ids
        }
        self.alive: dict[int, bool] = dict.fromkeys(unit_ids, True)
        self.unreachable: set[int] = set()  # answered with exception 11 by "the gateway"
        self.unreachable_left: dict[int, int] = {}  # exception 11 for this many more requests
        # 11 "target failed to respond", or 10 "path unavailable" (a gateway whose serial
        # side is busy or down)
        self.unreachable_code = ExcCodes.GATEWAY_NO_RESPONSE
        self.requests: Counter[int] = Counter()  # answered requests per unit

    def device_ids(self) -> list[int]:
        return list(self.alive)

    def _check_unit(self, unit: int) -> None:
        if not self.alive.get(unit, False):
            # With ignore_missing_devices the server sends nothing: a real timeout.
            raise NoSuchIdException(f"unit {unit} is silent")

    async def async_getValues(
        self, device_id: int, func_code: int, address: int, count: int = 1
    ) -> list[int] | list[bool] | ExcCodes:
        self._check_unit(device_id)
        if self.latency > 0:
            await asyncio.sleep(self.latency)
            self._check_unit(device_id)
        if device_id in self.unreachable:
            return self.unreachable_code
        left = self.unreachable_left.get(device_id, 0)
        if left > 0:
            self.unreachable_left[device_id] = left - 1
            return self.unreachable_code
        table = _TABLE_OF_FUNCTION.get(func_code)
        if table is None:
            return ExcCodes.ILLEGAL_FUNCTION
        if address < 0 or count < 1 or address + count > self.size:
            return ExcCodes.ILLEGAL_ADDRESS
        self.requests[device_id] += 1
        if table == "coils" or table == "discrete_inputs":
            return self.bits[device_id][table][address : address + count]
        return self.registers[device_id][table][address : address + count]

    async def async_setValues(
        self, device_id: int, func_code: int, address: int, values: list[int] | list[bool]
    ) -> ExcCodes | None:
        self._check_unit(device_id)
        table = _TABLE_OF_FUNCTION.get(func_code)
        if table is None:
            return ExcCodes.ILLEGAL_FUNCTION
        if table in ("input", "discrete_inputs"):
            return ExcCodes.ILLEGAL_FUNCTION
        if address < 0 or address + len(values) > self.size:
            return ExcCodes.ILLEGAL_ADDRESS
        if table == "coils":
            bits = [bool(v) for v in values]
            self.bits[device_id]["coils"][address : address + len(values)] = bits
        else:
            self.registers[device_id]["holding"][address : address + len(values)] = [
                int(v) for v in values
            ]
        return None

    # ------------------------------------------------------------- direct access

    def _unit(self, unit: int) -> None:
        if unit not in self.alive:
            raise KeyError(f"unit {unit} is not simulated here (units: {sorted(self.alive)})")

    def write_registers(
        self, unit: int, table: RegisterTableName, address: int, values: Sequence[int]
    ) -> None:
        self._unit(unit)
        if address < 0 or address + len(values) > self.size:
            raise IndexError(f"{table} {address}+{len(values)} is outside 0..{self.size - 1}")
        for value in values:
            if not 0 <= value <= 0xFFFF:
                raise ValueError(f"register value {value} is not 0..65535")
        self.registers[unit][table][address : address + len(values)] = list(values)

    def write_bits(
        self, unit: int, table: BitTableName, address: int, values: Sequence[bool]
    ) -> None:
        self._unit(unit)
        if address < 0 or address + len(values) > self.size:
            raise IndexError(f"{table} {address}+{len(values)} is outside 0..{self.size - 1}")
        self.bits[unit][table][address : address + len(values)] = [bool(v) for v in values]

    def read_registers(
        self, unit: int, table: RegisterTableName, address: int, count: int
    ) -> list[int]:
        self._unit(unit)
        return list(self.registers[unit][table][address : address + count])

    def read_bits(self, unit: int, table: BitTableName, address: int, count: int) -> list[bool]:
        self._unit(unit)
        return list(self.bits[unit][table][address : address + count])


class _SimServerBase:
    """What both transports share: the store and the direct-access methods."""

    def __init__(self, units: Iterable[int], size: int, latency: float) -> None:
        self.store = UnitStore(units, size, latency)
        self._server: ModbusBaseServer | None = None

    @property
    def units(self) -> list[int]:
        return self.store.device_ids()

    @property
    def running(self) -> bool:
        return self._server is not None

    def set_unit_alive(self, unit: int, alive: bool) -> None:
        """A dead unit does not answer at all (the client times out); others keep answering."""
        self.store._unit(unit)
        self.store.alive[unit] = alive

    def set_unit_unreachable(
        self, unit: int, unreachable: bool = True, *, requests: int | None = None,
        code: int = 11,
    ) -> None:
        """Answer for this unit with exception 11 (gateway target failed to respond), as a
        Modbus TCP gateway does for a dead slave on its serial side; with ``requests``,
        only for that many requests (a lost frame on the serial side). ``code`` 10: "gateway
        path unavailable" instead (the same answer for every unit so marked)."""
        self.store._unit(unit)
        self.store.unreachable_code = (
            ExcCodes.GATEWAY_PATH_UNAVIABLE if code == 10 else ExcCodes.GATEWAY_NO_RESPONSE
        )
        if requests is not None:
            self.store.unreachable_left[unit] = requests
        elif unreachable:
            self.store.unreachable.add(unit)
        else:
            self.store.unreachable.discard(unit)

    def write_registers(
        self, unit: int, table: RegisterTableName, address: int, values: Sequence[int]
    ) -> None:
        self.store.write_registers(unit, table, address, values)

    def write_bits(
        self, unit: int, table: BitTableName, address: int, values: Sequence[bool]
    ) -> None:
        self.store.write_bits(unit, table, address, values)

    def read_registers(
        self, unit: int, table: RegisterTableName, address: int, count: int
    ) -> list[int]:
        return self.store.read_registers(unit, table, address, count)

    def read_bits(self, unit: int, table: BitTableName, address: int, count: int) -> list[bool]:
        return self.store.read_bits(unit, table, address, count)

    def request_count(self, unit: int) -> int:
        """Read requests this unit answered (with data) since the server was built."""
        return self.store.requests[unit]

    def _build(self) -> ModbusBaseServer:
        raise NotImplementedError

    async def start(self) -> None:
        if self._server is not None:
            return
        server = self._build()
        server.context = self.store  # our store answers, see the module docstring
        await server.serve_forever(background=True)
        self._server = server
        self._started(server)

    def _started(self, server: ModbusBaseServer) -> None:
        """Hook for the TCP server to learn its port."""

    async def stop(self) -> None:
        """Stop serving and drop every client connection; the tables are kept."""
        server, self._server = self._server, None
        if server is not None:
            await server.shutdown()  # type: ignore[no-untyped-call]

    async def restart(self) -> None:
        """Stop, then serve again at the same place: a device reboot."""
        await self.stop()
        await self.start()

    async def __aenter__(self) -> _SimServerBase:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()


class SimModbusServer(_SimServerBase):
    """A Modbus TCP endpoint (``framer="socket"``), or a serial server speaking RTU frames
    over TCP (``framer="rtu"``), serving ``units``. ``port=0`` picks a free port:
    read ``port`` after ``start``. ``latency`` delays every answer (a slow device)."""

    def __init__(
        self,
        units: Iterable[int],
        *,
        framer: Literal["socket", "rtu"] = "socket",
        host: str = "127.0.0.1",
        port: int = 0,
        size: int = 2000,
        latency: float = 0.0,
    ) -> None:
        super().__init__(units, size, latency)
        if framer not in ("socket", "rtu"):
            raise ValueError(f"framer must be 'socket' or 'rtu', got {framer!r}")
        self.framer = framer
        self.host = host
        self.port = port

    def _build(self) -> ModbusBaseServer:
        return ModbusTcpServer(
            SimDevice(id=0, simdata=[SimData(0, values=[0], datatype=SimDataType.REGISTERS)]),
            framer=FramerType.SOCKET if self.framer == "socket" else FramerType.RTU,
            address=(self.host, self.port),
            ignore_missing_devices=True,
        )

    def _started(self, server: ModbusBaseServer) -> None:
        listener = server.transport
        if isinstance(listener, asyncio.Server) and listener.sockets:
            self.port = int(listener.sockets[0].getsockname()[1])


class SimModbusSerialServer(_SimServerBase):
    """Units on an RS-485 line: an RTU server on a serial port (e.g. one end of a
    ``VirtualSerialPair``)."""

    def __init__(
        self,
        port_path: str | Path,
        units: Iterable[int],
        *,
        baudrate: int = 9600,
        bytesize: int = 8,
        parity: Literal["N", "E", "O"] = "N",
        stopbits: int = 1,
        size: int = 2000,
        latency: float = 0.0,
    ) -> None:
        super().__init__(units, size, latency)
        self.port_path = str(port_path)
        self.baudrate = baudrate
        self.bytesize = bytesize
        self.parity = parity
        self.stopbits = stopbits

    def _build(self) -> ModbusBaseServer:
        return ModbusSerialServer(
            SimDevice(id=0, simdata=[SimData(0, values=[0], datatype=SimDataType.REGISTERS)]),
            framer=FramerType.RTU,
            port=self.port_path,
            baudrate=self.baudrate,
            bytesize=self.bytesize,
            parity=self.parity,
            stopbits=self.stopbits,
            ignore_missing_devices=True,
        )


class VirtualSerialPair:
    """Two linked pseudo terminals made by ``socat``: what one end writes, the other reads.

    ``VirtualSerialPair(directory)`` creates the links ``directory/a`` and ``directory/b``;
    use a fresh temporary directory per pair.
    """

    def __init__(self, directory: str | Path, *, socat: str = "socat") -> None:
        self.directory = Path(directory)
        self.a = str(self.directory / "a")
        self.b = str(self.directory / "b")
        self.socat = socat
        self._process: asyncio.subprocess.Process | None = None

    @staticmethod
    def available(socat: str = "socat") -> bool:
        return shutil.which(socat) is not None

    async def start(self, wait: float = 5.0) -> None:
        """Start socat and wait (at most ``wait`` seconds) for both links to appear."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._process = await asyncio.create_subprocess_exec(
            self.socat,
            "-d", "-d",
            f"pty,raw,echo=0,link={self.a}",
            f"pty,raw,echo=0,link={self.b}",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while not self._links_exist():
            if self._process.returncode is not None:
                raise RuntimeError(f"socat exited with {self._process.returncode}")
            if loop.time() > deadline:
                await self.stop()
                raise TimeoutError(f"socat made no pseudo terminals within {wait} s")
            await asyncio.sleep(0.02)

    def _links_exist(self) -> bool:
        return os.path.exists(self.a) and os.path.exists(self.b)

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 5.0)
        except TimeoutError:
            process.kill()
            await process.wait()

    async def __aenter__(self) -> VirtualSerialPair:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()
