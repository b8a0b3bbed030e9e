"""The websocket wire format (docs/websocket.md): pure encoding and parsing, no I/O.

Readings travel as ``{"<site>/<tag>": [value, quality, reason, ts]}``: a compact map that
the page can merge straight into its state; ``/api/points`` gives each point's reading in
the same ``[value, quality, reason, ts]`` shape. Site codes and tags cannot contain ``/``
(config pattern ``[A-Za-z0-9_.-]+``), so the point id splits unambiguously.

Alarm events travel as ``/api/alarms/history`` answers them (``EventOut``), and the alarms
they changed as ``/api/alarms`` lists them (``AlarmOut``), with their hazard sources as
``/api/hazard-sources`` does (``HazardSourceOut``): a screen applies those and never asks
for the lists again but after a snapshot.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from alerting.events import AlarmEvent
from collectors.readings import Reading, Value
from config.catalog import PointKey
from dashboard.schemas.alarms import event_out

PROTOCOL_VERSION = 1

# Close codes the server uses (4000-4999 are for applications, RFC 6455 §7.4.2).
CLOSE_TOO_SLOW = 4008  # the client could not keep up with alarm events: reconnect and resume
CLOSE_GOING_AWAY = 1001  # the server shuts down

EncodedReading = list[Any]  # [value, quality, reason, ts]


class ProtocolError(ValueError):
    """A client message that does not follow docs/websocket.md."""


@dataclass(frozen=True, slots=True)
class Resume:
    """A client's wish to continue from the last frame it applied."""

    epoch: str
    seq: int


def point_id(key: PointKey) -> str:
    return f"{key.site}/{key.tag}"


def encode_reading(reading: Reading) -> EncodedReading:
    # A reading's value is never NaN or infinite (a Reading refuses them): valid JSON.
    value: Value = reading.value
    return [value, reading.quality.value, reading.reason.value, round(reading.ts, 3)]


def encode_readings(readings: Iterable[Reading]) -> dict[str, EncodedReading]:
    return {point_id(reading.point): encode_reading(reading) for reading in readings}


def encode_event(event: AlarmEvent) -> dict[str, Any]:
    """The event as ``/api/alarms/history`` answers it."""
    return event_out(event).model_dump(mode="json")


@dataclass(frozen=True, slots=True)
class AlarmChanges:
    """The current records of the alarms a delta's events touched (``AlarmOut`` as JSON; a
    record in state ``normal`` has left the active list) and of their hazard sources
    (``HazardSourceOut`` as JSON)."""

    alarms: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)


NO_CHANGES = AlarmChanges()


def dumps(message: dict[str, Any]) -> str:
    # allow_nan=False: a stray NaN must fail loudly here, not break JSON.parse in a browser.
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def snapshot_message(
    epoch: str, seq: int, readings: Iterable[Reading], now: float, reason: str
) -> str:
    return dumps(
        {
            "type": "snapshot",
            "v": PROTOCOL_VERSION,
            "epoch": epoch,
            "seq": seq,
            "ts": round(now, 3),
            "reason": reason,
            "readings": encode_readings(readings),
        }
    )


def delta_message(
    seq: int,
    prev: int,
    readings: Iterable[Reading],
    events: Sequence[AlarmEvent],
    changes: AlarmChanges = NO_CHANGES,
) -> str:
    return dumps(
        {
            "type": "delta",
            "seq": seq,
            "prev": prev,
            "events": [encode_event(event) for event in events],
            "alarms": changes.alarms,
            "sources": changes.sources,
            "readings": encode_readings(readings),
        }
    )


def heartbeat_message(seq: int, now: float) -> str:
    return dumps({"type": "heartbeat", "seq": seq, "ts": round(now, 3)})


def parse_hello(text: str) -> Resume | None:
    """The client's first message: ``{"type": "hello", "epoch": "...", "resume": 41}``.

    ``resume`` null or absent asks for a snapshot. Unknown keys are ignored so that newer
    clients can talk to this server.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ProtocolError(f"hello is not JSON: {error}") from error
    if not isinstance(data, dict):
        raise ProtocolError("hello must be a JSON object")
    kind = data.get("type", "hello")
    if kind != "hello":
        raise ProtocolError(f"expected a hello message, got type {kind!r}")
    resume = data.get("resume")
    if resume is None:
        return None
    if isinstance(resume, bool) or not isinstance(resume, int) or resume < 0:
        raise ProtocolError(f"resume must be a non-negative integer, got {resume!r}")
    epoch = data.get("epoch")
    if not isinstance(epoch, str) or not epoch:
        raise ProtocolError("resume needs the epoch of the snapshot it continues")
    return Resume(epoch=epoch, seq=resume)
