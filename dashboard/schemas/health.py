"""``GET /api/health``: collectors, the gateway's other parts and the websocket hub."""

from __future__ import annotations

from typing import Literal

from dashboard.schemas.base import Schema


class DeviceHealthOut(Schema):
    device_id: str
    state: str
    ok: bool
    last_success: float | None
    last_success_time: str | None
    last_success_age_s: float | None
    last_error: str | None
    last_error_at: float | None
    last_error_time: str | None
    error_count: int
    request_count: int


class CollectorHealthOut(Schema):
    name: str
    kind: str
    state: str
    ok: bool
    devices: list[DeviceHealthOut]
    counters: dict[str, int]


class ComponentOut(Schema):
    name: str
    ok: bool
    counters: dict[str, int | float]
    detail: str | None


class WebsocketOut(Schema):
    epoch: str
    seq: int
    clients: int
    lagging_clients: int
    readings_in: int
    events_in: int
    frames: int
    snapshots: int
    resumed: int
    catch_ups: int
    kicked_slow: int
    missing_live: int
    ring_frames: int
    ring_oldest_seq: int | None


Status = Literal["ok", "degraded", "down"]


class HealthOut(Schema):
    status: Status
    problems: list[str]
    generated_at: str
    generated_at_epoch: float
    collectors: list[CollectorHealthOut]
    components: list[ComponentOut]
    websocket: WebsocketOut
