"""docker-compose.yml is for users (no Docker engine here): check it parses and hangs together."""

import re
from pathlib import Path

import pytest
import yaml

from config.gateway_file import GatewayConfig
from config.issues import ConfigError
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


def test_compose_gateway_file_is_valid_and_targets_influx_v2(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INFLUXDB_TOKEN", "token-from-the-environment")
    data, source = read_yaml(ROOT / "deploy" / "gateway.yaml")
    config = validate(GatewayConfig, data, source)
    assert config.storage is not None and config.storage.target.kind == "influx_v2"
    assert config.storage.target.token.get_secret_value() == "token-from-the-environment"
    assert config.http.host == "0.0.0.0"


def test_the_gateway_file_holds_no_secret_and_compose_passes_each_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every ${NAME} the gateway file reads is in the hazgw service's environment, and
    compose refuses to start without it (``${NAME:?...}``)."""
    monkeypatch.delenv("INFLUXDB_TOKEN", raising=False)
    gateway_file = ROOT / "deploy" / "gateway.yaml"
    data, source = read_yaml(gateway_file)
    with pytest.raises(ConfigError) as caught:
        validate(GatewayConfig, data, source)
    assert [str(issue) for issue in caught.value.issues] == [
        f"{gateway_file}:13: environment variable INFLUXDB_TOKEN is not set"
    ]
    referenced = set(re.findall(r"\$\{([A-Z_]+)\}", gateway_file.read_text(encoding="utf-8")))
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    environment = compose["services"]["hazgw"]["environment"]
    assert referenced and referenced <= set(environment)
    for name in referenced:
        assert environment[name].startswith(f"${{{name}:?"), environment[name]
