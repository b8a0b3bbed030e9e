"""MQTT payloads → readings. Pure: no I/O, time comes in as ``now``.

Formats (``Subscription.format``):

- ``value``: the subscription names one point. The payload is a bare JSON number or
  boolean (``12.5``, ``true``), or an object ``{"value": 12.5, "ts": 1700000000.0}``
  whose ``ts`` (epoch seconds, optional) dates it; other keys of that object are ignored.
- ``object``: ``{"PDT-301": 1.2, "spark": false}``, keys being the points' payload keys
  (``MqttPoint.key``, default the tag). A ``"ts"`` member dates every value, unless a
  point of the device has the payload key ``ts``.
- ``batch``: ``[{"tag": "PDT-301", "value": 1.2, "ts": 1700000000.0}, …]``, ``tag`` being
  the payload key; ``ts`` is optional.

A value without a timestamp is dated at reception. Analog points take JSON numbers;
discrete points take ``true``/``false`` or ``0``/``1``. Strings are not numbers here.

What is wrong is reported per key as a ``PayloadError`` and never spoils the rest of the
payload. A bad value, or a bad timestamp, for a *known* point becomes a BAD reading with
reason ``decode_error`` dated at reception, so that the point visibly stops being good;
problems that name no known point (unknown key, a payload that is not JSON at all for
an ``object``/``batch`` subscription) yield no reading, only the error.

A retained message without its own timestamp may be days old: its good readings become
UNCERTAIN with reason ``stale``.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass, field
from enum import StrEnum

import orjson

from collectors.conditioning import condition
from collectors.readings import Quality, Reading, Reason, bad, good_in_range
from config.catalog import PointKey
from config.mqtt import MqttDevice, MqttPoint, PayloadFormat, Subscription
from config.points import DISCRETE_KINDS

# A device clock that was never set reports 1970 or its uptime; nothing real predates 2000.
OLDEST_PLAUSIBLE_TS = 946_684_800.0  # 2000-01-01T00:00:00Z

TIMESTAMP_KEY = "ts"

_FLOAT_MAX = sys.float_info.max


class Problem(StrEnum):
    """Why (part of) a payload was rejected; also the health counter suffix."""

    EMPTY = "empty"
    NOT_JSON = "not_json"
    WRONG_TYPE = "wrong_type"
    UNKNOWN_KEY = "unknown_key"
    NON_FINITE = "non_finite"
    FUTURE_TIMESTAMP = "future_timestamp"
    BAD_TIMESTAMP = "bad_timestamp"
    # Not about the payload itself: a message on a topic none of the device's
    # subscriptions matches (left over in a persistent broker session). Counted alike.
    NO_SUBSCRIPTION = "no_subscription"


@dataclass(frozen=True, slots=True)
class PayloadError:
    problem: Problem
    key: str | None  # the payload key or batch position concerned; None: the whole payload
    detail: str

    def __str__(self) -> str:
        where = f"key {self.key!r}: " if self.key is not None else ""
        return f"{where}{self.problem.value}: {self.detail}"


@dataclass(slots=True)
class Parsed:
    readings: list[Reading] = field(default_factory=list)
    errors: list[PayloadError] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Slot:
    """What one payload key stands for."""

    key: PointKey
    point: MqttPoint
    discrete: bool


class _NonFinite:
    """Stands for NaN/Infinity in a decoded payload, so that one such value is rejected
    on its own instead of failing the whole document."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _non_finite(text: str) -> _NonFinite:
    return _NonFinite(text)


def decode_json(payload: bytes) -> object:
    """JSON with NaN/Infinity kept as markers. Raises ValueError (not JSON, not UTF-8)
    or RecursionError (absurd nesting).

    orjson first (3–5× faster on the payloads seen here); whatever it refuses (NaN and
    Infinity, integers beyond 64 bits, UTF-16 text, bad JSON) goes to the standard
    decoder, so that the result, and the error, are exactly what it gives."""
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return json.loads(payload, parse_constant=_non_finite)


