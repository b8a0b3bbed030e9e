"""RTU over a real serial line: a socat pseudo-terminal pair, a pymodbus RTU server on one
end, the collector on the other."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from modbus_helpers import SITE, Sink, is_bad, is_good, point, running

from collectors.modbus import ModbusCollector, SilencePolicy, build_modbus_collectors
from config.modbus import ByteOrder, DataType, ModbusRtuSerialDevice
from config.site import Site
from gateway.sim.modbus_devices import SimModbusSerialServer, VirtualSerialPair, encode

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(60),
    pytest.mark.skipif(not VirtualSerialPair.available(), reason="socat is not installed"),
]


@pytest.fixture
async def serial_pair() -> AsyncIterator[VirtualSerialPair]:
    with tempfile.TemporaryDirectory(prefix="hazgw-modbus-") as directory:
        pair = VirtualSerialPair(Path(directory))
        await pair.start()
        try:
            yield pair
        finally:
            await pair.stop()


def serial_device(device_id: str, port: str, unit: int, points: list[dict[str, Any]],
                  **settings: Any) -> ModbusRtuSerialDevice:
    return ModbusRtuSerialDevice.model_validate({
        "id": device_id, "transport": "modbus_rtu_serial", "unit": unit,
        "serial": {"port": port, "baudrate": 9600}, "points": points, **settings,
    })


async def test_rtu_over_a_serial_line(serial_pair: VirtualSerialPair) -> None:
    server = SimModbusSerialServer(serial_pair.a, [3, 4], baudrate=9600, size=100)
    server.write_registers(3, "holding", 10, encode(-7.5, DataType.FLOAT32, ByteOrder.BADC))
    server.write_registers(4, "input", 0, [4321])
    settings = {"poll_interval": 0.2, "timeout": 0.3, "retries": 0}
    gas = serial_device("gas", serial_pair.b, 3, [
        point("GT-1", {"table": "holding", "address": 10, "type": "float32",
                       "byte_order": "BADC"}),
    ], **settings)
    flow = serial_device("flow", serial_pair.b, 4, [
        point("FT-1", {"table": "input", "address": 0, "scale": 0.01}),
    ], **settings)
    # Both units on one port: built through the public entry point, grouped into one collector.
    sites = [Site.model_validate({
        "enterprise": {"name": "串口测试", "code": SITE},
        "hazard_sources": [{"id": "HS-1", "name": "罐区", "grade": 3, "kind": "tank_farm"}],
        "devices": [gas.model_dump(mode="json"), flow.model_dump(mode="json")],
    })]
    collectors = build_modbus_collectors(sites, silence=SilencePolicy(probe_cap=0.5))
    assert len(collectors) == 1
    collector: ModbusCollector = collectors[0]
    assert collector.name.startswith(f"modbus serial:{serial_pair.b}")
    await server.start()
    sink = Sink()
    try:
        async with running(collector, sink):
            await sink.wait_for(is_good("GT-1", -7.5))
            flow_reading = await sink.wait_for(is_good("FT-1"))
            assert flow_reading.value == pytest.approx(43.21)

            # A dead slave on the bus: its point goes bad, the other unit keeps answering.
            mark = sink.mark()
            server.set_unit_alive(3, False)
            await sink.wait_for(is_bad("GT-1"), since=mark)
            mark = sink.mark()
            server.write_registers(4, "input", 0, [1000])
            await sink.wait_for(is_good("FT-1", 10.0), since=mark)
            server.set_unit_alive(3, True)
            await sink.wait_for(is_good("GT-1", -7.5), since=mark)
    finally:
        await server.stop()
