"""The data path end to end through the whole gateway process: real pymodbus devices behind
one RTU-over-TCP serial server, a real mosquitto, a real influxd (v1 API) or
victoria-metrics (v2 API via influxdb-client), the gateway's websocket."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiomqtt
import pytest
from e2e_kit import running_gateway, watching
from support.waiting import poll_until

from collectors.modbus.decode import encode
from config.gateway_file import InfluxV1, InfluxV2, StorageSettings
from config.modbus import ByteOrder, DataType
from gateway.sim.broker import BrokerAddress, mosquitto
from gateway.sim.influx import InfluxdServer, VictoriaMetricsServer, influxd, victoria_metrics
from gateway.sim.modbus_devices import SimModbusServer

pytestmark = pytest.mark.timeout(90)

POLL = 0.3


def site_yaml(modbus_port: int, broker: BrokerAddress) -> str:
    return f"""
enterprise: {{name: 端到端测试化工, code: E2E}}
hazard_sources:
  - {{id: HS1, name: 罐区, grade: 1, kind: tank_farm}}
  - {{id: DL1, name: 除尘系统, grade: 3, kind: dust_line}}
devices:
  - id: gauge-1
    transport: modbus_rtu_tcp
    host: 127.0.0.1
    port: {modbus_port}
    unit: 1
    poll_interval: {POLL}
    timeout: 0.2
    retries: 0
    points:
      - {{tag: LT-1, name: 1号罐液位, kind: level, unit: m, range: {{low: 0, high: 20}},
         hazard_source: HS1,
         source: {{table: holding, address: 0, type: float32, byte_order: CDAB}}}}
  - id: gauge-2
    transport: modbus_rtu_tcp
    host: 127.0.0.1
    port: {modbus_port}
    unit: 2
    poll_interval: {POLL}
    timeout: 0.2
    retries: 0
    points:
      - {{tag: PT-2, name: 2号罐压力, kind: pressure, unit: kPa, range: {{low: 0, high: 500}},
         hazard_source: HS1, source: {{table: holding, address: 0, type: uint16, scale: 0.1}}}}
  - id: dust
    transport: mqtt
    broker: {{host: {broker.host}, port: {broker.port}}}
    subscriptions:
      - {{topic: e2e/dp, format: value, point: PDT-1, qos: 1}}
      - {{topic: e2e/state, format: object, qos: 1}}
    points:
      - {{tag: PDT-1, name: 压差, kind: pressure_difference, unit: Pa,
         range: {{low: 0, high: 3000}}, hazard_source: DL1}}
      - {{tag: TT-1, name: 灰斗温度, kind: temperature, unit: °C,
         range: {{low: -20, high: 150}}, hazard_source: DL1}}
