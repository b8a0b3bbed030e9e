"""Line protocol: escaping, values, qualities, reasons, timestamps, alarm events (tables)."""

from __future__ import annotations

import math

import pytest
from storage_helpers import make_site

from alerting.events import AlarmEvent, AlarmState, EventKind, alarm_id
from collectors.readings import Quality, Reading, Reason, Value, bad
from config.catalog import Catalog, PointKey
from config.vocabulary import AlarmType, Priority
from gateway.storage.lineprotocol import (
    LineProtocolError,
    ReadingEncoder,
    alarm_event_line,
    encode_alarm_event_lines,
    encode_body,
    escape_measurement,
    escape_tag,
    format_float,
    quote_string,
    series_key,
    timestamp_ns,
)

TS = 1_700_000_000.0
NS = 1_700_000_000_000_000_000
SITE = "DEMO-CHEM"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LT-101", "LT-101"),
        ("a b", "a\\ b"),
        ("a,b", "a\\,b"),
        ("a=b", "a\\=b"),
        ("a b,c=d", "a\\ b\\,c\\=d"),
        ("储罐 区,1=2", "储罐\\ 区\\,1\\=2"),
        ("1号储罐区（甲醇）", "1号储罐区（甲醇）"),
        ("back\\slash", "back\\slash"),  # InfluxDB 1.x keeps inner backslashes literally
        ('say "x"', 'say\\ "x"'),  # quotes are literal in tags
        ("tab\there", "tab\there"),
    ],
)
def test_escape_tag(text: str, expected: str) -> None:
    assert escape_tag(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("a\nb", "line break"),
        ("a\rb", "line break"),
        ("ends\\", "backslash"),
    ],
)
def test_escape_tag_refuses_what_line_protocol_cannot_carry(text: str, message: str) -> None:
    with pytest.raises(LineProtocolError, match=message):
        escape_tag(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("reading", "reading"),
        ("my meas", "my\\ meas"),
        ("a,b", "a\\,b"),
        ("a=b", "a=b"),  # equals signs need no escape in a measurement
    ],
)
def test_escape_measurement(text: str, expected: str) -> None:
    assert escape_measurement(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("comm_loss", '"comm_loss"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("C:\\path", '"C:\\\\path"'),
        ("中文 备注，已处理", '"中文 备注，已处理"'),
        ("line1\nline2", '"line1\\nline2"'),
        ("cr\r\nlf", '"cr\\r\\nlf"'),
        ('\\"', '"\\\\\\""'),
        ("a,b=c d", '"a,b=c d"'),  # commas, equals, spaces are fine inside quotes
        ("", '""'),
    ],
)
def test_quote_string(text: str, expected: str) -> None:
    assert quote_string(text) == expected
    assert "\n" not in quote_string(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12.5, "12.5"),
        (1.0, "1.0"),
        (0.0, "0.0"),
        (-0.001, "-0.001"),
        (1e16, "1e+16"),
        (-2.5e-07, "-2.5e-07"),
        (True, "1.0"),
        (False, "0.0"),
        (7, "7.0"),
        (math.nan, None),
        (math.inf, None),
        (-math.inf, None),
    ],
)
def test_format_float(value: float, expected: str | None) -> None:
    assert format_float(value) == expected


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        (TS, NS),
        (TS + 0.5, NS + 500_000_000),
        (1_700_000_000.123456, 1_700_000_000_123_456_000),
        (1_700_000_000.000001, 1_700_000_000_000_001_000),
        (0.0, 0),
        (1.0, 1_000_000_000),
    ],
)
def test_timestamp_ns(ts: float, expected: int) -> None:
    assert timestamp_ns(ts) == expected


def test_series_key_sorts_tags_and_leaves_out_empty_values() -> None:
    key = series_key("reading", {"tag": "LT-1", "site": "S", "kind": "", "quality": "good"})
    assert key == "reading,quality=good,site=S,tag=LT-1"


LEVEL = f"reading,kind=level,quality={{q}},site={SITE},source=HS-TF1,tag=LT-101"
SPARK = f"reading,kind=discrete_state,quality={{q}},site={SITE},source=HS-DUST,tag=SD-301"
LT101 = PointKey(SITE, "LT-101")
SD301 = PointKey(SITE, "SD-301")


