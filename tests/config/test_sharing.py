"""Equal frozen parts of points are one instance, and sharing never changes what a model
says: its values, its written fields, and what a copy with changes gives."""

from __future__ import annotations

from typing import Any

import pytest

from config.modbus import ModbusPoint
from config.sharing import SharedValues


def point(tag: str, **source: Any) -> ModbusPoint:
    return ModbusPoint.model_validate({
        "tag": tag, "name": "压力", "kind": "pressure", "hazard_source": "HS-1",
        "range": {"low": 0, "high": 1.6},
        "source": {"table": "holding", "address": 10, "type": "float32", **source},
    })


def test_equal_ranges_and_sources_are_one_instance() -> None:
    first, second = point("PT-1"), point("PT-2")
    assert first.range is second.range
    assert first.source is second.source
    assert first.tag != second.tag


def test_a_source_with_a_status_word_cannot_be_hashed_and_stays_its_own() -> None:
    word = {"table": "holding", "address": 20, "bits": {"fault": 0}}
    first = point("PT-1", status_word=word)
    second = point("PT-2", status_word=word)
    assert first.source == second.source
    assert first.source is not second.source


def test_points_that_wrote_the_same_keys_share_one_set_of_them() -> None:
    first, second = point("PT-1"), point("PT-2")
    assert first.model_fields_set is second.model_fields_set
    assert first.model_fields_set == {"tag", "name", "kind", "hazard_source", "range", "source"}


def test_a_copy_with_changes_leaves_the_shared_set_alone() -> None:
    first, second = point("PT-1"), point("PT-2")
    changed = first.model_copy(update={"unit": "MPa"})
    assert "unit" in changed.model_fields_set
    assert "unit" not in first.model_fields_set
    assert "unit" not in second.model_fields_set
    assert changed.unit == "MPa" and first.unit == ""


def test_models_stay_frozen() -> None:
    with pytest.raises(ValueError, match="frozen"):
        point("PT-1").tag = "PT-9"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("values", "same"),
    [
        ((1.5, 1.5), True),
        (((1, 2), (1, 2)), True),
        (("a" * 3, "".join(["a", "aa"])), True),
        ((1.5, 2.5), False),
    ],
)
def test_shared_values_give_the_first_equal_one(values: tuple[object, object],
                                                same: bool) -> None:
    shared = SharedValues()
    first, second = (shared.share(value) for value in values)
    assert (first is second) is same
    assert second == values[1]


def test_shared_values_are_bounded() -> None:
    shared = SharedValues(limit=2)
    for number in range(10):
        assert shared.share((number,)) == (number,)
    assert len(shared._values) <= 2
    assert shared.share_optional(None) is None
    assert shared.share_if_hashable([1]) == [1]
