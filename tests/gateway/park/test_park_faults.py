"""Faults at the park's edges: a link cut while readings keep coming, an enterprise that
speaks for another, and hostile input that the central side must refuse and count."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import nats
import pytest

from collectors.readings import Reading
from config.catalog import PointKey
from gateway.park.central import CURSORS
from gateway.park.leases import bucket
from gateway.sim.influx import influxd_available
from gateway.sim.nats import CENTRAL_USER, nats_server_binary
from gateway.uplink import envelope
from tests.gateway.park.harness import CENTRAL_PASSWORD, PARTITIONS, enterprise_site, park
from tests.gateway.park.proxy import LinkProxy
from tests.support.waiting import poll_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(nats_server_binary() is None, reason="nats-server not installed"),
    pytest.mark.skipif(not influxd_available(), reason="influxd not installed"),
]

CUT_SECONDS = 60.0  # the cut, while the edge keeps collecting
FEEDS = 12  # a feed of 250 readings every 5 s of the cut


@pytest.mark.timeout(150)  # the 60 s cut, and the cluster around it
async def test_link_cut_edge_holds_then_drains_in_order(tmp_path: Path) -> None:
    async with park(["E1"], tmp_path) as p:
        central = p.start_central("a")
        proxy = LinkProxy(p.cluster.nodes[1].port)
        await proxy.up()
        edge = p.start_edge("E1", enterprise_site("E1"), servers=[proxy.url])
        start = time.time() - 60
        edge.feed(1000, start)
        await poll_until(lambda: central.readings_written >= 1000, within=20,
                         message="first readings through the link")
        await proxy.cut()
        cut_at = time.monotonic()
        for _ in range(FEEDS):
            edge.feed(250, start)
            # Collecting goes on at the edge's pace: the link gives no event to wait for.
            await asyncio.sleep(CUT_SECONDS / FEEDS)
        health = edge.uplink.health
        assert not health.connected
        assert health.backlog == 3000, health  # every reading of the cut held at the edge
        assert health.failures >= 1 and health.last_error
        assert central.readings_written == 1000
        await proxy.up()
        await poll_until(lambda: edge.uplink.health.backlog == 0, within=30,
                         message="backlog drained")
        assert time.monotonic() - cut_at >= CUT_SECONDS

        async def all_in() -> bool:
            return await p.readings_in_db("E1") == 4000

        await poll_until(all_in, within=20, interval=0.5, message="4000 readings in InfluxDB")
        assert central.readings_written == 4000  # no batch written twice either
        assert edge.buffer.dropped == 0
        assert central.refused() == {}  # the drained batches are in order: no "replay"
        await proxy.cut()


async def test_impersonation_and_bad_input_are_refused_and_counted(tmp_path: Path) -> None:
    async with park(["E1", "E2"], tmp_path) as p:
        central = p.start_central("a")
        honest = p.start_edge("E1", enterprise_site("E1"))
        # E2's site, sent with E1's credentials: NATS refuses every publish.
        forger = p.start_edge("E2", enterprise_site("E2"), user="E1", password="pw-E1")
        start = time.time() - 60
        honest.feed(500, start)
        forger.feed(500, start)
        await poll_until(lambda: central.readings_written >= 500, within=20,
                         message="honest readings written")
        await poll_until(lambda: forger.uplink.failures >= 2, within=10,
                         message="forged publishes refused by NATS")
        assert forger.uplink.readings_sent == 0

        # E1 itself, on its own subject, with hostile bodies: the central side refuses them.
        nc = await nats.connect(p.cluster.urls, user="E1", password="pw-E1",
                                inbox_prefix="_INBOX_E1")
        js = nc.jetstream()
        row = ["LT-101", "HS-TF1", "level", start, 1.0, "good", ""]
        now = time.time()
        bodies = [
            b"not json",
            envelope.readings_message("E2", "gw1", 1, 1, now, [row]),  # wrong code
            envelope.readings_message("E1", "gw1", 1, 1, now, [row]),  # replay: epoch 1 is old
            envelope.readings_message(
                "E1", "gw1", honest.uplink.epoch + 10**9, 1, now,
                [[*row[:3], now + 86400, 1.0, "good", ""]],  # a day in the future
            ),
            json.dumps({"v": 1, "enterprise": "E1", "rows": "x"}).encode(),
        ]
        for body in bodies:
            await js.publish("hazgw.E1.readings", body, timeout=5)
        await nc.close()

        await poll_until(
            lambda: sum(central.refused().get("E1", {}).values()) >= 5, within=15,
            message="five refusals counted for E1",
        )
        refused = central.refused()["E1"]
        assert refused == {"malformed": 2, "wrong_code": 1, "replayed": 1, "future": 1}
        # The consumer goes on: new honest readings still arrive, nothing of E2 does.
        honest.feed(500, start + 5)

        async def honest_all_in() -> bool:
            return await p.readings_in_db("E1") == 1000

        await poll_until(honest_all_in, within=20, interval=0.5, message="E1 complete")
        assert await p.readings_in_db("E2") == 0
        # Readings of a site this edge no longer has (buffered before a reload or restart
        # removed it) are skipped: they do not hold up the readings behind.
        honest.buffer.put([
            Reading(PointKey("GONE", "X-1"), 1.0, start + 30 + i * 0.001) for i in range(10)
        ])
        honest.feed(500, start + 40)

        async def after_foreign() -> bool:
            return await p.readings_in_db("E1") == 1500

        await poll_until(after_foreign, within=20, interval=0.5, message="E1 after GONE")
        assert await p.readings_in_db("GONE") == 0
        # Counted where every instance (and the screens) can see them.
        await poll_until(
            lambda: next((e.refused for e in central.registry.enterprises() if e.code == "E1"),
                         {}) == refused,
            within=10, message="refusals in the shared registry",
        )


async def test_a_failed_cursor_put_leaves_batches_to_redelivery_and_loses_nothing(
    tmp_path: Path,
) -> None:
    """A node dying between the database write and the acknowledgements (here: the cursor
    bucket gone, so its put fails at once) must not end the partition's worker while the
    instance keeps the lease: the batches stay unacknowledged, come back after the ack wait
    and overwrite themselves once the bucket is there again."""
    async with park(["E1"], tmp_path) as p:
        central = p.start_central("a")
        edge = p.start_edge("E1", enterprise_site("E1"))
        start = time.time() - 60
        edge.feed(1000, start)
        await poll_until(lambda: central.readings_written >= 1000 and central.messages_acked > 0,
                         within=20, message="first readings written and acknowledged")
        await poll_until(lambda: len(central.owned) == PARTITIONS, within=20,
                         message="every partition owned")
        acked = central.messages_acked
        nc = await nats.connect(p.cluster.urls, user=CENTRAL_USER, password=CENTRAL_PASSWORD)
        try:
            js = nc.jetstream()
            await js.delete_key_value(CURSORS)
            edge.feed(1000, start + 5)
            await poll_until(lambda: central.readings_written >= 2000, within=20,
                             message="the next readings written")
            # Written, not acknowledged: the cursor could not be kept.
            assert central.messages_acked == acked
            await bucket(js, CURSORS, ttl=None, replicas=3)
        finally:
            await nc.close()

        async def all_in() -> bool:
            return await p.readings_in_db("E1") == 2000

        await poll_until(all_in, within=20, interval=0.5, message="2000 readings in InfluxDB")
        await poll_until(lambda: central.messages_acked > acked, within=30,
                         message="the batches redelivered and acknowledged")
        assert central.redelivered >= 1
        assert central.worker_failures == 0
        assert len(central.owned) == PARTITIONS
        assert central.refused() == {}
        assert await p.readings_in_db("E1") == 2000  # redeliveries overwrite: nothing doubled