@pytest.mark.parametrize(
    ("reading", "line"),
    [
        (Reading(LT101, 12.5, TS), LEVEL.format(q="good") + f" value=12.5 {NS}"),
        (Reading(LT101, 0.0, TS), LEVEL.format(q="good") + f" value=0.0 {NS}"),
        (Reading(LT101, 3, TS), LEVEL.format(q="good") + f" value=3.0 {NS}"),  # int: defensive
        (Reading(LT101, -1e-9, TS), LEVEL.format(q="good") + f" value=-1e-09 {NS}"),
        (Reading(SD301, True, TS), SPARK.format(q="good") + f" value=1.0 {NS}"),
        (Reading(SD301, False, TS), SPARK.format(q="good") + f" value=0.0 {NS}"),
        (
            Reading(LT101, 20.5, TS, Quality.UNCERTAIN, Reason.OUT_OF_RANGE),
            LEVEL.format(q="uncertain") + f' value=20.5,reason="out_of_range" {NS}',
        ),
        (
            bad(LT101, TS, Reason.COMM_LOSS),
            LEVEL.format(q="bad") + f' reason="comm_loss" {NS}',
        ),
        (
            bad(LT101, TS, Reason.SENSOR_FAULT),
            LEVEL.format(q="bad") + f' reason="sensor_fault" {NS}',
        ),
        (
            bad(LT101, TS, Reason.DECODE_ERROR),
            LEVEL.format(q="bad") + f' reason="decode_error" {NS}',
        ),
        (
            Reading(LT101, 4.0, TS, Quality.UNCERTAIN, Reason.STALE),
            LEVEL.format(q="uncertain") + f' value=4.0,reason="stale" {NS}',
        ),
        (
            Reading(LT101, 1.5, 1_700_000_000.123456),
            LEVEL.format(q="good") + " value=1.5 1700000000123456000",
        ),
        (  # a point the catalog does not know is still written, with the tags it has
            Reading(PointKey("OTHER", "X-1"), 1.0, TS),
            f"reading,quality=good,site=OTHER,tag=X-1 value=1.0 {NS}",
        ),
        (
            Reading(PointKey("厂 A", "T 1,a=b"), 2.0, TS),
            f"reading,quality=good,site=厂\\ A,tag=T\\ 1\\,a\\=b value=2.0 {NS}",
        ),
    ],
)
def test_encode_reading(catalog: Catalog, reading: Reading, line: str) -> None:
    encoded = ReadingEncoder(catalog).encode([reading])
    assert encoded.lines == [line]
    assert encoded.unencodable == []
    assert encoded.body() == (line + "\n").encode()


@pytest.mark.parametrize(
    ("reading", "why"),
    [
        (Reading(LT101, None, TS), "finite"),
        (Reading(PointKey(SITE, "bad\nTAG"), 1.0, TS), "line break"),
        (Reading(PointKey(SITE, "ends\\"), 1.0, TS), "backslash"),
    ],
)
def test_unencodable_readings_are_reported_with_the_point(
    catalog: Catalog, reading: Reading, why: str
) -> None:
    good = Reading(LT101, 1.0, TS)
    encoded = ReadingEncoder(catalog).encode([good, reading, good])
    assert len(encoded.lines) == 2
    assert [r for r, _ in encoded.unencodable] == [reading]
    message = encoded.unencodable[0][1]
    assert why in message
    assert str(reading.point.tag).split("\n")[0] in message


def test_encoder_keeps_order_and_caches_prefixes(catalog: Catalog) -> None:
    readings: list[Reading] = []
    for i in range(300):
        point = PointKey(SITE, f"PT-{i % 20}")
        value: Value = float(i)
        if i % 7 == 0:
            readings.append(bad(point, TS + i, Reason.COMM_LOSS))
        else:
            readings.append(Reading(point, value, TS + i))
    encoder = ReadingEncoder(catalog)
    first = encoder.encode(readings).lines
    second = encoder.encode(readings).lines
    assert first == second
    assert len(first) == 300
    for i, line in enumerate(first):
        assert f",tag=PT-{i % 20} " in line
        assert line.endswith(f" {timestamp_ns(TS + i)}")
        assert ("quality=bad" in line) == (i % 7 == 0)
    assert encoder.encode(readings).body() == encode_body(first)


