"""docker-compose.park.yml is for users (no Docker engine here): check it parses, its files
exist and validate, and its NATS configs carry the park's permissions and partitions."""

from pathlib import Path

import yaml

from config.gateway_file import GatewayConfig
from config.loader import read_yaml, validate
from config.park import CentralSettings
from gateway.sim.nats import account_block

ROOT = Path(__file__).parents[3]


def test_park_compose_services_and_mounts() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.park.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"nats1", "nats2", "nats3", "influxdb", "central-a", "central-b", "edge"} == set(
        services
    )
    assert services["influxdb"]["image"] == "influxdb:2.7"
    assert all(services[f"nats{i}"]["image"].startswith("nats:2.9") for i in (1, 2, 3))
    for name in ("central-a", "central-b"):
        assert services[name]["command"][:2] == ["hazgw", "central"]
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"compose mounts missing {source}"
            else:
                assert source in compose["volumes"], f"undeclared volume {source}"


def test_park_compose_configs_validate_and_agree() -> None:
    partitions = set()
    for name in ("central-a", "central-b"):
        data, source = read_yaml(ROOT / "deploy" / "park" / f"{name}.yaml")
        central = validate(CentralSettings, data, source)
        assert central.instance == name
        partitions.add(central.partitions)
    assert len(partitions) == 1
    data, source = read_yaml(ROOT / "deploy" / "park" / "edge-gateway.yaml")
    edge = validate(GatewayConfig, data, source)
    assert edge.uplink is not None and edge.uplink.user == "DEMO-CHEM"
    expected = account_block(
        {"DEMO-CHEM": "change-me-chem", "DEMO-DUST": "change-me-dust"}, "change-me-central",
        partitions.pop(),
    )
    for i in (1, 2, 3):
        text = (ROOT / "deploy" / "park" / f"nats{i}.conf").read_text(encoding="utf-8")
        assert f"server_name: nats{i}" in text
        # The permissions and the partition mapping are exactly what the tests run with.
        assert expected in text


def test_park_nats_configs_pass_the_servers_own_check() -> None:
    import subprocess

    import pytest

    from gateway.sim.nats import nats_server_binary

    binary = nats_server_binary()
    if binary is None:
        pytest.skip("nats-server not installed")
    for i in (1, 2, 3):
        path = ROOT / "deploy" / "park" / f"nats{i}.conf"
        done = subprocess.run([binary, "-c", str(path), "-t"], capture_output=True, timeout=10,
                              text=True)
        assert done.returncode == 0, done.stderr + done.stdout
