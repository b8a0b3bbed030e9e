"""The enterprise gateway's uplink to the park (``uplink:`` in the gateway file).

An enterprise connects to the park's NATS JetStream cluster with its own credentials (a
user and password, or an nkey), over TLS where the park's servers require it, and may only
publish under ``hazgw.<its code>.``: the NATS server enforces it (docs/park.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator

from config.base import Model

# NATS subject tokens may not hold '.', '*', '>' or white space; enterprise codes in the
# site file may hold '.', which the park cannot carry.
SUBJECT_TOKEN = r"^[A-Za-z0-9_-]+$"


def check_servers(servers: list[str]) -> list[str]:
    for server in servers:
        if not server.startswith(("nats://", "tls://")):
            raise ValueError(f"server {server!r}: expected nats://host:port or tls://host:port")
    return servers


class Contact(Model):
    """A responsible person the park's duty officer calls (叫应)."""

    name: str = Field(min_length=1)
    role: str = Field(default="", description="e.g. 主要负责人, 安全负责人")
    phone: str = Field(default="")


class UplinkSettings(Model):
    """The enterprise gateway's uplink to the park's NATS cluster."""

    servers: list[str] = Field(min_length=1, description="nats:// or tls:// URLs of the park")
    user: str = Field(
        min_length=1,
        description="this enterprise's NATS user (with an nkey: names its reply inbox)",
    )
    password: SecretStr | None = None
    nkey_seed_file: Path | None = Field(
        default=None,
        description="file holding this enterprise's nkey seed (SU...), instead of a password",
    )
    tls_ca_file: Path | None = Field(default=None, description="CA of the park's servers")
    gateway_code: str = Field(default="gw1", pattern=SUBJECT_TOKEN)
    contacts: list[Contact] = Field(default_factory=list)
    batch_size: int = Field(default=2000, ge=1, le=20000, description="readings per message")
    linger: float = Field(default=0.5, gt=0, description="seconds to wait for a fuller batch")
    heartbeat_interval: float = Field(default=5.0, gt=0, description="seconds")
    buffer_capacity: int = Field(
        default=500_000, ge=1000,
        description="newest waiting readings also kept in memory (the durable buffer in"
        " <state>/buffer/uplink holds a day at the expected rate on disk)",
    )
    backlog_alarm: int = Field(
        default=50_000, ge=1, description="readings waiting: above this the uplink is unhealthy"
    )
    ack_timeout: float = Field(default=5.0, gt=0, description="seconds to wait for JetStream")

    _servers = field_validator("servers")(check_servers)

    @model_validator(mode="after")
    def _one_credential(self) -> Self:
        if self.password is not None and self.nkey_seed_file is not None:
            raise ValueError("uplink: give a password or an nkey_seed_file, not both")
        return self
