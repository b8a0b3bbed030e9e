"""The 叫应 ledger as the notifier writes it, against real local servers (a WeCom/webhook
endpoint and an SMTP server) and a real journal, with the notifier's clock injected: who was
called by which channel and when, a failing channel with its failure and retries, each
level's deadline met or missed, and the signed link in a notice."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from notify_support import T0, Clock, Endpoint, Mailbox, Recorder, event

from alerting.answerlinks import AnswerLinks, Grant
from alerting.events import AlarmEvent, EventKind, alarm_id
from alerting.journal import AlarmJournal, HistoryQuery
from alerting.ledger import Met, NoticeOutcome, Via, build_ledger
from alerting.ledgerstore import LedgerError
from alerting.notify.notifier import Notifier
from config.catalog import Catalog, PointKey
from config.notifications import NotificationSettings
from config.vocabulary import AlarmType

RETRY = {"attempts": 3, "initial_delay": 1, "max_delay": 4, "factor": 2}
KEY = b"k" * 32


def settings(endpoint: Endpoint, mailbox: Mailbox) -> NotificationSettings:
    return NotificationSettings.model_validate(
        {
            "channels": {
                "shift": {"kind": "wecom", "url": endpoint.url("/wecom/shift?key=SECRETKEY")},
                "board": {"kind": "webhook", "url": endpoint.url("/hook/board")},
                "manager": {
                    "kind": "email",
                    "host": "127.0.0.1",
                    "port": mailbox.port,
                    "security": "none",
                    "from": "hazgw@plant.example",
                    "to": ["manager@plant.example"],
                },
            },
            "routes": [
                {
                    "name": "duty",
                    "escalation": [
                        {
                            "name": "当班人员",
                            "channels": ["shift", "board"],
                            "escalate_after": "5m",
                        },
                        {"name": "安全管理人员", "channels": ["manager"]},
                    ],
                }
            ],
            "retry": RETRY,
            "consolidation_window": 0,
        }
    )


@contextlib.asynccontextmanager
async def running(notifier: Notifier) -> AsyncIterator[None]:
    task = asyncio.create_task(notifier.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def acknowledged(alarm: AlarmEvent, ts: float, user: str) -> AlarmEvent:
    return event(
        alarm.point.tag, alarm.alarm_type, EventKind.ACKNOWLEDGED, site=alarm.point.site,
        user=user, ts=ts,
    )


def ledger_of(journal: AlarmJournal, ident: str, now: float) -> Any:
    events = journal.history(HistoryQuery(alarm_id=ident, kinds=(EventKind.ACKNOWLEDGED,)))
    return build_ledger(
        ident, journal.ledger.notices(alarm_id=ident), events,
        journal.ledger.link_answers(alarm_id=ident), now,
    )


async def test_drill_ledger_says_who_was_called_how_when_and_whether_deadlines_were_met(
    endpoint: Endpoint,
    mailbox: Mailbox,
    catalog: Catalog,
    journal: AlarmJournal,
    recorder: Recorder,
    clock: Clock,
) -> None:
    # Every attempt of both notices (one per alarm) to the board fails.
    endpoint.fail("/hook/board", 6, status=503, body="board down")
    notifier = Notifier(
        settings(endpoint, mailbox), catalog, recorder.publisher, clock=clock, wait=clock.wait,
        ledger=journal.ledger,
    )
    fast, slow = event("GT-201"), event("GT-202", AlarmType.HIGH)
    async with running(notifier):
        notifier.accept([fast, slow])
        await recorder.watch.until(
            lambda: len(recorder.of(EventKind.NOTIFIED)) == 2
            and len(recorder.of(EventKind.NOTIFY_FAILED)) == 2
        )
        # The first is acknowledged after 2 minutes: inside level 1's 5 minutes.
        clock.now = T0 + 120
        ack_fast = acknowledged(fast, clock.now, "张三")
        journal.write([ack_fast])
        notifier.accept([ack_fast])
        # The second nobody answers: at 5 minutes the safety manager gets an email.
        clock.now = T0 + 300
        notifier.tick()
        await mailbox.watch.until(lambda: len(mailbox.messages) == 1)
        await recorder.watch.until(lambda: len(recorder.of(EventKind.NOTIFIED)) == 3)
        clock.now = T0 + 420
        ack_slow = acknowledged(slow, clock.now, "李四")
        journal.write([ack_slow])
        notifier.accept([ack_slow])

    now = T0 + 500
    first = ledger_of(journal, fast.alarm_id, now)
    rows = {(n.channel, n.level): n for n in first.notices}
    assert set(rows) == {("shift", 1), ("board", 1)}
    shift, board = rows["shift", 1], rows["board", 1]
    assert (shift.sent, shift.attempts, shift.retries, shift.channel_kind) == (True, 1, 0, "wecom")
    assert shift.recipient == "企业微信群"  # never the robot's key
    assert "SECRETKEY" not in repr(first)
    # Sent at once (the other lane's retry pauses move the injected clock a few seconds).
    assert T0 <= shift.ts < T0 + 10
    assert shift.deadline == T0 + 300 and shift.level_name == "当班人员"
    # The failing webhook: given up after 3 attempts, 2 retries, its error kept.
    assert (board.sent, board.attempts, board.retries) == (False, 3, 2)
    assert board.error is not None and "HTTP 503" in board.error and "board down" in board.error
    assert board.recipient == endpoint.base.removeprefix("http://")  # host:port, no path
    assert [(line.level, line.met) for line in first.levels] == [(1, Met.MET)]
    assert [(a.user, a.via, a.ts) for a in first.answers] == [("张三", Via.CONSOLE, T0 + 120)]

    second = ledger_of(journal, slow.alarm_id, now)
    email = [n for n in second.notices if n.level == 2]
    assert [(n.channel, n.channel_kind, n.recipient, n.sent, n.ts) for n in email] == [
        ("manager", "email", "manager@plant.example", True, T0 + 300)
    ]
    assert email[0].due_at == T0 + 300 and email[0].deadline is None  # the top level
    assert [(line.level, line.met, line.deadline) for line in second.levels] == [
        (1, Met.MISSED, T0 + 300),
        (2, Met.NONE, None),
    ]
    assert second.answers[0].user == "李四"

    # Each ledger row names the journal event of the same delivery (for the CSV).
    notified = {e.seq for e in recorder.events if e.kind is EventKind.NOTIFIED}
    failed = {e.seq for e in recorder.events if e.kind is EventKind.NOTIFY_FAILED}
    assert {n.event_seq for n in journal.ledger.notices() if n.sent} == notified
    assert {n.event_seq for n in journal.ledger.notices() if not n.sent} == failed


async def test_an_unanswered_level_one_is_missed_once_its_deadline_passes(
    endpoint: Endpoint, mailbox: Mailbox, catalog: Catalog, journal: AlarmJournal,
    recorder: Recorder, clock: Clock,
) -> None:
    notifier = Notifier(
        settings(endpoint, mailbox), catalog, recorder.publisher, clock=clock, wait=clock.wait,
        ledger=journal.ledger,
    )
    alarm = event()
    async with running(notifier):
        notifier.accept([alarm])
        await recorder.watch.until(lambda: len(recorder.of(EventKind.NOTIFIED)) == 2)
    assert ledger_of(journal, alarm.alarm_id, T0 + 299).levels[0].met is Met.OPEN
    assert ledger_of(journal, alarm.alarm_id, T0 + 301).levels[0].met is Met.MISSED


async def test_a_notice_carries_a_signed_single_alarm_link(
    endpoint: Endpoint, mailbox: Mailbox, catalog: Catalog, journal: AlarmJournal,
    recorder: Recorder, clock: Clock,
) -> None:
    links = AnswerLinks(KEY, "https://hazgw.plant.example/", expiry=3600)
    notifier = Notifier(
        settings(endpoint, mailbox), catalog, recorder.publisher, clock=clock, wait=clock.wait,
        ledger=journal.ledger, links=links,
    )
    alarm = event()
    async with running(notifier):
        notifier.accept([alarm])
        await endpoint.watch.until(lambda: len(endpoint.to("/wecom/shift")) == 1)
    text = endpoint.to("/wecom/shift")[0].json["markdown"]["content"]
    found = re.search(r"https://hazgw\.plant\.example/a/([A-Za-z0-9_\-.]+)", text)
    assert found is not None, text
    grant = links.check(found.group(1), clock.now)
    assert isinstance(grant, Grant)
    assert (grant.alarm_id, grant.route, grant.level) == (alarm.alarm_id, "duty", 1)
    assert grant.recipient == "第1级（当班人员）"
    assert grant.expires == int(T0 + 3600)


class BrokenLedger:
    def __init__(self) -> None:
        self.calls = 0

    def record_notices(self, outcomes: Any) -> None:
        self.calls += 1
        raise LedgerError("disk I/O error")


async def test_a_failing_ledger_is_counted_and_notifying_goes_on(
    endpoint: Endpoint, mailbox: Mailbox, catalog: Catalog, recorder: Recorder, clock: Clock,
    caplog: Any,
) -> None:
    ledger = BrokenLedger()
    endpoint.fail("/hook/board", 3)
    notifier = Notifier(
        settings(endpoint, mailbox), catalog, recorder.publisher, clock=clock, wait=clock.wait,
        ledger=ledger,
    )
    async with running(notifier):
        notifier.accept([event()])
        await recorder.watch.until(lambda: len(recorder.of(EventKind.NOTIFIED)) == 1)
        await recorder.watch.until(lambda: len(recorder.of(EventKind.NOTIFY_FAILED)) == 1)
    assert notifier.health().counters["ledger_errors"] == ledger.calls == 2
    assert "叫应 ledger: disk I/O error" in caplog.text


def test_a_real_sqlite_failure_becomes_a_ledger_error(tmp_path: Path) -> None:
    with AlarmJournal(tmp_path / "alarms.db") as journal:
        # The fault: another program breaks the file under the running journal.
        with contextlib.closing(sqlite3.connect(tmp_path / "alarms.db")) as other:
            other.execute("DROP TABLE ledger_notices")
            other.commit()
        outcome = NoticeOutcome(
            alarm_id(PointKey("S", "T"), AlarmType.HIGH), event().priority, "r", 1, "", "c",
            "webhook", "h", T0, True, 1,
        )
        try:
            journal.ledger.record_notices([outcome])
        except LedgerError as error:
            assert isinstance(error.__cause__, sqlite3.Error)
        else:
            raise AssertionError("no LedgerError")
        assert journal.ledger.errors == 1  # counted for /api/health


def test_ledger_rows_are_pruned_with_the_events(tmp_path: Path) -> None:
    with AlarmJournal(tmp_path / "alarms.db", retention_days=30) as journal:
        old, new = T0 - 31 * 86400, T0 - 29 * 86400
        for ts in (old, new):
            journal.ledger.record_notices(
                [NoticeOutcome("S/T/H", event().priority, "r", 1, "", "c", "webhook", "h", ts,
                               True, 1)]
            )
        journal.prune(T0)
        assert [n.ts for n in journal.ledger.notices()] == [new]
