"""Readings and alarm events as InfluxDB line protocol. Pure: no I/O.

Series design (the reasons are in docs/storage.md):

    reading,kind=level,quality=good,site=DEMO-CHEM,source=HS-TF1,tag=LT-101 value=12.5 <ns>
    reading,kind=level,quality=bad,site=DEMO-CHEM,source=HS-TF1,tag=LT-101 reason="comm_loss" <ns>

``value`` is always a float (booleans are 1.0/0.0) so the measurement has one field type and
InfluxDB 1.x never refuses a batch for a field-type conflict. ``quality`` is a tag, ``reason`` a
string field present only when the reading is not good.

Every line is one physical line: string fields escape line breaks as ``\\n`` (InfluxDB 1.6
accepts a raw newline inside a quoted field, but VictoriaMetrics and the InfluxDB docs do not),
so a body can always be split at ``\\n`` to halve a batch the server finds too large.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from alerting.events import AlarmEvent
from collectors.readings import Quality, Reading, Reason
from config.catalog import Catalog, PointKey

READING_MEASUREMENT = "reading"
ALARM_MEASUREMENT = "alarm_event"


class LineProtocolError(ValueError):
    """A name or value that line protocol cannot carry (line break or trailing backslash in a
    tag, empty key, ...). The message names the offending text."""


# ------------------------------------------------------------------------------- escaping

_TAG_ESCAPES = str.maketrans({",": "\\,", "=": "\\=", " ": "\\ "})
_MEASUREMENT_ESCAPES = str.maketrans({",": "\\,", " ": "\\ "})
_STRING_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def _check_name(text: str, what: str) -> None:
    if not text:
        raise LineProtocolError(f"empty {what}")
    if "\n" in text or "\r" in text:
        raise LineProtocolError(f"{what} {text!r} contains a line break")
    # InfluxDB 1.x keeps backslashes literally except before , = and space, so a backslash
    # at the end would escape the separator that follows it: "invalid tag format".
    if text.endswith("\\"):
        raise LineProtocolError(f"{what} {text!r} ends with a backslash")


def escape_tag(text: str, what: str = "tag") -> str:
    """Escape a tag key, tag value or field key: commas, equals signs and spaces."""
    _check_name(text, what)
    return text.translate(_TAG_ESCAPES)


def escape_measurement(text: str) -> str:
    _check_name(text, "measurement")
    return text.translate(_MEASUREMENT_ESCAPES)


def quote_string(text: str) -> str:
    """A string field value: quoted, with backslashes, quotes and line breaks escaped."""
    return '"' + text.translate(_STRING_ESCAPES) + '"'


def format_float(value: float | bool) -> str | None:
    """A float field, or None when InfluxDB cannot store it (NaN, ±inf)."""
    number = float(value)
    if not math.isfinite(number):
        return None
    return repr(number)


def series_key(measurement: str, tags: Mapping[str, str]) -> str:
    """``measurement,k1=v1,k2=v2`` with tags sorted by key (InfluxDB's own order, which
    saves it a sort per line) and empty values left out (line protocol has no empty tag)."""
    parts = [escape_measurement(measurement)]
    for key in sorted(tags):
        value = tags[key]
        if value:
            parts.append(f"{escape_tag(key, 'tag key')}={escape_tag(value, f'tag {key}')}")
    return ",".join(parts)


def timestamp_ns(ts: float) -> int:
    """Epoch seconds to nanoseconds, rounded to the microsecond.

    A float of epoch seconds carries about 0.2 µs of resolution today, so the digits below the
    microsecond are noise; rounding makes the same reading always land on the same nanosecond
    (a rewrite after a retry then overwrites instead of duplicating).
    """
    return round(ts * 1_000_000) * 1000


# ------------------------------------------------------------------------------- readings

_QUALITIES = (Quality.GOOD, Quality.UNCERTAIN, Quality.BAD)
_REASON_FIELDS = {reason: f"reason={quote_string(reason.value)}" for reason in Reason}


@dataclass(slots=True)
class EncodedLines:
    """Lines ready to send, and the readings that could not be encoded (with why)."""

    lines: list[str]
    unencodable: list[tuple[Reading, str]] = field(default_factory=list)

    def body(self) -> bytes:
        return encode_body(self.lines)


def encode_body(lines: Sequence[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode() if lines else b""


class ReadingEncoder:
    """Encodes batches of readings, caching each point's escaped series key per quality.

    The catalog supplies the series tags (kind, hazard source). A reading of a point the
    catalog does not know is still written, tagged with site, tag and quality only: storage
    is not the place to lose data over a configuration mismatch.
    """

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        # point -> (good prefix, uncertain prefix, bad prefix), or the reason it cannot be encoded
        self._prefixes: dict[PointKey, tuple[str, str, str] | str] = {}
        for info in catalog:
            self._prefixes[info.key] = self._build(info.key)

    def _build(self, point: PointKey) -> tuple[str, str, str] | str:
        info = self._catalog.get(point)
        tags = {"site": point.site, "tag": point.tag}
        if info is not None:
            tags["kind"] = info.kind.value
            tags["source"] = info.hazard_source.id
        try:
            return tuple(  # type: ignore[return-value]
                series_key(READING_MEASUREMENT, {**tags, "quality": quality.value}) + " "
                for quality in _QUALITIES
            )
        except LineProtocolError as exc:
            return f"point {point}: {exc}"

    def encode(self, readings: Iterable[Reading]) -> EncodedLines:
        """One line per reading; the hot path does one dict lookup and one f-string each."""
        lines: list[str] = []
        append = lines.append
        unencodable: list[tuple[Reading, str]] = []
        prefixes = self._prefixes
        good = Quality.GOOD
        uncertain = Quality.UNCERTAIN
        # A poll or a payload stamps all its readings alike: format each timestamp once.
        last_ts: float | None = None
        stamp = ""
        for reading in readings:
            point, value, ts_s, quality, reason_code = reading  # a tuple: one C unpack
            entry = prefixes.get(point)
            if entry is None:
                entry = prefixes[point] = self._build(point)
            if entry.__class__ is str:
                unencodable.append((reading, entry))  # type: ignore[arg-type]
                continue
            if ts_s != last_ts:
                last_ts = ts_s
                stamp = f" {round(ts_s * 1_000_000) * 1000}"
            if quality is good:
                if value.__class__ is float:  # always finite: a Reading refuses NaN and ±inf
                    append(f"{entry[0]}value={value!r}{stamp}")
                    continue
                number = None if value is None else format_float(value)
                if number is None:
                    unencodable.append(
                        (reading, f"point {point}: good reading without a finite value "
                                  f"({value!r})")
                    )
                    continue
                append(f"{entry[0]}value={number}{stamp}")
                continue
            prefix = entry[1] if quality is uncertain else entry[2]
            reason = _REASON_FIELDS[reason_code]
            number = None if value is None else format_float(value)
            if number is None:
                append(f"{prefix}{reason}{stamp}")
            else:
                append(f"{prefix}value={number},{reason}{stamp}")
        return EncodedLines(lines, unencodable)


# --------------------------------------------------------------------------- alarm events


def alarm_event_line(event: AlarmEvent, catalog: Catalog | None = None) -> str:
    """One alarm event as a line of measurement ``alarm_event``.

    Tags (what one filters and groups by, all low-cardinality): event, priority, site, source,
    tag, type. Fields: alarm_id, state, seq (integer), and value, limit, user, comment when set.
    The nanosecond timestamp carries ``seq % 1000`` below the microsecond so that two events
    of one alarm in the same microsecond (e.g. two notifications) are two points, not one
    overwriting the other.
    """
    tags = {
        "event": event.kind.value,
        "priority": event.priority.value,
        "site": event.point.site,
        "tag": event.point.tag,
        "type": event.alarm_type.value,
    }
    if catalog is not None:
        info = catalog.get(event.point)
        if info is not None:
            tags["source"] = info.hazard_source.id
    fields = [
        f"alarm_id={quote_string(event.alarm_id)}",
        f"state={quote_string(event.state.value)}",
        f"seq={int(event.seq)}i",
    ]
    if event.value is not None:
        number = format_float(event.value)
        if number is not None:
            fields.append(f"value={number}")
    if event.limit is not None:
        number = format_float(event.limit)
        if number is not None:
            fields.append(f"limit={number}")
    if event.user is not None:
        fields.append(f"user={quote_string(event.user)}")
    if event.comment is not None:
        fields.append(f"comment={quote_string(event.comment)}")
    ts = timestamp_ns(event.ts) + event.seq % 1000
    return f"{series_key(ALARM_MEASUREMENT, tags)} {','.join(fields)} {ts}"


def encode_alarm_event_lines(
    events: Sequence[AlarmEvent], catalog: Catalog | None = None
) -> list[str]:
    """Alarm events as lines (one event per line), ready for ``InfluxWriter.write_lines``."""
    return [alarm_event_line(event, catalog) for event in events]
