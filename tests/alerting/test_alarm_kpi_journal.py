"""AlarmJournal.kpi_events: the period's events plus each alarm's opening state, from a real
SQLite journal; and the KPIs of an alarm active across the period start from it."""

from __future__ import annotations

from pathlib import Path

from alerting.events import AlarmEvent, AlarmState, EventKind
from alerting.journal import AlarmJournal
from alerting.kpi import compute
from alerting.statemachine import AlarmRecord
from config.catalog import PointKey
from config.vocabulary import AlarmType, Priority

T0 = 1_800_000_000.0
DAY = 86_400.0
K = EventKind
S = AlarmState


def ev(tag: str, at: float, kind: EventKind, state: AlarmState) -> AlarmEvent:
    return AlarmEvent(
        alarm_id=f"T1/{tag}/H", point=PointKey("T1", tag), alarm_type=AlarmType.HIGH,
        kind=kind, state=state, priority=Priority.LOW, ts=T0 + at,
    )


def record(tag: str) -> AlarmRecord:
    return AlarmRecord(f"T1/{tag}/H", PointKey("T1", tag), AlarmType.HIGH, Priority.LOW)


def test_opening_state_and_the_period(tmp_path: Path) -> None:
    history = [
        ev("A", -3 * DAY, K.RAISED, S.UNACK),  # raised 3 days before, acknowledged, still on
        ev("A", -3 * DAY + 60, K.ACKNOWLEDGED, S.ACKED),
        ev("A", -3 * DAY + 61, K.NOTIFIED, S.ACKED),  # not a state change
        ev("B", -2 * DAY, K.RAISED, S.UNACK),  # raised and returned long before: normal
        ev("B", -2 * DAY + 5, K.RETURNED, S.RTN_UNACK),
        ev("B", -2 * DAY + 9, K.ACKNOWLEDGED, S.NORMAL),
        ev("C", -DAY, K.SHELVED, S.SHELVED),  # shelved across the start
        ev("D", -1800.0, K.RAISED, S.UNACK),  # within the lookback hour: read as it is
        ev("D", 100.0, K.RETURNED, S.RTN_UNACK),
        ev("C", 600.0, K.UNSHELVED, S.NORMAL),
        ev("E", DAY + 10, K.RAISED, S.UNACK),  # after the period
    ]
    with AlarmJournal(tmp_path / "alarms.db") as journal:
        journal.write(history, [record(tag) for tag in "ABCDE"])
        events = journal.kpi_events(T0, T0 + DAY, lookback=3600.0, limit=100)
        assert events is not None
        seen = [(e.alarm_id.split("/")[1], e.kind.value) for e in events]
        assert seen == [
            ("A", "raised"), ("A", "acknowledged"),
            ("B", "raised"), ("B", "acknowledged"),
            ("C", "shelved"),
            ("D", "raised"), ("D", "returned"), ("C", "unshelved"),
        ]
        assert [e.seq for e in events] == sorted(e.seq for e in events)
        kpis = compute(events, T0, T0 + DAY)
        assert [(s.alarm_id, round(s.hours)) for s in kpis.stale] == [("T1/A/H", 3 * 24 + 24)]
        assert [(s.alarm_id, s.seconds) for s in kpis.shelved] == [("T1/C/H", 600.0)]
        assert kpis.alarms == 0  # D was raised in the lookback hour, before the period
        assert journal.kpi_events(T0, T0 + DAY, lookback=3600.0, limit=7) is None
