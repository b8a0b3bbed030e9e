"""``GET /api/points``: every configured point and its latest reading."""

from __future__ import annotations

from dashboard.schemas.base import Schema

Value = float | bool | None
# A reading, as on the websocket: [value, quality, reason, ts]. The value is null whenever
# the quality is bad (a faulty measurement never shows a number); reason "" when good.
ReadingOut = tuple[Value, str, str, float]


class HazardSourceOut(Schema):
    id: str
    name: str
    grade: int
    kind: str


class RangeOut(Schema):
    low: float
    high: float


class PointOut(Schema):
    id: str  # "<site>/<tag>", the key used on the websocket
    site: str
    enterprise: str
    hazard_source: HazardSourceOut
    device: str
    device_name: str  # the device's name in the site file (its id when it has none)
    tag: str
    name: str
    kind: str
    unit: str
    range: RangeOut | None
    gas: str | None
    heartbeat: bool  # a controller's heartbeat bit, not a detector
    reading: ReadingOut | None  # the latest; None until the point has reported once


class PointsOut(Schema):
    generated_at: str
    generated_at_epoch: float
    epoch: str  # websocket hub epoch and sequence when the values were read
    seq: int
    points: list[PointOut]
