"""The one vocabulary: every member of every enum the screens, CSV and notices show has a
Chinese and an English word, under the key the screens look it up by."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import pytest

from alerting.events import AlarmState, EventKind
from alerting.terms import (
    ALARM_TYPE_TERMS,
    EVENT_TERMS,
    PREFIXES,
    PRIORITY_COLOUR_TERMS,
    PRIORITY_TERMS,
    QUALITY_TERMS,
    REASON_TERMS,
    STATE_TERMS,
    Term,
    keyed_terms,
)
from collectors.readings import Quality, Reason
from config.vocabulary import AlarmType, Priority

CHINESE = re.compile(r"[\u4e00-\u9fff]")

TABLES: list[tuple[str, type[StrEnum], Mapping[Any, Term]]] = [
    ("quality", Quality, QUALITY_TERMS),
    ("reason", Reason, REASON_TERMS),
    ("type", AlarmType, ALARM_TYPE_TERMS),
    ("priority", Priority, PRIORITY_TERMS),
    ("colour", Priority, PRIORITY_COLOUR_TERMS),
    ("state", AlarmState, STATE_TERMS),
    ("event", EventKind, EVENT_TERMS),
]


@pytest.mark.parametrize(("prefix", "enum", "table"), TABLES, ids=[t[0] for t in TABLES])
def test_every_member_has_a_chinese_and_an_english_word(
    prefix: str, enum: type[StrEnum], table: Mapping[StrEnum, Term]
) -> None:
    missing = [member.name for member in enum if member not in table]
    assert not missing, f"{enum.__name__} members without a term: {missing}"
    assert set(table) == set(enum), "a term for something that is not a member"
    for member in enum:
        term = table[member]
        assert CHINESE.search(term.zh), f"{prefix}.{member.value}: no Chinese word"
        assert term.en.strip() and not CHINESE.search(term.en), f"{prefix}.{member.value}: en"


def test_every_table_is_served_under_its_prefix() -> None:
    assert list(PREFIXES) == [prefix for prefix, _, _ in TABLES]
    keyed = keyed_terms()
    assert len(keyed) == sum(len(enum) for _, enum, _ in TABLES) - 1
    for prefix, enum, table in TABLES:
        for member in enum:
            if member is not Reason.NONE:
                assert keyed[f"{prefix}.{member.value}"] is table[member]
    # A good reading's empty reason has no label: "reason." would label a good value.
    assert "reason." not in keyed


def test_equal_values_of_different_enums_keep_their_own_words() -> None:
    # The event "shelved" and the state "shelved" are one string, two words.
    assert EventKind.SHELVED.value == AlarmState.SHELVED.value
    keyed = keyed_terms()
    assert keyed["event.shelved"].zh == "搁置"
    assert keyed["state.shelved"].zh == "已搁置"


@pytest.mark.parametrize(
    ("key", "zh"),
    [
        # One word for comm loss (not 通信中断 / 通讯故障), whether a reading or an alarm.
        ("reason.comm_loss", "通讯中断"),
        ("type.COMM_LOSS", "通讯中断"),
        ("reason.sensor_fault", "传感器故障"),
        ("type.SENSOR_FAULT", "传感器故障"),
        # An alarm back to normal is 消除 (清除 reads as "deleted").
        ("event.cleared", "消除"),
        ("event.in_service", "恢复投用"),
        ("event.realarmed", "再次报警"),
        ("type.HH", "高高报"),
        ("priority.critical", "紧急"),
        ("colour.critical", "红色"),
        ("quality.bad", "数据无效"),
        ("state.active_unacknowledged", "报警未确认"),
    ],
)
def test_chosen_words(key: str, zh: str) -> None:
    assert keyed_terms()[key].zh == zh


def test_no_word_is_a_discarded_variant() -> None:
    words = {term.zh for term in keyed_terms().values()}
    assert not words & {"通信中断", "通讯故障", "清除", "传感器/控制器故障"}
