"""An enterprise gateway (``hazgw run``, a child process) killed with SIGKILL while its link
to the park is cut, started again, and the link restored: the park's InfluxDB holds every
reading the edge had accepted and every alarm event it journalled.

What makes it so: the uplink's durable buffer (``<state>/buffer/uplink``) keeps the readings
on disk, MQTT QoS 1 messages are acknowledged to the broker only once durable there, and
alarm events are published again from the journal after the last sequence JetStream
acknowledged (``<state>/uplink-events.cursor``)."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from alerting.journal import AlarmJournal, HistoryQuery
from gateway.sim.broker import PersistentMosquitto, mosquitto_binary
from gateway.sim.influx import influxd_available
from gateway.sim.modbus_devices import SimModbusServer
from gateway.sim.nats import nats_server_binary
from gateway.sim.ports import free_port
from tests.faults.fault_kit import COMMIT, POLL, SITE, GatewayProcess, publishing
from tests.gateway.park.harness import DB, Park, park
from tests.gateway.park.proxy import LinkProxy
from tests.support.waiting import poll_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(150),
    pytest.mark.skipif(nats_server_binary() is None, reason="nats-server not installed"),
    pytest.mark.skipif(not influxd_available(), reason="influxd not installed"),
    pytest.mark.skipif(mosquitto_binary() is None, reason="mosquitto not installed"),
]

SITE_YAML = """
enterprise: {{name: 上联测试, code: {site}}}
hazard_sources:
  - {{id: HS1, name: 罐区, grade: 2, kind: tank_farm}}
devices:
  - id: seq
    transport: mqtt
    broker: {{host: {host}, port: {port}}}
    subscriptions:
      - {{topic: ft/seq, format: batch, qos: 1}}
    points:
      - {{tag: SEQ, name: 序号, kind: temperature, range: {{low: 0, high: 1000000000}},
         hazard_source: HS1}}
  - id: plc
    transport: modbus_tcp
    host: 127.0.0.1
    port: {modbus_port}
    poll_interval: {poll}
    timeout: 0.3
    retries: 0
    points:
      - {{tag: LT-1, name: 液位, kind: level, unit: m, range: {{low: 0, high: 100}},
         hazard_source: HS1, source: {{table: holding, address: 0, type: uint16}},
         alarms: {{H: {{value: 50, priority: high}}}}}}
"""

# No storage of its own: what the park holds is all this edge keeps.
GATEWAY_YAML = """
sites: [site.yaml]
http: {{port: {http_port}}}
uplink:
  servers: ["{server}"]
  user: {site}
  password: pw-{site}
  batch_size: 500
  linger: 0.05
  heartbeat_interval: 0.5
  ack_timeout: 2
