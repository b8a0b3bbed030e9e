"""Occupational exposure limits (OEL) of common toxic gases, for default toxic-gas alarms.

Where the numbers come from
---------------------------
GB/T 50493-2019 (石油化工可燃气体和有毒气体检测报警设计标准) §5.5.3 sets the toxic-gas
alarm set points: first level ≤ 100 %OEL, second level ≤ 200 %OEL (≤ 5 % / 10 % IDLH only
when the detector's range cannot meet that). The OELs themselves are those of
GBZ 2.1-2019 (工作场所有害因素职业接触限值 第1部分：化学有害因素), Table 1, in mg/m³:

- MAC (最高容许浓度): never to be exceeded at any moment of the working day;
- PC-STEL (短时间接触容许浓度): 15-minute average;
- PC-TWA (时间加权平均容许浓度): 8-hour average.

Which limit the defaults use, and why
-------------------------------------
The **lowest limit the standard sets for the substance**: its MAC where it has one
(GBZ 2.1 gives a substance either a MAC or TWA/STEL), otherwise its PC-TWA (always below
its PC-STEL). A detector reads an instantaneous concentration; the MAC is the limit made
for that. For TWA/STEL substances the readings could be compared with the STEL, but
GB/T 50493 only says "≤ 100 %OEL" without naming the kind of limit, and the lowest one
satisfies the rule under every reading of it. It is also what vendors' published
GB/T 50493 set-point tables use (first level = MAC, else PC-TWA; e.g. NH3 20 / 40 mg/m³,
CO 20 / 40 mg/m³). Engineers who need another basis write explicit limits.

Conversion to ppm
-----------------
GBZ 2.1 values are mass concentrations at 20 °C and 101.3 kPa (the reference state of
GBZ 159 sampling). ppm (µmol/mol) = mg/m³ × Vm / M with Vm = R·T/p = 8.314462618 ×
293.15 / 101.325 = 24.055 L/mol and M the molar mass in g/mol. A limit written "as CN"
(HCN) or "as F" (HF) is a mass of CN or F, so M is that of CN (26.02) or F (19.00).
Example: H2S, MAC 10 mg/m³ → 10 × 24.055 / 34.08 = 7.06 ppm (200 %OEL: 14.1 ppm).

Status (M): the values were transcribed from GBZ 2.1-2019 Table 1 as quoted in the
literature; check a new gas against the standard's text before relying on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.vocabulary import normalise_unit

GAS_CONSTANT = 8.314462618  # J/(mol·K)
REFERENCE_TEMPERATURE_K = 293.15  # 20 °C
REFERENCE_PRESSURE_KPA = 101.325
MOLAR_VOLUME_L = GAS_CONSTANT * REFERENCE_TEMPERATURE_K / REFERENCE_PRESSURE_KPA  # 24.055


class UnitError(ValueError):
    """A toxic-gas unit the defaults cannot convert an OEL into."""


@dataclass(frozen=True, slots=True)
class Oel:
    formula: str
    name_zh: str
    name_en: str
    cas: str
    molar_mass: float  # g/mol of the substance
    mac: float | None = None  # mg/m³
    pc_twa: float | None = None
    pc_stel: float | None = None
    expressed_as: tuple[str, float] | None = None  # ("CN", 26.02): limit is a mass of CN
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.mac is None and self.pc_twa is None:
            raise ValueError(f"{self.formula}: an OEL needs a MAC or a PC-TWA")

    @property
    def basis(self) -> str:
        """Which limit the defaults use (see the module docstring)."""
        return "MAC" if self.mac is not None else "PC-TWA"

    @property
    def limit_mg_m3(self) -> float:
        value = self.mac if self.mac is not None else self.pc_twa
        assert value is not None  # __post_init__
        return value

    @property
    def conversion_molar_mass(self) -> float:
        return self.expressed_as[1] if self.expressed_as is not None else self.molar_mass

    @property
    def limit_ppm(self) -> float:
        return mg_m3_to_ppm(self.limit_mg_m3, self.conversion_molar_mass)

    def limit_in(self, unit: str) -> float:
        """100 %OEL in the point's unit: ppm, ppb, mg/m3 (mg/m³) or %OEL."""
        key = normalise_unit(unit)
        if key == "ppm":
            return self.limit_ppm
        if key == "ppb":
            return self.limit_ppm * 1000.0
        if key == "mg/m3":
            return self.limit_mg_m3
        if key == "%oel":
            return 100.0
        raise UnitError(
            f"cannot express the OEL of {self.formula} in unit {unit!r}; "
            "use ppm, ppb, mg/m3 or %OEL, or write the limits explicitly"
        )


