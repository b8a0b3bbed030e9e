"""What the console and the wall learn from the websocket: an alarm event comes with the
alarm's current record and its hazard source's status, in the shapes the REST lists answer,
so that no screen has to fetch the lists after an event."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from authkit import AppKit, FakeClock, make_site, open_ws, recv_json, running_app


@pytest.fixture
async def app(tmp_path: Path, clock: FakeClock) -> AsyncIterator[AppKit]:
    async with running_app(tmp_path, make_site(), clock=clock) as kit:
        yield kit


async def next_delta_with_events(ws: Any) -> dict[str, Any]:
    for _ in range(20):  # bounded: readings-only deltas may come first
        message = await recv_json(ws)
        if message["type"] == "delta" and message["events"]:
            return message
    raise AssertionError("no delta with alarm events")


async def test_a_delta_carries_the_records_the_lists_answer(app: AppKit) -> None:
    token = await app.token("operator")
    ws = await open_ws(app, token=token)
    try:
        assert (await recv_json(ws))["type"] == "snapshot"
        ident = app.raise_alarm("LT-1", 19.0)
        raised = await next_delta_with_events(ws)
        headers = {"Authorization": f"Bearer {token}"}
        async with app.client(headers=headers) as http:
            listed = (await http.get("/api/alarms")).json()["alarms"]
            sources = (await http.get("/api/hazard-sources")).json()["sources"]
            history = (await http.get("/api/alarms/history")).json()["events"]
        # The event as the history answers it, the record as the list does.
        by_seq = {e["seq"]: e for e in history}
        assert raised["events"] and all(e == by_seq[e["seq"]] for e in raised["events"])
        (record,) = [a for a in raised["alarms"] if a["id"] == ident]
        assert record == next(a for a in listed if a["id"] == ident)
        assert record["state"] == "active_unacknowledged"
        (source,) = raised["sources"]
        assert source == next(s for s in sources if s["id"] == source["id"])
        assert source["unacknowledged"] >= 1

        async with app.client(headers=headers) as http:
            site, tag, kind = ident.split("/")
            acked = await http.post(
                f"/api/alarms/{site}/{tag}/{kind}/ack",
                json={"comment": "现场确认", "disposition": "real"},
            )
            assert acked.status_code == 200
        answered = await next_delta_with_events(ws)
        assert [e["kind"] for e in answered["events"]] == ["acknowledged"]
        (record,) = answered["alarms"]
        assert (record["state"], record["acknowledged_by"]) == ("active_acknowledged", "operator")
        assert record == acked.json()
    finally:
        await ws.close()
