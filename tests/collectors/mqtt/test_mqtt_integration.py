"""The collector against a real mosquitto on a free loopback port (and once against the
embedded amqtt broker): delivery, quality, malformed payloads, restart, auth, TLS."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiomqtt
import pytest
from mqtt_helpers import SITE, WAIT, Sink, fast_retries, make_device, running
from support.waiting import poll_until

from collectors.health import LinkState
from collectors.mqtt import MqttCollector
from collectors.mqtt.collector import (
    ACKED,
    COMM_LOSS,
    CONNECTS,
    MESSAGES,
    READINGS,
    payload_counter,
)
from collectors.mqtt.payload import Problem
from collectors.readings import Quality, Reading, Reason
from config.catalog import PointKey
from gateway.sim.broker import BrokerAddress, BrokerTls, embedded_broker, mosquitto
from gateway.sim.ports import free_port

pytestmark = pytest.mark.integration

TAGS = ("PDT-301", "TT-302", "XS-303")
BENCHMARK = Path(__file__).resolve().parents[3] / "benchmarks" / "mqtt_throughput.py"


@contextlib.asynccontextmanager
async def publisher(broker: BrokerAddress, **options: Any) -> AsyncIterator[aiomqtt.Client]:
    async with aiomqtt.Client(broker.host, broker.port, **options) as client:
        yield client


async def connected(collector: MqttCollector) -> None:
    async with asyncio.timeout(WAIT):
        await collector.wait_state(LinkState.CONNECTED)


async def disconnected(collector: MqttCollector) -> None:
    async with asyncio.timeout(WAIT):
        await collector.wait_state(LinkState.DISCONNECTED)


def values(readings: list[Reading], tag: str) -> list[object]:
    return [r.value for r in readings if r.point.tag == tag]


def comm_loss_batches(sink: Sink) -> list[list[Reading]]:
    return [b for b in sink.batches if b and all(r.reason is Reason.COMM_LOSS for r in b)]


async def test_value_arrives_as_a_reading_with_its_quality(broker: BrokerAddress) -> None:
    sink = Sink()
    collector = MqttCollector(SITE, make_device(broker.port))
    async with running(collector, sink):
        await connected(collector)
        before = time.time()
        async with publisher(broker) as client:
            await client.publish("plant/dp", b"12.5", qos=1)
            await client.publish("plant/dp", b"3500", qos=1)
        readings = await sink.wait_for(lambda rs: len(rs) >= 2)
    first, second = readings
    assert first.point == PointKey(SITE, "PDT-301")
    assert (first.value, first.quality, first.reason) == (12.5, Quality.GOOD, Reason.NONE)
    assert (second.value, second.quality, second.reason) == (
        3500.0, Quality.UNCERTAIN, Reason.OUT_OF_RANGE
    )
    assert before <= first.ts <= time.time()
    assert collector.device_health.last_success is not None
    assert collector.device_health.last_success >= before


async def test_a_burst_of_messages_is_emitted_in_few_batches_in_order(
    broker: BrokerAddress,
) -> None:
    # QoS 0 publishes do not wait for an answer: the burst is on the wire at once, and the
    # collector takes what is waiting into one emit call instead of one per message.
    count = 400
    sink = Sink()
    collector = MqttCollector(SITE, make_device(broker.port))
    async with running(collector, sink):
        await connected(collector)
        async with publisher(broker) as client:
            for i in range(count):
                await client.publish("plant/dp", str(i).encode(), qos=0)
            await client.publish("plant/x/state", b'{"TT-302": 20.5}', qos=0)
        readings = await sink.wait_for(lambda rs: len(rs) >= count + 1)
    assert [r.value for r in readings] == [*map(float, range(count)), 20.5]  # order kept
    assert len(sink.batches) < count // 2  # one emit per message would be `count`
    assert all(sink.batches)  # no empty emit calls
    assert collector.health.counters[MESSAGES] == count + 1
    assert collector.health.counters[READINGS] == count + 1


async def test_object_and_batch_payloads(broker: BrokerAddress) -> None:
    sink = Sink()
    collector = MqttCollector(SITE, make_device(broker.port))
    stamp = time.time() - 30
    async with running(collector, sink):
        await connected(collector)
        async with publisher(broker) as client:
            await client.publish(
                "plant/line1/state", json.dumps({"TT-302": 45.5, "spark": True}), qos=1
            )
            batch = [{"tag": "PDT-301", "value": 100 + i, "ts": stamp + i} for i in range(50)]
            await client.publish("plant/batch/line1/a", json.dumps(batch), qos=1)
        await sink.wait_for(lambda rs: len(rs) >= 52)
    object_batch, series = sink.batches
    assert [(r.point.tag, r.value, r.quality) for r in object_batch] == [
        ("TT-302", 45.5, Quality.GOOD), ("XS-303", True, Quality.GOOD)
    ]
    assert [(r.value, r.ts) for r in series] == [(100.0 + i, stamp + i) for i in range(50)]


async def test_malformed_payload_does_not_disturb_the_next_good_one(
    broker: BrokerAddress,
) -> None:
    sink = Sink()
    collector = MqttCollector(SITE, make_device(broker.port))
    async with running(collector, sink):
        await connected(collector)
        async with publisher(broker) as client:
            await client.publish("plant/a/state", b"\x00garbage", qos=1)
            await client.publish("plant/a/state", b'{"TT-302": Infinity, "zz": 1}', qos=1)
            await client.publish("plant/a/state", b'{"TT-302": 51}', qos=1)
        readings = await sink.wait_for(lambda rs: 51.0 in values(rs, "TT-302"))
        assert collector.health.state is LinkState.CONNECTED
    assert values(readings, "TT-302") == [None, 51.0]
    counters = collector.health.counters
    assert counters[payload_counter(Problem.NOT_JSON)] == 1
    assert counters[payload_counter(Problem.NON_FINITE)] == 1
    assert counters[payload_counter(Problem.UNKNOWN_KEY)] == 1
    assert counters[CONNECTS] == 1


async def test_retained_value_without_timestamp_arrives_as_stale(broker: BrokerAddress) -> None:
    async with publisher(broker) as client:
        await client.publish("plant/dp", b"42", qos=1, retain=True)
    sink = Sink()
    collector = MqttCollector(SITE, make_device(broker.port))
    async with running(collector, sink):
        (reading,) = await sink.wait_for(lambda rs: len(rs) >= 1)
    assert (reading.value, reading.quality, reading.reason) == (
        42.0, Quality.UNCERTAIN, Reason.STALE
    )


async def test_broker_restart_reconnects_resubscribes_and_reports_comm_loss() -> None:
    port = free_port()
    sink = Sink()
    collector = MqttCollector(SITE, make_device(port), reconnect_delays=fast_retries)
    async with contextlib.AsyncExitStack() as stack:
        # Exit order (last in, first out): the collector, then the brokers.
        first, second = contextlib.AsyncExitStack(), contextlib.AsyncExitStack()
        stack.push_async_callback(first.aclose)
        stack.push_async_callback(second.aclose)
        broker = await first.enter_async_context(mosquitto(port))
        await stack.enter_async_context(running(collector, sink))
        await connected(collector)
        async with publisher(broker) as client:
            await client.publish("plant/dp", b"1", qos=1)
        await sink.wait_for(lambda rs: values(rs, "PDT-301") == [1.0])
        assert comm_loss_batches(sink) == []

        await first.aclose()  # the broker goes away
        await disconnected(collector)
        assert collector.device_health.state is LinkState.DISCONNECTED
        assert collector.device_health.last_error is not None
        (loss,) = comm_loss_batches(sink)
        assert sorted(r.point.tag for r in loss) == sorted(TAGS)
        assert all(r.quality is Quality.BAD and r.value is None for r in loss)

        again = await second.enter_async_context(mosquitto(port))  # back on the same port
        await connected(collector)
        async with publisher(again) as client:  # a fresh broker: only a resubscribe gets this
            await client.publish("plant/dp", b"2", qos=1)
        await sink.wait_for(lambda rs: 2.0 in values(rs, "PDT-301"))
    assert collector.health.counters[CONNECTS] == 2
    assert collector.health.counters[COMM_LOSS] == 1
    # Cancelling the collector at shutdown is not a comm loss.
    assert len(comm_loss_batches(sink)) == 1


class CountingDelays:
    """Reconnect delays that let a test await the n-th retry instead of sleeping."""

    def __init__(self, wanted: int) -> None:
        self.calls = 0
        self.wanted = wanted
        self.reached = asyncio.Event()

    def __call__(self) -> Iterator[float]:
        while True:
            self.calls += 1
            if self.calls >= self.wanted:
                self.reached.set()
            yield 0.02


async def test_unreachable_broker_reports_comm_loss_once_and_keeps_trying() -> None:
    sink = Sink()
    delays = CountingDelays(wanted=4)
    collector = MqttCollector(SITE, make_device(free_port()), reconnect_delays=delays)
    async with running(collector, sink):
        async with asyncio.timeout(WAIT):
            await delays.reached.wait()
        assert collector.health.state is LinkState.DISCONNECTED
    assert collector.device_health.error_count >= 4
    assert len(sink.batches) == 1
    assert sorted(r.point.tag for r in sink.batches[0]) == sorted(TAGS)
    assert {r.reason for r in sink.batches[0]} == {Reason.COMM_LOSS}


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "passwd"
    subprocess.run(
        ["mosquitto_passwd", "-b", "-c", str(path), "gateway", "s3cret"],
        check=True, capture_output=True, timeout=WAIT,
    )
    return path


async def test_username_and_password(password_file: Path) -> None:
    async with mosquitto(password_file=password_file) as broker:
        good_sink, bad_sink = Sink(), Sink()
        good = MqttCollector(
            SITE, make_device(broker.port, username="gateway", password="s3cret")
        )
        wrong = MqttCollector(
            SITE, make_device(broker.port, username="gateway", password="guess"),
            reconnect_delays=fast_retries,
        )
        async with running(good, good_sink), running(wrong, bad_sink):
            await connected(good)
            await disconnected(wrong)
            async with publisher(broker, username="gateway", password="s3cret") as client:
                await client.publish("plant/dp", b"7", qos=1)
            await good_sink.wait_for(lambda rs: values(rs, "PDT-301") == [7.0])
        assert wrong.device_health.last_error is not None
        assert "authori" in wrong.device_health.last_error.lower()
        assert {r.reason for r in bad_sink.readings} == {Reason.COMM_LOSS}


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=WAIT)


@pytest.fixture
def server_tls(tmp_path: Path) -> BrokerTls:
    """A throw-away CA and a server certificate for the name `localhost` only."""
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=hazgw test CA", cwd=tmp_path)
    _openssl("req", *ec, "-keyout", "key.pem", "-out", "server.csr", "-subj", "/CN=localhost",
             cwd=tmp_path)
    (tmp_path / "san.ext").write_text("subjectAltName=DNS:localhost\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "cert.pem", "-days", "2", "-extfile", "san.ext",
             cwd=tmp_path)
    return BrokerTls(tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem")


async def test_tls_verifies_the_broker_and_insecure_skips_only_the_name(
    server_tls: BrokerTls,
) -> None:
    async with mosquitto(tls=server_tls) as broker:
        tls = {"ca_file": str(server_tls.ca_file)}
        # Three gateways' worth of one device: distinct client ids, or they take over
        # each other's session.
        by_name = MqttCollector(
            SITE, make_device(broker.port, host="localhost", tls=tls), gateway_id="gw1"
        )
        by_ip = MqttCollector(
            SITE, make_device(broker.port, tls=tls), reconnect_delays=fast_retries,
            gateway_id="gw2",
        )
        by_ip_insecure = MqttCollector(
            SITE, make_device(broker.port, tls={**tls, "insecure": True}), gateway_id="gw3"
        )
        sinks = Sink(), Sink(), Sink()
        async with (
            running(by_name, sinks[0]), running(by_ip, sinks[1]), running(by_ip_insecure, sinks[2])
        ):
            await connected(by_name)
            await connected(by_ip_insecure)
            await disconnected(by_ip)  # the certificate is for localhost, not 127.0.0.1
            async with publisher_tls(broker, server_tls) as client:
                await client.publish("plant/dp", b"3", qos=1)
            await sinks[0].wait_for(lambda rs: values(rs, "PDT-301") == [3.0])
            await sinks[2].wait_for(lambda rs: values(rs, "PDT-301") == [3.0])
        assert by_ip.device_health.last_error is not None
        assert "certificate" in by_ip.device_health.last_error.lower()


@contextlib.asynccontextmanager
async def publisher_tls(broker: BrokerAddress, tls: BrokerTls) -> AsyncIterator[aiomqtt.Client]:
    async with aiomqtt.Client(
        "localhost", broker.port, tls_params=aiomqtt.TLSParameters(ca_certs=str(tls.ca_file))
    ) as client:
        yield client


async def test_embedded_broker_publish_and_receive() -> None:
    async with embedded_broker() as broker:
        assert broker.kind == "amqtt"
        sink = Sink()
        collector = MqttCollector(SITE, make_device(broker.port))
        async with running(collector, sink):
            await connected(collector)
            async with publisher(broker) as client:
                await client.publish("plant/x/state", b'{"PDT-301": 5, "spark": 0}', qos=1)
            readings = await sink.wait_for(lambda rs: len(rs) >= 2)
    assert [(r.point.tag, r.value, r.quality) for r in readings] == [
        ("PDT-301", 5.0, Quality.GOOD), ("XS-303", False, Quality.GOOD)
    ]


async def test_fixed_client_id_keeps_the_session_across_a_reconnect(
    broker: BrokerAddress,
) -> None:
    device = make_device(broker.port, client_id="hazgw-test-gw")
    first_sink = Sink()
    first = MqttCollector(SITE, device)
    async with running(first, first_sink):
        await connected(first)
    # The gateway is away; the device keeps publishing at QoS 1.
    async with publisher(broker) as client:
        await client.publish("plant/dp", b"9", qos=1)
    sink = Sink()
    second = MqttCollector(SITE, device)
    async with running(second, sink):
        readings = await sink.wait_for(lambda rs: 9.0 in values(rs, "PDT-301"))
    assert first_sink.readings == []
    assert [r.quality for r in readings if r.value == 9.0] == [Quality.GOOD]


async def test_benchmark_runs_small_and_counts_everything(broker: BrokerAddress) -> None:
    spec = importlib.util.spec_from_file_location("mqtt_throughput", BENCHMARK)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # its dataclasses look their module up there
    spec.loader.exec_module(bench)
    forwarded: list[int] = []
    stats = await bench.run_mqtt_load(
        broker, None, 2_000, 50, 2, emit=lambda rs: forwarded.append(len(rs)), timeout=WAIT
    )
    assert not stats.timed_out
    assert stats.readings_sent == stats.readings_received == sum(forwarded) == 2_000
    assert stats.payload_errors == 0 and stats.dropped_messages == 0
    assert stats.readings_per_s > 0


async def test_missing_tls_file_is_reported_and_retried(tmp_path: Path) -> None:
    sink = Sink()
    delays = CountingDelays(wanted=2)
    device = make_device(free_port(), tls={"ca_file": str(tmp_path / "missing-ca.pem")})
    collector = MqttCollector(SITE, device, reconnect_delays=delays)
    async with running(collector, sink):
        async with asyncio.timeout(WAIT):
            await delays.reached.wait()
    assert collector.health.state is LinkState.DISCONNECTED
    assert collector.device_health.last_error is not None
    assert collector.device_health.last_error.startswith("TLS set-up failed")
    assert "missing-ca.pem" in collector.device_health.last_error
    assert {r.reason for r in sink.readings} == {Reason.COMM_LOSS}


async def test_qos1_is_acknowledged_only_once_its_readings_are_durable(
    broker: BrokerAddress,
) -> None:
    """A message whose readings were emitted but not yet durable is not acknowledged: after
    the gateway goes away the broker sends it again to the same (default, stable) client
    id. Once durable it is acknowledged, and never sent again."""
    device = make_device(broker.port)
    gate = asyncio.Event()

    async def durable(now: bool) -> None:
        await gate.wait()

    first_sink = Sink()
    first = MqttCollector(SITE, device, durable=durable)
    assert first.client_id == f"hazgw-{SITE}-{device.id}"
    async with running(first, first_sink):
        await connected(first)
        async with publisher(broker) as client:
            await client.publish("plant/dp", b"7", qos=1)
        await first_sink.wait_for(lambda rs: 7.0 in values(rs, "PDT-301"))
        assert first.health.counters.get(ACKED, 0) == 0

    gate.set()
    second_sink = Sink()
    second = MqttCollector(SITE, device, durable=durable)
    async with running(second, second_sink):
        await second_sink.wait_for(lambda rs: 7.0 in values(rs, "PDT-301"))  # sent again
        await poll_until(
            lambda: second.health.counters.get(ACKED, 0) >= 1, within=WAIT, message="the ack"
        )

    third_sink = Sink()
    third = MqttCollector(SITE, device, durable=durable)
    async with running(third, third_sink):
        await connected(third)
        async with publisher(broker) as client:
            await client.publish("plant/dp", b"8", qos=1)
        await third_sink.wait_for(lambda rs: 8.0 in values(rs, "PDT-301"))
    assert 7.0 not in values(third_sink.readings, "PDT-301")


async def test_unacknowledged_messages_are_bounded(broker: BrokerAddress) -> None:
    """While the durable store does not answer, at most ``max_unacked`` messages are taken
    in; the rest wait at the broker and arrive once commits free room."""
    gate = asyncio.Event()

    async def durable(now: bool) -> None:
        await gate.wait()

    sink = Sink()
    collector = MqttCollector(SITE, make_device(broker.port), durable=durable, max_unacked=5)
    async with running(collector, sink):
        await connected(collector)
        async with publisher(broker) as client:
            for value in range(20):
                await client.publish("plant/dp", str(value).encode(), qos=1)
            await sink.wait_for(lambda rs: len(values(rs, "PDT-301")) >= 5)
            await asyncio.sleep(0.3)  # would be enough for the other 15 to arrive
            held = len(values(sink.readings, "PDT-301"))
            assert 5 <= held < 20
            gate.set()
            await sink.wait_for(lambda rs: len(values(rs, "PDT-301")) == 20)
    assert values(sink.readings, "PDT-301") == [float(v) for v in range(20)]
