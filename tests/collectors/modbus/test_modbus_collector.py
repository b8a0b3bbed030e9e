"""The collector against real pymodbus servers on free loopback ports."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from modbus_helpers import SITE, Sink, device, is_bad, is_good, point, running
from support.waiting import poll_until

from collectors.backoff import backoff_delays
from collectors.health import LinkState
from collectors.modbus import ModbusCollector, SilencePolicy
from collectors.modbus.connection import Endpoint, pymodbus_client
from collectors.modbus.decode import all_byte_orders
from collectors.readings import Quality, Reading, Reason
from config.catalog import PointKey
from config.modbus import ByteOrder, DataType, RegisterTable, StatusRole
from gateway.sim.modbus_devices import SimModbusServer, encode
from gateway.sim.ports import free_port

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

FAST_SILENCE = SilencePolicy(probe_cap=1.0)


def fast_backoff() -> Iterator[float]:
    return backoff_delays(initial=0.1, cap=0.5)


STATUS = {"table": "holding", "address": 21, "bits": {"fault": 0, "alarm": 1, "heartbeat": 15}}

TANK_POINTS = [
    point("LT-1", {"table": "holding", "address": 0, "type": "float32"}, low=0, high=20),
    point("TT-1", {"table": "holding", "address": 2, "type": "float32", "byte_order": "CDAB"},
          low=-40, high=120),
    point("PT-1", {"table": "holding", "address": 4, "type": "int16", "scale": 0.1},
          low=-10, high=200),
    point("FT-1", {"table": "holding", "address": 6, "type": "uint32", "byte_order": "DCBA"}),
    point("LT-2", {"table": "input", "address": 0, "type": "uint16",
                   "current_loop": {"counts_at_4ma": 6400, "counts_at_20ma": 32000}},
          low=0, high=15),
    point("GT-1", {"table": "holding", "address": 20, "type": "uint16", "scale": 0.1,
                   "status_word": STATUS}, kind="combustible_gas", low=0, high=100),
    point("XV-1", {"table": "coils", "address": 3, "type": "bool"}, kind="discrete_state"),
    point("XS-1", {"table": "discrete_inputs", "address": 7, "type": "bool"},
          kind="discrete_state"),
    point("GS-1", {"table": "holding", "address": 21, "type": "bit", "bit": 15},
          kind="discrete_state"),
]


def write_tank_values(server: SimModbusServer, unit: int = 1, level: float = 12.5) -> None:
    server.write_registers(unit, "holding", 0, encode(level, DataType.FLOAT32, ByteOrder.ABCD))
    server.write_registers(unit, "holding", 2, encode(-5.25, DataType.FLOAT32, ByteOrder.CDAB))
    server.write_registers(unit, "holding", 4, encode(-35, DataType.INT16, ByteOrder.ABCD))
    server.write_registers(unit, "holding", 6, encode(70000, DataType.UINT32, ByteOrder.DCBA))
    server.write_registers(unit, "input", 0, [6400 + 12800])  # 12 mA
    server.write_registers(unit, "holding", 20, [123, 0x8002])  # 12.3 %LEL, alarm, heartbeat
    server.write_bits(unit, "coils", 3, [True])
    server.write_bits(unit, "discrete_inputs", 7, [True])


async def test_values_arrive_with_quality_in_one_batch_per_poll(
    tcp_server: SimModbusServer,
) -> None:
    write_tank_values(tcp_server)
    tank = device("tank", tcp_server.port, TANK_POINTS, poll_interval=0.2, timeout=1.0)
    collector = ModbusCollector([(SITE, tank)], clock=lambda: 1234.5)
    sink = Sink()
    async with running(collector, sink):
        await sink.wait_for(is_good("LT-1"))
        first = {r.point.tag: r for r in sink.batches[0]}
        # One emit per poll carrying every point of the device.
        assert set(first) == {p["tag"] for p in TANK_POINTS}
        assert first["LT-1"].value == 12.5
        assert first["TT-1"].value == -5.25
        assert first["PT-1"].value == pytest.approx(-3.5)
        assert first["FT-1"].value == 70000
        assert first["LT-2"].value == pytest.approx(7.5)  # 12 mA on 0..15 m
        assert first["GT-1"].value == pytest.approx(12.3)
        assert first["XV-1"].value is True and first["XS-1"].value is True
        assert first["GS-1"].value is True
        assert all(r.quality is Quality.GOOD and r.ts == 1234.5 for r in first.values())

        # A changed register arrives on a later poll; a fault current turns the point bad.
        mark = sink.mark()
        tcp_server.write_registers(1, "holding", 0, encode(3.75, DataType.FLOAT32, ByteOrder.ABCD))
        tcp_server.write_registers(1, "input", 0, [0])  # open loop: 0 mA
        tcp_server.write_registers(1, "holding", 21, [0x0001])  # detector fault bit
        await sink.wait_for(is_good("LT-1", 3.75), since=mark)
        await sink.wait_for(is_bad("LT-2", Reason.SENSOR_FAULT), since=mark)
        await sink.wait_for(is_bad("GT-1", Reason.SENSOR_FAULT), since=mark)

    # Raw registers and status bits stay reachable after the poll.
    raw = collector.last_raw(PointKey(SITE, "TT-1"))
    assert raw is not None and raw.table is RegisterTable.HOLDING and raw.address == 2
    assert all_byte_orders(raw.values, DataType.FLOAT32)[ByteOrder.CDAB] == -5.25
    status = collector.last_status(PointKey(SITE, "GT-1"))
    assert status is not None and status.word == 0x0001 and status[StatusRole.FAULT]
    assert collector.last_status(PointKey(SITE, "LT-1")) is None
    health = collector.health.devices[f"{SITE}/tank"]
    assert health.error_count == 0 and health.request_count >= 2
    # Registers 0..7 and 20..21 with the default gap of 16, input, coils, discrete inputs.
    assert collector.pollers[0].plan.register_count == 22 + 1 + 1 + 1
    assert len(collector.pollers[0].plan.requests) == 4


async def test_heartbeat_bits_go_to_the_callback_after_each_polls_readings(
    tcp_server: SimModbusServer,
) -> None:
    write_tank_values(tcp_server)  # GT-1's status word has the heartbeat bit (15) set
    tank = device("tank", tcp_server.port, TANK_POINTS, poll_interval=0.1, timeout=1.0)
    order: list[str] = []
    beats: list[list[tuple[PointKey, bool]]] = []

    def on_heartbeat(delivered: Sequence[tuple[PointKey, bool]]) -> None:
        order.append("beats")
        beats.append(list(delivered))

    class OrderedSink(Sink):
        def __call__(self, readings: Sequence[Reading]) -> None:
            order.append("readings")
            super().__call__(readings)

    sink = OrderedSink()
    collector = ModbusCollector([(SITE, tank)], on_heartbeat=on_heartbeat)
    gt1 = PointKey(SITE, "GT-1")
    async with running(collector, sink):
        await sink.wait_for(is_good("GT-1"))
        tcp_server.write_registers(1, "holding", 21, [0x0002])  # heartbeat bit cleared
        await poll_until(lambda: (gt1, False) in [b for call in beats for b in call],
                         within=10, message="the cleared heartbeat bit")
    # One call per poll, right after that poll's readings; only the point with a heartbeat.
    assert beats[0] == [(gt1, True)]
    assert all(len(call) == 1 and call[0][0] == gt1 for call in beats)
    assert order[:2] == ["readings", "beats"]
    assert all(first == "readings" for first in order[::2][: len(beats)])
    assert all(then == "beats" for then in order[1::2][: len(beats)])


async def test_points_without_a_heartbeat_bit_send_no_heartbeats(
    tcp_server: SimModbusServer,
) -> None:
    # No heartbeat role on a point without a status word: nothing is ever delivered.
    tcp_server.write_registers(1, "holding", 0, [5])
    plain = device("plain", tcp_server.port, [point("P-1", {"table": "holding", "address": 0})],
                   poll_interval=0.1, timeout=1.0)
    calls: list[Sequence[tuple[PointKey, bool]]] = []
    sink = Sink()
    collector = ModbusCollector([(SITE, plain)], on_heartbeat=calls.append)
    async with running(collector, sink):
        await sink.wait_for(is_good("P-1"))
        mark = sink.mark()
        await sink.wait_for(is_good("P-1"), since=mark + 1)  # two more polls
    assert calls == []


async def test_silent_unit_goes_bad_while_its_neighbour_keeps_updating(
    rtu_tcp_server: SimModbusServer,
) -> None:
    """Two units behind one serial server (RTU over TCP); unit 2 stops answering."""
    server = rtu_tcp_server
    interval = 0.4
    settings: dict[str, Any] = {"transport": "modbus_rtu_tcp", "poll_interval": interval,
                                "timeout": 0.25,
                "retries": 1, "read_individually": True}
    alive = device("alive", server.port, [
        point("A-1", {"table": "holding", "address": 0}),
        point("A-2", {"table": "holding", "address": 1}),
    ], unit=1, **settings)
    dead = device("dead", server.port, [
        point("D-1", {"table": "holding", "address": 0}),
        point("D-2", {"table": "holding", "address": 5}),
        point("D-3", {"table": "holding", "address": 9}),
    ], unit=2, **settings)
    server.write_registers(1, "holding", 0, [11, 12])
    server.write_registers(2, "holding", 0, [21])
    collector = ModbusCollector([(SITE, alive), (SITE, dead)], silence=FAST_SILENCE)
    sink = Sink()
    async with running(collector, sink):
        await sink.wait_for(is_good("D-1", 21))
        await sink.wait_for(is_good("A-1", 11))

        silenced_at = time.time()
        timeouts_before = collector.health.counters.get("timeouts", 0)
        mark = sink.mark()
        server.set_unit_alive(2, False)
        gone = await sink.wait_for(is_bad("D-3"), since=mark)
        assert gone.ts - silenced_at < 3 * interval
        # The whole poll went bad together, without sending the rest of its requests.
        bad_batch = next(b for b in sink.batches[mark:] if any(r is gone for r in b))
        assert {r.point.tag for r in bad_batch} == {"D-1", "D-2", "D-3"}
        assert all(r.quality is Quality.BAD and r.value is None for r in bad_batch)
        assert collector.health.counters["timeouts"] - timeouts_before == 2  # 1 request x 2 tries

        # Meanwhile unit 1 keeps its rate and sees changes.
        window_start = sink.mark()
        await asyncio.sleep(6 * interval)
        server.write_registers(1, "holding", 0, [99])
        await sink.wait_for(is_good("A-1", 99), since=window_start)
        alive_polls = len([r for r in sink.of("A-1", window_start) if r.is_good])
        assert alive_polls >= 4, f"unit 1 starved: {alive_polls} polls in {6 * interval} s"
        # Probing is cheap: at most one try per probe, probes backing off.
        assert collector.health.counters["timeouts"] - timeouts_before <= 2 + 6
        assert collector.health.counters.get("disconnects", 0) == 0
        assert collector.health.devices[f"{SITE}/dead"].state is LinkState.DISCONNECTED

        mark = sink.mark()
        server.write_registers(2, "holding", 9, [29])
        server.set_unit_alive(2, True)
        await sink.wait_for(is_good("D-3", 29), since=mark)
        assert collector.health.devices[f"{SITE}/dead"].state is LinkState.CONNECTED


async def test_server_stop_and_restart_reconnects() -> None:
    server = SimModbusServer([1], port=free_port())
    server.write_registers(1, "holding", 0, [7])
    gauge = device("g", server.port, [point("P-1", {"table": "holding", "address": 0})],
                   poll_interval=0.2, timeout=0.5)
    collector = ModbusCollector([(SITE, gauge)], backoff=fast_backoff)
    sink = Sink()
    async with running(collector, sink):
        # Not there yet: bad readings at the poll rate, connection attempts with backoff.
        await sink.wait_for(is_bad("P-1"))
        assert collector.health.state in (LinkState.DISCONNECTED, LinkState.CONNECTING)
        await server.start()
        try:
            await sink.wait_for(is_good("P-1", 7))
            mark = sink.mark()
            await server.stop()
            await sink.wait_for(is_bad("P-1"), since=mark)
            assert collector.health.state in (LinkState.DISCONNECTED, LinkState.CONNECTING)
            server.write_registers(1, "holding", 0, [8])
            mark = sink.mark()
            await server.restart()
            await sink.wait_for(is_good("P-1", 8), since=mark)
            assert collector.hub.state == LinkState.CONNECTED
            assert collector.health.counters["connects"] >= 2
            assert collector.health.counters["connect_failures"] >= 1
        finally:
            await server.stop()


async def test_sole_silent_unit_makes_the_hub_reconnect(tcp_server: SimModbusServer) -> None:
    """Every request unanswered looks like a half-open connection: drop and reconnect."""
    tcp_server.write_registers(1, "holding", 0, [5])
    gauge = device("g", tcp_server.port, [point("P-1", {"table": "holding", "address": 0})],
                   poll_interval=0.1, timeout=0.1, retries=0)
    collector = ModbusCollector([(SITE, gauge)], silence=SilencePolicy(probe_cap=0.2),
                                backoff=fast_backoff)
    sink = Sink()
    async with running(collector, sink):
        await sink.wait_for(is_good("P-1", 5))
        tcp_server.set_unit_alive(1, False)
        await sink.wait_for(is_bad("P-1"))

        # Each failed probe emits a batch: wait on those until the hub has given up.
        await sink.wait_for(
            lambda r: r.quality is Quality.BAD
            and collector.health.counters.get("disconnects", 0) >= 1,
        )
        mark = sink.mark()
        tcp_server.set_unit_alive(1, True)
        await sink.wait_for(is_good("P-1", 5), since=mark)
        assert collector.health.counters["connects"] >= 2


async def test_exception_response_marks_only_its_points(tcp_server: SimModbusServer) -> None:
    """The server has 200 registers per table: address 300 answers exception 2."""
    tcp_server.write_registers(1, "holding", 0, [1])
    gauge = device("g", tcp_server.port, [
        point("OK-1", {"table": "holding", "address": 0}),
        point("NO-1", {"table": "holding", "address": 300}),
        point("OK-2", {"table": "input", "address": 0}),
    ], poll_interval=0.2)
    collector = ModbusCollector([(SITE, gauge)])
    sink = Sink()
    async with running(collector, sink):
        await sink.wait_for(is_good("OK-2"))
        batch = {r.point.tag: r for r in sink.batches[0]}
        assert batch["OK-1"].value == 1 and batch["OK-1"].is_good
        assert batch["NO-1"].quality is Quality.BAD and batch["NO-1"].reason is Reason.COMM_LOSS
        health = collector.health.devices[f"{SITE}/g"]
        assert health.error_count >= 1 and "exception 2" in (health.last_error or "")
        # The device answered: still connected, nothing to reconnect.
        assert collector.health.counters.get("disconnects", 0) == 0
        assert health.state is LinkState.CONNECTED


async def test_refused_merged_read_is_split_so_neighbours_recover(
    tcp_server: SimModbusServer,
) -> None:
    """Registers 195..199 exist, 200 does not: the merged read 195..201 is refused once,
    then the points are read on their own and only the missing one stays bad."""
    tcp_server.write_registers(1, "holding", 195, [5])
    gauge = device("g", tcp_server.port, [
        point("IN-1", {"table": "holding", "address": 195}),
        point("OUT-1", {"table": "holding", "address": 201}),
    ], poll_interval=0.1, max_gap=16)
    collector = ModbusCollector([(SITE, gauge)])
    sink = Sink()
    async with running(collector, sink):
        first = await sink.wait_for(lambda r: r.point.tag == "IN-1")
        assert first.reason is Reason.COMM_LOSS  # the merged read failed as a whole
        mark = sink.mark()
        await sink.wait_for(is_good("IN-1", 5), since=mark)
        assert all(not r.is_good for r in sink.of("OUT-1"))
    assert len(collector.pollers[0].plan.requests) == 2


async def test_request_delay_paces_the_bus(tcp_server: SimModbusServer) -> None:
    gauge = device("g", tcp_server.port,
                   [point(f"P-{a}", {"table": "holding", "address": a}) for a in range(4)],
                   poll_interval=5.0, read_individually=True, request_delay=0.15)
    collector = ModbusCollector([(SITE, gauge)], clock=time.monotonic)
    sink = Sink()
    async with running(collector, sink):
        await sink.wait_for(is_good("P-3"))
    stamps = [r.ts for r in sink.batches[0]]
    gaps = [later - earlier for earlier, later in itertools.pairwise(stamps)]
    assert all(gap >= 0.14 for gap in gaps), gaps


async def test_units_of_one_endpoint_share_one_connection(tcp_server: SimModbusServer) -> None:
    one = device("one", tcp_server.port, [point("U1", {"table": "holding", "address": 0})],
                 unit=1, poll_interval=0.1)
    two = device("two", tcp_server.port, [point("U2", {"table": "holding", "address": 0})],
                 unit=2, poll_interval=0.1)
    tcp_server.write_registers(1, "holding", 0, [1])
    tcp_server.write_registers(2, "holding", 0, [2])
    collector = ModbusCollector([(SITE, one), ("OTHER-SITE", two)])
    sink = Sink()
    async with running(collector, sink):
        await sink.wait_for(is_good("U1", 1))
        u2 = await sink.wait_for(is_good("U2", 2))
        assert u2.point.site == "OTHER-SITE"
        await asyncio.sleep(0.3)
    assert collector.health.counters["connects"] == 1
    assert set(collector.health.devices) == {f"{SITE}/one", "OTHER-SITE/two"}


class _BrokenInputReads:
    """A real pymodbus client whose input-register reads fail with an unexpected error,
    as a library bug on an odd frame would."""

    def __init__(self, endpoint: Endpoint, connect_timeout: float) -> None:
        self._client = pymodbus_client(endpoint, connect_timeout)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    @property
    def connected(self) -> bool:
        return self._client.connected

    def read_input_registers(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")


async def test_unexpected_error_costs_only_that_device(tcp_server: SimModbusServer) -> None:
    tcp_server.write_registers(1, "holding", 0, [4])
    broken = device("broken", tcp_server.port, [point("B-1", {"table": "input", "address": 0})],
                    unit=2, poll_interval=0.1)
    fine = device("fine", tcp_server.port, [point("F-1", {"table": "holding", "address": 0})],
                  unit=1, poll_interval=0.1)
    collector = ModbusCollector([(SITE, broken), (SITE, fine)],
                                client_factory=_BrokenInputReads)
    sink = Sink()
    async with running(collector, sink):
        await sink.wait_for(is_bad("B-1"))
        mark = sink.mark()
        await sink.wait_for(is_bad("B-1"), since=mark)  # it keeps polling
        await sink.wait_for(is_good("F-1", 4), since=mark)
    assert collector.health.counters["poll_errors"] >= 2
    assert "boom" in (collector.health.devices[f"{SITE}/broken"].last_error or "")


@pytest.mark.parametrize("code", [10, 11])
async def test_gateway_exception_11_counts_as_a_silent_unit(
    tcp_server: SimModbusServer, code: int
) -> None:
    """A TCP gateway answering "target failed to respond" (11) or "path unavailable" (10)
    for a dead slave: the rest of the poll is skipped and the unit is probed, like a
    timeout, but without waiting for one."""
    tcp_server.write_registers(1, "holding", 0, [1, 2, 3])
    gauge = device("g", tcp_server.port,
                   [point(f"P-{a}", {"table": "holding", "address": a}) for a in range(3)],
                   poll_interval=0.1, read_individually=True)
    collector = ModbusCollector([(SITE, gauge)], silence=SilencePolicy(probe_cap=0.3))
    sink = Sink()
    async with running(collector, sink):
        await sink.wait_for(is_good("P-2", 3))
        requests_before = collector.health.counters["requests"]
        mark = sink.mark()
        tcp_server.set_unit_unreachable(1, code=code)
        await sink.wait_for(is_bad("P-0"), since=mark)
        bad_batch = next(b for b in sink.batches[mark:] if not b[0].is_good)
        assert [r.reason for r in bad_batch] == [Reason.COMM_LOSS] * 3
        health = collector.health.devices[f"{SITE}/g"]
        assert f"exception {code}" in (health.last_error or "")
        assert health.state is LinkState.DISCONNECTED
        # One request per failing poll, not three.
        failing_polls = len([b for b in sink.batches[mark:] if not b[0].is_good])
        good_polls = len([b for b in sink.batches[mark:] if b[0].is_good])
        requests = collector.health.counters["requests"] - requests_before
        # Asked twice (exception 11 is retried once) per failing poll; +1 may be in flight.
        assert requests <= 2 * failing_polls + 3 * good_polls + 1
        mark = sink.mark()
        tcp_server.set_unit_unreachable(1, False)
        await sink.wait_for(is_good("P-2", 3), since=mark)


@pytest.mark.parametrize("code", [10, 11])
async def test_a_single_exception_11_is_asked_again_not_silence(
    tcp_server: SimModbusServer, code: int
) -> None:
    """A serial gateway that loses one frame answers exception 11 (or 10, its path busy)
    once: the request is asked again, the unit stays good and its points never go bad."""
    tcp_server.write_registers(1, "holding", 0, [4])
    gauge = device("g", tcp_server.port, [point("P-0", {"table": "holding", "address": 0})],
                   poll_interval=0.05)
    collector = ModbusCollector([(SITE, gauge)])
    sink = Sink()
    async with running(collector, sink):
        await sink.wait_for(is_good("P-0", 4))
        mark = sink.mark()
        tcp_server.set_unit_unreachable(1, requests=1, code=code)
        tcp_server.write_registers(1, "holding", 0, [5])
        await sink.wait_for(is_good("P-0", 5), since=mark)
        assert all(r.is_good for r in sink.of("P-0", mark))
        assert collector.health.counters["gateway_retries"] == 1
        assert collector.health.devices[f"{SITE}/g"].state is LinkState.CONNECTED


async def test_dead_unit_at_start_costs_its_neighbour_one_timeout_and_is_read_when_back(
    rtu_tcp_server: SimModbusServer,
) -> None:
    """Unit 2 is dead from the start: the first poll asks it once, without the configured
    retries; once it answers again it is read within two poll intervals."""
    server = rtu_tcp_server
    interval, timeout = 0.3, 0.25
    settings: dict[str, Any] = {"transport": "modbus_rtu_tcp", "poll_interval": interval,
                                "timeout": timeout, "retries": 2}
    alive = device("alive", server.port, [point("A-1", {"table": "holding", "address": 0})],
                   unit=1, **settings)
    dead = device("dead", server.port, [point("D-1", {"table": "holding", "address": 0})],
                  unit=2, **settings)
    server.write_registers(1, "holding", 0, [11])
    server.write_registers(2, "holding", 0, [21])
    server.set_unit_alive(2, False)
    collector = ModbusCollector([(SITE, dead), (SITE, alive)])
    sink = Sink()
    async with running(collector, sink):
        await sink.wait_for(is_bad("D-1"))
        await sink.wait_for(is_good("A-1", 11))
        assert collector.health.counters["timeouts"] == 1  # not 1 + retries
        await asyncio.sleep(4 * interval)  # long enough for probes to have backed off
        mark = sink.mark()
        back_at = time.monotonic()
        server.set_unit_alive(2, True)
        await sink.wait_for(is_good("D-1", 21), since=mark)
        assert time.monotonic() - back_at <= 2 * interval + timeout


async def test_device_that_comes_back_is_read_within_two_poll_intervals() -> None:
    """The connection's reconnect back-off is capped at the poll interval, however long
    the device was away."""
    server = SimModbusServer([1], port=free_port())
    server.write_registers(1, "holding", 0, [7])
    interval = 0.3
    gauge = device("g", server.port, [point("P-1", {"table": "holding", "address": 0})],
                   poll_interval=interval, timeout=0.5)
    collector = ModbusCollector([(SITE, gauge)])
    sink = Sink()
    async with running(collector, sink):
        await sink.wait_for(is_bad("P-1"))
        await poll_until(
            lambda: collector.health.counters.get("connect_failures", 0) >= 6, within=10,
            message="several failed connects",
        )
        back_at = time.monotonic()
        await server.start()
        try:
            await sink.wait_for(is_good("P-1", 7))
            assert time.monotonic() - back_at <= 2 * interval + 0.2
        finally:
            await server.stop()


async def test_stalled_heartbeat_makes_the_controllers_readings_uncertain(
    tcp_server: SimModbusServer,
) -> None:
    """A gas controller whose heartbeat bit stops toggling may have frozen with its last
    values: they turn uncertain (heartbeat_stalled) until the heartbeat moves again."""
    word = {**STATUS, "heartbeat_timeout": 0.4}
    gas = device("ctrl", tcp_server.port, [
        point("GT-1", {"table": "holding", "address": 20, "type": "uint16", "scale": 0.1,
                       "status_word": word}, kind="combustible_gas", low=0, high=100),
        point("LT-1", {"table": "holding", "address": 0, "type": "uint16"}),
    ], poll_interval=0.05)
    tcp_server.write_registers(1, "holding", 20, [123, 0x8000])
    tcp_server.write_registers(1, "holding", 0, [5])
    collector = ModbusCollector([(SITE, gas)])
    sink = Sink()
    async with running(collector, sink):
        await sink.wait_for(is_good("GT-1"))
        # The bit stays set: after the timeout the value is no longer trusted as good.
        stalled = await sink.wait_for(
            lambda r: r.point.tag == "GT-1" and r.reason is Reason.HEARTBEAT_STALLED
        )
        assert stalled.quality is Quality.UNCERTAIN and stalled.value == pytest.approx(12.3)
        assert all(r.is_good for r in sink.of("LT-1"))  # no status word: not affected
        mark = sink.mark()
        tcp_server.write_registers(1, "holding", 21, [0x0000])  # the heartbeat moves
        await sink.wait_for(is_good("GT-1"), since=mark)
