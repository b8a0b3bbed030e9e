"""The websocket against a real uvicorn server and real websocket clients."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from dashboard_testkit import Gateway, Message, Recorder, chain_ok, open_ws, recv_json, recv_until
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from alerting.events import AlarmEvent, AlarmState, EventKind
from collectors.readings import Reading, Reason, bad
from config.catalog import PointKey
from config.vocabulary import AlarmType, Priority
from dashboard.channel import ClientChannel
from dashboard.protocol import CLOSE_TOO_SLOW
from dashboard.server import DashboardServer

pytestmark = pytest.mark.integration


LT = PointKey("DEMO-CHEM", "LT-101")
GT = PointKey("DEMO-CHEM", "GT-201")
LT_ID, GT_ID = "DEMO-CHEM/LT-101", "DEMO-CHEM/GT-201"


def alarm(n: int) -> AlarmEvent:
    return AlarmEvent(
        alarm_id="DEMO-CHEM/GT-201/H",
        point=GT,
        alarm_type=AlarmType.HIGH,
        kind=EventKind.RAISED,
        state=AlarmState.UNACK,
        priority=Priority.HIGH,
        ts=1_700_000_000.0 + n,
        value=30.0,
        limit=25.0,
        seq=n,
    )


def has_value(point: str, value: Any) -> Any:
    def check(message: Message) -> bool:
        reading = message.get("readings", {}).get(point)
        return message["type"] == "delta" and reading is not None and reading[0] == value

    return check


async def test_snapshot_then_deltas_with_increasing_seq(
    server: DashboardServer, gateway: Gateway
) -> None:
    gateway.feed([Reading(LT, 5.0, 100.0), bad(GT, 100.0, Reason.SENSOR_FAULT)])
    gateway.hub.flush()
    ws = await open_ws(server)
    snapshot = await recv_json(ws)
    assert snapshot["type"] == "snapshot"
    assert (snapshot["epoch"], snapshot["seq"]) == (gateway.hub.epoch, 1)
    assert snapshot["readings"] == {
        LT_ID: [5.0, "good", "", 100.0],
        GT_ID: [None, "bad", "sensor_fault", 100.0],
    }
    seq = snapshot["seq"]
    for n in range(1, 6):
        gateway.feed([Reading(LT, 5.0 + n, 100.0 + n)])
        messages = await recv_until(ws, has_value(LT_ID, 5.0 + n))
        seq_before, seq = seq, chain_ok(messages, seq)
        assert seq > seq_before
        assert messages[-1]["readings"][LT_ID] == [5.0 + n, "good", "", 100.0 + n]
    gateway.feed([bad(LT, 200.0, Reason.COMM_LOSS)])
    gateway.hub.accept_events([alarm(1)])
    messages = await recv_until(ws, lambda m: m["type"] == "delta" and bool(m["events"]))
    chain_ok(messages, seq)
    received = {k: v for m in messages for k, v in m["readings"].items()}
    assert received[LT_ID] == [None, "bad", "comm_loss", 200.0]
    event = messages[-1]["events"][0]
    assert (event["id"], event["kind"], event["seq"]) == (
        "DEMO-CHEM/GT-201/H",
        "raised",
        1,
    )
    await ws.close()


async def test_client_that_says_nothing_gets_a_snapshot(
    server: DashboardServer, gateway: Gateway
) -> None:
    gateway.feed([Reading(LT, 1.5, 10.0)])
    async with connect(f"ws://127.0.0.1:{server.port}/ws", proxy=None) as ws:
        snapshot = await recv_json(ws, within=3.0)
    assert snapshot["type"] == "snapshot"
    assert snapshot["readings"][LT_ID] == [1.5, "good", "", 10.0]


async def test_bad_hello_gets_a_snapshot(server: DashboardServer, gateway: Gateway) -> None:
    ws = await open_ws(server, {"type": "hello", "resume": "yesterday", "epoch": "x"})
    assert (await recv_json(ws))["reason"] == "connect"
    await ws.close()


async def test_resume_from_a_sequence(server: DashboardServer, gateway: Gateway) -> None:
    hub = gateway.hub
    gateway.feed([Reading(LT, 1.0, 10.0)])
    ws = await open_ws(server)
    snapshot = await recv_json(ws)
    gateway.feed([Reading(LT, 2.0, 11.0)])
    last = chain_ok(await recv_until(ws, has_value(LT_ID, 2.0)), snapshot["seq"])
    await ws.close()

    # While the client is away: three frames, with an alarm event in the middle one.
    gateway.feed([Reading(LT, 3.0, 12.0)])
    hub.flush()
    gateway.feed([bad(GT, 13.0, Reason.SENSOR_FAULT)])
    hub.accept_events([alarm(7)])
    hub.flush()
    gateway.feed([Reading(LT, 4.0, 14.0)])
    hub.flush()
    assert hub.seq == last + 3

    ws = await open_ws(server, {"type": "hello", "epoch": snapshot["epoch"], "resume": last})
    resumed = await recv_json(ws)
    assert (resumed["type"], resumed["prev"], resumed["seq"]) == ("delta", last, last + 3)
    assert resumed["readings"] == {  # latest value per point wins
        LT_ID: [4.0, "good", "", 14.0],
        GT_ID: [None, "bad", "sensor_fault", 13.0],
    }
    assert [e["seq"] for e in resumed["events"]] == [7]
    gateway.feed([Reading(LT, 5.0, 15.0)])
    chain_ok(await recv_until(ws, has_value(LT_ID, 5.0)), resumed["seq"])
    await ws.close()
    assert hub.stats().resumed == 1

    # Another gateway run (epoch) cannot be resumed: a snapshot says so.
    ws = await open_ws(server, {"type": "hello", "epoch": "some-other-run", "resume": last})
    fresh = await recv_json(ws)
    assert (fresh["type"], fresh["reason"], fresh["seq"]) == ("snapshot", "new_epoch", hub.seq)
    assert fresh["readings"][LT_ID] == [5.0, "good", "", 15.0]
    await ws.close()


@pytest.mark.parametrize("hub_options", [{"client_messages": 3}], indirect=True)
async def test_client_behind_a_burst_gets_coalesced_readings(
    server: DashboardServer, gateway: Gateway
) -> None:
    ws = await open_ws(server)
    start = (await recv_json(ws))["seq"]
    # Thirty frames without yielding to the loop: the client's sender cannot run, its
    # outbox (3) fills, and the rest must be coalesced.
    for n in range(1, 31):
        gateway.feed([Reading(LT, float(n), 200.0 + n)])
        gateway.hub.flush()
    messages = await recv_until(ws, lambda m: m.get("seq") == gateway.hub.seq)
    chain_ok(messages, start)
    assert [(m["prev"] - start, m["seq"] - start) for m in messages] == [
        (0, 1),
        (1, 2),
        (2, 3),
        (3, 30),
    ]
    assert [m["readings"][LT_ID][0] for m in messages] == [1.0, 2.0, 3.0, 30.0]
    await ws.close()


def at_seq(seq: int) -> Callable[[Message], bool]:
    return lambda message: message.get("seq") == seq


def has_event(journal_seq: int) -> Callable[[Message], bool]:
    return lambda message: any(e["seq"] == journal_seq for e in message.get("events", ()))


def big_batch(round_: int, points: int = 2000) -> list[Reading]:
    """~400 kB per frame: long tags, so that kernel buffers fill within a few frames."""
    padding = "x" * 180
    return [
        Reading(PointKey("BULK", f"T{index}-{padding}"), float(round_), 300.0 + round_)
        for index in range(points)
    ]


async def stall(gateway: Gateway, fast: Recorder, stalled: ClientChannel) -> int:
    """Feeds big frames until the stalled client's sender is blocked and it lags."""
    for round_ in range(1, 200):
        gateway.feed(big_batch(round_))
        gateway.hub.flush()
        seq = gateway.hub.seq
        await fast.wait_for(at_seq(seq), 10.0)
        if stalled.lagging:
            return round_
    raise AssertionError("the stalled client never fell behind")


