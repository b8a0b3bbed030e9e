"""What travels from an enterprise to the park: JSON messages, one shape per kind.

Every message carries the enterprise code and gateway code (the central side checks the
code against the subject it arrived on). A readings batch also carries ``epoch`` (when the
uplink started, ms) and ``seq`` (its number within that epoch): the central side refuses a
batch older than the last it accepted (a replay), and a redelivered one overwrites itself.

    readings:  {"v":1,"enterprise","gateway","epoch","seq","sent",
                "rows":[[tag, source, kind, ts, value|null, quality, reason], ...]}
    events:    {"v":1,"enterprise","gateway","seq", "event":{alarm_id, tag, type, kind, state,
                priority, ts, value, limit, user, comment, source}}
    heartbeat: {"v":1,"enterprise","gateway","ts","epoch","backlog","dropped","last_success",
                "last_data","active":[{alarm_id, tag, type, priority, state, raised_at,
                acked_at, acked_by}]}
    site:      {"v":1,"enterprise","gateway","name","hazard_sources":[...],"devices":[...],
                "points":[...],"contacts":[...]}

Decoding is strict and pure: anything else raises ``EnvelopeError`` with a reason that the
central side counts per enterprise.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from alerting.events import AlarmEvent
from alerting.statemachine import AlarmRecord
from collectors.readings import Quality, Reading, Reason
from config.catalog import Catalog
from config.site import Site
from config.uplink import Contact

VERSION = 1


class EnvelopeError(ValueError):
    """A message the park refuses. ``reason`` is a short counter name."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def _dumps(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


# ------------------------------------------------------------------------------ encoding


