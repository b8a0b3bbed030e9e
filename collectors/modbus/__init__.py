"""Modbus TCP, RTU over TCP and RTU serial collector.

``decode`` and ``planner`` and ``convert`` are pure; ``hub`` owns a connection; ``device``
polls one unit; ``collector`` ties them together. See README.md for the policies.
"""

from collectors.modbus.collector import ModbusCollector, build_modbus_collectors
from collectors.modbus.convert import StatusBits
from collectors.modbus.device import RawRegisters, SilencePolicy

__all__ = [
    "ModbusCollector",
    "RawRegisters",
    "SilencePolicy",
    "StatusBits",
    "build_modbus_collectors",
]
