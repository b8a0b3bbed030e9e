"""GB 18218-2018 R and grade by table; the site file's Q and β win over the built-in table;
a chemical without either is refused with its name."""

from __future__ import annotations

import pytest

from config.gb18218 import alpha_for, grade_for, identify


@pytest.mark.parametrize(
    ("stocks", "people", "r", "grade", "major"),
    [
        # the demo tank farm: 1.5 × (800/500 + 2 × 170/10)
        ([("甲醇", 800, None, None), ("液氨", 170, None, None)], 60, 53.4, 2, True),
        ([("甲醇", 100, None, None)], None, 0.2, 4, False),  # Σq/Q < 1: not major at all
        ([("氯", 30, None, None)], 150, 48.0, 3, True),  # 2.0 × 4 × 30/5
        ([("氯", 70, None, None)], 150, 112.0, 1, True),
        ([("某溶剂", 300, 100, 1.5)], 0, 2.25, 4, True),  # site file Q and β; α 0.5
        ([("甲醇", 1000, 200, 1.0)], 10, 5.0, 4, True),  # the site file overrides 表1
    ],
)
def test_identify(stocks: list[tuple[str, float, float | None, float | None]],
                  people: int | None, r: float, grade: int, major: bool) -> None:
    found = identify(stocks, people)
    assert (round(found.r, 6), found.grade, found.is_major) == (r, grade, major)


def test_table_boundaries_and_unknown_chemical() -> None:
    assert [alpha_for(n) for n in (0, 1, 29, 30, 49, 50, 99, 100)] == [
        0.5, 1.0, 1.0, 1.2, 1.2, 1.5, 1.5, 2.0]
    assert [grade_for(r) for r in (9.99, 10, 49.9, 50, 99.9, 100)] == [4, 3, 3, 2, 2, 1]
    with pytest.raises(ValueError, match="'某溶剂' is not in the gateway's GB 18218-2018 table"):
        identify([("某溶剂", 1, None, None)], None)
    assert identify([("氨", 5, None, None)], None).terms[0].basis == "表1/表3"
    assert identify([("氨", 5, 10, 2)], None).terms[0].basis == "站点文件"