def _show(raw: object, limit: int = 60) -> str:
    text = repr(raw)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class PayloadParser:
    """Parses the payloads of one MQTT device of one site."""

    def __init__(self, site: str, device: MqttDevice) -> None:
        self.site = site
        self.device = device
        self.max_future_skew = device.max_future_skew
        self.by_payload_key: dict[str, Slot] = {}
        self.by_tag: dict[str, Slot] = {}
        for point in device.points:
            slot = Slot(PointKey(site, point.tag), point, point.kind in DISCRETE_KINDS)
            self.by_payload_key[point.payload_key] = slot
            self.by_tag[point.tag] = slot
        # An object payload's "ts" member is a timestamp unless a point is keyed "ts".
        self.object_ts = TIMESTAMP_KEY not in self.by_payload_key
        # Analog points by payload key: (point, low, high), finite bounds (a point without
        # a range takes any finite number), for the one-comparison check of a value.
        self.in_range: dict[str, tuple[PointKey, float, float]] = {}
        for name, slot in self.by_payload_key.items():
            if slot.discrete:
                continue
            span = slot.point.range
            low, high = (span.low, span.high) if span is not None else (-_FLOAT_MAX, _FLOAT_MAX)
            if math.isfinite(low) and math.isfinite(high):
                self.in_range[name] = (slot.key, low, high)

    def parse(
        self, subscription: Subscription, payload: bytes, now: float, *, retained: bool = False
    ) -> Parsed:
        result = Parsed()
        if subscription.format is PayloadFormat.VALUE:
            assert subscription.point is not None  # the config model guarantees it
            slot = self.by_tag[subscription.point]
            self._parse_value(slot, payload, now, retained, result)
            return result
        if not payload:
            result.errors.append(PayloadError(Problem.EMPTY, None, "empty payload"))
            return result
        try:
            document = decode_json(payload)
        except (ValueError, RecursionError) as error:
            result.errors.append(PayloadError(Problem.NOT_JSON, None, _not_json(payload, error)))
            return result
        if subscription.format is PayloadFormat.OBJECT:
            self._parse_object(document, now, retained, result)
        else:
            self._parse_batch(document, now, retained, result)
        return result

    # ------------------------------------------------------------------ formats

    def _parse_value(
        self, slot: Slot, payload: bytes, now: float, retained: bool, result: Parsed
    ) -> None:
        name = slot.point.tag
        if not payload:
            # An empty message is how a retained value is cleared: not a reading.
            result.errors.append(PayloadError(Problem.EMPTY, name, "empty payload"))
            return
        try:
            document = decode_json(payload)
        except (ValueError, RecursionError) as error:
            result.errors.append(PayloadError(Problem.NOT_JSON, name, _not_json(payload, error)))
            result.readings.append(bad(slot.key, now, Reason.DECODE_ERROR))
            return
        raw_ts: object = None
        if isinstance(document, dict):
            if "value" not in document:
                result.errors.append(
                    PayloadError(
                        Problem.WRONG_TYPE, name,
                        f"an object payload needs a 'value' member, got {_show(document)}",
                    )
                )
                result.readings.append(bad(slot.key, now, Reason.DECODE_ERROR))
                return
            raw_ts = document.get(TIMESTAMP_KEY)
            document = document["value"]
        self._add(slot, name, document, raw_ts, now, retained, result)

    def _parse_object(self, document: object, now: float, retained: bool, result: Parsed) -> None:
        if not isinstance(document, dict):
            result.errors.append(
                PayloadError(
                    Problem.WRONG_TYPE, None,
                    f"expected a JSON object of key → value, got {type(document).__name__}",
                )
            )
            return
        raw_ts = document.get(TIMESTAMP_KEY) if self.object_ts else None
        ts = self._shared_ts(raw_ts, now, retained)
        if ts is None:  # every member its own way: errors per key, stale readings
            for name, raw in document.items():
                self._member(name, raw, raw_ts, now, retained, result)
            return
        # The common case, in one pass: a float (or integer) within its analog point's
        # range is a GOOD reading at once; anything else takes the general path.
        in_range = self.in_range
        readings = result.readings
        for name, raw in document.items():
            bounds = in_range.get(name)
            if bounds is not None:
                if type(raw) is float:
                    if bounds[1] <= raw <= bounds[2]:
                        readings.append(good_in_range(bounds[0], raw, ts))
                        continue
                elif type(raw) is int and bounds[1] <= raw <= bounds[2]:
                    # Within finite bounds: the conversion cannot overflow.
                    readings.append(good_in_range(bounds[0], float(raw), ts))
                    continue
            self._member(name, raw, raw_ts, now, retained, result)

    def _shared_ts(self, raw_ts: object, now: float, retained: bool) -> float | None:
        """The time every member of an object payload is dated at, when one check of the
        payload's ``ts`` settles it; None when members must be judged one by one (a bad
        timestamp is reported per key; a retained payload without one is stale)."""
        if raw_ts is None:
            return None if retained else now
        checked = self._timestamp(TIMESTAMP_KEY, raw_ts, now)
        return None if isinstance(checked, PayloadError) else checked

    def _member(
        self, name: str, raw: object, raw_ts: object, now: float, retained: bool,
        result: Parsed,
    ) -> None:
        slot = self.by_payload_key.get(name)
        if slot is None:
            if not (self.object_ts and name == TIMESTAMP_KEY):
                result.errors.append(_unknown(name))
            return
        self._add(slot, name, raw, raw_ts, now, retained, result)

    def _parse_batch(self, document: object, now: float, retained: bool, result: Parsed) -> None:
        if not isinstance(document, list):
            result.errors.append(
                PayloadError(
                    Problem.WRONG_TYPE, None,
                    f"expected a JSON array of {{tag, value, ts}}, got {type(document).__name__}",
                )
            )
            return
        slots = self.by_payload_key
        for index, item in enumerate(document):
            if not isinstance(item, dict) or not isinstance(item.get("tag"), str):
                result.errors.append(
                    PayloadError(
                        Problem.WRONG_TYPE, f"[{index}]",
                        f"expected {{\"tag\": str, \"value\": …}}, got {_show(item)}",
                    )
                )
                continue
            name: str = item["tag"]
            slot = slots.get(name)
            if slot is None:
                result.errors.append(_unknown(name))
                continue
            if "value" not in item:
                result.errors.append(PayloadError(Problem.WRONG_TYPE, name, "no 'value' member"))
                result.readings.append(bad(slot.key, now, Reason.DECODE_ERROR))
                continue
            self._add(slot, name, item["value"], item.get(TIMESTAMP_KEY), now, retained, result)

    # ------------------------------------------------------------------- values

    def _add(
        self, slot: Slot, name: str, raw: object, raw_ts: object, now: float, retained: bool,
        result: Parsed,
    ) -> None:
        """One value of one known point: a conditioned reading, or an error and a BAD one."""
        ts = now
        if raw_ts is not None:
            checked = self._timestamp(name, raw_ts, now)
            if isinstance(checked, PayloadError):
                result.errors.append(checked)
                result.readings.append(bad(slot.key, now, Reason.DECODE_ERROR))
                return
            ts = checked
        value = _coerce(slot, name, raw)
        if isinstance(value, PayloadError):
            result.errors.append(value)
            result.readings.append(bad(slot.key, now, Reason.DECODE_ERROR))
            return
        reading = condition(slot.key, slot.point, value, ts)
        if retained and raw_ts is None and reading.quality is Quality.GOOD:
            reading = Reading(slot.key, reading.value, ts, Quality.UNCERTAIN, Reason.STALE)
        result.readings.append(reading)

    def _timestamp(self, name: str, raw: object, now: float) -> float | PayloadError:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            return PayloadError(
                Problem.BAD_TIMESTAMP, name, f"ts must be epoch seconds, got {_show(raw)}"
            )
        try:
            ts = float(raw)
        except OverflowError:
            ts = math.inf
        if not math.isfinite(ts):
            return PayloadError(Problem.BAD_TIMESTAMP, name, f"ts {_show(raw)} is not finite")
        if ts > now + self.max_future_skew:
            hint = " (milliseconds instead of seconds?)" if ts > now * 100 else ""
            return PayloadError(
                Problem.FUTURE_TIMESTAMP, name,
                f"ts {ts:.3f} lies {ts - now:.0f} s in the future, more than the allowed "
                f"{self.max_future_skew:g} s{hint}",
            )
        if ts < OLDEST_PLAUSIBLE_TS:
            return PayloadError(
                Problem.BAD_TIMESTAMP, name,
                f"ts {ts:.3f} predates 2000-01-01: the device clock is not set",
            )
        return ts


def _coerce(slot: Slot, name: str, raw: object) -> float | bool | PayloadError:
    if isinstance(raw, _NonFinite):
        return PayloadError(Problem.NON_FINITE, name, f"{raw.text} is not a measurement")
    if slot.discrete:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int | float) and raw in (0, 1):
            return bool(raw)
        return PayloadError(
            Problem.WRONG_TYPE, name, f"a discrete point takes true/false or 0/1, got {_show(raw)}"
        )
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return PayloadError(
            Problem.WRONG_TYPE, name, f"an analog point takes a JSON number, got {_show(raw)}"
        )
    try:
        number = float(raw)
    except OverflowError:  # an integer beyond float range
        number = math.inf
    if not math.isfinite(number):
        return PayloadError(Problem.NON_FINITE, name, f"{_show(raw)} is not finite")
    return number


def _unknown(name: str) -> PayloadError:
    return PayloadError(Problem.UNKNOWN_KEY, name, "no point of this device has this payload key")


def _not_json(payload: bytes, error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "nested too deeply"
    return f"not JSON ({error}): {_show(payload[:80])}"
