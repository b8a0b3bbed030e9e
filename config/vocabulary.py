"""The words the site file itself uses: alarm priorities and types, and how units are compared."""

from __future__ import annotations

from enum import StrEnum


class Priority(StrEnum):
    """ISA-18.2 priorities and the colours of the Chinese warning scale."""

    CRITICAL = "critical"  # 红 red
    HIGH = "high"  # 橙 orange
    MEDIUM = "medium"  # 黄 yellow
    LOW = "low"  # 蓝 blue

    @property
    def colour(self) -> str:
        return _COLOURS[self]

    @property
    def rank(self) -> int:
        """0 is the most urgent."""
        return _RANKS[self]


_COLOURS = {
    Priority.CRITICAL: "red",
    Priority.HIGH: "orange",
    Priority.MEDIUM: "yellow",
    Priority.LOW: "blue",
}
_RANKS = {Priority.CRITICAL: 0, Priority.HIGH: 1, Priority.MEDIUM: 2, Priority.LOW: 3}

NORMAL_COLOUR = "green"  # a hazard source without annunciated alarms


def status_colour(priority: Priority | None) -> str:
    """The colour of a hazard source whose worst annunciated alarm has ``priority``."""
    return NORMAL_COLOUR if priority is None else priority.colour


class AlarmType(StrEnum):
    HIGH_HIGH = "HH"  # 高高
    HIGH = "H"  # 高
    LOW = "L"  # 低
    LOW_LOW = "LL"  # 低低
    RATE_OF_CHANGE = "ROC"
    DISCRETE = "DISCRETE"  # spark, valve fault, interlock, detector fault bit
    COMM_LOSS = "COMM_LOSS"  # no good reading for too long: a system alarm
    SENSOR_FAULT = "SENSOR_FAULT"  # fault current, fault bit, dead heartbeat: a system alarm


def normalise_unit(unit: str) -> str:
    return unit.strip().lower().replace(" ", "").replace("³", "3").replace("μ", "u")
