"""Readings and alarm events into InfluxDB (v1 /write or v2 /api/v2/write).

See docs/storage.md for the series design and what happens to each kind of answer.
"""

from gateway.storage.factory import build_transport, build_writer
from gateway.storage.lineprotocol import (
    ALARM_MEASUREMENT,
    READING_MEASUREMENT,
    ReadingEncoder,
    encode_alarm_event_lines,
)
from gateway.storage.writer import InfluxWriter, WriterHealth

__all__ = [
    "ALARM_MEASUREMENT",
    "READING_MEASUREMENT",
    "InfluxWriter",
    "ReadingEncoder",
    "WriterHealth",
    "build_transport",
    "build_writer",
    "encode_alarm_event_lines",
]
