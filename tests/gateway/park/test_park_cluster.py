"""The park tier against real servers: a three-node NATS cluster (streams with 3 replicas),
edges publishing through the real uplink, central instances consuming into a real influxd.
Every scenario counts what InfluxDB holds: nothing lost, nothing doubled."""

from __future__ import annotations

import time
from pathlib import Path

import aiohttp
import pytest

from gateway.sim.influx import influxd_available
from gateway.sim.nats import nats_server_binary
from tests.gateway.park.harness import enterprise_site, park
from tests.support.waiting import poll_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(nats_server_binary() is None, reason="nats-server not installed"),
    pytest.mark.skipif(not influxd_available(), reason="influxd not installed"),
]


async def test_steady_state_then_node_and_central_killed_loses_nothing(tmp_path: Path) -> None:
    codes = ["E1", "E2", "E3"]
    async with park(codes, tmp_path) as p:
        a = p.start_central("a")
        b = p.start_central("b")
        examples = ["tank_farm.yaml", "dust_line.yaml", "tank_farm.yaml"]
        for code, example in zip(codes, examples, strict=True):
            # 20 alarm events journalled before the uplink runs: it catches up from the journal.
            p.start_edge(code, enterprise_site(code, example), events_before_start=20)
        start = time.time() - 60
        for edge in p.edges.values():
            edge.feed(3000, start)
            edge.raise_events(10, start)
        await poll_until(lambda: p.written() >= 9000, within=20, message="steady state written")
        # Both instances share the partitions.
        def shared() -> bool:
            p.check_alive()
            return len(a.owned) == 2 and len(b.owned) == 2

        await poll_until(shared, within=30,
                         message="two partitions each")

        # One NATS node dies while the edges keep sending.
        await p.cluster.kill_node(p.cluster.nodes[0])
        killed_node_at = time.monotonic()
        for edge in p.edges.values():
            edge.feed(2000, start + 10)
            edge.raise_events(10, start)
        # One central instance dies: its partitions move to the survivor.
        killed_at = time.monotonic()
        await p.kill_central("b")
        await poll_until(lambda: len(a.owned) == 4, within=15, message="takeover by a")
        takeover = time.monotonic() - killed_at
        assert takeover < 15
        for edge in p.edges.values():
            edge.feed(1000, start + 20)
            edge.raise_events(10, start)
        total = 3 * 6000

        async def all_in_db() -> bool:
            p.check_alive()
            return await p.readings_in_db() == total

        await poll_until(all_in_db, within=60, interval=0.5, message=f"{total} in InfluxDB")
        print(f"all readings stored {time.monotonic() - killed_node_at:.1f} s after the node "
              f"was killed; partitions taken over {takeover:.1f} s after the instance died")
        for code in codes:
            assert await p.readings_in_db(code) == 6000
            assert p.edges[code].buffer.dropped == 0

        async def events_in() -> bool:
            counts = [await p.events_in_db(code) for code in codes]
            return counts == [50, 50, 50]

        # Every alarm event mirrored once per (enterprise, sequence): none lost, none doubled.
        await poll_until(events_in, within=20, interval=0.5, message="50 events each")
        assert all(p.edges[code].uplink.events_cursor == 50 for code in codes)
        # The registry of the survivor knows every enterprise from its site description.
        names = {e.code: e.name for e in a.registry.enterprises()}
        assert names == {code: f"企业{code}" for code in codes}
        # ... and serves it: GET /api/enterprises and the park wall. Heartbeats on the killed
        # node's consumers come back when the ordered consumers are re-created.
        async with aiohttp.ClientSession() as http:
            base = f"http://127.0.0.1:{a.http_port}"

            async def all_online() -> dict[str, dict[str, object]] | None:
                async with http.get(f"{base}/api/enterprises") as response:
                    listed = {e["code"]: e for e in (await response.json())["enterprises"]}
                ok = set(listed) == set(codes) and all(
                    e["online"] and e["data_age"] is not None for e in listed.values()
                )
                return listed if ok else None

            listed = await poll_until(all_online, within=20, interval=0.5,
                                      message="every enterprise online on the API")
            async with http.get(f"{base}/park") as page:
                assert page.status == 200
        assert listed["E2"]["grade"] is not None
