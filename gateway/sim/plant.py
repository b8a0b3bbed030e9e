"""A simulated plant: the tank farm, its gas controller and the dust line of config/examples.

Used by `hazgw demo`, the end-to-end tests and the benchmarks. The process model
(``PlantModel``) is pure and driven by an explicit time; ``Plant`` puts it on
real pymodbus device servers and an MQTT publisher.

Drills (演练): ``start_scenario(name)`` starts a gas leak, a ΔP spike, a detector
fault or a device failure on demand.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiomqtt

from config.alarms import Heartbeat, PointAlarms
from config.modbus import (
    ByteOrder,
    DataType,
    ModbusDeviceBase,
    ModbusRtuOverTcpDevice,
    ModbusTcpDevice,
    StatusRole,
)
from config.mqtt import MqttDevice
from config.site import Site
from gateway.sim.modbus_devices import SimModbusServer, encode
from gateway.validation import load_site

log = logging.getLogger(__name__)

EXAMPLES = Path(__file__).resolve().parents[2] / "config" / "examples"
TANK_GAUGE_UNIT = 1
GAS_CONTROLLER_UNIT = 2
DUST_TOPIC = "demo/dust/line1"


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    title: str  # zh-CN, shown to duty officers
    duration: float  # seconds


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("gas_leak", "罐区可燃气体泄漏（一级→二级报警）", 90.0),
        Scenario("dp_spike", "除尘器压差突升", 30.0),
        Scenario("detector_fault", "氨气探测器故障", 45.0),
        Scenario("device_failure", "气体报警控制器通讯中断", 60.0),
        Scenario("heartbeat_stall", "气体报警控制器心跳停止", 40.0),
    )
}


@dataclass
class PlantModel:
    """Process values as a function of time. Pure: no I/O, time passed in."""

    seed: int = 7
    started: dict[str, float] = field(default_factory=dict)  # scenario → start time
    heartbeat_period: float = 2.0
    speed: float = 1.0  # drills run this many times faster (tests use > 1)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def start(self, name: str, now: float) -> Scenario:
        scenario = SCENARIOS.get(name)
        if scenario is None:
            raise KeyError(name)
        self.started[name] = now
        return scenario

    def duration(self, name: str) -> float:
        return SCENARIOS[name].duration / self.speed

    def active(self, now: float) -> list[str]:
        return [n for n, t in self.started.items() if now - t < self.duration(n)]

    def _progress(self, name: str, now: float) -> float | None:
        start = self.started.get(name)
        if start is None or now - start >= self.duration(name):
            return None
        return (now - start) / self.duration(name)

    def noise(self, scale: float) -> float:
        return self._rng.uniform(-scale, scale)

    def tank_values(self, now: float) -> dict[str, float]:
        return {
            "LT-101": 12.0 + 1.5 * math.sin(now / 300) + self.noise(0.01),
            "TT-101": 22.0 + 3.0 * math.sin(now / 900) + self.noise(0.05),
            "PT-101": 35.0 + 4.0 * math.sin(now / 120) + self.noise(0.2),
            "LT-102": 7.5 + 1.0 * math.sin(now / 400) + self.noise(0.01),
            "PT-102": 0.8 + 0.05 * math.sin(now / 200) + self.noise(0.002),
        }

    def gas_values(self, now: float) -> dict[str, float]:
        """%LEL and ppm. A leak ramps GT-201 past 25 %LEL, then past 50, then decays."""
        lel = max(0.0, 1.0 + self.noise(0.3))
        progress = self._progress("gas_leak", now)
        if progress is not None:
            if progress < 0.15:
                lel = 35.0 * progress / 0.15  # first level within seconds
            elif progress < 0.3:
                lel = 35.0 + 30.0 * (progress - 0.15) / 0.15  # second level
            elif progress < 0.7:
                lel = 65.0 + self.noise(2.0)
            else:
                lel = 65.0 * (1.0 - progress) / 0.3
        return {
            "GT-201": lel,
            "GT-202": max(0.0, 2.0 + self.noise(0.5)),
            "GT-203": max(0.0, 0.5 + self.noise(0.2)),
        }

    def heartbeat(self, now: float) -> bool:
        """Toggles every ``heartbeat_period``; frozen (set) while a heartbeat stall runs."""
        if self._progress("heartbeat_stall", now) is not None:
            return True
        return int(now / self.heartbeat_period) % 2 == 1

    def detector_faulty(self, now: float) -> bool:
        return self._progress("detector_fault", now) is not None

    def controller_silent(self, now: float) -> bool:
        return self._progress("device_failure", now) is not None

    def dust_values(self, now: float) -> dict[str, float | bool]:
        dp = 1200.0 + 80.0 * math.sin(now / 60) + self.noise(10.0)
        progress = self._progress("dp_spike", now)
        if progress is not None:
            dp += 1400.0 * math.sin(math.pi * progress)
        return {
            "PDT-301": dp,
            "TT-302": 45.0 + 5.0 * math.sin(now / 600) + self.noise(0.2),
            "spark": progress is not None and 0.4 < progress < 0.5,
            "rotary_valve_fault": False,
        }


def status_word(fault: bool, alarm: bool, heartbeat: bool) -> int:
    """The example gas controller's status word: bit 0 fault, bit 1 alarm, bit 15 heartbeat."""
    return (1 if fault else 0) | (2 if alarm else 0) | (0x8000 if heartbeat else 0)


