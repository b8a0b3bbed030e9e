"""The load both gateways get, each in a child process of its own so that neither gateway
shares an event loop (or a GIL) with it: simulated Modbus TCP devices, and an MQTT
publisher sending ``{"P0": …, …}`` objects at a set rate."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection

from config.modbus import ByteOrder, DataType
from gateway.sim.modbus_devices import SimModbusServer, encode


def device_value(device: int, index: int) -> float:
    """What register pair ``2*index`` of device ``device`` holds (exact in float32)."""
    return float(device * 1000 + index) / 4.0


# ------------------------------------------------------------------------- Modbus devices


def _serve_modbus(devices: int, points: int, conn: Connection) -> None:
    asyncio.run(_serve_modbus_async(devices, points, conn))


async def _serve_modbus_async(devices: int, points: int, conn: Connection) -> None:
    servers = [SimModbusServer([1], size=max(2 * points, 16)) for _ in range(devices)]
    for number, server in enumerate(servers):
        words: list[int] = []
        for index in range(points):
            words += encode(device_value(number, index), DataType.FLOAT32, ByteOrder.ABCD)
        server.write_registers(1, "holding", 0, words)
        await server.start()
    conn.send([server.port for server in servers])
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)
    for server in servers:
        await server.stop()


@dataclass
class ModbusDevices:
    """``devices`` Modbus TCP servers (unit 1), ``points`` float32 ABCD from register 0."""

    devices: int
    points: int

    def __enter__(self) -> list[int]:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve_modbus, args=(self.devices, self.points, child), daemon=True
        )
        self._process.start()
        if not self._conn.poll(60):
            self._process.kill()
            raise RuntimeError("the simulated Modbus devices did not start within 60 s")
        ports: list[int] = self._conn.recv()
        return ports

    def __exit__(self, *_: object) -> None:
        self._conn.send("stop")
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()


# ---------------------------------------------------------------------------- MQTT load


def mqtt_keys(per_message: int) -> list[str]:
    return [f"P{index}" for index in range(per_message)]


def mqtt_topic(device: int) -> str:
    return f"bench/dev{device}/data"


# Ticks per second of each gateway's timestamps: hazgw reads epoch seconds as a float (here
# to the microsecond), the peer whole epoch milliseconds.
TICKS = {"s": 1_000_000, "ms": 1_000}


def stamped(body: bytes, ticks: int, unit: str | None) -> bytes:
    """``body`` (a JSON object) with a leading ``"ts"`` member: the device's timestamp,
    ``ticks`` of ``1 / TICKS[unit]`` s, in epoch seconds (``unit`` "s", hazgw's form) or
    milliseconds ("ms", the peer's); unchanged for None (each gateway dates values on
    reception)."""
    if unit is None:
        return body
    ts = f"{ticks / TICKS['s']:.6f}" if unit == "s" else str(ticks)
    return b'{"ts": ' + ts.encode() + b", " + body[1:]


def _publish(
    host: str, port: int, devices: int, per_message: int, rate: float, seconds: float,
    conn: Connection, ts_unit: str | None = None,
) -> None:
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="hazgw-bench-pub")
    client.max_queued_messages_set(0)
    client.connect(host, port)
    client.loop_start()
    keys = mqtt_keys(per_message)
    payloads = [
        json.dumps({key: round(device * 10 + step + index * 0.5, 3)
                    for index, key in enumerate(keys)}).encode()
        for device in range(devices) for step in range(4)
    ]
    topics = [mqtt_topic(device) for device in range(devices)]
    conn.send("ready")
    conn.recv()  # go
    # A device's timestamps are one tick apart at least: the peer keeps one value per key
    # and millisecond of a device (see tb_config.py), influxd one per series and instant.
    # Ticks are fine enough that a device's clock keeps up with real time at these rates.
    per_second = TICKS[ts_unit] if ts_unit is not None else 1
    last = [0] * devices
    tick = 0.01
    per_tick = rate * tick
    sent = 0
    started = time.monotonic()
    owed = 0.0
    while True:
        now = time.monotonic()
        elapsed = now - started
        if elapsed >= seconds:
            break
        target = rate * elapsed
        owed = target - sent
        for _ in range(int(owed)):
            device = sent % devices
            body = payloads[(sent // devices) % len(payloads)]
            if ts_unit is not None:
                last[device] = max(int(time.time() * per_second), last[device] + 1)
                body = stamped(body, last[device], ts_unit)
            client.publish(topics[device], body, qos=0)
            sent += 1
        time.sleep(max(0.0, tick - (time.monotonic() - now)) if per_tick >= 1 else tick)
    finished = time.monotonic() - started
    # Let paho hand everything to the socket before disconnecting.
    deadline = time.monotonic() + 30
    while client.want_write() and time.monotonic() < deadline:
        time.sleep(0.01)
    client.disconnect()
    client.loop_stop()
    conn.send((sent, finished))


@dataclass
class MqttPublisher:
    host: str
    port: int
    devices: int
    per_message: int
    rate: float  # messages per second, over all devices
    seconds: float
    ts_unit: str | None = None  # "s" or "ms": the device dates each message (see stamped)

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_publish,
            args=(self.host, self.port, self.devices, self.per_message, self.rate,
                  self.seconds, child, self.ts_unit),
            daemon=True,
        )
        self._process.start()
        if not self._conn.poll(30) or self._conn.recv() != "ready":
            self._process.kill()
            raise RuntimeError("the MQTT publisher did not connect within 30 s")

    def go(self) -> None:
        self._conn.send("go")

    async def finished(self) -> tuple[int, float]:
        """Messages sent and the seconds they took."""
        loop = asyncio.get_running_loop()
        ready = await loop.run_in_executor(None, self._conn.poll, self.seconds + 60)
        if not ready:
            self._process.kill()
            raise RuntimeError("the MQTT publisher did not finish")
        result: tuple[int, float] = self._conn.recv()
        self._process.join(10)
        return result


def expected_values(devices: Sequence[int], points: int) -> dict[tuple[int, int], float]:
    return {(d, i): device_value(d, i) for d in devices for i in range(points)}