@pytest.mark.parametrize(
    "hub_options", [{"client_messages": 4, "client_events": 20}], indirect=True
)
async def test_stalled_client_does_not_delay_another_and_is_cut_off_by_alarm_events(
    server: DashboardServer, gateway: Gateway
) -> None:
    loop = asyncio.get_running_loop()
    stalled_ws = await open_ws(server, receive_buffer=8192, max_queue=1)
    assert (await recv_json(stalled_ws))["type"] == "snapshot"
    (stalled,) = gateway.hub.channels
    fast_ws = await open_ws(server)
    fast = Recorder(fast_ws)
    await fast.wait_for(lambda m: m["type"] == "snapshot")
    await stall(gateway, fast, stalled)

    # The fast client's delivery while the other is stalled: bounded by the flush interval
    # plus scheduling, never by the stalled socket.
    latencies = []
    for n in range(5):
        sent = loop.time()
        gateway.feed([Reading(LT, 1000.0 + n, 400.0 + n)])
        arrived, _ = await fast.wait_for(has_value(LT_ID, 1000.0 + n), 2.0)
        latencies.append(arrived - sent)
    assert max(latencies) < 1.0, latencies
    assert stalled.lagging and not stalled.closed  # readings alone coalesce, no cut-off

    # Alarm events are never dropped: past 20 waiting, the stalled client is cut off,
    # while the fast one gets every one of them, in order.
    mark = len(fast.messages)
    for n in range(25):
        gateway.hub.accept_events([alarm(n)])
        gateway.hub.flush()
        await fast.wait_for(has_event(n), start=mark)
        assert stalled.closed is (n >= 20)
    assert stalled.closed and stalled.close_code == CLOSE_TOO_SLOW
    assert stalled not in gateway.hub.channels
    assert gateway.hub.stats().kicked_slow == 1
    events = [e["seq"] for _, m in fast.messages[mark:] for e in m.get("events", ())]
    assert events == list(range(25))

    # Once it reads again it drains what the kernel held, then finds the connection closed.
    with pytest.raises(ConnectionClosed):
        while True:
            await asyncio.wait_for(stalled_ws.recv(), 10.0)
    assert stalled_ws.close_code in (CLOSE_TOO_SLOW, 1006)
    await fast.close()


