"""Restart recovery: the alarms the journal says were not in normal, fitted to the rules
as configured now. Pure: the engine applies the result (``AlarmEngine._recover``).

- An alarm whose rule or point is gone stays visible and can be acknowledged; if it was
  active it returns at once, with a word why.
- Priority and latching are taken from the current configuration.
- An alarm whose condition was active is seeded as active in its evaluator, so that the
  next readings can return it instead of it standing forever.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from alerting.events import AlarmEvent
from alerting.rules import PointEvaluator
from alerting.statemachine import AlarmRecord, Context, apply, stimulus_for_return
from config.catalog import PointKey
from config.vocabulary import AlarmType

RULE_GONE = "alarm rule no longer configured"


@dataclass(slots=True)
class Recovery:
    records: list[AlarmRecord] = field(default_factory=list)  # to keep, as recovered
    events: list[AlarmEvent] = field(default_factory=list)  # to journal
    changed: list[AlarmRecord] = field(default_factory=list)  # to journal
    seeds: list[tuple[PointEvaluator, AlarmType]] = field(default_factory=list)


def recover(
    stored: Iterable[AlarmRecord], evaluators: Mapping[PointKey, PointEvaluator], now: float
) -> Recovery:
    result = Recovery()
    for record in stored:
        evaluator = evaluators.get(record.point)
        annunciation = (
            evaluator.rules.annunciation(record.alarm_type) if evaluator is not None else None
        )
        if evaluator is None or annunciation is None:
            if record.active:
                record, produced = apply(
                    record, stimulus_for_return(record), Context(now, comment=RULE_GONE)
                )
                result.events.extend(produced)
                result.changed.append(record)
            result.records.append(record)
            continue
        if (record.priority, record.latching) != (annunciation.priority, annunciation.latching):
            record = replace(record, priority=annunciation.priority, latching=annunciation.latching)
            result.changed.append(record)
        if record.active:
            result.seeds.append((evaluator, record.alarm_type))
        result.records.append(record)
    return result