"""


async def central_numbered(p: Park) -> int:
    rows = await p.influx.rows(
        "SELECT count(value) FROM reading WHERE \"tag\" = 'SEQ'", DB
    )
    return int(rows[0]["count"]) if rows else 0


async def central_event_seqs(p: Park) -> list[int]:
    rows = await p.influx.rows(f"SELECT seq FROM alarm_event WHERE site = '{SITE}'", DB)
    return sorted(int(row["seq"]) for row in rows)


async def central_modbus_times(p: Park) -> list[float]:
    rows = await p.influx.rows(
        "SELECT value FROM reading WHERE \"tag\" = 'LT-1' AND \"quality\" = 'good'", DB
    )
    return [int(row["time"]) / 1e9 for row in rows]


@asynccontextmanager
async def modbus_device() -> AsyncIterator[SimModbusServer]:
    devices = SimModbusServer([1])
    devices.write_registers(1, "holding", 0, [10])
    await devices.start()
    try:
        yield devices
    finally:
        await devices.stop()


async def test_edge_killed_during_link_cut_loses_nothing(tmp_path: Path) -> None:
    for name in ("gateway.uplink", "nats", "collectors.mqtt"):
        logging.getLogger(name).setLevel(logging.CRITICAL)  # the outage is on purpose
    edge_folder = tmp_path / "edge"
    edge_folder.mkdir()
    async with (
        park([SITE], tmp_path) as p,
        PersistentMosquitto(tmp_path / "broker") as broker,
        modbus_device() as devices,
    ):
        central = p.start_central("a")
        proxy = LinkProxy(p.cluster.nodes[0].port)
        await proxy.up()
        http_port = free_port()
        (edge_folder / "site.yaml").write_text(SITE_YAML.format(
            site=SITE, host=broker.address.host, port=broker.address.port,
            modbus_port=devices.port, poll=POLL,
        ), encoding="utf-8")
        config = edge_folder / "gateway.yaml"
        config.write_text(
            GATEWAY_YAML.format(http_port=http_port, server=proxy.url, site=SITE),
            encoding="utf-8",
        )
        state = edge_folder / "state"
        gateway = GatewayProcess(config, state, http_port)
        await gateway.start()
        try:
            async with publishing(broker.address, rate=50) as publisher:

                async def numbered_arrive() -> bool:
                    p.check_alive()
                    return await central_numbered(p) >= 300

                await poll_until(numbered_arrive, within=30, interval=0.3,
                                 message="readings through the uplink to the park")
                devices.write_registers(1, "holding", 0, [60])  # H raised, at the park too

                async def first_event() -> bool:
                    return len(await central_event_seqs(p)) >= 1

                await poll_until(first_event, within=20, interval=0.3,
                                 message="the first alarm event at the park")
                await proxy.cut()
                # While the link is down: more readings, alarm events (cleared, raised
                # again, cleared), all journalled and buffered at the edge only.
                for value in (10, 60, 10):
                    await asyncio.sleep(1.0)
                    devices.write_registers(1, "holding", 0, [value])
                await asyncio.sleep(1.0)
                killed_at = time.time()
                await gateway.kill()  # SIGKILL: no goodbye, memory lost
                await asyncio.sleep(1.0)  # the stream goes on; the broker keeps it
                await gateway.start()  # still cut off from the park
                devices.write_registers(1, "holding", 0, [60])  # an event after the restart
                await asyncio.sleep(2.0)
                assert central.readings_written > 0
            sent = publisher.readings
            stored_before_restore = await central_numbered(p)
            assert stored_before_restore < sent  # the cut held some back
            await proxy.up()

            async def all_numbered() -> bool:
                p.check_alive()
                return await central_numbered(p) >= sent

            await poll_until(all_numbered, within=60, interval=0.5,
                             message=f"{sent} numbered readings at the park")
            await gateway.stop()  # the journal, read below, is closed cleanly
            with AlarmJournal(state / "alarms.db") as journal:
                journalled = sorted(
                    event.seq for event in journal.history(
                        HistoryQuery(site=SITE, ascending=True, limit=10_000)
                    )
                )
            assert len(journalled) >= 5, journalled  # raised, cleared x2, raised x2

            async def all_events() -> bool:
                return await central_event_seqs(p) == journalled

            await poll_until(all_events, within=30, interval=0.5,
                             message=f"alarm events {journalled} at the park")
            assert await central_numbered(p) == sent  # none lost, none doubled
            times = await central_modbus_times(p)
        finally:
            await gateway.stop()
            await proxy.cut()
    before = [t for t in times if t < killed_at]
    assert len(before) > 10
    # Polled readings put in the buffer since its last group commit may die with the
    # process, no more: the newest stored one is at most a commit (plus a poll) old.
    lost_window = killed_at - before[-1]
    assert lost_window <= COMMIT + POLL + 0.1, f"{lost_window:.3f} s of Modbus readings lost"
    gaps = [b - a for a, b in itertools.pairwise(before)]
    assert max(gaps) < 3 * POLL, f"a hole of {max(gaps):.3f} s before the kill"
    assert [t for t in times if t > killed_at], "Modbus readings after the restart"
