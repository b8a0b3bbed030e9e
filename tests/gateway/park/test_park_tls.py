"""Credentials per enterprise over TLS, against a real three-node cluster that requires TLS
of its clients (certificates made by ``trustme``): an edge connects with the park's CA and
a password or an nkey, a plain connection is refused, a wrong nkey seed is refused, and the
subject permissions still hold."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import nats
import nkeys
import pytest
import trustme
from pydantic import SecretStr

from config.catalog import Catalog
from config.uplink import UplinkSettings
from gateway.park.central import ensure_streams
from gateway.pipeline import MemoryBuffer
from gateway.sim.nats import CENTRAL_USER, NatsCluster, TlsFiles, nats_cluster, nats_server_binary
from gateway.uplink.connection import tls_context
from gateway.uplink.edge import EdgeUplink
from gateway.uplink.subjects import DATA_STREAM
from tests.gateway.park.harness import CENTRAL_PASSWORD, PARTITIONS, Edge, enterprise_site
from tests.support.waiting import poll_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(nats_server_binary() is None, reason="nats-server not installed"),
]


def new_seed() -> bytes:
    """A fresh user nkey seed (``SU...``), as ``nsc``/``nk -gen user`` would make."""
    return bytes(nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER))


def public_key(seed: bytes) -> str:
    pair = nkeys.from_seed(bytearray(seed))
    try:
        return bytes(pair.public_key).decode()
    finally:
        pair.wipe()


@asynccontextmanager
async def tls_park(tmp_path: Path, nkey_users: dict[str, str]) -> AsyncIterator[
    tuple[NatsCluster, Path]
]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    files = TlsFiles(tmp_path / "server.pem", tmp_path / "server.key")
    cert.private_key_and_cert_chain_pem.write_to_path(str(files.cert))
    cert.private_key_pem.write_to_path(str(files.key))
    ca_file = tmp_path / "park-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    async with nats_cluster(
        {"E1": "pw-E1"}, central_password=CENTRAL_PASSWORD, partitions=PARTITIONS,
        tls=files, nkeys=nkey_users,
    ) as cluster:
        # The streams, made by the central user (over TLS too), as a central instance does.
        central = await nats.connect(
            cluster.urls, user=CENTRAL_USER, password=CENTRAL_PASSWORD,
            tls=tls_context(ca_file),
        )
        try:
            await ensure_streams(central.jetstream(), replicas=3)
        finally:
            await central.close()
        yield cluster, ca_file


def start_edge(code: str, settings: UplinkSettings, code_of_site: str | None = None) -> Edge:
    site = enterprise_site(code_of_site or code)
    buffer = MemoryBuffer(10_000, name=f"uplink {code}")
    uplink = EdgeUplink(settings, [site], Catalog([site]), buffer)
    edge = Edge(code_of_site or code, site, buffer, uplink,
                tags=[point.tag for _, point in site.points()])
    edge.task = asyncio.create_task(uplink.run(), name=f"edge {code}")
    return edge


async def stop(*edges: Edge) -> None:
    for edge in edges:
        assert edge.task is not None
        edge.task.cancel()
    await asyncio.gather(*(e.task for e in edges if e.task), return_exceptions=True)


async def stream_messages(cluster: NatsCluster, ca_file: Path, subject: str) -> int:
    nc = await nats.connect(cluster.urls, user=CENTRAL_USER, password=CENTRAL_PASSWORD,
                            tls=tls_context(ca_file))
    try:
        info = await nc.jetstream().stream_info(DATA_STREAM, subjects_filter=subject)
        return sum((info.state.subjects or {}).values())
    finally:
        await nc.close()


async def test_tls_password_and_nkey_edges_connect_plain_and_wrong_seed_refused(
    tmp_path: Path,
) -> None:
    seed = new_seed()
    seed_file = tmp_path / "E2.nk"
    seed_file.write_bytes(seed + b"\n")
    seed_file.chmod(0o600)
    async with tls_park(tmp_path, {"E2": public_key(seed)}) as (cluster, ca_file):
        assert all(url.startswith("tls://") for url in cluster.urls)
        base = UplinkSettings(
            servers=cluster.urls, user="E1", password=SecretStr("pw-E1"), tls_ca_file=ca_file,
            batch_size=200, linger=0.05, heartbeat_interval=0.5, ack_timeout=2.0,
        )
        with_password = start_edge("E1", base)
        with_nkey = start_edge("E2", base.model_copy(
            update={"user": "E2", "password": None, "nkey_seed_file": seed_file}
        ))
        # E2's nkey, speaking for E1: connected, but every publish refused by its permissions.
        forger = start_edge("E2", base.model_copy(
            update={"user": "E2", "password": None, "nkey_seed_file": seed_file}
        ), code_of_site="E1")
        try:
            start = time.time() - 60
            for edge in (with_password, with_nkey, forger):
                edge.feed(600, start)
            await poll_until(
                lambda: with_password.uplink.readings_sent == 600
                and with_nkey.uplink.readings_sent == 600,
                within=20, message="both edges' readings acknowledged over TLS",
            )
            assert with_password.uplink.health.connected and with_nkey.uplink.health.connected
            await poll_until(lambda: forger.uplink.failures >= 2, within=15,
                             message="the forger's publishes refused")
            assert forger.uplink.readings_sent == 0
            assert forger.uplink.health.connected  # its nkey is good; its subject is not
        finally:
            await stop(with_password, with_nkey, forger)
        # What the stream holds: three batches from each honest edge, none forged.
        assert await stream_messages(cluster, ca_file, "hazgw.E1.readings.>") == 3
        assert await stream_messages(cluster, ca_file, "hazgw.E2.readings.>") == 3

        # A plain (non-TLS) client is refused: the server asks for TLS before anything else.
        node = cluster.nodes[0]
        reader, writer = await asyncio.open_connection("127.0.0.1", node.port)
        try:
            info = await asyncio.wait_for(reader.readline(), 5)
            assert b'"tls_required":true' in info, info
            writer.write(b'CONNECT {"user":"E1","pass":"pw-E1","verbose":false}\r\nPING\r\n')
            await writer.drain()
            answer = await asyncio.wait_for(reader.read(4096), 10)
            assert b"PONG" not in answer
            assert answer == b"" or b"-ERR" in answer, answer
        finally:
            writer.close()
        # ... and a client that does not trust the park's CA cannot complete the handshake.
        with pytest.raises((nats.errors.Error, OSError, TimeoutError)):
            await nats.connect(
                [f"tls://127.0.0.1:{node.port}"], user="E1", password="pw-E1",
                allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2,
            )

        # A seed the server does not know: refused at CONNECT.
        wrong = tmp_path / "wrong.nk"
        wrong.write_bytes(new_seed())
        errors: list[Exception] = []

        async def collect(exc: Exception) -> None:
            errors.append(exc)

        with pytest.raises((nats.errors.Error, OSError, TimeoutError)):
            await nats.connect(
                cluster.urls[:1], nkeys_seed=str(wrong), tls=tls_context(ca_file),
                allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2,
                error_cb=collect,
            )
        assert any("authorization" in str(exc).lower() for exc in errors), errors
        # The uplink with that seed keeps trying and never gets through.
        refused = start_edge("E2", base.model_copy(
            update={"user": "E2", "password": None, "nkey_seed_file": wrong}
        ))
        try:
            refused.feed(100, time.time() - 30)
            await asyncio.sleep(3)  # nothing to await: it must stay refused for a while
            assert not refused.uplink.health.connected
            assert refused.uplink.readings_sent == 0
        finally:
            await stop(refused)
