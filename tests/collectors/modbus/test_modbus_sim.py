"""The simulated devices themselves, seen through a plain pymodbus client: a silent unit
times out (no exception response), the tables answer what was written, a restart keeps
the port."""

from __future__ import annotations

import asyncio

import pytest
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.framer import FramerType

from config.modbus import ByteOrder, DataType
from gateway.sim.modbus_devices import SimModbusServer, UnitStore, encode

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]


@pytest.mark.parametrize("framer", ["socket", "rtu"])
async def test_silent_unit_times_out_while_the_other_answers(framer: str) -> None:
    server = SimModbusServer([1, 2], framer=framer, size=50)  # type: ignore[arg-type]
    async with server:
        server.write_registers(1, "holding", 0, encode(1.5, DataType.FLOAT32, ByteOrder.CDAB))
        server.write_bits(2, "coils", 4, [True, False, True])
        client = AsyncModbusTcpClient(
            "127.0.0.1", port=server.port, timeout=5, retries=0, reconnect_delay=0,
            framer=FramerType.SOCKET if framer == "socket" else FramerType.RTU,
        )
        assert await client.connect()
        try:
            answer = await client.read_holding_registers(0, count=2, device_id=1)
            assert answer.registers == [0x0000, 0x3FC0]
            bits = await client.read_coils(4, count=3, device_id=2)
            assert bits.bits[:3] == [True, False, True]
            beyond = await client.read_input_registers(48, count=5, device_id=1)
            assert beyond.isError() and beyond.exception_code == 2

            server.set_unit_alive(2, False)
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(client.read_coils(0, count=1, device_id=2), 0.3)
            answer = await client.read_holding_registers(0, count=2, device_id=1)
            assert answer.registers == [0x0000, 0x3FC0]  # the neighbour still answers
            with pytest.raises(TimeoutError):  # an unknown unit is silent as well
                await asyncio.wait_for(client.read_coils(0, count=1, device_id=9), 0.3)
            assert server.request_count(1) == 2
        finally:
            client.close()


async def test_restart_keeps_port_and_tables() -> None:
    server = SimModbusServer([1])
    await server.start()
    port = server.port
    assert port > 0
    server.write_registers(1, "input", 10, [1, 2, 3])
    await server.restart()
    try:
        assert server.port == port and server.running
        client = AsyncModbusTcpClient("127.0.0.1", port=port, timeout=5, retries=0,
                                      reconnect_delay=0)
        assert await client.connect()
        answer = await client.read_input_registers(10, count=3, device_id=1)
        assert answer.registers == [1, 2, 3]
        client.close()
    finally:
        await server.stop()
    assert not server.running


def test_direct_access_checks_its_input() -> None:
    store = UnitStore([1], size=10)
    store.write_registers(1, "holding", 8, [1, 2])
    assert store.read_registers(1, "holding", 7, 3) == [0, 1, 2]
    with pytest.raises(IndexError):
        store.write_registers(1, "holding", 9, [1, 2])
    with pytest.raises(ValueError):
        store.write_registers(1, "holding", 0, [70000])
    with pytest.raises(KeyError):
        store.write_registers(2, "holding", 0, [1])
    with pytest.raises(ValueError):
        UnitStore([], size=10)
    with pytest.raises(ValueError):
        SimModbusServer([1], framer="ascii")  # type: ignore[arg-type]
