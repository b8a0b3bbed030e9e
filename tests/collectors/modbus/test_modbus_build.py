"""Building collectors from sites: one per connection, bad combinations named. No I/O."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from modbus_helpers import device, point, site

from collectors.base import Collector
from collectors.modbus import ModbusCollector, build_modbus_collectors
from collectors.modbus.connection import SerialEndpoint, TcpEndpoint, endpoint_of
from collectors.modbus.device import SilencePolicy
from config.modbus import ModbusRtuSerialDevice
from config.mqtt import MqttDevice
from config.site import Site
from gateway.validation import load_site

P = [point("P-1", {"table": "holding", "address": 0})]
_tags = itertools.count()


def pts() -> list[dict[str, Any]]:
    return [point(f"P-{next(_tags)}", {"table": "holding", "address": 0})]


def serial(device_id: str, port: str, unit: int, **line: Any) -> ModbusRtuSerialDevice:
    return ModbusRtuSerialDevice.model_validate({
        "id": device_id, "transport": "modbus_rtu_serial", "unit": unit,
        "serial": {"port": port, **line}, "points": pts(),
    })


def test_one_collector_per_connection_across_sites() -> None:
    mqtt = MqttDevice.model_validate({
        "id": "m", "transport": "mqtt", "broker": {"host": "127.0.0.1"},
        "subscriptions": [{"topic": "t", "format": "object"}],
        "points": [{"tag": "M-1", "name": "m", "kind": "analog", "range": {"low": 0, "high": 1},
                    "hazard_source": "HS-1"}],
    })
    first = site([
        device("tcp-a", 1502, pts(), unit=1),
        device("tcp-b", 1502, pts(), unit=2),
        device("rtu-tcp", 1502, pts(), transport="modbus_rtu_tcp"),  # other framing
        device("tcp-c", 1503, pts()),
        serial("bus-1", "/dev/ttyUSB0", 1),
    ], code="A")
    second = site([device("tcp-d", 1502, pts(), unit=3), serial("bus-2", "/dev/ttyUSB0", 2)],
                  code="B")
    with_mqtt = Site.model_validate({
        **first.model_dump(mode="json"),
        "devices": [*first.model_dump(mode="json")["devices"], mqtt.model_dump(mode="json")],
    })
    collectors = build_modbus_collectors([with_mqtt, second], clock=lambda: 5.0)
    assert [c.name for c in collectors] == [
        "modbus modbus-tcp://127.0.0.1:1502",
        "modbus rtu-over-tcp://127.0.0.1:1502",
        "modbus modbus-tcp://127.0.0.1:1503",
        "modbus serial:/dev/ttyUSB0 9600 8N1",
    ]
    assert sorted(collectors[0].health.devices) == ["A/tcp-a", "A/tcp-b", "B/tcp-d"]
    assert sorted(collectors[3].health.devices) == ["A/bus-1", "B/bus-2"]
    assert all(c.clock() == 5.0 for c in collectors)
    assert all(c.health.kind == "modbus" for c in collectors)


def test_devices_of_other_connections_are_refused() -> None:
    with pytest.raises(ValueError, match=r"S/b is on modbus-tcp://127.0.0.1:2"):
        ModbusCollector([("S", device("a", 1, pts())), ("S", device("b", 2, pts()))])


def test_duplicate_devices_and_points_are_refused() -> None:
    same = device("a", 1, P)
    with pytest.raises(ValueError, match="listed twice"):
        ModbusCollector([("S", same), ("S", same)])
    with pytest.raises(ValueError, match="point S/P-1 is on both S/a and S/b"):
        ModbusCollector([("S", device("a", 1, P)), ("S", device("b", 1, P, unit=2))])
    with pytest.raises(ValueError):
        ModbusCollector([])


def test_scale_with_a_current_loop_is_refused_not_ignored() -> None:
    # The site model refuses it (a config error naming the point), before any collector.
    loop_point = point("LT-1", {"table": "input", "address": 0, "scale": 0.1,
                                "current_loop": {"counts_at_4ma": 0, "counts_at_20ma": 1000}})
    with pytest.raises(ValueError, match="scale and offset do not apply"):
        device("a", 1, [loop_point])


def test_connection_settings_come_from_the_slowest_device() -> None:
    collector = ModbusCollector([
        ("S", device("a", 1, pts(), timeout=0.5, request_delay=0.01)),
        ("S", device("b", 1, pts(), unit=2, timeout=2.0, request_delay=0.05)),
    ], silence=SilencePolicy(probe_cap=3.0))
    assert collector.hub.connect_timeout == 2.0
    assert collector.hub.request_delay == 0.05


def test_endpoints() -> None:
    assert endpoint_of(device("a", 1502, pts())) == TcpEndpoint("127.0.0.1", 1502, "socket")
    assert endpoint_of(device("a", 1502, pts(), transport="modbus_rtu_tcp")) == TcpEndpoint(
        "127.0.0.1", 1502, "rtu"
    )
    assert endpoint_of(serial("s", "/dev/x", 1, parity="E", stopbits=2)) == SerialEndpoint(
        "/dev/x", 9600, 8, "E", 2
    )


@pytest.mark.parametrize(
    ("interval", "cap", "expected_max"),
    [(1.0, 10.0, 10.0 * 1.1), (0.2, 1.0, 1.0 * 1.1), (30.0, 10.0, 30.0 * 1.1)],
)
def test_probe_delays_back_off_to_the_cap(interval: float, cap: float, expected_max: float) -> None:
    delays = list(itertools.islice(SilencePolicy(probe_cap=cap).probe_delays(interval), 12))
    assert delays[0] == pytest.approx(interval, rel=0.11)  # the first probe: one interval
    assert max(delays) <= expected_max
    assert delays[-1] >= max(interval, cap) * 0.9  # it does reach the cap
    with pytest.raises(ValueError):
        SilencePolicy(probe_cap=0)


@pytest.mark.parametrize("interval", [0.1, 1.0, 30.0])
def test_probes_of_a_silent_unit_are_at_most_two_intervals_apart(interval: float) -> None:
    delays = list(itertools.islice(SilencePolicy().probe_delays(interval), 12))
    assert max(delays) <= 2 * interval * 1.1


def test_example_site_builds_and_fits_the_collector_protocol() -> None:
    example = Path(__file__).resolve().parents[3] / "config" / "examples" / "tank_farm.yaml"
    collectors = build_modbus_collectors([load_site(example)])
    assert [c.name for c in collectors] == [
        "modbus modbus-tcp://127.0.0.1:15020",
        "modbus rtu-over-tcp://127.0.0.1:15021",
    ]
    protocol_view: list[Collector] = list(collectors)  # checked by mypy
    assert all(c.health.state.value == "connecting" for c in protocol_view)
    gas = collectors[1].pollers[0]
    # GT-201..203 values and status words at holding 0..5, GS-200 a bit of register 1.
    assert [(r.address, r.count) for r in gas.plan.requests] == [(0, 6)]
