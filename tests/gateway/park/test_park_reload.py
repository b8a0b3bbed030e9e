"""A reload of an enterprise gateway with a park uplink: the site files change, the uplink
(its connection, durable buffer and event cursor) stays and sends the new site description
at once; readings and alarm events go on reaching the park. A change of the uplink
settings themselves is refused with a clear message."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dashboard.park import EnterpriseStatus
from gateway.sim.influx import influxd_available
from gateway.sim.modbus_devices import SimModbusServer
from gateway.sim.nats import nats_server_binary
from gateway.sim.ports import free_port
from tests.faults.fault_kit import gateway_in_process
from tests.gateway.park.harness import DB, Park, park
from tests.support.waiting import poll_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(nats_server_binary() is None, reason="nats-server not installed"),
    pytest.mark.skipif(not influxd_available(), reason="influxd not installed"),
]

CODE = "RL"

SITE_YAML = """
enterprise: {{name: {name}, code: RL}}
hazard_sources:
  - {{id: HS1, name: 罐区, grade: 2, kind: tank_farm}}
devices:
  - id: plc
    transport: modbus_tcp
    host: 127.0.0.1
    port: {port}
    poll_interval: 0.2
    timeout: 0.3
    retries: 0
    points:
      - {{tag: LT-1, name: 液位, kind: level, unit: m, range: {{low: 0, high: 100}},
         hazard_source: HS1, source: {{table: holding, address: 0, type: uint16}},
         alarms: {{H: {{value: 50, priority: high}}}}}}
{extra}"""

GATEWAY_YAML = """
sites: [site.yaml]
http: {{port: {http_port}}}
uplink:
  servers: {servers}
  user: RL
  password: pw-RL
  batch_size: {batch_size}
  linger: 0.05
  heartbeat_interval: 0.5
"""

EXTRA_POINT = """      - {tag: PT-1, name: 压力, kind: pressure, unit: MPa,
         range: {low: 0, high: 10}, hazard_source: HS1,
         source: {table: holding, address: 1, type: uint16}}
"""


def enterprise(p: Park) -> EnterpriseStatus | None:
    central, _ = p.centrals["a"]
    return next((e for e in central.registry.enterprises() if e.code == CODE), None)


def enterprise_name(p: Park) -> str | None:
    found = enterprise(p)
    return found.name if found is not None else None


async def event_seqs(p: Park) -> list[int]:
    rows = await p.influx.rows(f"SELECT seq FROM alarm_event WHERE site = '{CODE}'", DB)
    return sorted(int(row["seq"]) for row in rows)


async def test_reload_keeps_the_uplink_and_republishes_the_site(tmp_path: Path) -> None:
    devices = SimModbusServer([1])
    devices.write_registers(1, "holding", 0, [10, 3])
    await devices.start()
    try:
        async with park([CODE], tmp_path) as p:
            p.start_central("a")
            folder = tmp_path / "edge"
            folder.mkdir()
            site = folder / "site.yaml"
            site.write_text(SITE_YAML.format(name="旧名称", port=devices.port, extra=""),
                            encoding="utf-8")
            config = folder / "gateway.yaml"
            http_port = free_port()
            servers = "[" + ", ".join(f'"{url}"' for url in p.cluster.urls) + "]"

            def write_gateway(batch_size: int) -> None:
                config.write_text(GATEWAY_YAML.format(
                    http_port=http_port, servers=servers, batch_size=batch_size,
                ), encoding="utf-8")

            write_gateway(500)
            async with gateway_in_process(config, folder / "state") as gateway:
                uplink = gateway.uplink
                assert uplink is not None
                buffer = uplink.buffer
                await poll_until(lambda: enterprise_name(p) == "旧名称", within=20,
                                 message="the first site description at the park")
                devices.write_registers(1, "holding", 0, [60])  # H raised, before the reload

                async def one_event() -> bool:
                    return len(await event_seqs(p)) >= 1

                await poll_until(one_event, within=20, interval=0.3, message="an alarm event")

                # The site files change: a new name, one more point.
                site.write_text(
                    SITE_YAML.format(name="新名称", port=devices.port, extra=EXTRA_POINT),
                    encoding="utf-8",
                )
                sent_before = uplink.readings_sent
                result = await gateway.reload()
                assert not result.errors, result.errors
                await poll_until(lambda: gateway.reloads == 1, within=10,
                                 message="reload applied")
                assert gateway.uplink is uplink and uplink.buffer is buffer  # kept
                # Republished at once, not at the next ten-minute round.
                await poll_until(lambda: enterprise_name(p) == "新名称", within=10,
                                 message="the new site description at the park")
                detail = enterprise(p)
                assert detail is not None
                assert {point.tag for point in detail.points} == {"LT-1", "PT-1"}

                # Readings of the new point and alarm events of the new engine get there.
                async def new_point_stored() -> bool:
                    rows = await p.influx.rows(
                        f"SELECT count(value) FROM reading WHERE site = '{CODE}'"
                        " AND \"tag\" = 'PT-1'", DB,
                    )
                    return bool(rows) and int(rows[0]["count"]) > 0

                await poll_until(new_point_stored, within=20, interval=0.3,
                                 message="readings of the new point at the park")
                assert uplink.readings_sent > sent_before
                before = await event_seqs(p)
                devices.write_registers(1, "holding", 0, [10])  # back to normal: an event

                async def event_after_reload() -> bool:
                    return len(await event_seqs(p)) > len(before)

                await poll_until(event_after_reload, within=20, interval=0.3,
                                 message="an alarm event after the reload")
                assert uplink.events_cursor == max(await event_seqs(p))

                # The uplink settings themselves: refused, nothing changes.
                write_gateway(1000)
                started = time.monotonic()
                refused = await gateway.reload()
                assert time.monotonic() - started < 10
                assert refused.errors and "uplink" in refused.errors[0], refused.errors
                assert "重启" in refused.errors[0] and "restart" in refused.errors[0]
                assert gateway.uplink is uplink and uplink.settings.batch_size == 500
    finally:
        await devices.stop()
