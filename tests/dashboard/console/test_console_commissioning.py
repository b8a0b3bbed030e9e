"""Commissioning routes with real collectors: a pymodbus device server behind a running
ModbusCollector, and (when the collector keeps them) MQTT payloads through a real broker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import aiomqtt
import pytest
from authkit import SITE, WAIT, AppKit, FakeClock, make_site, running_app

from collectors.modbus.collector import ModbusCollector, build_modbus_collectors
from collectors.mqtt.collector import MqttCollector, build_mqtt_collectors
from collectors.readings import Reading
from config.catalog import PointKey
from config.modbus import ByteOrder, DataType
from gateway.sim.broker import any_broker
from gateway.sim.modbus_devices import SimModbusServer, encode

pytestmark = pytest.mark.integration

KEYS = [PointKey(SITE, tag) for tag in ("LT-1", "FT-1", "GT-1")]


class Feed:
    """The collectors' emit: feeds the app and wakes tests waiting for a condition."""

    def __init__(self, kit: AppKit) -> None:
        self.kit = kit
        self._changed = asyncio.Event()

    def __call__(self, readings: Sequence[Reading]) -> None:
        self.kit.feed(readings)
        self._changed.set()

    async def until(self, condition: Callable[[], bool], within: float = WAIT) -> None:
        async with asyncio.timeout(within):
            while not condition():
                self._changed.clear()
                await self._changed.wait()


@asynccontextmanager
async def running(collector: ModbusCollector | MqttCollector, feed: Feed) -> AsyncIterator[None]:
    task = asyncio.create_task(collector.run(feed))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_devices_and_registers(tmp_path: Path, clock: FakeClock) -> None:
    device = SimModbusServer([1], size=100)
    await device.start()
    try:
        device.write_registers(1, "holding", 0, encode(12.5, DataType.FLOAT32, ByteOrder.ABCD))
        device.write_registers(1, "holding", 10, encode(123.25, DataType.FLOAT32, ByteOrder.CDAB))
        device.write_registers(1, "holding", 20, [123])
        site = make_site(modbus_port=device.port)
        [modbus] = build_modbus_collectors([site], time.time)
        [mqtt] = build_mqtt_collectors([site], time.time)  # built, never run: "connecting"
        async with running_app(tmp_path, site, clock=clock, collectors=[modbus, mqtt]) as app:
            await _check_routes(app, modbus, device)
    finally:
        await device.stop()


async def _check_routes(app: AppKit, modbus: ModbusCollector, device: SimModbusServer) -> None:
    feed = Feed(app)
    async with app.login("engineer") as engineer:
        params = {"site": SITE, "tag": "LT-1"}
        response = await engineer.get("/api/commissioning/registers", params=params)
        assert response.status_code == 409 and "not been read yet" in response.json()["detail"]

        async with running(modbus, feed):
            await feed.until(lambda: all(modbus.last_raw(key) for key in KEYS))
            level = (await engineer.get("/api/commissioning/registers", params=params)).json()
            flow = (await engineer.get("/api/commissioning/registers",
                                       params={"site": SITE, "tag": "FT-1"})).json()
            gas = (await engineer.get("/api/commissioning/registers",
                                      params={"site": SITE, "tag": "GT-1"})).json()
            devices = (await engineer.get("/api/commissioning/devices")).json()

            device.set_unit_alive(1, False)  # the unit stops answering
            await feed.until(lambda: modbus.health.devices[f"{SITE}/gauges"].last_error
                             is not None)
            dead = (await engineer.get("/api/commissioning/devices")).json()
            stale = (await engineer.get("/api/commissioning/registers",
                                        params={"site": SITE, "tag": "LT-1"})).json()

    assert level["registers"] == encode(12.5, DataType.FLOAT32, ByteOrder.ABCD)
    assert (level["table"], level["address"], level["type"]) == ("holding", 0, "float32")
    assert level["decoded"]["ABCD"] == 12.5 and level["configured_byte_order"] == "ABCD"
    assert set(level["decoded"]) == {"ABCD", "BADC", "CDAB", "DCBA"}
    assert level["interpretations"] == ["ABCD", "BADC", "CDAB", "DCBA"]
    assert (level["configured"], level["suggested"], level["stale"]) == ("ABCD", "ABCD", False)
    # The unit went silent: the last registers are shown, marked as stale.
    assert stale["stale"] is True and "未连接" in stale["stale_reason"]
    assert stale["registers"] == level["registers"]
    assert level["read_at"] > 0 and level["device"] == "gauges"

    # A CDAB device: only CDAB reads right; the page shows all four side by side and
    # suggests the one in the point's range.
    assert flow["decoded"]["CDAB"] == 123.25 and flow["configured_byte_order"] == "CDAB"
    assert flow["decoded"]["ABCD"] != 123.25
    assert flow["suggested"] == "CDAB"

    # A 16-bit register: int16 and uint16 (not four 32-bit order names); the byte swap
    # gives 0x7B00; raw integers stay integers; the scale applies.
    assert gas["registers"] == [123]
    assert gas["decoded"] == {"int16": 123, "uint16": 123, "int16 (BA)": 31488,
                              "uint16 (BA)": 31488}
    assert isinstance(gas["decoded"]["int16"], int)
    assert gas["configured"] == "uint16" and gas["suggested"] == "uint16"
    assert gas["scaled"]["uint16"] == pytest.approx(12.3)
    assert gas["scaled"]["uint16 (BA)"] == pytest.approx(3148.8)

    by_id = {d["id"]: d for d in devices["devices"]}
    gauges = by_id["gauges"]
    assert gauges["state"] == "connected" and gauges["transport"] == "modbus_tcp"
    assert gauges["endpoint"] == f"127.0.0.1:{device.port}"
    assert gauges["last_good_poll"] is not None and gauges["request_count"] > 0
    assert gauges["collector"] == modbus.name and gauges["points"] == 3
    weather = by_id["weather"]
    assert (weather["transport"], weather["state"], weather["last_good_poll"]) == (
        "mqtt", "connecting", None
    )
    gauges_dead = {d["id"]: d for d in dead["devices"]}["gauges"]
    assert gauges_dead["error_count"] > 0 and gauges_dead["last_error"]