def mg_m3_to_ppm(mg_m3: float, molar_mass: float) -> float:
    return mg_m3 * MOLAR_VOLUME_L / molar_mass


# GBZ 2.1-2019 Table 1 (mg/m³). 非高原 values where the standard distinguishes altitude (CO).
TABLE: tuple[Oel, ...] = (
    Oel("H2S", "硫化氢", "hydrogen sulfide", "7783-06-4", 34.08, mac=10),
    Oel("NH3", "氨", "ammonia", "7664-41-7", 17.03, pc_twa=20, pc_stel=30),
    Oel("Cl2", "氯", "chlorine", "7782-50-5", 70.90, mac=1, aliases=("氯气",)),
    Oel("CO", "一氧化碳", "carbon monoxide", "630-08-0", 28.01, pc_twa=20, pc_stel=30),
    Oel("SO2", "二氧化硫", "sulfur dioxide", "7446-09-5", 64.06, pc_twa=5, pc_stel=10),
    Oel("HCl", "氯化氢", "hydrogen chloride", "7647-01-0", 36.46, mac=7.5,
        aliases=("氯化氢及盐酸", "hydrochloric acid")),
    Oel("HCN", "氰化氢", "hydrogen cyanide", "74-90-8", 27.03, mac=1,
        expressed_as=("CN", 26.02)),
    Oel("NO2", "二氧化氮", "nitrogen dioxide", "10102-44-0", 46.01, pc_twa=5, pc_stel=10),
    Oel("C6H6", "苯", "benzene", "71-43-2", 78.11, pc_twa=6, pc_stel=10),
    Oel("C7H8", "甲苯", "toluene", "108-88-3", 92.14, pc_twa=50, pc_stel=100),
    Oel("C8H10", "二甲苯", "xylene", "1330-20-7", 106.17, pc_twa=50, pc_stel=100),
    Oel("CH3OH", "甲醇", "methanol", "67-56-1", 32.04, pc_twa=25, pc_stel=50,
        aliases=("CH4O",)),
    Oel("HCHO", "甲醛", "formaldehyde", "50-00-0", 30.03, mac=0.5, aliases=("CH2O",)),
    Oel("COCl2", "光气", "phosgene", "75-44-5", 98.92, mac=0.5, aliases=("碳酰氯",)),
    Oel("HF", "氟化氢", "hydrogen fluoride", "7664-39-3", 20.01, mac=2,
        expressed_as=("F", 19.00)),
    Oel("C3H3N", "丙烯腈", "acrylonitrile", "107-13-1", 53.06, pc_twa=1, pc_stel=2),
    Oel("C2H3Cl", "氯乙烯", "vinyl chloride", "75-01-4", 62.50, pc_twa=10),
    Oel("C2H4O", "环氧乙烷", "ethylene oxide", "75-21-8", 44.05, pc_twa=2),
    Oel("PH3", "磷化氢", "phosphine", "7803-51-2", 34.00, mac=0.3),
    Oel("CS2", "二硫化碳", "carbon disulfide", "75-15-0", 76.14, pc_twa=5, pc_stel=10),
)


def _key(name: str) -> str:
    return name.strip().lower().replace(" ", "").replace("_", "").replace("-", "")


_INDEX: dict[str, Oel] = {}
for _oel in TABLE:
    for _name in (_oel.formula, _oel.name_zh, _oel.name_en, _oel.cas, *_oel.aliases):
        _INDEX[_key(_name)] = _oel
_INDEX.pop(_key(""), None)


def lookup(gas: str) -> Oel | None:
    """By formula (H2S), Chinese or English name (硫化氢, hydrogen sulfide) or CAS number."""
    return _INDEX.get(_key(gas))
