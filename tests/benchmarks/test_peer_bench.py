"""The side-by-side benchmark's arithmetic and the configuration it writes for the peer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.peers.load import stamped
from benchmarks.peers.report import Figures, Row, ratio, render
from benchmarks.peers.tb_config import ModbusSlave, MqttFeed, write_tb_config

MIB = 2**20


def test_figures_derive_rates_cpu_and_poll_period() -> None:
    f = Figures(delivered=100_000, seconds=20.0, demand=5_000.0, cpu_s=0.5,
                peak_rss=80 * MIB, lag_s=0.8, points=500)
    assert f.rate == 5_000.0
    assert f.percent_of_demand == 100.0
    assert f.cpu_per_1000 == pytest.approx(0.005)
    assert f.mean_period_ms == pytest.approx(100.0)  # 500 points × 20 s / 100,000
    assert Figures(0, 1.0, 1.0, 1.0, 0, 0.0).cpu_per_1000 == float("inf")


@pytest.mark.parametrize(("ours", "theirs", "expected"),
                         [(10.0, 5.0, 2.0), (1.0, 0.0, None), (0.0, 4.0, 0.0)])
def test_ratio(ours: float, theirs: float, expected: float | None) -> None:
    assert ratio(ours, theirs) == expected


def test_the_table_shows_both_gateways_and_their_ratio() -> None:
    ours = Figures(80_000, 10.0, 8_000.0, 0.4, 100 * MIB, 0.5)
    theirs = Figures(10_000, 10.0, 1_000.0, 0.3, 50 * MIB, 0.1, lost=3)
    table = render([Row("MQTT", ours, theirs)])
    assert "| MQTT | delivered readings/s | 8,000 | 1,000 | 8.00× |" in table
    assert "| MQTT | peak RSS MiB | 100.0 | 50.0 | 2.00× |" in table
    assert "| MQTT | lost | 0 | 3 | — |" in table  # no ratio of near-zero counts
    assert "| MQTT | CPU-s per 1,000 readings | 0.0050 | 0.0300 | 0.17× |" in table


def test_peer_config_points_its_connectors_at_our_devices(tmp_path: Path) -> None:
    folder = write_tb_config(
        tmp_path, ("127.0.0.1", 1884),
        modbus=[ModbusSlave("dev0", 5020, 3, 100)],
        mqtt=MqttFeed("127.0.0.1", 1883, ["P0", "P1"]),
    )
    main = json.loads((folder / "tb_gateway.json").read_text())
    assert main["thingsboard"]["port"] == 1884
    assert [c["configuration"] for c in main["connectors"]] == ["modbus.json", "mqtt.json"]
    slave = json.loads((folder / "modbus.json").read_text())["master"]["slaves"][0]
    assert (slave["port"], slave["pollPeriod"], slave["byteOrder"], slave["wordOrder"]) == (
        5020, 100, "BIG", "BIG")
    assert [(t["address"], t["type"]) for t in slave["timeseries"]] == [
        (0, "32float"), (2, "32float"), (4, "32float")]
    mqtt = json.loads((folder / "mqtt.json").read_text())
    assert [t["value"] for t in mqtt["mapping"][0]["converter"]["timeseries"]] == [
        "${P0}", "${P1}"]
    with pytest.raises(ValueError, match="at least one connector"):
        write_tb_config(tmp_path / "none", ("127.0.0.1", 1))


@pytest.mark.parametrize(("unit", "ticks", "expected"), [
    ("s", 1_700_000_000_123_456, b'{"ts": 1700000000.123456, "P0": 1.5}'),
    ("ms", 1_700_000_000_123, b'{"ts": 1700000000123, "P0": 1.5}'),
    (None, 0, b'{"P0": 1.5}'),
])
def test_a_device_timestamp_in_each_gateways_unit(unit: str | None, ticks: int,
                                                  expected: bytes) -> None:
    body = stamped(b'{"P0": 1.5}', ticks, unit)
    assert body == expected
    assert json.loads(body)["P0"] == 1.5
