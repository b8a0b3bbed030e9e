"""TLS to a real mosquitto with a CA generated for the run (trustme): the collector
connects and receives with the right CA, refuses a broker signed by another CA, shows a
client certificate when the broker requires one, and says loudly when ``insecure`` is on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiomqtt
import pytest
import trustme
from mqtt_helpers import SITE, WAIT, Sink, fast_retries, make_device, running
from support.waiting import poll_until

from collectors.health import LinkState
from collectors.mqtt import MqttCollector
from collectors.mqtt.collector import TLS_INSECURE
from gateway.sim.broker import BrokerAddress, BrokerTls, mosquitto

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Pki:
    server: BrokerTls
    client_cert: Path
    client_key: Path
    other_ca: Path


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    ca = trustme.CA()
    server = ca.issue_cert("localhost", "127.0.0.1")
    client = ca.issue_cert("hazgw-gateway")
    stranger = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    server.cert_chain_pems[0].write_to_path(str(tmp_path / "server.pem"))
    server.private_key_pem.write_to_path(str(tmp_path / "server.key"))
    client.cert_chain_pems[0].write_to_path(str(tmp_path / "client.pem"))
    client.private_key_pem.write_to_path(str(tmp_path / "client.key"))
    stranger.cert_pem.write_to_path(str(tmp_path / "other-ca.pem"))
    return Pki(
        BrokerTls(tmp_path / "ca.pem", tmp_path / "server.pem", tmp_path / "server.key"),
        tmp_path / "client.pem", tmp_path / "client.key", tmp_path / "other-ca.pem",
    )


async def _state(collector: MqttCollector, state: LinkState) -> None:
    async with asyncio.timeout(WAIT):
        await collector.wait_state(state)


@contextlib.asynccontextmanager
async def _publisher(broker: BrokerAddress, pki: Pki) -> AsyncIterator[aiomqtt.Client]:
    params = aiomqtt.TLSParameters(
        ca_certs=str(pki.server.ca_file), certfile=str(pki.client_cert),
        keyfile=str(pki.client_key),
    )
    async with aiomqtt.Client("localhost", broker.port, tls_params=params) as client:
        yield client


async def test_right_ca_connects_and_a_stranger_ca_is_refused(pki: Pki) -> None:
    async with mosquitto(tls=pki.server) as broker:
        good = MqttCollector(SITE, make_device(broker.port, tls={
            "ca_file": str(pki.server.ca_file)}))
        wrong = MqttCollector(SITE, make_device(broker.port, tls={
            "ca_file": str(pki.other_ca)}), reconnect_delays=fast_retries)
        sinks = Sink(), Sink()
        async with running(good, sinks[0]), running(wrong, sinks[1]):
            await _state(good, LinkState.CONNECTED)
            await _state(wrong, LinkState.DISCONNECTED)
            async with _publisher(broker, pki) as client:
                await client.publish("plant/dp", b"7", qos=1)
            await sinks[0].wait_for(
                lambda rs: [r.value for r in rs if r.point.tag == "PDT-301"] == [7.0]
            )
        assert wrong.device_health.last_error is not None
        assert "certificate verify failed" in wrong.device_health.last_error
        assert not [r for r in sinks[1].readings if r.value is not None]
        assert TLS_INSECURE not in good.health.counters


async def test_client_certificate_when_the_broker_requires_one(pki: Pki) -> None:
    server = BrokerTls(pki.server.ca_file, pki.server.cert_file, pki.server.key_file,
                       require_client_cert=True)
    async with mosquitto(tls=server) as broker:
        tls = {"ca_file": str(pki.server.ca_file)}
        with_cert = MqttCollector(SITE, make_device(broker.port, tls={
            **tls, "cert_file": str(pki.client_cert), "key_file": str(pki.client_key)}))
        # TLS 1.3: the broker's refusal comes after the handshake, so the client learns
        # of it when no CONNACK comes: a short timeout.
        without = MqttCollector(SITE, make_device(broker.port, tls=tls),
                                reconnect_delays=fast_retries, timeout=2.0)
        sinks = Sink(), Sink()
        async with running(with_cert, sinks[0]), running(without, sinks[1]):
            await _state(with_cert, LinkState.CONNECTED)
            async with _publisher(broker, pki) as client:
                await client.publish("plant/dp", b"5", qos=1)
            await sinks[0].wait_for(
                lambda rs: [r.value for r in rs if r.point.tag == "PDT-301"] == [5.0]
            )
            await poll_until(lambda: without.device_health.error_count > 0, within=WAIT,
                             message="the broker refusing the collector without a cert")
        assert without.health.state is not LinkState.CONNECTED
        assert without.device_health.last_error is not None


async def test_insecure_is_reported_loudly(
    pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with mosquitto(tls=pki.server) as broker:
        collector = MqttCollector(SITE, make_device(broker.port, tls={
            "ca_file": str(pki.server.ca_file), "insecure": True}))
        async with running(collector, Sink()):
            await _state(collector, LinkState.CONNECTED)
    assert collector.health.counters[TLS_INSECURE] == 1
    warnings = [r for r in caplog.records if "TLS insecure" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert "NOT checked" in warnings[0].getMessage()
