"""The collector's message handling without a broker: one emit per message (and per drained
burst), counters per reason, errors naming device/topic/key, log rate limiting with an
injected clock."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import aiomqtt
import pytest
from mqtt_helpers import NOW, SITE, FakeClock, Sink, make_device

from collectors.mqtt import MqttCollector, build_mqtt_collectors
from collectors.mqtt.collector import MESSAGES, READINGS, payload_counter
from collectors.mqtt.connection import MessageQueueProbe
from collectors.mqtt.payload import Problem
from collectors.readings import Quality, Reason
from config.catalog import PointKey
from gateway.validation import load_site

EXAMPLES = Path(__file__).resolve().parents[3] / "config" / "examples"
LOGGER = "collectors.mqtt.collector"


def _collector(clock: FakeClock) -> MqttCollector:
    return MqttCollector(SITE, make_device(), clock)


def test_one_message_is_one_emit_of_all_its_readings() -> None:
    clock, sink = FakeClock(), Sink()
    collector = _collector(clock)
    payload = json.dumps([{"tag": "PDT-301", "value": v, "ts": NOW - 10 + v} for v in range(10)])
    collector.handle_message("plant/batch/line1", payload.encode(), sink)
    assert len(sink.batches) == 1
    assert [r.value for r in sink.batches[0]] == [float(v) for v in range(10)]
    assert collector.health.counters[MESSAGES] == 1
    assert collector.health.counters[READINGS] == 10
    assert collector.device_health.last_success == NOW


def test_malformed_payloads_are_counted_per_reason_and_never_raise() -> None:
    clock, sink = FakeClock(), Sink()
    collector = _collector(clock)
    collector.handle_message("plant/x/state", b"not json", sink)
    collector.handle_message("plant/x/state", b'{"PDT-301": NaN, "nope": 1, "spark": 1}', sink)
    collector.handle_message("plant/dp", b'"12"', sink)
    collector.handle_message("unrelated/topic", b"1", sink)
    counters = collector.health.counters
    assert counters[payload_counter(Problem.NOT_JSON)] == 1
    assert counters[payload_counter(Problem.NON_FINITE)] == 1
    assert counters[payload_counter(Problem.UNKNOWN_KEY)] == 1
    assert counters[payload_counter(Problem.WRONG_TYPE)] == 1
    assert counters[payload_counter(Problem.NO_SUBSCRIPTION)] == 1
    assert collector.device_health.error_count == 5
    # Not JSON and no subscription emit nothing; the others emit their readings.
    assert [[(r.point.tag, r.quality, r.reason) for r in batch] for batch in sink.batches] == [
        [("PDT-301", Quality.BAD, Reason.DECODE_ERROR), ("XS-303", Quality.GOOD, Reason.NONE)],
        [("PDT-301", Quality.BAD, Reason.DECODE_ERROR)],
    ]
    assert collector.device_health.last_error is not None
    assert "unrelated/topic" in collector.device_health.last_error


def test_error_log_names_device_topic_and_key(caplog: pytest.LogCaptureFixture) -> None:
    collector = _collector(FakeClock())
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        collector.handle_message("plant/a/state", b'{"spark": "on"}', Sink())
    (record,) = caplog.records
    text = record.getMessage()
    assert "dust-1" in text and "plant/a/state" in text and "'spark'" in text
    assert "wrong_type" in text


def test_logs_at_most_once_per_topic_and_reason_per_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, sink = FakeClock(), Sink()
    collector = _collector(clock)

    def bad(topic: str, payload: bytes = b"garbage") -> None:
        collector.handle_message(topic, payload, sink)
        clock.now += 5.0

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        for _ in range(6):  # 30 s of garbage on one topic
            bad("plant/a/state")
        assert len(caplog.records) == 1
        bad("plant/b/state")  # another topic has its own allowance
        bad("plant/a/state", b'{"zz": 1}')  # another reason too
        assert len(caplog.records) == 3
        clock.now = NOW + 60.0  # a minute after the first log
        bad("plant/a/state")
    assert len(caplog.records) == 4
    assert "(5 more like this in the last 60 s)" in caplog.records[-1].getMessage()
    # Counting is never rate limited.
    assert collector.health.counters[payload_counter(Problem.NOT_JSON)] == 8


def test_partial_good_payload_logs_once_with_the_count(caplog: pytest.LogCaptureFixture) -> None:
    collector = _collector(FakeClock())
    sink = Sink()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        collector.handle_message("plant/a/state", b'{"x": 1, "y": 2, "z": 3, "PDT-301": 4}', sink)
    assert len(caplog.records) == 1
    assert "and 2 more in this message" in caplog.records[0].getMessage()
    assert collector.health.counters[payload_counter(Problem.UNKNOWN_KEY)] == 3
    assert [(r.point, r.value) for r in sink.readings] == [(PointKey(SITE, "PDT-301"), 4.0)]


def test_future_timestamps_follow_the_injected_clock() -> None:
    clock, sink = FakeClock(), Sink()
    collector = _collector(clock)
    payload = json.dumps({"value": 1, "ts": NOW + 1000}).encode()
    collector.handle_message("plant/dp", payload, sink)
    clock.now = NOW + 900  # now the same timestamp lies only 100 s ahead: accepted
    collector.handle_message("plant/dp", payload, sink)
    assert [(r.quality, r.ts) for r in sink.readings] == [
        (Quality.BAD, NOW), (Quality.GOOD, NOW + 1000)
    ]
    assert collector.health.counters[payload_counter(Problem.FUTURE_TIMESTAMP)] == 1


def test_build_mqtt_collectors_from_the_example_sites() -> None:
    sites = [load_site(EXAMPLES / "tank_farm.yaml"), load_site(EXAMPLES / "dust_line.yaml")]
    collectors = build_mqtt_collectors(sites, FakeClock())
    assert [c.name for c in collectors] == ["mqtt:DEMO-DUST/dust-collector-1"]
    (collector,) = collectors
    assert collector.health.kind == "mqtt"
    assert collector.point_keys == [
        PointKey("DEMO-DUST", tag) for tag in ("PDT-301", "TT-302", "XS-303", "XF-304")
    ]
    sink = Sink()
    collector.handle_message(
        "demo/dust/line1/state", b'{"TT-302": 41.5, "spark": false, "rotary_valve_fault": 1}', sink
    )
    assert [(r.point.tag, r.value) for r in sink.readings] == [
        ("TT-302", 41.5), ("XS-303", False), ("XF-304", True)
    ]
    assert all(r.ts == NOW for r in sink.readings)


async def test_queue_probe_counts_drops_and_drains_in_order() -> None:
    drops: list[None] = []
    probe = MessageQueueProbe(lambda: drops.append(None))
    queue = probe.queue_type(maxsize=2)
    assert probe.queue is queue
    for mid in range(5):
        queue.put_nowait(_message(mid))
    assert len(drops) == 3
    assert probe.pending() == 2
    taken = [probe.take_nowait(), probe.take_nowait(), probe.take_nowait()]
    assert [m.mid if m else None for m in taken] == [0, 1, None]


def _message(mid: int, topic: str = "t", payload: bytes = b"1") -> aiomqtt.Message:
    return aiomqtt.Message(topic, payload, qos=0, retain=False, mid=mid, properties=None)


def _queued(probe: MessageQueueProbe, values: range) -> None:
    queue = probe.queue_type(maxsize=1000)
    for value in values:
        queue.put_nowait(_message(value, "plant/dp", str(value).encode()))


async def test_a_drained_burst_is_one_batch_in_order() -> None:
    collector = _collector(FakeClock())
    probe = MessageQueueProbe(lambda: None)
    _queued(probe, range(1, 6))
    sink = Sink()
    first = _message(0, "plant/dp", b"0")
    readings, acks = await collector._drain(first, probe, sink)
    assert [r.value for r in readings] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert acks == []  # QoS 0: nothing to acknowledge
    assert sink.batches == []  # the caller emits the batch
    assert probe.pending() == 0
    assert collector.health.counters[MESSAGES] == 6


async def test_a_cancelled_drain_still_emits_what_it_took() -> None:
    collector = _collector(FakeClock())
    probe = MessageQueueProbe(lambda: None)
    _queued(probe, range(1, 4))
    sink = Sink()
    task = asyncio.create_task(collector._drain(_message(0, "plant/dp", b"0"), probe, sink))
    await asyncio.sleep(0)  # the drain took the queue and now gives the loop a turn
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [[r.value for r in batch] for batch in sink.batches] == [[0.0, 1.0, 2.0, 3.0]]
