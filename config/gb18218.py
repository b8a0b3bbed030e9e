"""GB 18218-2018《危险化学品重大危险源辨识》: the R value of a hazard source and its grade.

    R = α · (β₁·q₁/Q₁ + β₂·q₂/Q₂ + … + βₙ·qₙ/Qₙ)

q: the largest quantity of a chemical present (t); Q: its critical quantity (临界量, t,
GB 18218-2018 表1 for named chemicals, 表2 by hazard category); β: its correction factor
(表3 for named toxic gases, 表4 by category); α: the correction for people exposed around
the installation (表5: ≥100 people within 500 m → 2.0, 50–99 → 1.5, 30–49 → 1.2, 1–29 →
1.0, none → 0.5). Grade (分级): R ≥ 100 一级, 50 ≤ R < 100 二级, 10 ≤ R < 50 三级, R < 10 四级.

``CHEMICALS`` holds the table entries of the chemicals the demo and typical tank farms
store. They were written from the standard's tables and cross-checked (2026-12-05) against
an independent public transcription of 表1–表6: every α, grade boundary and β here, and
every Q it lists legibly, agrees with it; the Q of 硫化氢, 一氧化碳 and 氢 could not be
matched there. The official text itself was not at hand, so a plant should check its own
chemicals against it; anything else is written in the site file with its own
``critical_t`` and ``beta`` (the site file's values always win, so a wrong entry here is
corrected where the plant is described, and the page shows which value was used).
"""

from __future__ import annotations

from dataclasses import dataclass

STANDARD = "GB 18218-2018"


@dataclass(frozen=True, slots=True)
class Critical:
    critical_t: float  # 临界量 Q (t), 表1
    beta: float  # 校正系数 β, 表3 (named toxic gases) or 表4 (category)
    basis: str  # where β comes from


CHEMICALS: dict[str, Critical] = {
    "氨": Critical(10, 2, "表3"),
    "液氨": Critical(10, 2, "表3"),
    "氯": Critical(5, 4, "表3"),
    "硫化氢": Critical(5, 5, "表3"),
    "一氧化碳": Critical(10, 2, "表3"),
    "二氧化硫": Critical(20, 2, "表3"),
    "氯化氢": Critical(20, 3, "表3"),
    "环氧乙烷": Critical(10, 2, "表3"),
    "光气": Critical(0.3, 20, "表3"),
    "氰化氢": Critical(1, 10, "表3"),
    "甲醇": Critical(500, 1, "表4 易燃液体"),
    "乙醇": Critical(500, 1, "表4 易燃液体"),
    "苯": Critical(50, 1, "表4 易燃液体"),
    "甲苯": Critical(500, 1, "表4 易燃液体"),
    "丙酮": Critical(500, 1, "表4 易燃液体"),
    "氢": Critical(5, 1.5, "表4 易燃气体"),
    "液化石油气": Critical(50, 1.5, "表4 易燃气体"),
    "天然气": Critical(50, 1.5, "表4 易燃气体"),
    "甲烷": Critical(50, 1.5, "表4 易燃气体"),
}


def alpha_for(people: int) -> float:
    """表5: the correction for the people exposed within 500 m of the installation."""
    if people >= 100:
        return 2.0
    if people >= 50:
        return 1.5
    if people >= 30:
        return 1.2
    if people >= 1:
        return 1.0
    return 0.5


def grade_for(r: float) -> int:
    if r >= 100:
        return 1
    if r >= 50:
        return 2
    if r >= 10:
        return 3
    return 4


@dataclass(frozen=True, slots=True)
class Term:
    name: str
    quantity_t: float
    critical_t: float
    beta: float
    basis: str  # "表1/表3", or "站点文件" when the site file gave the value

    @property
    def ratio(self) -> float:
        return self.beta * self.quantity_t / self.critical_t


@dataclass(frozen=True, slots=True)
class Identification:
    terms: list[Term]
    alpha: float
    people: int | None
    r: float
    grade: int
    is_major: bool  # Σ q/Q ≥ 1: a major hazard source at all (GB 18218-2018 4.2)


def identify(
    stocks: list[tuple[str, float, float | None, float | None]], people: int | None,
    alpha: float | None = None,
) -> Identification:
    """``stocks``: (name, q in t, Q override, β override). Raises ValueError naming a
    chemical that is neither in ``CHEMICALS`` nor given its ``critical_t`` and ``beta``."""
    terms = []
    for name, quantity, critical, beta in stocks:
        known = CHEMICALS.get(name)
        if (critical is None or beta is None) and known is None:
            raise ValueError(
                f"chemical {name!r} is not in the gateway's {STANDARD} table: give its "
                "critical_t (表1/表2) and beta (表3/表4) in the site file"
            )
        given = critical is not None and beta is not None
        terms.append(Term(
            name=name, quantity_t=quantity,
            critical_t=critical if critical is not None else known.critical_t,  # type: ignore[union-attr]
            beta=beta if beta is not None else known.beta,  # type: ignore[union-attr]
            basis="站点文件" if given or known is None else f"表1/{known.basis}",
        ))
    a = alpha if alpha is not None else alpha_for(people) if people is not None else 1.0
    r = a * sum(term.ratio for term in terms)
    major = sum(t.quantity_t / t.critical_t for t in terms) >= 1.0
    return Identification(terms, a, people, r, grade_for(r), major)