class Plant:
    """The model on real servers: a Modbus TCP tank gauge, a gas controller behind an
    RTU-over-TCP serial server, and an MQTT publisher for the dust line."""

    def __init__(
        self,
        broker_host: str,
        broker_port: int,
        *,
        update_interval: float = 0.5,
        auto_events: float | None = None,
        model: PlantModel | None = None,
        heartbeat_timeout: float | None = None,
    ) -> None:
        self.broker_host = broker_host
        self.broker_port = broker_port
        self.update_interval = update_interval
        self.auto_events = auto_events  # seconds between random drills, None for never
        self.model = model or PlantModel()
        # Status-word heartbeat timeout for the gas controller's points (None: the site
        # file's, i.e. the 10 s default); tests shorten it to see a stall sooner.
        self.heartbeat_timeout = heartbeat_timeout
        self.tank_server = SimModbusServer([TANK_GAUGE_UNIT], framer="socket")
        self.gas_server = SimModbusServer([GAS_CONTROLLER_UNIT], framer="rtu")
        self.published = 0

    async def start_servers(self) -> None:
        await self.tank_server.start()
        await self.gas_server.start()
        self.update_registers(_now())

    async def stop_servers(self) -> None:
        await self.tank_server.stop()
        await self.gas_server.stop()

    def sites(self) -> list[Site]:
        """The example site files, pointed at this plant's ports and broker."""
        tank = load_site(EXAMPLES / "tank_farm.yaml")
        dust = load_site(EXAMPLES / "dust_line.yaml")
        devices = []
        for device in tank.devices:
            if isinstance(device, ModbusTcpDevice):
                device = device.model_copy(update={"port": self.tank_server.port})
            elif isinstance(device, ModbusRtuOverTcpDevice):
                device = device.model_copy(update={"port": self.gas_server.port})
            devices.append(device)
        tank = tank.model_copy(update={"devices": devices})
        if self.heartbeat_timeout is not None:
            tank = with_heartbeat_timeout(tank, self.heartbeat_timeout)
        dust_devices = []
        for device in dust.devices:
            if isinstance(device, MqttDevice):
                broker = device.broker.model_copy(
                    update={"host": self.broker_host, "port": self.broker_port}
                )
                device = device.model_copy(update={"broker": broker})
            dust_devices.append(device)
        dust = dust.model_copy(update={"devices": dust_devices})
        return [tank, dust]

    def start_scenario(self, name: str) -> Scenario:
        return self.model.start(name, _now())

    def update_registers(self, now: float) -> None:
        model = self.model
        tanks = model.tank_values(now)
        server = self.tank_server
        unit = TANK_GAUGE_UNIT
        server.write_registers(
            unit, "holding", 0, encode(tanks["LT-101"], DataType.FLOAT32, ByteOrder.ABCD)
        )
        server.write_registers(
            unit, "holding", 2, encode(tanks["TT-101"], DataType.FLOAT32, ByteOrder.CDAB)
        )
        server.write_registers(
            unit, "holding", 4, encode(round(tanks["PT-101"] * 10), DataType.INT16, ByteOrder.ABCD)
        )
        counts = 6400 + tanks["LT-102"] / 15.0 * 25600
        server.write_registers(
            unit, "input", 0, encode(round(counts), DataType.UINT16, ByteOrder.ABCD)
        )
        server.write_registers(
            unit, "holding", 6, encode(tanks["PT-102"], DataType.FLOAT32, ByteOrder.ABCD)
        )

        gas = model.gas_values(now)
        beat = model.heartbeat(now)
        faulty = model.detector_faulty(now)
        words: list[int] = []
        for tag, fault in (("GT-201", False), ("GT-202", faulty), ("GT-203", False)):
            alarm = tag == "GT-201" and gas[tag] >= 25.0
            words += [max(0, min(65535, round(gas[tag] * 10))), status_word(fault, alarm, beat)]
        self.gas_server.write_registers(GAS_CONTROLLER_UNIT, "holding", 0, words)
        self.gas_server.set_unit_alive(GAS_CONTROLLER_UNIT, not model.controller_silent(now))

    def dust_messages(self, now: float) -> list[tuple[str, bytes]]:
        values = self.model.dust_values(now)
        return [
            (f"{DUST_TOPIC}/dp", json.dumps(round(float(values["PDT-301"]), 1)).encode()),
            (
                f"{DUST_TOPIC}/state",
                json.dumps(
                    {
                        "TT-302": round(float(values["TT-302"]), 2),
                        "spark": bool(values["spark"]),
                        "rotary_valve_fault": bool(values["rotary_valve_fault"]),
                    }
                ).encode(),
            ),
        ]

    async def run(self) -> None:
        """Update the devices and publish the dust line until cancelled."""
        rng = random.Random(self.model.seed + 1)
        next_event = _now() + (self.auto_events or math.inf)
        while True:
            try:
                async with aiomqtt.Client(
                    self.broker_host, self.broker_port, identifier="hazgw-demo-plant"
                ) as client:
                    while True:
                        now = _now()
                        self.update_registers(now)
                        for topic, payload in self.dust_messages(now):
                            await client.publish(topic, payload, qos=1)
                            self.published += 1
                        if now >= next_event and self.auto_events:
                            name = rng.choice(["gas_leak", "dp_spike"])
                            log.info("demo plant: drill %s", name)
                            self.model.start(name, now)
                            next_event = now + self.auto_events
                        await asyncio.sleep(self.update_interval)
            except aiomqtt.MqttError as error:
                log.warning("demo plant: MQTT publisher lost the broker (%s); retrying", error)
                self.update_registers(_now())
                await asyncio.sleep(1.0)


def with_heartbeat_timeout(site: Site, timeout: float) -> Site:
    """``site`` with every status-word heartbeat watched with ``timeout`` seconds."""
    devices = []
    for device in site.devices:
        if isinstance(device, ModbusDeviceBase):
            points = []
            for point in device.points:
                word = point.source.status_word
                if word is not None and StatusRole.HEARTBEAT in word.bits:
                    alarms = (point.alarms or PointAlarms()).model_copy(
                        update={"heartbeat": Heartbeat(timeout=timeout)}
                    )
                    point = point.model_copy(update={"alarms": alarms})
                points.append(point)
            device = device.model_copy(update={"points": points})
        devices.append(device)
    return site.model_copy(update={"devices": devices})


def _now() -> float:
    return time.time()