async def test_register_route_errors_and_roles(tmp_path: Path, clock: FakeClock) -> None:
    site = make_site()
    async with running_app(tmp_path, site, clock=clock) as app:
        async with app.login("engineer") as engineer:
            response = await engineer.get("/api/commissioning/registers",
                                          params={"site": SITE, "tag": "TT-9"})
            assert response.status_code == 404 and "not a Modbus point" in response.text
            response = await engineer.get("/api/commissioning/registers",
                                          params={"site": SITE, "tag": "NOPE"})
            assert response.status_code == 404
            devices = (await engineer.get("/api/commissioning/devices")).json()["devices"]
            assert {d["id"]: d["state"] for d in devices} == {"gauges": "unknown",
                                                              "weather": "unknown"}
            response = await engineer.get("/api/commissioning/mqtt", params={"device": "none"})
            assert response.status_code == 404
        for role in ("viewer", "operator"):
            async with app.login(role) as client:
                for path in ("/api/commissioning/devices", "/api/commissioning/registers",
                             "/api/commissioning/mqtt"):
                    response = await client.get(path, params={"site": SITE, "tag": "LT-1",
                                                              "device": "weather"})
                    assert response.status_code == 403, (role, path)


async def test_mqtt_payloads(tmp_path: Path, clock: FakeClock) -> None:
    async with any_broker() as broker:
        site = make_site(mqtt_port=broker.port)
        [mqtt] = build_mqtt_collectors([site], time.time)
        async with running_app(tmp_path, site, clock=clock, collectors=[mqtt]) as app:
            feed = Feed(app)
            async with app.login("engineer") as engineer, running(mqtt, feed):
                await asyncio.wait_for(_connected(mqtt), WAIT)
                async with aiomqtt.Client(broker.host, broker.port) as publisher:
                    await publisher.publish("site/weather", b'{"TT-9": 21.5}', qos=1)
                    await publisher.publish("site/weather", b"\xff not json", qos=1)
                await feed.until(lambda: mqtt.health.counters.get("messages", 0) >= 2)
                response = await engineer.get("/api/commissioning/mqtt",
                                              params={"device": "weather"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["site"], body["device"]) == (SITE, "weather")
    topics = body["topics"]
    assert [t["topic"] for t in topics][-2:] == ["site/weather", "site/weather"]
    assert topics[-2]["payload"] == '{"TT-9": 21.5}' and topics[-2]["size"] == 14
    assert topics[-1]["payload"] == "\ufffd not json" and not topics[-1]["truncated"]


async def _connected(collector: MqttCollector) -> None:
    from collectors.health import LinkState

    await collector.wait_state(LinkState.CONNECTED)