class RowEncoder:
    """Readings as rows; the hazard source and kind of each point come from the catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self._meta = {info.key: (info.hazard_source.id, info.kind.value) for info in catalog}

    def rows(self, readings: Iterable[Reading]) -> list[list[object]]:
        rows: list[list[object]] = []
        for reading in readings:
            source, kind = self._meta.get(reading.point, ("", "unknown"))
            value = reading.value
            if isinstance(value, bool):
                value = 1.0 if value else 0.0
            rows.append(
                [reading.point.tag, source, kind, reading.ts, value,
                 reading.quality.value, reading.reason.value]
            )
        return rows


def readings_message(
    code: str, gateway: str, epoch: int, seq: int, sent: float, rows: list[list[object]]
) -> bytes:
    return _dumps(
        {"v": VERSION, "enterprise": code, "gateway": gateway, "epoch": epoch, "seq": seq,
         "sent": sent, "rows": rows}
    )


def event_message(code: str, gateway: str, event: AlarmEvent) -> bytes:
    value = event.value
    if isinstance(value, bool):
        value = 1.0 if value else 0.0
    return _dumps(
        {
            "v": VERSION, "enterprise": code, "gateway": gateway, "seq": event.seq,
            "event": {
                "alarm_id": event.alarm_id, "tag": event.point.tag,
                "type": event.alarm_type.value, "kind": event.kind.value,
                "state": event.state.value, "priority": event.priority.value,
                "ts": event.ts, "value": value, "limit": event.limit, "user": event.user,
                "comment": event.comment, "source": event.hazard_source,
            },
        }
    )


def heartbeat_message(
    code: str,
    gateway: str,
    *,
    ts: float,
    epoch: int,
    backlog: int,
    dropped: int,
    last_success: float | None,
    last_data: float | None,
    active: Sequence[AlarmRecord],
) -> bytes:
    return _dumps(
        {
            "v": VERSION, "enterprise": code, "gateway": gateway, "ts": ts, "epoch": epoch,
            "backlog": backlog, "dropped": dropped, "last_success": last_success,
            "last_data": last_data,
            "active": [
                {
                    "alarm_id": record.alarm_id, "tag": record.point.tag,
                    "type": record.alarm_type.value, "priority": record.priority.value,
                    "state": record.state.value, "raised_at": record.raised_at,
                    "acked_at": record.acked_at, "acked_by": record.acked_by,
                    "source": record.hazard_source,
                }
                for record in active
            ],
        }
    )


def site_message(site: Site, gateway: str, contacts: Sequence[Contact]) -> bytes:
    return _dumps(
        {
            "v": VERSION, "enterprise": site.enterprise.code, "gateway": gateway,
            "name": site.enterprise.name,
            "hazard_sources": [
                {"id": s.id, "name": s.name, "grade": s.grade, "kind": s.kind.value}
                for s in site.hazard_sources
            ],
            "devices": [{"id": d.id, "transport": d.transport} for d in site.devices],
            "points": [
                {"tag": p.tag, "name": p.name, "kind": p.kind.value, "unit": p.unit,
                 "source": p.hazard_source, "device": d.id}
                for d, p in site.points()
            ],
            "contacts": [c.model_dump() for c in contacts],
        }
    )


# ------------------------------------------------------------------------------ decoding


@dataclass(frozen=True, slots=True)
class Row:
    tag: str
    source: str
    kind: str
    ts: float
    value: float | None
    quality: Quality
    reason: Reason


@dataclass(frozen=True, slots=True)
class ReadingsBatch:
    enterprise: str
    gateway: str
    epoch: int
    seq: int
    sent: float
    rows: list[Row]


def _load(data: bytes) -> dict[str, Any]:
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EnvelopeError("malformed", f"not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise EnvelopeError("malformed", "not a JSON object")
    if body.get("v") != VERSION:
        raise EnvelopeError("malformed", f"version {body.get('v')!r}, expected {VERSION}")
    return body


def _field(body: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = body.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise EnvelopeError("malformed", f"field {name!r}: {value!r}")
    return value


def check_enterprise(body: dict[str, Any], subject_code: str) -> str:
    """The code in the message must be the code of its subject (which NATS permissions tie
    to the publishing enterprise's credentials)."""
    code = _field(body, "enterprise", str)
    if code != subject_code:
        raise EnvelopeError(
            "wrong_code", f"message says enterprise {code!r} on subject of {subject_code!r}"
        )
    return str(code)


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EnvelopeError("malformed", f"{what}: {value!r} is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise EnvelopeError("malformed", f"{what}: {value!r} is not finite")
    return number


def decode_readings(data: bytes, subject_code: str) -> ReadingsBatch:
    body = _load(data)
    code = check_enterprise(body, subject_code)
    rows_in = _field(body, "rows", list)
    rows: list[Row] = []
    for index, raw in enumerate(rows_in):
        where = f"row {index}"
        if not isinstance(raw, list) or len(raw) != 7:
            raise EnvelopeError("malformed", f"{where}: expected 7 fields, got {raw!r}")
        tag, source, kind, ts, value, quality, reason = raw
        if not all(isinstance(text, str) for text in (tag, source, kind)) or not tag:
            raise EnvelopeError("malformed", f"{where}: tag/source/kind must be strings")
        try:
            q, r = Quality(quality), Reason(reason)
        except ValueError as exc:
            raise EnvelopeError("malformed", f"{where}: {exc}") from exc
        number = None if value is None else _number(value, f"{where} value")
        if q is Quality.GOOD and number is None:
            raise EnvelopeError("malformed", f"{where}: a good reading without a value")
        rows.append(Row(tag, source, kind, _number(ts, f"{where} ts"), number, q, r))
    return ReadingsBatch(
        enterprise=code,
        gateway=str(_field(body, "gateway", str)),
        epoch=int(_field(body, "epoch", int)),
        seq=int(_field(body, "seq", int)),
        sent=_number(body.get("sent"), "sent"),
        rows=rows,
    )


@dataclass(frozen=True, slots=True)
class EventRecord:
    enterprise: str
    seq: int
    alarm_id: str
    tag: str
    alarm_type: str
    kind: str
    state: str
    priority: str
    ts: float
    value: float | None
    limit: float | None
    user: str | None
    comment: str | None
    source: str


def decode_event(data: bytes, subject_code: str) -> EventRecord:
    body = _load(data)
    code = check_enterprise(body, subject_code)
    event = _field(body, "event", dict)
    strings = {}
    for name in ("alarm_id", "tag", "type", "kind", "state", "priority"):
        value = event.get(name)
        if not isinstance(value, str) or not value:
            raise EnvelopeError("malformed", f"event {name}: {value!r}")
        strings[name] = value
    optional: dict[str, str | None] = {}
    for name in ("user", "comment"):
        value = event.get(name)
        if value is not None and not isinstance(value, str):
            raise EnvelopeError("malformed", f"event {name}: {value!r}")
        optional[name] = value
    value = event.get("value")
    limit = event.get("limit")
    return EventRecord(
        enterprise=code,
        seq=int(_field(body, "seq", int)),
        alarm_id=strings["alarm_id"],
        tag=strings["tag"],
        alarm_type=strings["type"],
        kind=strings["kind"],
        state=strings["state"],
        priority=strings["priority"],
        ts=_number(event.get("ts"), "event ts"),
        value=None if value is None else _number(value, "event value"),
        limit=None if limit is None else _number(limit, "event limit"),
        user=optional["user"],
        comment=optional["comment"],
        source=str(event.get("source") or ""),
    )


def decode_state(data: bytes, subject_code: str) -> dict[str, Any]:
    """A heartbeat or site description: checked for its code, kept as the JSON object
    (the registry reads the fields it shows and tolerates missing optional ones)."""
    body = _load(data)
    check_enterprise(body, subject_code)
    return body
