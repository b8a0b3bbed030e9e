"""Hub logic without a network: frames, sequence numbers, coalescing, kicks, resume.

Flushes are driven by hand (the timer is set an hour out) so every case is exact.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import pytest

from alerting.events import AlarmEvent, AlarmState, EventKind
from collectors.readings import Quality, Reading, Reason, bad
from config.catalog import PointKey
from config.vocabulary import AlarmType, Priority
from dashboard.channel import ChannelClosed, ClientChannel
from dashboard.hub import Hub
from dashboard.live import LiveState
from dashboard.protocol import CLOSE_GOING_AWAY, CLOSE_TOO_SLOW, AlarmChanges, Resume

A = PointKey("S1", "A")
B = PointKey("S1", "B")
C = PointKey("S2", "C")


def make_hub(**options: Any) -> tuple[Hub, LiveState]:
    live = LiveState()
    settings: dict[str, Any] = {"flush_interval": 3600.0, "heartbeat": 3600.0, "epoch": "E1"}
    settings.update(options)
    return Hub(live, **settings), live


def feed(hub: Hub, live: LiveState, *readings: Reading) -> None:
    live.accept(readings)
    hub.accept(readings)


def event(n: int, point: PointKey = A) -> AlarmEvent:
    return AlarmEvent(
        alarm_id=f"{point}/H",
        point=point,
        alarm_type=AlarmType.HIGH,
        kind=EventKind.RAISED,
        state=AlarmState.UNACK,
        priority=Priority.HIGH,
        ts=1000.0 + n,
        value=float(n),
        limit=50.0,
        seq=n,
    )


async def take(channel: ClientChannel) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(channel.next_message(), 1.0))
    return message


def queued_nothing(channel: ClientChannel) -> bool:
    return channel.queued == 0 and not channel.lagging


async def test_snapshot_then_delta_with_sequence() -> None:
    hub, live = make_hub()
    feed(hub, live, Reading(A, 1.0, 10.0), bad(B, 10.0, Reason.COMM_LOSS))
    hub.flush()
    channel = hub.connect()
    snapshot = await take(channel)
    assert snapshot["type"] == "snapshot"
    assert (snapshot["epoch"], snapshot["seq"], snapshot["reason"]) == ("E1", 1, "connect")
    assert snapshot["readings"] == {
        "S1/A": [1.0, "good", "", 10.0],
        "S1/B": [None, "bad", "comm_loss", 10.0],
    }
    feed(hub, live, Reading(A, 2.0, 11.0))
    hub.flush()
    delta = await take(channel)
    assert (delta["type"], delta["prev"], delta["seq"]) == ("delta", 1, 2)
    assert delta["readings"] == {"S1/A": [2.0, "good", "", 11.0]}
    assert delta["events"] == []
    assert queued_nothing(channel)


async def test_flush_without_changes_makes_no_frame() -> None:
    hub, live = make_hub()
    hub.flush()
    assert hub.seq == 0
    feed(hub, live, Reading(A, 1.0, 10.0))
    hub.flush()
    hub.flush()
    assert hub.seq == 1


async def test_delta_carries_the_live_value_not_an_older_reading() -> None:
    # The live state refuses a reading older than what it holds; the hub must not show it.
    hub, live = make_hub()
    feed(hub, live, Reading(A, 5.0, 20.0))
    hub.flush()
    channel = hub.connect()
    await take(channel)
    feed(hub, live, Reading(A, 1.0, 19.0))
    hub.flush()
    delta = await take(channel)
    assert delta["readings"] == {"S1/A": [5.0, "good", "", 20.0]}


async def test_one_encoding_is_shared_by_clients_in_step() -> None:
    hub, live = make_hub()
    first, second = hub.connect(), hub.connect()
    await take(first)
    await take(second)
    feed(hub, live, Reading(A, 1.0, 1.0))
    hub.flush()
    one = await asyncio.wait_for(first.next_message(), 1.0)
    two = await asyncio.wait_for(second.next_message(), 1.0)
    assert one is two  # the same str object: encoded once


@pytest.mark.parametrize(
    ("client_messages", "frames", "expected"),
    [
        # outbox holds the snapshot (seq 0) and room for client_messages - 1 frames; the
        # rest are coalesced into one catch-up from the last queued frame to the newest.
        (1, 1, [(0, 1)]),
        (1, 5, [(0, 5)]),
        (2, 5, [(0, 1), (1, 5)]),
        (3, 5, [(0, 1), (1, 2), (2, 5)]),
        (6, 5, [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]),
        (16, 3, [(0, 1), (1, 2), (2, 3)]),
    ],
)
async def test_slow_client_gets_one_coalesced_catch_up(
    client_messages: int, frames: int, expected: list[tuple[int, int]]
) -> None:
    hub, live = make_hub(client_messages=client_messages)
    channel = hub.connect()
    for n in range(1, frames + 1):
        # A changes every frame, B only in the first: the catch-up still carries B.
        feed(hub, live, Reading(A, float(n), float(n)), *([Reading(B, 7.0, 1.0)] if n == 1 else []))
        hub.flush()
    assert (await take(channel))["type"] == "snapshot"
    got = [await take(channel) for _ in expected]
    assert [(m["prev"], m["seq"]) for m in got] == expected
    assert got[-1]["readings"]["S1/A"] == [float(frames), "good", "", float(frames)]
    assert {"S1/A", "S1/B"} <= set().union(*(m["readings"] for m in got))
    assert queued_nothing(channel)
    # After catching up the client is back in step with shared frames.
    feed(hub, live, Reading(C, 3.0, 99.0))
    hub.flush()
    after = await take(channel)
    assert (after["prev"], after["seq"]) == (frames, frames + 1)


async def test_lagging_client_gets_every_event_in_order() -> None:
    hub, _ = make_hub(client_messages=1, client_events=10)
    channel = hub.connect()
    for n in range(1, 8):
        hub.accept_events([event(n)])
        hub.flush()
    await take(channel)  # snapshot
    catch_up = await take(channel)
    assert [e["seq"] for e in catch_up["events"]] == list(range(1, 8))
    assert (catch_up["prev"], catch_up["seq"]) == (0, 7)
    assert not channel.closed


@pytest.mark.parametrize(("limit", "events", "kicked"), [(5, 5, False), (5, 6, True), (1, 2, True)])
async def test_client_too_slow_for_events_is_closed(limit: int, events: int, kicked: bool) -> None:
    hub, _ = make_hub(client_messages=1, client_events=limit)
    slow = hub.connect()  # never drained: its snapshot fills the outbox
    other = hub.connect()
    for n in range(1, events + 1):
        hub.accept_events([event(n)])
        hub.flush()
        while other.queued or other.lagging:  # this one keeps up
            await take(other)
    assert slow.closed is kicked
    assert hub.stats().kicked_slow == (1 if kicked else 0)
    assert (slow in hub.channels) is not kicked
    assert not other.closed
    if kicked:
        assert slow.close_code == CLOSE_TOO_SLOW
        with pytest.raises(ChannelClosed):
            await take(slow)


def frames_with(hub: Hub, live: LiveState, count: int) -> None:
    for n in range(1, count + 1):
        feed(hub, live, Reading(PointKey("S1", f"P{n}"), float(n), float(n)))
        hub.accept_events([event(n)])
        hub.flush()


@pytest.mark.parametrize(
    ("ring_frames", "frames", "resume", "expected"),
    [
        # resume from seq r: a delta prev=r..seq if the ring still holds frames r+1..seq
        (10, 5, Resume("E1", 5), ("delta", 5, 5, [])),
        (10, 5, Resume("E1", 3), ("delta", 3, 5, [4, 5])),
        (10, 5, Resume("E1", 0), ("delta", 0, 5, [1, 2, 3, 4, 5])),
        (3, 5, Resume("E1", 2), ("delta", 2, 5, [3, 4, 5])),
        (3, 5, Resume("E1", 1), ("snapshot", "resume_unavailable")),
        (10, 5, Resume("E1", 9), ("snapshot", "resume_unavailable")),
        (10, 5, Resume("OTHER", 3), ("snapshot", "new_epoch")),
        (10, 5, None, ("snapshot", "connect")),
    ],
)
async def test_resume_from_the_ring(
    ring_frames: int, frames: int, resume: Resume | None, expected: tuple[Any, ...]
) -> None:
    hub, live = make_hub(ring_frames=ring_frames)
    frames_with(hub, live, frames)
    message = await take(hub.connect(resume))
    if expected[0] == "delta":
        _, prev, seq, numbers = expected
        assert (message["type"], message["prev"], message["seq"]) == ("delta", prev, seq)
        assert [e["seq"] for e in message["events"]] == numbers
        assert set(message["readings"]) == {f"S1/P{n}" for n in numbers}
    else:
        assert (message["type"], message["reason"], message["seq"]) == (*expected, frames)
        assert len(message["readings"]) == frames
    assert hub.stats().resumed == (1 if expected[0] == "delta" else 0)


@pytest.mark.parametrize(
    ("limits", "frames", "oldest"),
    [
        ({"ring_frames": 4}, 10, 7),
        ({"ring_points": 10}, 10, 6),  # two points per frame (P<n> and C)
        ({"ring_events": 3}, 10, 8),
        ({"ring_points": 1}, 3, 3),  # the newest frame stays even if it alone is too big
    ],
)
async def test_ring_is_bounded(limits: dict[str, int], frames: int, oldest: int) -> None:
    hub, live = make_hub(**limits)
    for n in range(1, frames + 1):
        feed(hub, live, Reading(PointKey("S1", f"P{n}"), 1.0, 1.0), Reading(C, float(n), n))
        hub.accept_events([event(n)])
        hub.flush()
    assert hub.stats().ring_oldest_seq == oldest


async def test_timer_flushes_after_the_interval_and_sooner_for_events() -> None:
    hub, live = make_hub(flush_interval=0.05, event_delay=0.0)
    channel = hub.connect()
    await take(channel)
    loop = asyncio.get_running_loop()
    start = loop.time()
    feed(hub, live, Reading(A, 1.0, 1.0))
    delta = await take(channel)
    assert delta["readings"] == {"S1/A": [1.0, "good", "", 1.0]}
    assert loop.time() - start >= 0.04
    hub.accept_events([event(1)])
    start = loop.time()
    delta = await take(channel)
    assert [e["seq"] for e in delta["events"]] == [1]
    assert loop.time() - start < 0.04


async def test_many_changed_points_flush_at_once() -> None:
    hub, live = make_hub(max_frame_points=3)
    channel = hub.connect()
    await take(channel)
    feed(hub, live, *(Reading(PointKey("S", f"P{n}"), 1.0, 1.0) for n in range(3)))
    delta = await take(channel)  # the hour-long timer was not waited for
    assert len(delta["readings"]) == 3


async def test_heartbeat_when_quiet() -> None:
    hub, live = make_hub(heartbeat=0.05)
    feed(hub, live, Reading(A, 1.0, 1.0))
    hub.flush()
    channel = hub.connect()
    await take(channel)
    beat = await take(channel)
    assert beat["type"] == "heartbeat"
    assert beat["seq"] == 1


async def test_point_without_live_value_is_counted() -> None:
    hub, _ = make_hub()
    channel = hub.connect()
    await take(channel)
    hub.accept([Reading(A, 1.0, 1.0)])  # live state never saw it
    hub.flush()
    delta = await take(channel)
    assert delta["readings"] == {}
    assert hub.stats().missing_live == 1


async def test_close_all_and_disconnect() -> None:
    hub, _ = make_hub()
    first, second = hub.connect(), hub.connect()
    hub.disconnect(first)
    assert hub.stats().clients == 1
    hub.close_all()
    assert second.close_code == CLOSE_GOING_AWAY
    with pytest.raises(ChannelClosed):
        await take(second)
    assert hub.stats().clients == 0


@pytest.mark.parametrize(
    "options",
    [
        {"flush_interval": 0},
        {"heartbeat": 0},
        {"event_delay": -1},
        {"client_messages": 0},
        {"client_events": 0},
        {"ring_frames": 0},
        {"max_frame_points": 0},
    ],
)
def test_bad_options_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Hub(LiveState(), **options)  # type: ignore[arg-type]


async def test_uncertain_reading_keeps_its_value_and_reason() -> None:
    hub, live = make_hub()
    feed(hub, live, Reading(A, 120.0, 5.0, Quality.UNCERTAIN, Reason.OUT_OF_RANGE))
    message = await take(hub.connect())
    assert message["readings"]["S1/A"] == [120.0, "uncertain", "out_of_range", 5.0]


async def test_alarm_records_are_read_when_a_delta_is_encoded() -> None:
    """A delta carries what the alarm feed says *then*: a resumed client gets the alarm's
    newest record once, not one per event it missed."""
    states = {"S1/A/H": "active_unacknowledged"}
    asked: list[list[int]] = []

    def records(events: Sequence[AlarmEvent]) -> AlarmChanges:
        asked.append([e.seq for e in events])
        ids = dict.fromkeys(e.alarm_id for e in events)
        return AlarmChanges([{"id": ident, "state": states[ident]} for ident in ids])

    hub, live = make_hub(alarms=records)
    channel = hub.connect()
    snapshot = await take(channel)
    hub.accept_events([event(1)])
    hub.flush()
    delta = await take(channel)
    assert delta["alarms"] == [{"id": "S1/A/H", "state": "active_unacknowledged"}]
    assert delta["sources"] == []
    feed(hub, live, Reading(B, 1.0, 1.0))
    hub.flush()
    assert (await take(channel))["alarms"] == []  # readings only: the feed is not asked
    assert asked == [[1]]

    states["S1/A/H"] = "active_acknowledged"
    hub.accept_events([event(2)])
    hub.flush()
    resumed = hub.connect(Resume(snapshot["epoch"], snapshot["seq"]))
    catch_up = await take(resumed)
    assert [e["seq"] for e in catch_up["events"]] == [1, 2]
    assert catch_up["alarms"] == [{"id": "S1/A/H", "state": "active_acknowledged"}]
