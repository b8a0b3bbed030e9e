"""The one writer of the alarm journal, over a real SQLite journal made to fail by a
trigger: events of the engine and of the notifier are held, retried, committed in order
and heard by every listener exactly once, after the commit; what is held is bounded and
counted; a listener that publishes does not reorder what the others hear."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from alarm_support import Clock, key, open_engine, reading, standard_catalog
from journal_faults import JournalFault

from alerting.engine import AlarmEngine
from alerting.events import AlarmEvent, AlarmState, EventKind, alarm_id
from alerting.journal import AlarmJournal, HistoryQuery
from alerting.notify.notifier import Notifier
from alerting.publisher import AlarmPublisher
from config.notifications import NotificationSettings
from config.vocabulary import AlarmType, Priority


class Heard:
    """A listener that checks, as it hears each event, that another reader of the file
    already sees it committed."""

    def __init__(self, fault: JournalFault) -> None:
        self.fault = fault
        self.events: list[AlarmEvent] = []
        self.durable: list[bool] = []

    def __call__(self, events: Sequence[AlarmEvent]) -> None:
        committed = {seq: (alarm, kind) for seq, alarm, kind in self.fault.committed()}
        for event in events:
            self.events.append(event)
            self.durable.append(committed.get(event.seq) == (event.alarm_id, event.kind.value))

    def kinds(self) -> list[str]:
        return [event.kind.value for event in self.events]


def made(n: int, kind: EventKind = EventKind.NOTE) -> AlarmEvent:
    point = key("LT-1")
    return AlarmEvent(
        alarm_id=alarm_id(point, AlarmType.HIGH),
        point=point,
        alarm_type=AlarmType.HIGH,
        kind=kind,
        state=AlarmState.UNACK,
        priority=Priority.HIGH,
        ts=1_000_000.0 + n,
        comment=f"event {n}",
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[AlarmJournal]:
    with AlarmJournal(tmp_path / "alarms.db") as journal:
        yield journal


def test_engine_and_notifier_events_are_heard_at_once_and_journalled_together(
    tmp_path: Path, clock: Clock
) -> None:
    engine, journal = open_engine(tmp_path, clock)
    fault = JournalFault(journal.path)
    settings = NotificationSettings.model_validate(
        {
            # Never contacted: the notifier is not running; escalation is pure.
            "channels": {"shift": {"kind": "webhook", "url": "http://127.0.0.1:9/shift"}},
            "routes": [
                {
                    "name": "all",
                    "escalation": [
                        {"name": "当班人员", "channels": ["shift"], "escalate_after": "60s"},
                        {"name": "安全管理人员", "channels": ["shift"]},
                    ],
                }
            ],
        }
    )
    notifier = Notifier(settings, engine.catalog, engine.publisher, clock=clock)
    engine.add_listener(notifier.accept)
    heard = Heard(fault)
    engine.add_listener(heard)

    engine.accept([reading(key("GT-1"), clock.now, 30.0)])
    assert heard.kinds() == ["raised"] and notifier.health().escalating == 1

    fault.fail_commits()
    clock.advance(61)
    notifier.tick()  # nobody acknowledged: the notifier escalates (its own event)
    clock.advance(1)
    engine.acknowledge(["T1/GT-1/H"], "张三")  # the engine's event, after it
    # A full disk must not silence an alarm: both are heard at once, not yet journalled.
    assert heard.kinds() == ["raised", "escalated", "acknowledged"]
    assert heard.durable == [True, False, False]
    assert [e.seq for e in heard.events][1:] == [0, 0]
    assert engine.unjournalled == 2 and not engine.journal_healthy
    assert engine.stats.journal_errors == 2
    assert notifier.health().escalating == 0  # the ack reached the notifier: ladder stops

    # (engine.tick retries too; here only the publisher's retry, so that the comm-loss
    # timers of the other points stay out of the picture.)
    assert engine.publisher.retry() is False  # still failing
    assert engine.unjournalled == 2 and engine.stats.journal_errors == 3

    fault.mend()
    assert engine.publisher.retry() is True
    assert engine.journal_healthy
    # Journalled in the order they happened, and not told a second time.
    assert [kind for _, _, kind in fault.committed()] == ["raised", "escalated", "acknowledged"]
    assert heard.kinds() == ["raised", "escalated", "acknowledged"]
    engine.publisher.retry()
    assert len(heard.events) == 3  # exactly once


def test_a_failed_commit_is_heard_at_once_and_committed_later(journal: AlarmJournal) -> None:
    fault = JournalFault(journal.path)
    publisher = AlarmPublisher(journal)
    heard = Heard(fault)
    publisher.add_listener(heard)
    fault.fail_commits()
    kept = publisher.publish([made(1)])
    assert kept[0].seq == 0 and [e.comment for e in heard.events] == ["event 1"]
    assert heard.events[0].seq == 0 and heard.durable == [False]
    assert publisher.held == 1 and publisher.stats.journal_errors == 1
    fault.mend()
    written = publisher.publish([made(2)])  # the next publish commits what was held first
    assert [e.comment for e in written] == ["event 2"] and written[0].seq > 0
    assert [e.comment for e in heard.events] == ["event 1", "event 2"]  # event 1 not twice
    assert heard.durable == [False, True]
    assert [e.comment for e in journal.history(HistoryQuery(limit=10))][::-1] == [
        "event 1",
        "event 2",
    ]
    assert publisher.healthy and publisher.stats.committed == 2


def test_what_is_held_is_bounded_and_counted(
    journal: AlarmJournal, caplog: pytest.LogCaptureFixture
) -> None:
    fault = JournalFault(journal.path)
    publisher = AlarmPublisher(journal, max_held=3)
    heard = Heard(fault)
    publisher.add_listener(heard)
    fault.fail_commits()
    for n in range(5):
        publisher.publish([made(n)])
    assert publisher.held == 3 and publisher.stats.dropped == 2
    assert "2 event(s) dropped so far" in caplog.text
    assert [e.comment for e in heard.events] == [f"event {n}" for n in range(5)]  # all shown
    fault.mend()
    assert publisher.retry() is True
    assert len(heard.events) == 5  # none told twice
    assert [e.comment for e in journal.history(HistoryQuery(limit=10))][::-1] == [
        "event 2",
        "event 3",
        "event 4",
    ]


def test_records_alone_are_held_too(journal: AlarmJournal, tmp_path: Path, clock: Clock) -> None:
    engine, _ = open_engine(tmp_path / "engine", clock)
    engine.accept([reading(key("GT-1"), clock.now, 30.0)])
    record = engine.get("T1/GT-1/H")
    fault = JournalFault(journal.path)
    publisher = AlarmPublisher(journal)
    fault.fail_commits()
    assert publisher.publish([], [record]) == []
    assert not publisher.healthy and publisher.held == 0
    fault.mend()
    assert publisher.retry() is True
    assert [r.alarm_id for r in journal.load_records()] == ["T1/GT-1/H"]


def test_a_listener_that_publishes_does_not_reorder_the_others(journal: AlarmJournal) -> None:
    fault = JournalFault(journal.path)
    publisher = AlarmPublisher(journal)
    first: list[str] = []
    last: list[str] = []

    def reacting(events: Sequence[AlarmEvent]) -> None:
        first.extend(e.comment or "" for e in events)
        if any(e.kind is EventKind.RAISED for e in events):
            # Like the notifier recording a notice it could not queue, mid-delivery.
            answer = publisher.publish([made(2, EventKind.NOTIFY_FAILED)])
            assert answer[0].seq > 0  # committed at once ...
            assert last == []  # ... but not heard before the first batch is told

    publisher.add_listener(reacting)
    publisher.add_listener(lambda events: last.extend(e.comment or "" for e in events))
    publisher.publish([made(1, EventKind.RAISED)])
    assert first == last == ["event 1", "event 2"]
    assert [kind for _, _, kind in fault.committed()] == ["raised", "notify_failed"]


def test_a_failing_listener_is_counted_and_the_others_still_hear(journal: AlarmJournal) -> None:
    publisher = AlarmPublisher(journal)
    heard: list[AlarmEvent] = []

    def broken(events: Sequence[AlarmEvent]) -> None:
        raise RuntimeError("listener bug")

    publisher.add_listener(broken)
    publisher.add_listener(heard.extend)
    publisher.publish([made(1)])
    assert len(heard) == 1 and publisher.stats.listener_errors == 1
    publisher.remove_listener(broken)
    publisher.publish([made(2)])
    assert len(heard) == 2 and publisher.stats.listener_errors == 1


def test_the_engine_refuses_a_publisher_of_another_journal(
    tmp_path: Path, clock: Clock, journal: AlarmJournal
) -> None:
    other = AlarmJournal(tmp_path / "other.db")
    with pytest.raises(ValueError, match="journal"):
        AlarmEngine(standard_catalog(tmp_path), other, publisher=AlarmPublisher(journal))
    other.close()
