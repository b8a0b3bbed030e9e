"""Modbus devices and points: tables, data types, byte orders, serial lines."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from config.base import Model
from config.points import (
    PointBase,
)
from config.sharing import SHARED_PARTS

# ---------------------------------------------------------------------- modbus


class RegisterTable(StrEnum):
    COILS = "coils"
    DISCRETE_INPUTS = "discrete_inputs"
    HOLDING = "holding"
    INPUT = "input"

    @property
    def is_bit_table(self) -> bool:
        return self in (RegisterTable.COILS, RegisterTable.DISCRETE_INPUTS)


class DataType(StrEnum):
    BOOL = "bool"  # a coil or discrete input
    BIT = "bit"  # one bit of a 16-bit register
    INT16 = "int16"
    UINT16 = "uint16"
    INT32 = "int32"
    UINT32 = "uint32"
    FLOAT32 = "float32"
    FLOAT64 = "float64"

    @property
    def register_count(self) -> int:
        return _REGISTER_COUNT[self]


_REGISTER_COUNT = {
    DataType.BOOL: 1,
    DataType.BIT: 1,
    DataType.INT16: 1,
    DataType.UINT16: 1,
    DataType.INT32: 2,
    DataType.UINT32: 2,
    DataType.FLOAT32: 2,
    DataType.FLOAT64: 4,
}


class ByteOrder(StrEnum):
    """Order of the bytes of a multi-register value, A being the most significant.

    ABCD: big-endian words, big-endian bytes (Modbus default).
    BADC: bytes swapped within each word. CDAB: words swapped. DCBA: fully reversed.
    """

    ABCD = "ABCD"
    BADC = "BADC"
    CDAB = "CDAB"
    DCBA = "DCBA"


class CurrentLoop(Model):
    """4–20 mA raw counts, linearised onto the point's range.

    ``counts_at_4ma``/``counts_at_20ma`` describe the A/D converter. A current
    outside [fault_below_ma, fault_above_ma] is a sensor fault (NAMUR NE43 by default).
    """

    counts_at_4ma: float
    counts_at_20ma: float
    fault_below_ma: float = 3.6
    fault_above_ma: float = 21.0

    @model_validator(mode="after")
    def _sane(self) -> CurrentLoop:
        if self.counts_at_4ma == self.counts_at_20ma:
            raise ValueError("counts_at_4ma and counts_at_20ma must differ")
        if not self.fault_below_ma < 4.0 < 20.0 < self.fault_above_ma:
            raise ValueError("fault currents must lie outside 4–20 mA")
        return self


class StatusRole(StrEnum):
    FAULT = "fault"  # detector or line fault: the value is not trustworthy
    ALARM = "alarm"  # the controller's own alarm output
    HEARTBEAT = "heartbeat"  # toggles while the controller is alive
    CALIBRATION = "calibration"
    INHIBIT = "inhibit"


class StatusWord(Model):
    """A register beside the value whose bits report the state of the channel."""

    table: Literal[RegisterTable.HOLDING, RegisterTable.INPUT] = RegisterTable.HOLDING
    address: int = Field(ge=0, le=65535)
    bits: dict[StatusRole, Annotated[int, Field(ge=0, le=15)]]
    heartbeat_timeout: float = Field(
        default=10.0,
        gt=0,
        description="seconds without a change of the heartbeat bit after which the points"
        " reading this word turn uncertain (heartbeat_stalled) until it moves again",
    )


class ModbusSource(Model):
    table: RegisterTable
    address: int = Field(ge=0, le=65535, description="0-based wire address")
    type: DataType = DataType.UINT16
    bit: int | None = Field(default=None, ge=0, le=15, description="for type bit")
    byte_order: ByteOrder = ByteOrder.ABCD
    count: int | None = Field(
        default=None,
        ge=1,
        description="registers to read; defaults to what the type needs and must match it",
    )
    scale: float = 1.0
    offset: float = 0.0
    current_loop: CurrentLoop | None = None
    status_word: StatusWord | None = None

    @model_validator(mode="after")
    def _type_fits_table(self) -> ModbusSource:
        if self.table.is_bit_table != (self.type is DataType.BOOL):
            raise ValueError(
                f"type {self.type.value} does not fit table {self.table.value}: "
                "coils and discrete inputs are type bool, registers are not"
            )
        if (self.type is DataType.BIT) != (self.bit is not None):
            raise ValueError("type bit needs `bit: 0..15`, and only type bit takes one")
        if self.count is not None and self.count != self.type.register_count:
            raise ValueError(
                f"count {self.count} does not fit type {self.type.value}, "
                f"which takes {self.type.register_count} register(s)"
            )
        if self.address + self.type.register_count > 65536:
            raise ValueError("the value runs past register 65535")
        if self.current_loop is not None and self.type in (DataType.BOOL, DataType.BIT):
            raise ValueError("a 4–20 mA current loop needs a numeric type")
        if self.current_loop is not None and (self.scale != 1.0 or self.offset != 0.0):
            raise ValueError(
                "a 4–20 mA point is scaled by its range: scale and offset do not apply"
            )
        return self

    @property
    def register_count(self) -> int:
        return self.type.register_count


class ModbusPoint(PointBase):
    source: ModbusSource

    @field_validator("source", mode="after")
    @classmethod
    def _one_source_each(cls, value: ModbusSource) -> ModbusSource:
        # Devices with the same register map (a row of identical gas controllers) have equal
        # sources: one frozen instance of each.
        return SHARED_PARTS.share_if_hashable(value)

    @model_validator(mode="after")
    def _discrete_is_bit(self) -> ModbusPoint:
        if self.source.current_loop is not None and self.range is None:
            raise ValueError("a 4–20 mA point needs a range to linearise onto")
        return self


class SerialLine(Model):
    port: str = Field(description="e.g. /dev/ttyUSB0")
    baudrate: int = 9600
    bytesize: Literal[7, 8] = 8
    parity: Literal["N", "E", "O"] = "N"
    stopbits: Literal[1, 2] = 1


class ModbusDeviceBase(Model):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = ""
    unit: int = Field(default=1, ge=0, le=247, description="Modbus unit (slave) id")
    poll_interval: float = Field(default=1.0, gt=0, description="seconds")
    timeout: float = Field(default=1.0, gt=0, description="seconds per request")
    retries: int = Field(default=1, ge=0, le=10)
    request_delay: float = Field(
        default=0.0, ge=0, description="pause between requests on the connection, seconds"
    )
    max_gap: int = Field(
        default=16, ge=0, le=124, description="unused registers a merged read may span"
    )
    read_individually: bool = Field(
        default=False, description="one request per point, for devices refusing large reads"
    )
    address_style: Literal["wire", "manual"] = Field(
        default="wire",
        description="wire: 0-based addresses; manual: 1-based 0xxxx/1xxxx/3xxxx/4xxxx numbers",
    )
    points: list[ModbusPoint] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _manual_to_wire(cls, data: object) -> object:
        """Rewrite manual-style (1-based, table-prefixed) addresses to wire addresses.

        Done before validation so that everything downstream sees one address style.
        """
        if not isinstance(data, dict) or data.get("address_style") != "manual":
            return data
        points = data.get("points")
        if not isinstance(points, list):
            return data
        rewritten = []
        for point in points:
            if isinstance(point, dict) and isinstance(point.get("source"), dict):
                source = dict(point["source"])
                source["address"] = manual_to_wire(source.get("table"), source.get("address"))
                if isinstance(source.get("status_word"), dict):
                    word = dict(source["status_word"])
                    word["address"] = manual_to_wire(
                        word.get("table", "holding"), word.get("address")
                    )
                    source["status_word"] = word
                point = {**point, "source": source}
            rewritten.append(point)
        return {**data, "points": rewritten}


_MANUAL_BASE = {"coils": 1, "discrete_inputs": 10001, "input": 30001, "holding": 40001}


def manual_to_wire(table: object, address: object) -> object:
    """40001 → holding 0, 30010 → input 9, 10001 → discrete input 0, 1 → coil 0.

    Five- and six-digit forms (40001, 400001) are both accepted. Anything that
    does not fit the table is an error, never guessed.
    """
    if not isinstance(table, str) or table not in _MANUAL_BASE or not isinstance(address, int):
        return address  # let field validation report the real problem
    base = _MANUAL_BASE[table]
    for start, width in ((base, 9999), ((base - 1) * 10 + 1 if base > 1 else 1, 65536)):
        if start <= address < start + width:
            return address - start
    raise ValueError(
        f"manual address {address} is not a {table} address "
        f"(expected {base}..{base + 9998} or six-digit form)"
    )


class ModbusTcpDevice(ModbusDeviceBase):
    transport: Literal["modbus_tcp"]
    host: str
    port: int = Field(default=502, ge=1, le=65535)


class ModbusRtuOverTcpDevice(ModbusDeviceBase):
    """RTU frames through a serial server (serial-to-Ethernet converter)."""

    transport: Literal["modbus_rtu_tcp"]
    host: str
    port: int = Field(ge=1, le=65535)


class ModbusRtuSerialDevice(ModbusDeviceBase):
    transport: Literal["modbus_rtu_serial"]
    serial: SerialLine


