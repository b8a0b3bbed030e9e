"""The gateway file: which site files, where readings go, the web app, notifications."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, IPvAnyNetwork, SecretStr, field_validator, model_validator

from config.base import Model
from config.notifications import EmailChannel, NotificationSettings
from config.shifts import ReportSettings, ShiftSchedule
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

    @model_validator(mode="after")
    def _one_place_for_credentials(self) -> InfluxV1:
        # The HTTP client refuses both at once, at the first write: say so at load time.
        if "@" in urlsplit(self.url).netloc and (self.username or self.password):
            raise ValueError(
                "credentials in the url and in username/password: give them in one place"
            )
        return self


class InfluxV2(Model):
    """InfluxDB 2.x /api/v2/write through influxdb-client."""

    kind: Literal["influx_v2"]
    url: str = "http://127.0.0.1:8086"
    org: str
    bucket: str
    token: SecretStr


class BufferSettings(Model):
    """The durable store-and-forward buffer in the state folder, in front of the database:
    a reading leaves it only once the database stored it."""

    max_bytes: int | None = Field(
        default=None,
        ge=64 * 1024,
        description="bytes on disk; when full the oldest readings are dropped and counted."
        " Default: 24 h at readings_per_second (at least 64 MiB)",
    )
    readings_per_second: float | None = Field(
        default=None,
        gt=0,
        description="the expected reading rate, for sizing; default: estimated from the site"
        " files (each Modbus point once per poll interval, each MQTT point once a second)",
    )
    commit_interval: float = Field(
        default=0.1,
        gt=0,
        le=10.0,
        description="seconds between group commits (fsync); the most a kill -9 or power cut"
        " can lose of polled readings",
    )
    commit_every: int = Field(
        default=10_000, ge=1, description="readings that force a commit sooner; 1: every batch"
    )


class StorageSettings(Model):
    target: Annotated[InfluxV1 | InfluxV2, Field(discriminator="kind")]
    batch_size: int = Field(default=5000, ge=1, le=50000, description="lines per write")
    flush_interval: float = Field(default=1.0, gt=0, description="seconds")
    buffer_capacity: int = Field(
        default=200_000,
        ge=1000,
        description="newest buffered readings also kept in memory (the rest are read back"
        " from the durable buffer on disk)",
    )
    buffer: BufferSettings = BufferSettings()
    timeout: float = Field(default=10.0, gt=0)
    max_retry_delay: float = Field(default=30.0, gt=0)


class HttpSettings(Model):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    trusted_proxies: list[IPvAnyNetwork] = Field(
        default_factory=list,
        max_length=64,
        description="reverse proxies (addresses or networks) whose Forwarded / "
        "X-Forwarded-For headers name the client; none by default (docs/security.md)",
    )
    public_url: str | None = Field(
        default=None,
        max_length=300,
        description="the address people reach this gateway at (https://hazgw.example.com); "
        "notices then carry an acknowledgement link <public_url>/a/<token>; unset: no link",
    )

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{url!r} is not an http(s) URL")
        if parts.query or parts.fragment:
            raise ValueError("public_url takes no query or fragment")
        return url.rstrip("/")


class AlarmJournalSettings(Model):
    """The alarm journal (SQLite in the state folder): every alarm event, durably."""

    retention_days: float = Field(
        default=90.0,
        ge=30.0,
        description="days of alarm events kept; at least 30 (SAWS Order No. 40)",
    )


class GatewayConfig(Model):
    """The gateway process: which site files, where readings go, where the web app listens."""

    gateway_id: str = Field(
        default="hazgw",
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="names this gateway to brokers (MQTT client ids); distinct per gateway",
    )
    sites: list[Path] = Field(min_length=1, description="site files, relative to this file")
    storage: StorageSettings | None = None
    http: HttpSettings = HttpSettings()
    notifications: NotificationSettings | None = None
    alarm_journal: AlarmJournalSettings = AlarmJournalSettings()
    uplink: UplinkSettings | None = Field(
        default=None, description="forward everything to the park's NATS cluster"
    )
    shifts: ShiftSchedule | None = Field(default=None, description="班次: the duty schedule")
    reports: ReportSettings | None = Field(
        default=None, description="日报/班报/月报 made on a schedule into <state>/reports"
    )

    @model_validator(mode="after")
    def _report_email(self) -> GatewayConfig:
        # Reports by email borrow a notifications email channel's server and sender: a name
        # that is not one would leave the reports unsent without a word.
        name = self.reports.email_channel if self.reports is not None else None
        if name is None:
            return self
        channels = self.notifications.channels if self.notifications is not None else {}
        if not isinstance(channels.get(name), EmailChannel):
            emails = sorted(k for k, c in channels.items() if isinstance(c, EmailChannel))
            raise ValueError(
                f"reports.email_channel {name!r} is not an email channel of notifications: "
                f"(email channels: {', '.join(emails) or 'none'})"
            )
        return self