@pytest.mark.parametrize("hub_options", [{"client_messages": 4}], indirect=True)
async def test_stalled_client_that_recovers_gets_latest_values(
    server: DashboardServer, gateway: Gateway
) -> None:
    stalled_ws = await open_ws(server, receive_buffer=8192, max_queue=1)
    start = (await recv_json(stalled_ws))["seq"]
    (stalled,) = gateway.hub.channels
    fast = Recorder(await open_ws(server))
    await fast.wait_for(lambda m: m["type"] == "snapshot")
    rounds = await stall(gateway, fast, stalled)
    for n in range(1, 11):  # ten frames while it lags: one value must survive
        gateway.feed([Reading(LT, float(n), 500.0 + n)])
        gateway.hub.flush()
    final = gateway.hub.seq
    messages = await recv_until(stalled_ws, lambda m: m.get("seq") == final, within=20.0)
    chain_ok(messages, start)
    deltas = [m for m in messages if m["type"] == "delta"]
    assert len(deltas) < rounds + 10  # some frames were coalesced
    assert deltas[-1]["readings"][LT_ID] == [10.0, "good", "", 510.0]
    seen_lt = [m["readings"][LT_ID][0] for m in deltas if LT_ID in m["readings"]]
    assert seen_lt == [10.0]  # the nine older values were coalesced away
    assert not stalled.closed and gateway.hub.stats().catch_ups >= 1
    await stalled_ws.close()
    await fast.close()


async def test_graceful_shutdown_with_clients_connected(
    server: DashboardServer, gateway: Gateway
) -> None:
    loop = asyncio.get_running_loop()
    reading = await open_ws(server)
    await recv_json(reading)
    silent = await open_ws(server)  # connected, never reads (but its buffers are empty)
    started = loop.time()
    await server.stop()
    assert loop.time() - started < 4.0
    with pytest.raises(ConnectionClosed):
        while True:
            await asyncio.wait_for(reading.recv(), 5.0)
    assert reading.close_code in (1012, 1001)
    assert gateway.hub.stats().clients == 0
    await silent.close()
