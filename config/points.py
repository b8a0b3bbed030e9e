"""The enterprise, its hazard sources (重大危险源) and what every point has."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator, model_validator

from config.alarms import PointAlarms, is_lel_unit
from config.base import Model
from config.sharing import SHARED_PARTS

# --------------------------------------------------------------------------- site


class Enterprise(Model):
    name: str = Field(min_length=1, description="企业名称")
    code: str = Field(
        min_length=1,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="企业代码 (e.g. unified social credit code); used as the site key in storage",
    )


class HazardSourceKind(StrEnum):
    TANK_FARM = "tank_farm"  # 储罐区
    WAREHOUSE = "warehouse"  # 库区
    PROCESS_UNIT = "process_unit"  # 生产装置
    DUST_LINE = "dust_line"  # 粉尘涉爆


class ChemicalStock(Model):
    """A hazardous chemical of a hazard source, for GB 18218-2018's R (config/gb18218.py)."""

    name: str = Field(min_length=1, description="危险化学品名称, e.g. 甲醇")
    quantity_t: float = Field(gt=0, description="最大储存量 q (t)")
    critical_t: float | None = Field(default=None, gt=0, description="临界量 Q (t), 表1/表2")
    beta: float | None = Field(default=None, gt=0, description="校正系数 β, 表3/表4")


class HazardSource(Model):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, description="重大危险源名称")
    grade: int = Field(ge=1, le=4, description="GB 18218-2018 grade, 1 (highest) to 4")
    kind: HazardSourceKind
    chemicals: list[ChemicalStock] = Field(default=[], description="for the R value")
    exposed_people: int | None = Field(
        default=None, ge=0, description="people within 500 m, for α (GB 18218-2018 表5)"
    )


class ContactRole(StrEnum):
    PRINCIPAL = "principal"  # 主要负责人
    TECHNICAL = "technical"  # 技术负责人
    OPERATIONS = "operations"  # 操作负责人
    RESPONSIBLE = "responsible"  # 包保责任人


class Contact(Model):
    role: ContactRole
    name: str = Field(min_length=1, max_length=40)
    phone: str = Field(pattern=r"^\+?[0-9][0-9 -]{4,20}$", description="电话")
    title: str = Field(default="", description="职务")
    hazard_source: str | None = Field(
        default=None, description="for 包保责任人: the hazard source they answer for"
    )


# -------------------------------------------------------------------------- points


class PointKind(StrEnum):
    LEVEL = "level"
    TEMPERATURE = "temperature"
    PRESSURE = "pressure"
    FLOW = "flow"
    VALVE_POSITION = "valve_position"
    COMBUSTIBLE_GAS = "combustible_gas"  # %LEL
    TOXIC_GAS = "toxic_gas"  # ppm or mg/m3, with its gas
    OXYGEN = "oxygen"  # %VOL
    PRESSURE_DIFFERENCE = "pressure_difference"
    HUMIDITY = "humidity"
    WIND_SPEED = "wind_speed"
    ANALOG = "analog"
    DISCRETE_STATE = "discrete_state"  # spark detected, valve fault, interlock, ...


DISCRETE_KINDS = frozenset({PointKind.DISCRETE_STATE})


class Range(Model):
    """Measuring range. Values outside it are flagged out_of_range, never clamped."""

    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.low < self.high:
            raise ValueError(f"range low {self.low} must be below high {self.high}")
        return self


class PointBase(Model):
    tag: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$", description="位号, e.g. LT-101")
    name: str = Field(min_length=1, description="中文名称")
    kind: PointKind
    unit: str = ""
    range: Range | None = None
    gas: str | None = Field(default=None, description="for toxic_gas: the gas, e.g. H2S")
    hazard_source: str = Field(description="id of the hazard source this point belongs to")
    alarms: PointAlarms | None = None

    @field_validator("range", mode="after")
    @classmethod
    def _one_range_each(cls, value: Range | None) -> Range | None:
        # Points share a few ranges (0–100 %LEL…): one frozen instance of each.
        return SHARED_PARTS.share_optional(value)

    @model_validator(mode="after")
    def _kind_rules(self) -> PointBase:
        if self.kind in DISCRETE_KINDS:
            if self.range is not None:
                raise ValueError("a discrete point has no range")
        elif self.range is None:
            raise ValueError(f"an analog point of kind {self.kind.value} needs a range")
        if self.kind is PointKind.TOXIC_GAS and not self.gas:
            raise ValueError("a toxic_gas point must name its gas (e.g. gas: H2S)")
        if self.kind is not PointKind.TOXIC_GAS and self.gas is not None:
            raise ValueError("only toxic_gas points name a gas")
        if self.kind is PointKind.COMBUSTIBLE_GAS and not is_lel_unit(self.unit):
            # GB/T 50493-2019's set points (25/50) are in %LEL: in another unit the check of
            # the limits, and the defaults, would compare numbers that mean something else.
            raise ValueError(
                f"a combustible_gas point measures in %LEL, not {self.unit!r}: write "
                "unit: '%LEL' (no unit also means %LEL); for another unit use kind analog "
                "with explicit limits"
            )
        return self


