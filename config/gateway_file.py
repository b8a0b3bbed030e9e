"""The gateway file: which site files, where readings go, the web app, notifications."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr

from config.base import Model
from config.notifications import NotificationSettings
from config.uplink import UplinkSettings

# ------------------------------------------------------------- gateway process


class InfluxV1(Model):
    """InfluxDB 1.x /write API (also InfluxDB 1.8+ and 3.x compatibility endpoints)."""

    kind: Literal["influx_v1"]
    url: str = "http://127.0.0.1:8086"
    database: str = "hazgw"
    retention_policy: str | None = None
    username: str | None = None
    password: SecretStr | None = None
    create_database: bool = Field(
        default=True, description="CREATE DATABASE on start (needs admin rights)"
    )


class InfluxV2(Model):
    """InfluxDB 2.x /api/v2/write through influxdb-client."""

    kind: Literal["influx_v2"]
    url: str = "http://127.0.0.1:8086"
    org: str
    bucket: str
    token: SecretStr


class StorageSettings(Model):
    target: Annotated[InfluxV1 | InfluxV2, Field(discriminator="kind")]
    batch_size: int = Field(default=5000, ge=1, le=50000, description="lines per write")
    flush_interval: float = Field(default=1.0, gt=0, description="seconds")
    buffer_capacity: int = Field(
        default=500_000, ge=1000, description="readings held while the database is away"
    )
    timeout: float = Field(default=10.0, gt=0)
    max_retry_delay: float = Field(default=30.0, gt=0)


class HttpSettings(Model):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)


class AlarmJournalSettings(Model):
    """The alarm journal (SQLite in the state folder): every alarm event, durably."""

    retention_days: float = Field(
        default=90.0,
        ge=30.0,
        description="days of alarm events kept; at least 30 (SAWS Order No. 40)",
    )


class GatewayConfig(Model):
    """The gateway process: which site files, where readings go, where the web app listens."""

    sites: list[Path] = Field(min_length=1, description="site files, relative to this file")
    storage: StorageSettings | None = None
    http: HttpSettings = HttpSettings()
    notifications: NotificationSettings | None = None
    alarm_journal: AlarmJournalSettings = AlarmJournalSettings()
    uplink: UplinkSettings | None = Field(
        default=None, description="forward everything to the park's NATS cluster"
    )