"""


@pytest.fixture
async def broker() -> AsyncIterator[BrokerAddress]:
    async with mosquitto() as address:
        yield address


@pytest.fixture
async def devices() -> AsyncIterator[SimModbusServer]:
    server = SimModbusServer([1, 2], framer="rtu")
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def influx() -> AsyncIterator[InfluxdServer]:
    async with influxd() as server:
        yield server


@pytest.fixture
async def victoria() -> AsyncIterator[VictoriaMetricsServer]:
    async with victoria_metrics() as server:
        yield server


async def publish(broker: BrokerAddress, topic: str, payload: bytes) -> None:
    async with aiomqtt.Client(broker.host, broker.port) as client:
        await client.publish(topic, payload, qos=1)


async def test_register_and_topic_values_reach_influxd_and_websocket(
    tmp_path: Path, broker: BrokerAddress, devices: SimModbusServer, influx: InfluxdServer
) -> None:
    storage = StorageSettings(
        target=InfluxV1(kind="influx_v1", url=influx.url, database="e2e"), flush_interval=0.2
    )
    devices.write_registers(1, "holding", 0, encode(12.5, DataType.FLOAT32, ByteOrder.CDAB))
    devices.write_registers(2, "holding", 0, [1234])
    async with (
        running_gateway(site_yaml(devices.port, broker), tmp_path, storage) as gateway,
        watching(gateway) as live,
    ):
        await live.until(lambda: live.readings.get("E2E/LT-1", [None])[0] == 12.5, 5, "LT-1")
        assert live.readings["E2E/LT-1"][1:3] == ["good", ""]
        assert live.readings["E2E/PT-2"][0] == pytest.approx(123.4)

        # A new value written into the device register arrives as the new value.
        devices.write_registers(1, "holding", 0, encode(17.25, DataType.FLOAT32, ByteOrder.CDAB))
        await live.until(lambda: live.readings["E2E/LT-1"][0] == 17.25, 5, "LT-1 = 17.25")

        # An MQTT value and an out-of-range object value, flagged not clamped.
        await publish(broker, "e2e/dp", b"1500.5")
        await publish(broker, "e2e/state", json.dumps({"TT-1": 180.0}).encode())
        await live.until(lambda: live.readings.get("E2E/PDT-1", [None])[0] == 1500.5, 5, "PDT-1")
        await live.until(lambda: "E2E/TT-1" in live.readings, 5, "TT-1")
        assert live.readings["E2E/TT-1"][:3] == [180.0, "uncertain", "out_of_range"]

        async def stored(tag: str, value: float) -> list[dict[str, object]]:
            rows = await influx.rows(
                "SELECT value, quality, reason FROM reading "
                f"WHERE \"tag\" = '{tag}' AND value = {value}",
                "e2e",
            )
            return rows

        lt = await poll_until(lambda: stored("LT-1", 17.25), within=10, message="LT-1 in influxd")
        assert lt[0]["quality"] == "good"
        dp = await poll_until(
            lambda: stored("PDT-1", 1500.5),
            within=10,
            message="PDT-1 in influxd",
        )
        assert dp[0]["quality"] == "good"
        tt = await poll_until(lambda: stored("TT-1", 180.0), within=10, message="TT-1 in influxd")
        assert tt[0]["quality"] == "uncertain" and tt[0]["reason"] == "out_of_range"
        series = await influx.rows(
            "SELECT last(value) FROM reading WHERE \"tag\" = 'PT-2' GROUP BY site, source, kind",
            "e2e",
        )
        assert series and series[0]["site"] == "E2E" and series[0]["source"] == "HS1"
        assert series[0]["kind"] == "pressure"


async def test_dead_unit_turns_bad_while_its_bus_neighbour_keeps_updating(
    tmp_path: Path, broker: BrokerAddress, devices: SimModbusServer
) -> None:
    devices.write_registers(1, "holding", 0, encode(1.0, DataType.FLOAT32, ByteOrder.CDAB))
    devices.write_registers(2, "holding", 0, [100])
    async with (
        running_gateway(site_yaml(devices.port, broker), tmp_path, None) as gateway,
        watching(gateway) as live,
    ):
        await live.until(
            lambda: live.readings.get("E2E/PT-2", [None, None])[1] == "good", 5, "PT-2"
        )
        devices.set_unit_alive(2, False)
        await live.until(
            lambda: live.readings["E2E/PT-2"][1:3] == ["bad", "comm_loss"],
            3 * POLL + 1.0,  # within 3 poll intervals (plus scheduling slack)
            "PT-2 bad",
        )
        assert live.readings["E2E/PT-2"][0] is None  # a dead device never shows a number
        # Its neighbour on the same serial server keeps updating meanwhile.
        for value in (2.0, 3.0, 4.0):
            devices.write_registers(
                1, "holding", 0, encode(value, DataType.FLOAT32, ByteOrder.CDAB)
            )
            await live.until(
                lambda v=value: live.readings["E2E/LT-1"][0] == v, 3 * POLL + 1.0, f"LT-1 = {value}"
            )
        assert live.readings["E2E/PT-2"][1] == "bad"
        devices.set_unit_alive(2, True)
        await live.until(lambda: live.readings["E2E/PT-2"][1] == "good", 10, "PT-2 good again")
        assert live.readings["E2E/PT-2"][0] == pytest.approx(10.0)
        # The alarm engine raised a communication-loss alarm? Not within 3 polls: its own
        # timeout is longer. The health endpoint saw the error though.
        assert gateway.parts is not None
        health = {
            device_id: device
            for collector in gateway.parts.collectors
            for device_id, device in collector.health.devices.items()
        }
        assert any("gauge-2" in key and d.error_count > 0 for key, d in health.items())


async def test_malformed_payload_does_not_disturb_the_next_good_one(
    tmp_path: Path, broker: BrokerAddress, devices: SimModbusServer
) -> None:
    async with (
        running_gateway(site_yaml(devices.port, broker), tmp_path, None) as gateway,
        watching(gateway) as live,
    ):
        await publish(broker, "e2e/dp", b"{not json")
        await publish(broker, "e2e/state", b'{"nope": 1, "TT-1": "hot"}')
        await publish(broker, "e2e/dp", b"NaN")
        await publish(broker, "e2e/dp", b"777")
        await live.until(lambda: live.readings.get("E2E/PDT-1", [None])[0] == 777, 5, "777")
        assert live.readings["E2E/PDT-1"][1] == "good"
        assert gateway.parts is not None
        mqtt = next(c for c in gateway.parts.collectors if c.health.kind == "mqtt")
        malformed = sum(v for k, v in mqtt.health.counters.items() if k.startswith("payload."))
        assert malformed >= 4, mqtt.health.counters


async def test_v2_path_through_influxdb_client_into_victoria_metrics(
    tmp_path: Path, broker: BrokerAddress, devices: SimModbusServer, victoria: VictoriaMetricsServer
) -> None:
    storage = StorageSettings(
        target=InfluxV2(kind="influx_v2", url=victoria.url, org="o", bucket="b", token="t"),
        flush_interval=0.2,
    )
    devices.write_registers(1, "holding", 0, encode(3.5, DataType.FLOAT32, ByteOrder.CDAB))
    async with running_gateway(site_yaml(devices.port, broker), tmp_path, storage) as gateway:
        async with watching(gateway) as live:
            await publish(broker, "e2e/dp", b"2222")
            await live.until(lambda: live.readings.get("E2E/PDT-1", [None])[0] == 2222, 5, "dp")

        async def exported() -> list[dict[str, object]]:
            rows = await victoria.export('reading_value{tag="PDT-1"}')
            return [row for row in rows if 2222.0 in row.get("values", [])]

        rows = await poll_until(exported, within=15, message="PDT-1 in victoria-metrics")
        metric = rows[0]["metric"]
        assert isinstance(metric, dict)
        assert metric["site"] == "E2E" and metric["quality"] == "good" and metric["source"] == "DL1"
        lt = await poll_until(
            lambda: victoria.export('reading_value{tag="LT-1"}'),
            within=15,
            message="LT-1 in victoria-metrics",
        )
        assert 3.5 in lt[0]["values"]
