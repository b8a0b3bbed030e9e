"""MQTT devices: broker, subscriptions, payload formats."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from config.base import Model
from config.points import (
    PointBase,
)
from config.topic_filters import topic_filter_problem

# ------------------------------------------------------------------------ mqtt


class PayloadFormat(StrEnum):
    VALUE = "value"  # bare JSON value: 12.5, true
    OBJECT = "object"  # {"PDT-301": 1.2, "TT-302": 45}
    BATCH = "batch"  # [{"tag": "PDT-301", "value": 1.2, "ts": 1700000000.0}, ...]


class Subscription(Model):
    topic: str = Field(min_length=1, description="MQTT topic filter; + and # allowed")
    qos: Literal[0, 1, 2] = 1
    format: PayloadFormat
    point: str | None = Field(default=None, description="the point tag, for format value")

    @field_validator("topic")
    @classmethod
    def _valid_filter(cls, topic: str) -> str:
        problem = topic_filter_problem(topic)
        if problem is not None:
            shown = topic if len(topic) <= 80 else topic[:79] + "…"
            raise ValueError(f"invalid topic filter {shown!r}: {problem}")
        return topic

    @model_validator(mode="after")
    def _point_for_value(self) -> Subscription:
        if (self.format is PayloadFormat.VALUE) != (self.point is not None):
            raise ValueError("format value needs `point: TAG`; object and batch take none")
        return self


class MqttPoint(PointBase):
    key: str | None = Field(default=None, description="key in object/batch payloads; default: tag")

    @property
    def payload_key(self) -> str:
        return self.key or self.tag


class Tls(Model):
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    insecure: bool = False


class Broker(Model):
    host: str
    port: int = Field(default=1883, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    client_id: str | None = Field(
        default=None,
        description="MQTT client id; default <gateway id>-<site code>-<device id>, stable, so"
        " that the broker keeps the session (and the messages meant for us) while we are away",
    )
    clean_session: bool = Field(
        default=False,
        description="true: the broker forgets our subscriptions and queued messages whenever"
        " the gateway disconnects (messages sent meanwhile are lost)",
    )
    tls: Tls | None = None
    keepalive: int = Field(default=30, ge=5, le=3600)


class MqttDevice(Model):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = ""
    transport: Literal["mqtt"]
    broker: Broker
    subscriptions: list[Subscription] = Field(min_length=1)
    max_future_skew: float = Field(
        default=300.0, gt=0, description="seconds a payload timestamp may lie in the future"
    )
    points: list[MqttPoint] = Field(min_length=1)