def test_every_point_of_the_catalog_is_pre_encoded(catalog: Catalog) -> None:
    encoder = ReadingEncoder(catalog)
    lines = encoder.encode([Reading(info.key, 1.0, TS) for info in catalog]).lines
    assert {line.split(",tag=")[1].split(" ")[0] for line in lines} == {
        info.key.tag for info in catalog
    }
    assert all(f"kind={info.kind.value}," in line for info, line in zip(catalog, lines,
                                                                         strict=True))


# ------------------------------------------------------------------------------ alarms


def event(**changes: object) -> AlarmEvent:
    fields: dict[str, object] = {
        "alarm_id": alarm_id(PointKey(SITE, "GT-201"), AlarmType.HIGH),
        "point": PointKey(SITE, "GT-201"),
        "alarm_type": AlarmType.HIGH,
        "kind": EventKind.RAISED,
        "state": AlarmState.UNACK,
        "priority": Priority.HIGH,
        "ts": TS,
        "seq": 0,
    }
    fields.update(changes)
    return AlarmEvent(**fields)  # type: ignore[arg-type]


ALARM = f"alarm_event,event={{e}},priority=high,site={SITE},tag=GT-201,type=H"


@pytest.mark.parametrize(
    ("alarm", "line"),
    [
        (
            event(value=30.0, limit=25.0, seq=7),
            ALARM.format(e="raised")
            + f' alarm_id="{SITE}/GT-201/H",state="active_unacknowledged",seq=7i,'
            f"value=30.0,limit=25.0 {NS + 7}",
        ),
        (
            event(kind=EventKind.ACKNOWLEDGED, state=AlarmState.ACKED, user="张三",
                  comment='已到现场 "检查"\n关闭阀门 C:\\x', seq=1001),
            ALARM.format(e="acknowledged")
            + f' alarm_id="{SITE}/GT-201/H",state="active_acknowledged",seq=1001i,'
            f'user="张三",comment="已到现场 \\"检查\\"\\n关闭阀门 C:\\\\x" {NS + 1}',
        ),
        (
            event(value=True, seq=2),
            ALARM.format(e="raised")
            + f' alarm_id="{SITE}/GT-201/H",state="active_unacknowledged",seq=2i,'
            f"value=1.0 {NS + 2}",
        ),
        (
            event(value=math.nan, limit=math.inf),
            ALARM.format(e="raised")
            + f' alarm_id="{SITE}/GT-201/H",state="active_unacknowledged",seq=0i {NS}',
        ),
    ],
)
def test_alarm_event_line(alarm: AlarmEvent, line: str) -> None:
    assert alarm_event_line(alarm) == line


def test_alarm_event_gets_hazard_source_from_catalog(catalog: Catalog) -> None:
    line = alarm_event_line(event(), catalog)
    assert line.startswith(
        f"alarm_event,event=raised,priority=high,site={SITE},source=HS-TF1,tag=GT-201,type=H "
    )


def test_alarm_events_in_one_microsecond_get_distinct_timestamps() -> None:
    events = [event(kind=EventKind.NOTIFIED, seq=seq) for seq in (41, 42, 43)]
    stamps = [line.rsplit(" ", 1)[1] for line in encode_alarm_event_lines(events)]
    assert len(set(stamps)) == 3


def test_every_line_is_one_physical_line_of_the_body() -> None:
    # Line breaks in comments are escaped, so the writer can halve a body at any "\n".
    lines = encode_alarm_event_lines([event(comment="a\nb\r\nc", seq=i) for i in range(5)])
    assert lines == [alarm_event_line(event(comment="a\nb\r\nc", seq=i)) for i in range(5)]
    assert encode_body(lines).decode().split("\n") == [*lines, ""]
    assert encode_body([]) == b""


def test_catalog_fixture_is_the_site_in_use() -> None:
    assert len(Catalog([make_site(points=3)])) == 6
