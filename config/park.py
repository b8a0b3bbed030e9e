"""The park's central instances (``hazgw central FILE``): several share the uplinks of
every enterprise by partition, all through a NATS JetStream cluster (docs/park.md).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator

from config.base import Model
from config.gateway_file import HttpSettings, InfluxV1
from config.shifts import ShiftSchedule
from config.uplink import SUBJECT_TOKEN, check_servers
from config.vocabulary import Priority


class CentralSettings(Model):
    """One central instance of the park (several share the work by partition)."""

    servers: list[str] = Field(min_length=1)
    user: str = Field(min_length=1)
    password: SecretStr | None = None
    tls_ca_file: Path | None = None
    instance: str = Field(min_length=1, pattern=SUBJECT_TOKEN, description="unique per instance")
    partitions: int = Field(
        default=8, ge=1, le=256, description="must match the server's subject mapping"
    )
    replicas: int = Field(default=3, ge=1, le=5, description="stream and bucket replicas")
    lease_ttl: float = Field(default=6.0, ge=1.0, description="seconds a partition lease lives")
    storage: InfluxV1
    http: HttpSettings = HttpSettings()
    offline_after: float = Field(
        default=300.0, gt=0, description="seconds without heartbeat: 企业离线"
    )
    future_tolerance: float = Field(
        default=300.0, gt=0, description="readings later than now + this are refused"
    )
    call_after_minutes: dict[Priority, float] = Field(
        default_factory=lambda: {Priority.CRITICAL: 5.0},
        description="叫应: an enterprise alarm of this priority unacknowledged this long",
    )
    shifts: ShiftSchedule | None = Field(
        default=None,
        description="班次 of the park's duty room: the shift report's windows, and a report "
        "into <state>/reports after each shift",
    )

    _servers = field_validator("servers")(check_servers)
