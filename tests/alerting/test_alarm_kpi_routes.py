"""GET /api/alarms/kpi through the real app, over a real engine and SQLite journal driven by
readings with a frozen clock: a flood, chattering, per post and per source, bad input; and
the KPIs computed from the gateway's own CSV export equal the API's answer.

(The issue names an ``alarmkpi`` package to compare with; it is on no package index, so the
CSV journal the gateway writes is read back here and fed to the same definitions.)"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from alarm_support import Clock, key, open_engine, reading

from alerting.engine import AlarmEngine
from alerting.events import AlarmEvent
from alerting.kpi import compute
from alerting.terms import ALARM_TYPE_TERMS, EVENT_TERMS, PRIORITY_COLOUR_TERMS, STATE_TERMS
from config.catalog import PointKey
from config.notifications import NotificationSettings
from dashboard.app import create_app
from dashboard.auth import TEST_COST, AuthService, AuthSettings, Role
from dashboard.hub import Hub
from dashboard.live import LiveState
from dashboard.services import AlarmServices, DashboardServices

VIEWER = ("李四", "viewer-pass-1")
START = 1_000_000.0

ROUTES = NotificationSettings.model_validate({
    "channels": {"shift": {"kind": "webhook", "url": "http://127.0.0.1:9/shift"},
                 "fire": {"kind": "webhook", "url": "http://127.0.0.1:9/fire"}},
    "routes": [
        {"name": "shift", "match": {"min_priority": "medium"},
         "escalation": [{"name": "当班人员", "channels": ["shift"]}]},
        {"name": "fire-room", "match": {"point_kinds": ["combustible_gas"]},
         "escalation": [{"name": "消防控制室", "channels": ["fire"]}]},
    ],
}).routes


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def engine(tmp_path: Path, clock: Clock) -> AlarmEngine:
    engine, _ = open_engine(tmp_path, clock)
    return engine


@pytest.fixture
async def client(
    tmp_path: Path, engine: AlarmEngine, clock: Clock
) -> AsyncIterator[httpx.AsyncClient]:
    auth = AuthService.open(tmp_path / "auth", settings=AuthSettings(hash_cost=TEST_COST))
    auth.add_user(*VIEWER, Role.VIEWER, actor="test")
    live = LiveState()
    services = DashboardServices(
        catalog=engine.catalog, live=live, hub=Hub(live, clock=clock), clock=clock,
        alarms=AlarmServices(engine, engine.journal, routes=ROUTES), auth=auth,
    )
    transport = httpx.ASGITransport(app=create_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
        signed_in = await auth.login(*VIEWER, "127.0.0.1")
        http.headers["Authorization"] = f"Bearer {signed_in.token}"
        yield http
    auth.close()


def feed(engine: AlarmEngine, clock: Clock, tag: str, value: float, after: float) -> None:
    clock.advance(after)
    engine.accept([reading(key(tag), clock.now, value)])


def drive_flood(engine: AlarmEngine, clock: Clock) -> None:
    """LT-1 goes over its H limit and back 12 times, 10 s apart: 12 raises within 2 minutes
    (a flood, and chattering); then GT-1 raises H (25 %LEL) once."""
    for _ in range(12):
        feed(engine, clock, "LT-1", 90.0, 5.0)
        feed(engine, clock, "LT-1", 50.0, 5.0)
    feed(engine, clock, "GT-1", 30.0, 60.0)


async def test_a_flood_in_the_kpis(
    engine: AlarmEngine, clock: Clock, client: httpx.AsyncClient
) -> None:
    drive_flood(engine, clock)
    until = START + 3600.0
    response = await client.get("/api/alarms/kpi", params={"since": START, "until": until})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["alarms"] == 13
    assert body["per_10min"] == pytest.approx(13 / 6)
    assert body["peak_10min"] == 13  # all 13 within the 10 min up to START + 180
    # LT-1 rises at START + 5, 15, ... 115, GT-1 at START + 180. The 11th raise (START +
    # 105) starts the flood; LT-1's raises leave the window from START + 605 on, 10 s
    # apart; after the 9th has left (START + 685) 4 remain (3 of LT-1 and GT-1's): below 5.
    assert body["floods"] == [{"start": START + 105.0, "end": START + 685.0}]
    assert body["flood_share"] == pytest.approx(580.0 / 3600.0)
    assert body["top"][0] == {
        "alarm_id": "T1/LT-1/H", "tag": "LT-1", "name": "测点LT-1", "count": 12,
        "share": pytest.approx(12 / 13),
    }
    # 7 raises 10 s apart span 60 s exactly: "within 60 s" includes both ends.
    assert body["chattering"] == [{"alarm_id": "T1/LT-1/H", "most_in_window": 7}]
    assert body["stale"] == [] and body["shelved"] == []
    assert body["targets"]["per_10min"] == 1.0 and body["targets"]["flood_share"] == 0.01
    posts = {row["id"]: row for row in body["posts"]}
    assert posts["fire-room"]["label"] == "消防控制室" and posts["fire-room"]["alarms"] == 1
    sources = {row["id"]: row for row in body["sources"]}
    assert sources["HS1"]["label"] == "1号罐区" and sources["HS1"]["alarms"] == 13
    assert sources["HS2"]["alarms"] == 0

    fire = await client.get(
        "/api/alarms/kpi", params={"since": START, "until": until, "post": "fire-room"}
    )
    assert fire.status_code == 200, fire.text
    assert (fire.json()["alarms"], fire.json()["floods"]) == (1, [])
    assert fire.json()["post"] == "fire-room"
    dust = await client.get(
        "/api/alarms/kpi", params={"since": START, "until": until, "source": "HS2"}
    )
    assert dust.json()["alarms"] == 0


def events_from_csv(data: bytes) -> list[AlarmEvent]:
    """The gateway's history CSV back into events: the words are the terms' Chinese."""
    kinds = {term.zh: kind for kind, term in EVENT_TERMS.items()}
    states = {term.zh: state for state, term in STATE_TERMS.items()}
    priorities = {term.zh: p for p, term in PRIORITY_COLOUR_TERMS.items()}
    types = {term.zh: t for t, term in ALARM_TYPE_TERMS.items()}
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    events = []
    for row in rows[1:]:
        seq, _, ts, alarm, site, _, _, tag, _, kind_type, kind, state, level = row[:13]
        events.append(AlarmEvent(
            alarm_id=alarm, point=PointKey(site, tag), alarm_type=types[kind_type],
            kind=kinds[kind], state=states[state], priority=priorities[level],
            ts=float(ts), seq=int(seq),
        ))
    events.sort(key=lambda event: event.seq)
    return events


async def test_kpis_from_the_csv_export_equal_the_api(
    engine: AlarmEngine, clock: Clock, client: httpx.AsyncClient
) -> None:
    drive_flood(engine, clock)
    until = START + 3600.0
    params = {"since": START, "until": until}
    exported = await client.get("/api/alarms/history.csv", params=params)
    assert exported.status_code == 200
    from_csv = compute(events_from_csv(exported.content), START, until)
    api = (await client.get("/api/alarms/kpi", params=params)).json()
    assert from_csv.alarms == api["alarms"] == 13
    assert from_csv.per_10min == pytest.approx(api["per_10min"])
    assert from_csv.per_day == pytest.approx(api["per_day"])
    assert from_csv.peak_10min == api["peak_10min"]
    assert from_csv.flood_seconds == pytest.approx(api["flood_seconds"])
    assert [(c.alarm_id, c.count) for c in from_csv.top] == [
        (c["alarm_id"], c["count"]) for c in api["top"]
    ]
    assert from_csv.top_share == pytest.approx(api["top_share"])
    assert [(c.alarm_id, c.most_in_window) for c in from_csv.chattering] == [
        (c["alarm_id"], c["most_in_window"]) for c in api["chattering"]
    ]
    assert [(p.priority.value, p.count) for p in from_csv.priorities] == [
        (p["priority"], p["count"]) for p in api["priorities"]
    ]


async def test_shelved_across_the_period_boundary(
    engine: AlarmEngine, clock: Clock, client: httpx.AsyncClient
) -> None:
    """Shelved before the period (whose events lie outside it), still shelved after it: the
    journal's opening state gives the whole period as shelved."""
    feed(engine, clock, "LT-1", 90.0, 1.0)
    engine.shelve("T1/LT-1/H", "张三", "检修", 86_400.0)
    since = clock.now + 7200.0
    response = await client.get(
        "/api/alarms/kpi", params={"since": since, "until": since + 3600.0}
    )
    body = response.json()
    assert body["alarms"] == 0
    assert body["shelved"] == [{"alarm_id": "T1/LT-1/H", "seconds": 3600.0}]


BAD = [
    ({"since": START + 10, "until": START}, "until"),
    ({"since": START, "until": START + 32 * 86_400}, "31"),
    ({"since": START, "until": START + 60, "post": "nobody"}, "unknown post"),
    ({"since": START, "until": START + 60, "source": "HS9"}, "unknown hazard source"),
    ({"since": "yesterday"}, "since"),
    ({"since": -1}, "since"),
]


@pytest.mark.parametrize(("params", "says"), BAD)
async def test_bad_input_is_a_clear_422(
    client: httpx.AsyncClient, params: dict[str, object], says: str
) -> None:
    response = await client.get("/api/alarms/kpi", params=params)
    assert response.status_code == 422
    assert says in response.text


async def test_signed_in_only(client: httpx.AsyncClient) -> None:
    del client.headers["Authorization"]
    assert (await client.get("/api/alarms/kpi")).status_code == 401
