"""Rules that span the site files of one gateway file, and the secrets it holds."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pydantic import BaseModel

from config.issues import ConfigError
from config.mqtt import MqttDevice
from gateway.cli import check_config
from gateway.validation import load_gateway

CASES = Path(__file__).parent / "cases"
BUS_A, BUS_B, BUS_C = (CASES / f"good_serial_bus_{name}.yaml" for name in "abc")


def _gateway(tmp_path: Path, *sites: Path, extra: str = "") -> Path:
    path = tmp_path / "gateway.yaml"
    listed = "".join(f"  - {site}\n" for site in sites)
    path.write_text(f"sites:\n{listed}{extra}", encoding="utf-8")
    return path


SERIAL_CONFLICT = (
    f"{BUS_B}:8: device gas-b: serial port /dev/ttyUSB0 is already used by device SA/gas-a "
    f"({BUS_A}:8) with other line settings (9600 8N1 there, 19200 8E1 here): one bus has one "
    "baud rate and framing"
)


def test_two_sites_on_one_serial_port_with_other_line_settings_are_refused(
    tmp_path: Path,
) -> None:
    # Each file is fine on its own: the port is shared only once both are loaded.
    gateway = _gateway(tmp_path, BUS_A, BUS_B, BUS_C)
    with pytest.raises(ConfigError) as caught:
        load_gateway(gateway)
    assert [str(issue) for issue in caught.value.issues] == [SERIAL_CONFLICT]
    out = io.StringIO()
    assert check_config([gateway], out) == 1
    assert out.getvalue() == f"ERROR {SERIAL_CONFLICT}\n"


def test_two_sites_agreeing_on_a_serial_line_share_it(tmp_path: Path) -> None:
    loaded = load_gateway(_gateway(tmp_path, BUS_A, BUS_C))
    assert [site.enterprise.code for site in loaded.sites] == ["SA", "SC"]


SECRETS = {
    "influx": "influx-pass-1234",
    "broker": "s3cret-broker",
    "webhook": "Bearer webhook-token-5678",
    "smtp": "smtp-pass-9012",
    "dingtalk": "SECdingtalk3456",
}

NOTIFICATIONS = f"""\
notifications:
  channels:
    hook:
      kind: webhook
      url: http://127.0.0.1:9/hook
      headers: {{Authorization: "{SECRETS['webhook']}"}}
    mail:
      kind: email
      host: 127.0.0.1
      username: gw
      password: {SECRETS['smtp']}
      from: gw@example.com
      to: [duty@example.com]
    robot:
      kind: dingtalk
      url: https://oapi.dingtalk.com/robot/send?access_token=abc
      secret: {SECRETS['dingtalk']}
  routes:
    - {{name: all, escalation: [{{channels: [hook, mail, robot]}}]}}
"""


def _dumps(model: BaseModel) -> list[str]:
    return [repr(model), str(model), model.model_dump_json(), str(model.model_dump())]


def test_no_dump_of_a_loaded_config_shows_a_secret(tmp_path: Path) -> None:
    storage = (
        "storage:\n  target: {kind: influx_v1, username: gw, "
        f"password: {SECRETS['influx']}}}\n"
    )
    gateway = _gateway(
        tmp_path, CASES / "good_mqtt_topics.yaml", extra=storage + NOTIFICATIONS
    )
    loaded = load_gateway(gateway)
    dumps = [*_dumps(loaded.config), *_dumps(loaded.sites[0]), repr(loaded)]
    for text in dumps:
        for name, secret in SECRETS.items():
            assert secret not in text, f"the {name} secret shows in a dump"
    # ... and each secret is still there for the code that needs it.
    assert loaded.config.storage is not None
    password = loaded.config.storage.target.password  # type: ignore[union-attr]
    assert password is not None and password.get_secret_value() == SECRETS["influx"]
    device = loaded.sites[0].devices[0]
    assert isinstance(device, MqttDevice) and device.broker.password is not None
    assert device.broker.password.get_secret_value() == SECRETS["broker"]
    assert loaded.config.notifications is not None
    hook = loaded.config.notifications.channels["hook"]
    assert hook.headers["Authorization"].get_secret_value() == SECRETS["webhook"]  # type: ignore[union-attr]


def test_no_dump_shows_an_influx_v2_token(tmp_path: Path) -> None:
    token = "v2-token-abcdef"
    storage = f"storage:\n  target: {{kind: influx_v2, org: o, bucket: b, token: {token}}}\n"
    loaded = load_gateway(_gateway(tmp_path, BUS_A, extra=storage))
    assert all(token not in text for text in _dumps(loaded.config))
    assert loaded.config.storage is not None
    assert loaded.config.storage.target.token.get_secret_value() == token  # type: ignore[union-attr]


def test_uplink_takes_a_password_or_an_nkey_seed_file_not_both() -> None:
    from pydantic import ValidationError

    from config.uplink import UplinkSettings

    with_seed = UplinkSettings.model_validate(
        {"servers": ["tls://park:4222"], "user": "E1", "nkey_seed_file": "/etc/hazgw/E1.nk"}
    )
    assert with_seed.nkey_seed_file == Path("/etc/hazgw/E1.nk") and with_seed.password is None
    with pytest.raises(ValidationError, match="not both"):
        UplinkSettings.model_validate({
            "servers": ["tls://park:4222"], "user": "E1", "password": "x",
            "nkey_seed_file": "/etc/hazgw/E1.nk",
        })
