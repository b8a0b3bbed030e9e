"""The notifier end to end against real local servers: delivery to every channel kind,
retries with backoff, permanent failures, escalation in real time and with an injected
clock, flood consolidation, overflow, and what gets recorded for the journal."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from journal_faults import JournalFault
from notify_support import (
    DUST,
    FLOOD_TAGS,
    T0,
    Clock,
    Endpoint,
    Mailbox,
    Recorder,
    event,
    watching_log,
)

from alerting.events import AlarmEvent, AlarmState, EventKind
from alerting.journal import AlarmJournal
from alerting.notify.notifier import Notifier
from config.catalog import Catalog
from config.notifications import NotificationSettings
from config.vocabulary import AlarmType

FAST_RETRY = {"attempts": 3, "initial_delay": 0.05, "max_delay": 0.2, "factor": 2}


def settings(
    endpoint: Endpoint, routes: list[dict[str, Any]], **extra: Any
) -> NotificationSettings:
    data: dict[str, Any] = {
        "channels": {
            "shift": {"kind": "wecom", "url": endpoint.url("/wecom/shift?key=k1")},
            "manager": {
                "kind": "dingtalk",
                "url": endpoint.url("/dingtalk/manager?access_token=t"),
                "secret": "SECxyz",
            },
            "park": {"kind": "webhook", "url": endpoint.url("/hook/park")},
            "fire": {"kind": "webhook", "url": endpoint.url("/hook/fire")},
            "flaky": {"kind": "webhook", "url": endpoint.url("/hook/flaky")},
        },
        "routes": routes,
        "retry": FAST_RETRY,
        "consolidation_window": 0,
    }
    data.update(extra)
    return NotificationSettings.model_validate(data)


LADDER = [
    {"name": "当班人员", "channels": ["shift"], "escalate_after": "0.2s"},
    {"name": "安全管理人员", "channels": ["manager"], "escalate_after": "0.2s"},
    {"name": "园区应急值守中心", "channels": ["park"]},
]
SLOW_LADDER = [
    {"name": "当班人员", "channels": ["shift"], "escalate_after": "5m"},
    {"name": "安全管理人员", "channels": ["manager"], "escalate_after": "10m"},
    {"name": "园区应急值守中心", "channels": ["park"]},
]


@contextlib.asynccontextmanager
async def running(notifier: Notifier) -> AsyncIterator[None]:
    task = asyncio.create_task(notifier.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def ack(alarm: AlarmEvent, kind: EventKind = EventKind.ACKNOWLEDGED) -> AlarmEvent:
    return event(alarm.point.tag, alarm.alarm_type, kind, site=alarm.point.site, user="张三")


async def test_alarm_reaches_every_channel_kind_and_each_send_is_recorded(
    endpoint: Endpoint, mailbox: Mailbox, catalog: Catalog, recorder: Recorder, clock: Clock
) -> None:
    config = settings(
        endpoint,
        [
            {
                "name": "all",
                "escalation": [
                    {"name": "当班人员", "channels": ["shift", "manager", "park", "mail"]}
                ],
            }
        ],
        channels={
            "shift": {"kind": "wecom", "url": endpoint.url("/wecom/shift?key=k1")},
            "manager": {
                "kind": "dingtalk",
                "url": endpoint.url("/dingtalk/manager?access_token=t"),
                "secret": "SECxyz",
            },
            "park": {"kind": "webhook", "url": endpoint.url("/hook/park")},
            "mail": {
                "kind": "email",
                "host": "127.0.0.1",
                "port": mailbox.port,
                "security": "none",
                "from": "a@hazgw.example",
                "to": ["b@hazgw.example"],
            },
        },
    )
    notifier = Notifier(config, catalog, recorder.publisher, clock=clock, wait=clock.wait)
    alarm = event()
    async with running(notifier):
        notifier.accept([alarm])
        await recorder.watch.until(lambda: len(recorder.of(EventKind.NOTIFIED)) == 4)
    paths = sorted(request.path for request in endpoint.requests)
    assert paths == ["/dingtalk/manager", "/hook/park", "/wecom/shift"]
    assert "GT-201" in mailbox.messages[0].get_content()
    notified = recorder.of(EventKind.NOTIFIED)
    assert {e.alarm_id for e in notified} == {alarm.alarm_id}
    assert all(e.state is AlarmState.UNACK and e.value == 52.3 for e in notified)
    comments = " | ".join(e.comment or "" for e in notified)
    for channel in ("shift（wecom）", "manager（dingtalk）", "park（webhook）", "mail（email）"):
        assert f"渠道 {channel}" in comments
    assert all("第1级（当班人员）通知已发送" in (e.comment or "") for e in notified)
    health = notifier.health()
    assert health.counters["sent"] == 4 and health.counters.get("failed", 0) == 0
    assert health.channels["mail"].sent == 1 and health.channels["mail"].last_success


async def test_fire_control_room_gets_second_level_gas_alarms_and_faults(
    endpoint: Endpoint, catalog: Catalog, recorder: Recorder, clock: Clock
) -> None:
    config = settings(
        endpoint,
        [
            {"name": "general", "escalation": [{"channels": ["shift"]}]},
            {
                "name": "fire-gas",
                "match": {"point_kinds": ["combustible_gas"], "alarm_types": ["HH"]},
                "escalation": [{"name": "消防控制室", "channels": ["fire"]}],
            },
            {
                "name": "fire-faults",
                "match": {
                    "point_kinds": ["combustible_gas", "toxic_gas"],
                    "alarm_types": ["SENSOR_FAULT", "COMM_LOSS"],
                },
                "escalation": [{"name": "消防控制室", "channels": ["fire"]}],
            },
        ],
    )
    notifier = Notifier(config, catalog, recorder.publisher, clock=clock, wait=clock.wait)
    alarms = [
        event("GT-201", AlarmType.HIGH_HIGH),  # 二级报警: fire room
        event("GT-201", AlarmType.HIGH, value=26.0, limit=25.0),  # 一级报警: shift only
        event("GT-12", AlarmType.HIGH_HIGH, site=DUST),  # other site, same rule
        event("GT-202", AlarmType.SENSOR_FAULT, value=None, limit=None),  # detector fault
        event("LT-101", AlarmType.COMM_LOSS, value=None, limit=None),  # not a gas point
    ]
    async with running(notifier):
        notifier.accept(alarms)
        await endpoint.watch.until(lambda: len(endpoint.requests) == 8)
    fire = sorted(r.json["alarms"][0]["alarm_id"] for r in endpoint.to("/hook/fire"))
    assert fire == ["DEMO-CHEM/GT-201/HH", "DEMO-CHEM/GT-202/SENSOR_FAULT", "DUST-01/GT-12/HH"]
    assert all(r.json["level_name"] == "消防控制室" for r in endpoint.to("/hook/fire"))
    assert len(endpoint.to("/wecom/shift")) == 5


async def test_retries_with_backoff_deliver_after_transient_failures(
    endpoint: Endpoint, catalog: Catalog, recorder: Recorder, clock: Clock
) -> None:
    config = settings(
        endpoint,
        [{"name": "r", "escalation": [{"channels": ["flaky"]}]}],
        retry={"attempts": 5, "initial_delay": 0.05, "max_delay": 1, "factor": 2},
    )
    endpoint.fail("/hook/flaky", 2, 500)
    notifier = Notifier(
        config, catalog, recorder.publisher, clock=clock, wait=clock.wait, rng=random.Random(1)
    )
    async with running(notifier):
        notifier.accept([event()])
        await recorder.watch.until(lambda: bool(recorder.of(EventKind.NOTIFIED)))
    (notified,) = recorder.of(EventKind.NOTIFIED)
    assert "第 3 次尝试" in (notified.comment or "")
    assert recorder.of(EventKind.NOTIFY_FAILED) == []
    assert len(endpoint.to("/hook/flaky")) == 3
    status = notifier.health().channels["flaky"]
    assert (status.sent, status.failed, status.retries) == (1, 0, 2)
    # Two back-off pauses, 0.05 s then 0.1 s (±10 % jitter), and no real time waited.
    assert clock.pauses == pytest.approx([0.05, 0.1], rel=0.1)
    assert notified.ts == pytest.approx(T0 + sum(clock.pauses))


async def test_backoff_grows_between_attempts(
    endpoint: Endpoint, catalog: Catalog, recorder: Recorder, clock: Clock
) -> None:
    config = settings(
        endpoint,
        [{"name": "r", "escalation": [{"channels": ["flaky"]}]}],
        retry={"attempts": 3, "initial_delay": 0.1, "max_delay": 1, "factor": 3},
    )
    endpoint.fail("/hook/flaky", 3, 503)
    notifier = Notifier(
        config, catalog, recorder.publisher, clock=clock, wait=clock.wait, rng=random.Random(2)
    )
    async with running(notifier):
        notifier.accept([event()])
        await recorder.watch.until(lambda: bool(recorder.of(EventKind.NOTIFY_FAILED)))
    assert len(endpoint.to("/hook/flaky")) == 3
    # 0.1 s then 0.3 s (factor 3), each within ±10 % jitter; none after the last attempt.
    assert clock.pauses == pytest.approx([0.1, 0.3], rel=0.1)
    assert clock.pauses[1] > 2 * clock.pauses[0]


async def test_permanent_failure_is_recorded_as_notify_failed(
    endpoint: Endpoint, catalog: Catalog, recorder: Recorder, clock: Clock
) -> None:
    config = settings(endpoint, [{"name": "r", "escalation": [{"channels": ["flaky", "park"]}]}])
    endpoint.fail("/hook/flaky", 100, 500, "database down")
    endpoint.fail("/hook/park", 100, 404, "no such hook")
    notifier = Notifier(config, catalog, recorder.publisher, clock=clock, wait=clock.wait)
    alarms = [event("GT-201"), event("GT-202", AlarmType.HIGH)]
    async with running(notifier):
        notifier.accept(alarms)  # window 0: one notice per alarm
        await recorder.watch.until(lambda: len(recorder.of(EventKind.NOTIFY_FAILED)) == 4)
    assert len(endpoint.to("/hook/flaky")) == 2 * FAST_RETRY["attempts"]
    assert len(endpoint.to("/hook/park")) == 2  # 404: retrying cannot help
    failed = recorder.of(EventKind.NOTIFY_FAILED)
    assert {e.alarm_id for e in failed} == {a.alarm_id for a in alarms}
    flaky = [e.comment or "" for e in failed if "渠道 flaky" in (e.comment or "")]
    assert len(flaky) == 2
    assert all("尝试 3 次" in c and "HTTP 500" in c and "database down" in c for c in flaky)
    park = [e.comment or "" for e in failed if "渠道 park" in (e.comment or "")]
    assert all("尝试 1 次" in c and "HTTP 404" in c for c in park)
    assert recorder.of(EventKind.NOTIFIED) == []
    health = notifier.health()
    assert health.counters["failed"] == 4 and health.channels["flaky"].failed == 2
    assert "HTTP 500" in (health.channels["flaky"].last_error or "")


async def test_escalation_on_time_then_acknowledgement_stops_it(
    endpoint: Endpoint, catalog: Catalog, recorder: Recorder, clock: Clock
) -> None:
    config = settings(endpoint, [{"name": "r", "escalation": LADDER}])
    notifier = Notifier(config, catalog, recorder.publisher, clock=clock, wait=clock.wait)
    alarm = event()
    async with running(notifier):
        notifier.accept([alarm])
        await endpoint.watch.until(lambda: bool(endpoint.to("/wecom/shift")))
        assert notifier.next_deadline() == T0 + 0.2
        notifier.tick(T0 + 0.19)  # not yet
        assert notifier.health().counters.get("escalations", 0) == 0
        clock.advance(0.2)  # the notifier's own timer wakes and escalates
        await endpoint.watch.until(lambda: bool(endpoint.to("/dingtalk/manager")))
        notifier.accept([ack(alarm)])
        assert notifier.next_deadline() is None and notifier.health().escalating == 0
        # Level 3 would be due 0.2 s after level 2: twice that passes and it stays away.
        clock.advance(0.4)
        notifier.tick()
        assert notifier.health().counters["notices"] == 2
    assert len(endpoint.to("/wecom/shift")) == 1
    assert len(endpoint.to("/dingtalk/manager")) == 1
    assert endpoint.to("/hook/park") == []
    (escalated,) = recorder.of(EventKind.ESCALATED)
    assert escalated.ts == T0 + 0.2
    assert "无人确认 0.2 秒，升级至第2级（安全管理人员）" in (escalated.comment or "")
    manager_text = endpoint.to("/dingtalk/manager")[0].json["markdown"]["text"]
    assert "升级通知·第2级" in manager_text and "无人确认" in manager_text
    assert notifier.health().counters["escalations_stopped"] == 1


async def test_nobody_answers_all_three_levels_are_called(
    endpoint: Endpoint, catalog: Catalog, recorder: Recorder, clock: Clock
) -> None:
    config = settings(endpoint, [{"name": "r", "escalation": LADDER}])
    notifier = Notifier(config, catalog, recorder.publisher, clock=clock, wait=clock.wait)
    async with running(notifier):
        notifier.accept([event()])
        await endpoint.watch.until(lambda: bool(endpoint.to("/wecom/shift")))
        clock.advance(0.2)
        await endpoint.watch.until(lambda: bool(endpoint.to("/dingtalk/manager")))
        clock.advance(0.2)
        await endpoint.watch.until(lambda: bool(endpoint.to("/hook/park")))
    (park,) = endpoint.to("/hook/park")
    assert park.json["level"] == 3 and park.json["level_name"] == "园区应急值守中心"
    assert park.json["alarms"][0]["unacknowledged_for"] == pytest.approx(0.4)
    assert len(recorder.of(EventKind.ESCALATED)) == 2


@pytest.mark.parametrize(
    ("answer", "state", "escalates"),
    [
        (EventKind.ACKNOWLEDGED, AlarmState.ACKED, False),
        (EventKind.ACKNOWLEDGED, AlarmState.NORMAL, False),  # ack of a returned alarm
        (EventKind.CLEARED, AlarmState.NORMAL, False),
        (EventKind.SHELVED, AlarmState.SHELVED, False),
        (EventKind.REMOVED_FROM_SERVICE, AlarmState.OUT_OF_SERVICE, False),
        (EventKind.RETURNED, AlarmState.NORMAL, False),  # the engine cleared it
        (EventKind.RETURNED, AlarmState.RTN_UNACK, True),  # back to normal, unacknowledged
        (EventKind.NOTE, AlarmState.UNACK, True),  # a note is not an acknowledgement
    ],
)
async def test_what_stops_escalation(
    endpoint: Endpoint,
    catalog: Catalog,
    recorder: Recorder,
    clock: Clock,
    answer: EventKind,
    state: AlarmState,
    escalates: bool,
) -> None:
    config = settings(endpoint, [{"name": "r", "escalation": SLOW_LADDER}])
    notifier = Notifier(config, catalog, recorder.publisher, clock=clock, wait=clock.wait)
    alarm = event()
    async with running(notifier):
        notifier.accept([alarm])
        await endpoint.watch.until(lambda: len(endpoint.requests) == 1)
        clock.advance(100)
        notifier.accept([dataclasses.replace(ack(alarm, answer), state=state)])
        clock.advance(200)
        notifier.tick()
        await recorder.watch.until(lambda: len(recorder.of(EventKind.NOTIFIED)) == 1 + escalates)
    assert bool(endpoint.to("/dingtalk/manager")) is escalates
    assert len(recorder.of(EventKind.ESCALATED)) == escalates
    if escalates:
        (escalated,) = recorder.of(EventKind.ESCALATED)
        assert escalated.ts == T0 + 300
        assert escalated.state is state  # the alarm's current state, not the raised one


async def test_flood_gives_one_notice_and_one_summary(
    endpoint: Endpoint, catalog: Catalog, recorder: Recorder, clock: Clock
) -> None:
    config = settings(
        endpoint,
        [{"name": "r", "escalation": [{"name": "当班人员", "channels": ["park"]}]}],
        consolidation_window="60s",
    )
    notifier = Notifier(config, catalog, recorder.publisher, clock=clock, wait=clock.wait)
    async with running(notifier):
        for n, tag in enumerate(FLOOD_TAGS):  # 100 alarms over 49.5 s, one by one
            notifier.accept(
                [
                    event(
                        tag,
                        AlarmType.HIGH,
                        site=DUST,
                        value=150 + n / 10,
                        limit=150.0,
                        ts=clock.now,
                    )
                ]
            )
            clock.advance(0.5)
        await endpoint.watch.until(lambda: len(endpoint.requests) == 1)
        notifier.tick()  # 50 s: window still open
        assert notifier.health().held == 99
        clock.now = T0 + 60
        notifier.tick()
        await endpoint.watch.until(lambda: len(endpoint.requests) == 2)
        await recorder.watch.until(lambda: len(recorder.of(EventKind.NOTIFIED)) == 100)
    first, summary = endpoint.requests
    assert first.json["count"] == 1
    assert summary.json["count"] == 99
    assert summary.json["title"] == "【报警汇总】99 条报警"
    assert "……另有 79 条" in summary.json["text"]
    assert "TT-F001 1号测温点 报警时 150.1 °C（限 150 °C），报警未确认 橙色" in summary.json["text"]
    assert {e.alarm_id for e in recorder.of(EventKind.NOTIFIED)} == {
        f"{DUST}/{tag}/H" for tag in FLOOD_TAGS
    }
    health = notifier.health()
    assert (health.counters["notices"], health.counters["summaries"]) == (2, 1)


async def test_escalation_held_in_a_window_is_withdrawn_on_acknowledgement(
    endpoint: Endpoint, catalog: Catalog, recorder: Recorder, clock: Clock
) -> None:
    config = settings(endpoint, [{"name": "r", "escalation": SLOW_LADDER}], consolidation_window=60)
    notifier = Notifier(config, catalog, recorder.publisher, clock=clock, wait=clock.wait)
    a, b = event("GT-201"), event("GT-202", AlarmType.HIGH)
    async with running(notifier):
        notifier.accept([a])
        clock.advance(1)
        notifier.accept([b])  # held for level 1's summary
        clock.advance(59)
        notifier.tick()  # level-1 summary of b
        await endpoint.watch.until(lambda: len(endpoint.to("/wecom/shift")) == 2)
        clock.now = T0 + 300
        notifier.tick()  # a escalates: sent at once
        clock.now = T0 + 301
        notifier.tick()  # b escalates: held in level 2's window
        await endpoint.watch.until(lambda: len(endpoint.to("/dingtalk/manager")) == 1)
        notifier.accept([ack(b)])
        assert notifier.health().held == 0
        clock.now = T0 + 400
        notifier.tick()
        assert notifier.health().counters["notices"] == 3
    (manager,) = endpoint.to("/dingtalk/manager")
    assert "GT-201" in manager.json["markdown"]["text"]
    assert notifier.health().counters["escalations_withdrawn"] == 1


async def test_full_queue_is_not_silent(
    endpoint: Endpoint,
    catalog: Catalog,
    recorder: Recorder,
    caplog: pytest.LogCaptureFixture,
    clock: Clock,
) -> None:
    config = settings(
        endpoint, [{"name": "r", "escalation": [{"channels": ["park"]}]}], queue_capacity=100
    )
    # not running: nothing drains the queue
    notifier = Notifier(config, catalog, recorder.publisher, clock=clock, wait=clock.wait)
    for n in range(150):
        notifier.accept([event("LT-101", AlarmType.HIGH, ts=T0 + n)])
    health = notifier.health()
    assert health.channels["park"].queued == 100
    assert health.channels["park"].dropped == 50 and health.counters["dropped"] == 50
    failed = recorder.of(EventKind.NOTIFY_FAILED)
    assert len(failed) == 50 and all("通知队列已满" in (e.comment or "") for e in failed)
    assert "queue of channel park is full" in caplog.text


async def test_failing_journal_does_not_stop_notifications(
    endpoint: Endpoint, catalog: Catalog, recorder: Recorder, journal: AlarmJournal, clock: Clock
) -> None:
    fault = JournalFault(journal.path)
    config = settings(endpoint, [{"name": "r", "escalation": [{"channels": ["park"]}]}])
    notifier = Notifier(config, catalog, recorder.publisher, clock=clock, wait=clock.wait)
    publisher = recorder.publisher
    fault.fail_commits()
    with watching_log("alerting.publisher") as failures:
        async with running(notifier):
            notifier.accept([event("GT-201")])
            notifier.accept([event("GT-202", AlarmType.HIGH)])
            await endpoint.watch.until(lambda: len(endpoint.requests) == 2)
            await failures.until(lambda: publisher.held == 2)
    # Sent, but not journalled: heard at once (seq 0), held for retry, and visible.
    assert [e.seq for e in recorder.of(EventKind.NOTIFIED)] == [0, 0]
    assert fault.committed() == []
    assert publisher.stats.journal_errors == 2 and not publisher.healthy
    assert notifier.health().counters["sent"] == 2
    assert publisher.retry() is False  # still failing: still held, not told again
    assert len(recorder.events) == 2
    fault.mend()
    assert publisher.retry() is True
    notified = recorder.of(EventKind.NOTIFIED)
    assert [e.point.tag for e in notified] == ["GT-201", "GT-202"]
    assert [(alarm, kind) for _, alarm, kind in fault.committed()] == [
        (e.alarm_id, e.kind.value) for e in notified
    ]
    publisher.retry()
    assert len(recorder.events) == 2  # heard exactly once


async def test_dead_channel_does_not_delay_others(
    endpoint: Endpoint, catalog: Catalog, recorder: Recorder, clock: Clock
) -> None:
    config = settings(
        endpoint,
        [{"name": "r", "escalation": [{"channels": ["flaky", "shift"]}]}],
        retry={"attempts": 5, "initial_delay": 30, "max_delay": 60},
    )
    endpoint.fail("/hook/flaky", 100)
    clock.hold_pauses = True  # flaky's back-off lasts until the test moves the clock
    notifier = Notifier(config, catalog, recorder.publisher, clock=clock, wait=clock.wait)
    async with running(notifier):
        notifier.accept([event("GT-201")])
        notifier.accept([event("GT-202", AlarmType.HIGH)])
        # flaky now waits 30 s before its second attempt; shift must not wait with it.
        await endpoint.watch.until(lambda: len(endpoint.to("/wecom/shift")) == 2, within=5)
        await clock.watch.until(lambda: len(clock.pauses) == 1)
    assert len(endpoint.to("/hook/flaky")) == 1
    assert clock.pauses == pytest.approx([30.0], rel=0.1)


def test_unrouted_and_own_events(
    endpoint: Endpoint, catalog: Catalog, recorder: Recorder, clock: Clock
) -> None:
    config = settings(
        endpoint,
        [
            {
                "name": "chem",
                "match": {"sites": ["DEMO-CHEM"]},
                "escalation": [{"channels": ["park"]}],
            }
        ],
    )
    notifier = Notifier(config, catalog, recorder.publisher, clock=clock, wait=clock.wait)
    notifier.accept([event("TT-11", AlarmType.HIGH, site=DUST)])
    notifier.accept([event(kind=EventKind.NOTIFIED), event(kind=EventKind.ESCALATED)])
    health = notifier.health()
    assert health.counters["unrouted"] == 1
    assert health.counters.get("notices", 0) == 0
    assert health.counters["events"] == 1  # the notifier's own kinds are not even counted
    assert health.running is False


async def test_realarm_calls_again_and_restarts_the_ladder(
    endpoint: Endpoint, catalog: Catalog, recorder: Recorder, clock: Clock
) -> None:
    config = settings(endpoint, [{"name": "r", "escalation": SLOW_LADDER}])
    notifier = Notifier(config, catalog, recorder.publisher, clock=clock, wait=clock.wait)
    alarm = event()
    async with running(notifier):
        notifier.accept([alarm])
        clock.advance(60)
        notifier.accept([ack(alarm)])
        clock.advance(3600)  # acknowledged but still active past its re-alarm time
        notifier.accept([ack(alarm, EventKind.REALARMED)])
        await endpoint.watch.until(lambda: len(endpoint.to("/wecom/shift")) == 2)
        clock.advance(300)
        notifier.tick()
        await endpoint.watch.until(lambda: len(endpoint.to("/dingtalk/manager")) == 1)
    again = endpoint.to("/wecom/shift")[1].json["markdown"]["content"]
    assert "重新报警" in again


async def test_batch_goes_out_as_one_notice_when_consolidating(
    endpoint: Endpoint, catalog: Catalog, recorder: Recorder, clock: Clock
) -> None:
    config = settings(
        endpoint, [{"name": "r", "escalation": [{"channels": ["park"]}]}], consolidation_window=60
    )
    notifier = Notifier(config, catalog, recorder.publisher, clock=clock, wait=clock.wait)
    async with running(notifier):
        notifier.accept([event("GT-201"), event("GT-202", AlarmType.HIGH)])
        await recorder.watch.until(lambda: len(recorder.of(EventKind.NOTIFIED)) == 2)
    (request,) = endpoint.requests
    assert request.json["count"] == 2 and request.json["title"] == "【报警汇总】2 条报警"


async def test_resume_after_restart_calls_overdue_levels_only(
    endpoint: Endpoint, catalog: Catalog, recorder: Recorder, clock: Clock
) -> None:
    config = settings(endpoint, [{"name": "r", "escalation": SLOW_LADDER}])
    notifier = Notifier(config, catalog, recorder.publisher, clock=clock, wait=clock.wait)
    clock.now = T0 + 400  # raised at T0, unacknowledged through a restart
    waiting = event()
    acked = dataclasses.replace(event("GT-202"), state=AlarmState.ACKED)
    async with running(notifier):
        notifier.resume([waiting, acked])
        notifier.tick()
        await endpoint.watch.until(lambda: len(endpoint.to("/dingtalk/manager")) == 1)
        assert notifier.health().escalating == 1  # the acknowledged alarm is not tracked
        clock.now = T0 + 900
        notifier.tick()
        await endpoint.watch.until(lambda: len(endpoint.to("/hook/park")) == 1)
    assert endpoint.to("/wecom/shift") == []  # level 1 was called before the restart
    (escalated_2, escalated_3) = recorder.of(EventKind.ESCALATED)
    assert escalated_2.ts == T0 + 400 and escalated_3.ts == T0 + 900


async def test_chattering_alarm_is_one_line_and_recorded_in_batches(
    endpoint: Endpoint, catalog: Catalog, clock: Clock, recorder: Recorder
) -> None:
    config = settings(
        endpoint, [{"name": "r", "escalation": [{"channels": ["park"]}]}], consolidation_window=60
    )
    notifier = Notifier(config, catalog, recorder.publisher, clock=clock, wait=clock.wait)
    async with running(notifier):
        notifier.accept([event("GT-202", AlarmType.HIGH)])
        for n in range(30):  # LT-101 chatters: raised 30 times within the window
            clock.advance(1)
            notifier.accept(
                [event("LT-101", AlarmType.HIGH, value=18 + n, limit=18.0, ts=clock.now)]
            )
        notifier.accept([event("TT-301", AlarmType.HIGH, value=61.0, limit=60.0)])
        clock.now = T0 + 60
        notifier.tick()
        await endpoint.watch.until(lambda: len(endpoint.requests) == 2)
        await recorder.watch.until(lambda: len(recorder.events) == 3)
    summary = endpoint.requests[1].json
    assert summary["title"] == "【报警汇总】2 条报警"
    assert "本时段共触发 31 次" in summary["text"]
    assert "LT-101 1号甲醇罐液位 报警时 47 m（限 18 m）" in summary["text"]  # the newest value
    assert "（30 次）" in summary["text"]
    # One NOTIFIED per alarm, not per activation: GT-202, then LT-101 and TT-301.
    assert [e.point.tag for e in recorder.events] == ["GT-202", "LT-101", "TT-301"]
    # the summary's two alarms in one journal transaction
    assert [len(batch) for batch in recorder.batches] == [1, 2]
    assert recorder.publisher.journal.writes == 2


@pytest.mark.parametrize(
    ("answer", "kind", "state"),
    [
        ("acknowledged", EventKind.ACKNOWLEDGED, AlarmState.ACKED),
        ("shelved", EventKind.SHELVED, AlarmState.SHELVED),
        ("removed from service", EventKind.REMOVED_FROM_SERVICE, AlarmState.OUT_OF_SERVICE),
        ("cleared", EventKind.RETURNED, AlarmState.NORMAL),
    ],
)
async def test_a_level_1_notice_waiting_in_the_window_drops_answered_alarms(
    endpoint: Endpoint,
    catalog: Catalog,
    recorder: Recorder,
    clock: Clock,
    answer: str,
    kind: EventKind,
    state: AlarmState,
) -> None:
    config = settings(endpoint, [{"name": "r", "escalation": SLOW_LADDER}], consolidation_window=30)
    notifier = Notifier(config, catalog, recorder.publisher, clock=clock, wait=clock.wait)
    first, held, other = event("GT-201"), event("GT-202", AlarmType.HIGH), event("LT-101",
                                                                                AlarmType.HIGH)
    async with running(notifier):
        notifier.accept([first])  # sent at once, opens the window
        await endpoint.watch.until(lambda: len(endpoint.to("/wecom/shift")) == 1)
        clock.advance(1)
        notifier.accept([held, other])  # held for the summary
        clock.advance(1)
        answered = event(held.point.tag, held.alarm_type, kind, state=state, user="张三")
        notifier.accept([answered])
        clock.now = T0 + 31
        notifier.tick()
        await endpoint.watch.until(lambda: len(endpoint.to("/wecom/shift")) == 2)
        # A window holding only answered alarms sends nothing at all.
        notifier.accept([event("GT-203", AlarmType.HIGH, ts=clock.now)])
        clock.advance(1)
        notifier.accept([ack(event("GT-203", AlarmType.HIGH))])
        clock.now = T0 + 70
        notifier.tick()
        assert len(endpoint.to("/wecom/shift")) == 2, answer
    summary = endpoint.to("/wecom/shift")[1].json["markdown"]["content"]
    assert "LT-101" in summary and "GT-202" not in summary, answer
    counters = notifier.health().counters
    assert counters["stale_dropped"] >= 2 and counters["notices_dropped"] == 1


async def test_an_escalation_tells_the_value_now_and_at_the_raise(
    endpoint: Endpoint, catalog: Catalog, recorder: Recorder, clock: Clock
) -> None:
    from collectors.readings import Reading

    latest: dict[Any, Reading] = {}
    config = settings(endpoint, [{"name": "r", "escalation": SLOW_LADDER}])
    notifier = Notifier(
        config, catalog, recorder.publisher, clock=clock, wait=clock.wait, current=latest.get
    )
    raised = event("GT-201", AlarmType.HIGH, value=25.1, limit=25.0)
    async with running(notifier):
        latest[raised.point] = Reading(raised.point, 25.1, clock.now)
        notifier.accept([raised])
        await endpoint.watch.until(lambda: len(endpoint.to("/wecom/shift")) == 1)
        latest[raised.point] = Reading(raised.point, 1.0, T0 + 290)  # the gas has gone
        notifier.accept([event("GT-201", AlarmType.HIGH, EventKind.RETURNED,
                               state=AlarmState.RTN_UNACK, value=1.0)])
        clock.now = T0 + 300
        notifier.tick()
        await endpoint.watch.until(lambda: len(endpoint.to("/dingtalk/manager")) == 1)
    text = endpoint.to("/dingtalk/manager")[0].json["markdown"]["text"]
    assert "**报警时值**：25.1 %LEL" in text
    assert "**发送时值**：1 %LEL" in text
    assert "**当前状态**：已恢复未确认" in text
    assert "请立即确认并处置" not in text and "尚未确认" in text
