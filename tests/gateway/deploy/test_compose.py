"""docker-compose.yml is for users (no Docker engine here): check it parses and hangs together."""

from pathlib import Path

import yaml

from config.gateway_file import GatewayConfig
from config.loader import read_yaml, validate

ROOT = Path(__file__).parents[3]


def test_compose_services_and_ports() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"influxdb", "mosquitto", "hazgw"} <= set(services)
    assert services["influxdb"]["image"].startswith("influxdb:2")
    assert "8000:8000" in services["hazgw"]["ports"]
    assert set(services["hazgw"]["depends_on"]) == {"influxdb", "mosquitto"}
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"compose mounts missing {source}"
    assert set(compose["volumes"]) >= {"influxdb-data", "hazgw-state"}


def test_compose_gateway_file_is_valid_and_targets_influx_v2() -> None:
    data, source = read_yaml(ROOT / "deploy" / "gateway.yaml")
    config = validate(GatewayConfig, data, source)
    assert config.storage is not None and config.storage.target.kind == "influx_v2"
    assert config.http.host == "0.0.0.0"
