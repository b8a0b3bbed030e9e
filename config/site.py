"""A site file: one enterprise, its hazard sources and devices."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from config.base import Model
from config.modbus import (
    ModbusPoint,
    ModbusRtuOverTcpDevice,
    ModbusRtuSerialDevice,
    ModbusTcpDevice,
)
from config.mqtt import MqttDevice, MqttPoint
from config.plan import Plan
from config.points import (
    Contact,
    Enterprise,
    HazardSource,
)

Device = Annotated[
    ModbusTcpDevice | ModbusRtuOverTcpDevice | ModbusRtuSerialDevice | MqttDevice,
    Field(discriminator="transport"),
]
ModbusDevice = ModbusTcpDevice | ModbusRtuOverTcpDevice | ModbusRtuSerialDevice
Point = ModbusPoint | MqttPoint


class Site(Model):
    enterprise: Enterprise
    hazard_sources: list[HazardSource] = Field(min_length=1)
    devices: list[Device] = Field(min_length=1)
    plan: Plan | None = Field(default=None, description="厂区平面图 and detector positions")
    contacts: list[Contact] = Field(
        default=[], description="主要负责人, 技术负责人, 操作负责人, 包保责任人 (一企一档)"
    )

    @field_validator("hazard_sources")
    @classmethod
    def _unique_sources(cls, sources: list[HazardSource]) -> list[HazardSource]:
        seen: set[str] = set()
        for source in sources:
            if source.id in seen:
                raise ValueError(f"duplicate hazard source id {source.id!r}")
            seen.add(source.id)
        return sources

    def points(self) -> list[tuple[Device, Point]]:
        return [(device, point) for device in self.devices for point in device.points]


