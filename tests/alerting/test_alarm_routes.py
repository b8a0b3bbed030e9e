"""The alarm HTTP API through the real dashboard app (``create_app`` given the alarm engine
and the user database), over httpx's ASGI transport, backed by a real engine and SQLite
journal; the client is signed in as the operator 张三."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from alarm_support import Clock, key, open_engine, reading

from alerting.ackrules import NEEDS_CONFIRMATION, NEEDS_DISPOSITION
from alerting.engine import AlarmEngine
from alerting.events import AlarmEvent, AlarmState, EventKind
from config.vocabulary import AlarmType, Priority
from dashboard.app import create_app
from dashboard.auth import TEST_COST, AuthService, AuthSettings, Role
from dashboard.hub import Hub
from dashboard.live import LiveState
from dashboard.routes.alarms import alarm_component
from dashboard.services import AlarmServices, DashboardServices

OPERATOR = ("张三", "operator-pass-1")
VIEWER = ("李四", "viewer-pass-1")
ENGINEER = ("王工", "engineer-pass-1")


class Gateway:
    def __init__(self, engine: AlarmEngine, clock: Clock, hub: Hub) -> None:
        self.engine = engine
        self.clock = clock
        self.hub = hub

    def feed(self, tag: str, *actions: object) -> None:
        self.engine.accept([reading(key(tag), self.clock.now, a) for a in actions])


@pytest.fixture
async def gateway(tmp_path: Path) -> Gateway:
    clock = Clock()
    engine, _ = open_engine(tmp_path, clock)
    live = LiveState()
    hub = Hub(live, clock=clock)
    engine.add_listener(hub.accept_events)
    return Gateway(engine, clock, hub)


@pytest.fixture
async def auth(tmp_path: Path) -> AsyncIterator[AuthService]:
    service = AuthService.open(tmp_path / "auth", settings=AuthSettings(hash_cost=TEST_COST))
    service.add_user(*OPERATOR, Role.OPERATOR, actor="test")
    service.add_user(*VIEWER, Role.VIEWER, actor="test")
    service.add_user(*ENGINEER, Role.ENGINEER, actor="test")
    yield service
    service.close()


def app_of(gateway: Gateway, auth: AuthService | None) -> httpx.AsyncClient:
    engine = gateway.engine
    services = DashboardServices(
        catalog=engine.catalog, live=LiveState(), hub=gateway.hub,
        components=lambda: [alarm_component(engine)],
        alarms=AlarmServices(engine, engine.journal), auth=auth,
    )
    transport = httpx.ASGITransport(app=create_app(services))
    return httpx.AsyncClient(transport=transport, base_url="http://gw")


async def bearer(auth: AuthService, who: tuple[str, str]) -> dict[str, str]:
    signed_in = await auth.login(*who, "127.0.0.1")
    return {"Authorization": f"Bearer {signed_in.token}"}


@pytest.fixture
async def client(gateway: Gateway, auth: AuthService) -> AsyncIterator[httpx.AsyncClient]:
    async with app_of(gateway, auth) as http:
        http.headers.update(await bearer(auth, OPERATOR))
        yield http


async def test_active_alarms_listed_with_names_and_colours(
    gateway: Gateway, client: httpx.AsyncClient
) -> None:
    gateway.feed("GT-1", 55.0)
    response = await client.get("/api/alarms")
    assert response.status_code == 200
    alarms = {a["id"]: a for a in response.json()["alarms"]}
    assert list(alarms) == ["T1/GT-1/HH", "T1/GT-1/H"]  # most urgent first
    hh = alarms["T1/GT-1/HH"]
    assert (hh["priority"], hh["colour"], hh["state"], hh["type"]) == (
        "critical", "red", "active_unacknowledged", "HH"
    )
    assert (hh["value"], hh["limit"], hh["raised_at"]) == (55.0, 50.0, gateway.clock.now)
    assert (hh["site_name"], hh["point_name"], hh["hazard_source_name"]) == (
        "测试化工有限公司", "测点GT-1", "1号罐区"
    )
    assert hh["unit"] == "%LEL" and hh["system"] is False
    filtered = await client.get("/api/alarms", params={"hazard_source": "HS2"})
    assert filtered.json()["alarms"] == []
    by_state = await client.get("/api/alarms", params={"state": "active_acknowledged"})
    assert by_state.json()["alarms"] == []


async def test_ack_one(gateway: Gateway, client: httpx.AsyncClient) -> None:
    gateway.feed("GT-1", 30.0)
    response = await client.post("/api/alarms/T1/GT-1/H/ack", json={"comment": "已确认"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["state"], body["acknowledged_by"]) == ("active_acknowledged", "张三")
    again = await client.post("/api/alarms/T1/GT-1/H/ack", json={})
    assert again.status_code == 409 and "active_acknowledged" in again.json()["detail"]
    missing = await client.post("/api/alarms/T1/NOPE/H/ack")
    assert missing.status_code == 404
    # without a body at all
    gateway.feed("LT-1", 90.0)
    bare = await client.post("/api/alarms/T1/LT-1/H/ack")
    assert bare.status_code == 200


async def test_ack_of_a_returned_alarm_answers_who_acknowledged(
    gateway: Gateway, client: httpx.AsyncClient
) -> None:
    gateway.feed("LT-1", 90.0, 50.0)  # raised and returned before anyone answered
    returned_at = gateway.clock.now
    gateway.clock.advance(7)
    response = await client.post("/api/alarms/T1/LT-1/H/ack", json={"comment": "已复位"})
    assert response.status_code == 200, response.text
    body = response.json()
    # Before, the alarm had left memory and the answer was a fresh record with nobody.
    assert (body["state"], body["acknowledged_by"], body["acknowledged_at"]) == (
        "normal", "张三", gateway.clock.now
    )
    assert (body["raised_at"], body["returned_at"], body["value"]) == (
        returned_at, returned_at, 50.0
    )
    detail = (await client.get("/api/alarms/T1/LT-1/H")).json()
    assert detail["alarm"]["state"] == "normal"
    assert detail["events"][0]["kind"] == "acknowledged"
    assert detail["events"][0]["user"] == "张三"


async def test_ack_many(gateway: Gateway, client: httpx.AsyncClient) -> None:
    gateway.feed("GT-1", 55.0)
    gateway.feed("LT-1", 90.0)
    ids = ["T1/GT-1/H", "T1/GT-1/HH", "T1/LT-1/H", "T1/LT-1/L", "X/Y/H"]
    # One click leaves out the gas alarms (high and critical).
    response = await client.post("/api/alarms/ack", json={"ids": ids, "comment": "批量确认"})
    assert response.status_code == 200
    body = response.json()
    assert body["acknowledged"] == ["T1/LT-1/H"]
    assert body["refused"]["T1/GT-1/H"] == NEEDS_CONFIRMATION
    assert body["refused"]["T1/GT-1/HH"] == NEEDS_CONFIRMATION
    assert "T1/LT-1/L" in body["refused"] and body["unknown"] == ["X/Y/H"]
    # Confirmed without a comment: still left out.
    bare = await client.post("/api/alarms/ack", json={"ids": ids, "include_urgent": True})
    assert bare.json()["acknowledged"] == []
    # Confirmed with a comment: the high one goes; the critical one needs a disposition.
    confirmed = {"ids": ids, "include_urgent": True, "comment": "已到现场"}
    body = (await client.post("/api/alarms/ack", json=confirmed)).json()
    assert body["acknowledged"] == ["T1/GT-1/H"]
    assert body["refused"]["T1/GT-1/HH"] == NEEDS_DISPOSITION
    body = (
        await client.post("/api/alarms/ack", json={**confirmed, "disposition": "false_alarm"})
    ).json()
    assert body["acknowledged"] == ["T1/GT-1/HH"]
    detail = (await client.get("/api/alarms/T1/GT-1/HH")).json()
    ack = next(e for e in detail["events"] if e["kind"] == "acknowledged")
    assert ack["comment"] == "处置结论：误报。已到现场"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 422),
        ({"comment": "已处置"}, 422),  # no disposition
        ({"disposition": "real"}, 422),  # no comment
        ({"disposition": "real", "comment": "  "}, 422),
        ({"disposition": "guess", "comment": "x"}, 422),  # not one of the four
        ({"disposition": "maintenance", "comment": "检修中"}, 200),
    ],
)
async def test_a_critical_alarm_needs_a_disposition_and_a_comment(
    gateway: Gateway, client: httpx.AsyncClient, body: dict[str, str], status: int
) -> None:
    gateway.feed("GT-1", 55.0)
    response = await client.post("/api/alarms/T1/GT-1/HH/ack", json=body)
    assert response.status_code == status, response.text
    state = gateway.engine.get("T1/GT-1/HH").state.value
    assert state == ("active_acknowledged" if status == 200 else "active_unacknowledged")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/alarms/ack", {"ids": []}),
        ("/api/alarms/ack", {"ids": "T1/GT-1/H"}),
        ("/api/alarms/ack", {"ids": ["T1/GT-1/H"], "extra": 1}),
        ("/api/alarms/T1/GT-1/H/shelve", {"reason": "r"}),
        ("/api/alarms/T1/GT-1/H/shelve", {"reason": "", "minutes": 5}),
        ("/api/alarms/T1/GT-1/H/shelve", {"reason": "r", "minutes": 0}),
        ("/api/alarms/T1/GT-1/H/shelve", {"reason": "r", "minutes": 100000}),
        ("/api/alarms/T1/GT-1/H/notes", {"text": ""}),
        ("/api/alarms/T1/GT-1/H/notes", {}),
        ("/api/alarms/T1/GT-1/H/out-of-service", {}),
        ("/api/alarms/T1/GT-1/H/out-of-service", {"reason": "r", "hours": 0}),
    ],
)
async def test_bad_bodies_are_422(
    gateway: Gateway, client: httpx.AsyncClient, auth: AuthService, path: str, body: object
) -> None:
    client.headers.update(await bearer(auth, ENGINEER))
    gateway.feed("GT-1", 30.0)
    response = await client.post(path, json=body)
    assert response.status_code == 422, response.text


async def test_who_is_acting(gateway: Gateway, auth: AuthService) -> None:
    """The signed-in person, never a name the request brings along."""
    gateway.feed("GT-1", 30.0)
    forged = {"X-Hazgw-User": "duty-1"}
    async with app_of(gateway, auth) as http:
        anonymous = await http.post("/api/alarms/T1/GT-1/H/ack", headers=forged)
        assert anonymous.status_code == 401
        viewer = await http.post(
            "/api/alarms/T1/GT-1/H/ack", headers={**forged, **await bearer(auth, VIEWER)}
        )
        assert viewer.status_code == 403
        operator = await http.post(
            "/api/alarms/T1/GT-1/H/ack", headers={**forged, **await bearer(auth, OPERATOR)}
        )
        assert operator.json()["acknowledged_by"] == "张三"


async def test_out_of_service_needs_an_engineer_a_reason_and_may_end_by_itself(
    gateway: Gateway, auth: AuthService
) -> None:
    body = {"reason": "探测器送检", "hours": 4}
    path = "/api/alarms/T1/GT-1/H/out-of-service"
    async with app_of(gateway, auth) as http:
        operator = await http.post(path, json=body, headers=await bearer(auth, OPERATOR))
        assert operator.status_code == 403
        engineer = await http.post(path, json=body, headers=await bearer(auth, ENGINEER))
        assert engineer.status_code == 200, engineer.text
        removed = engineer.json()
        assert (removed["state"], removed["removed_by"]) == ("out_of_service", "王工")
        assert removed["shelved_until"] == pytest.approx(gateway.clock.now + 4 * 3600)
        too_long = await http.post(
            "/api/alarms/T1/GT-1/HH/out-of-service", json={"reason": "r", "hours": 721},
            headers=await bearer(auth, ENGINEER),
        )
        assert too_long.status_code == 422
        back = "/api/alarms/T1/GT-1/H/in-service"
        assert (await http.post(back, headers=await bearer(auth, OPERATOR))).status_code == 403
        restored = await http.post(back, headers=await bearer(auth, ENGINEER))
        assert restored.json()["state"] == "normal"


async def test_without_sign_in_no_action_is_taken(gateway: Gateway) -> None:
    """An app without the user database has nobody signed in: every action is refused
    (fail closed), whatever the request says, and the alarm stays unacknowledged."""
    gateway.feed("GT-1", 30.0)
    async with app_of(gateway, None) as http:
        for path in ("/api/alarms/T1/GT-1/H/ack", "/api/alarms/T1/GT-1/H/unshelve"):
            refused = await http.post(path, headers={"X-Hazgw-User": "duty-1"})
            assert refused.status_code == 401, path
        bulk = await http.post("/api/alarms/ack", json={"ids": ["T1/GT-1/H"]})
        assert bulk.status_code == 401
    assert gateway.engine.get("T1/GT-1/H").state is AlarmState.UNACK


async def test_shelve_unshelve_and_notes(gateway: Gateway, client: httpx.AsyncClient) -> None:
    gateway.feed("LT-1", 90.0)
    shelved = await client.post("/api/alarms/T1/LT-1/H/shelve",
                                json={"reason": "液位计校准", "minutes": 30})
    assert shelved.status_code == 200
    body = shelved.json()
    assert (body["state"], body["shelved_by"], body["shelve_reason"]) == (
        "shelved", "张三", "液位计校准"
    )
    assert body["shelved_until"] == gateway.clock.now + 1800
    unshelved = await client.post("/api/alarms/T1/LT-1/H/unshelve", json={"comment": "完成"})
    assert unshelved.json()["state"] == "active_unacknowledged"
    twice = await client.post("/api/alarms/T1/LT-1/H/unshelve")
    assert twice.status_code == 409
    note = await client.post("/api/alarms/T1/LT-1/H/notes", json={"text": "已排液处理"})
    assert note.status_code == 200
    assert (note.json()["kind"], note.json()["user"]) == ("note", "张三")
    assert note.json()["seq"] > 0
    detail = await client.get("/api/alarms/T1/LT-1/H")
    kinds = [e["kind"] for e in detail.json()["events"]]
    assert kinds == ["note", "raised", "unshelved", "shelved", "raised"]
    assert detail.json()["alarm"]["state"] == "active_unacknowledged"
    assert (await client.get("/api/alarms/T1/NOPE/H")).status_code == 404


async def test_out_of_service_and_back(
    gateway: Gateway, client: httpx.AsyncClient, auth: AuthService
) -> None:
    client.headers.update(await bearer(auth, ENGINEER))  # 停用 / 投用: an engineer
    removed = await client.post("/api/alarms/T1/GT-1/H/out-of-service",
                                json={"reason": "探测器更换"})
    assert removed.status_code == 200 and removed.json()["state"] == "out_of_service"
    assert removed.json()["removed_reason"] == "探测器更换"
    gateway.feed("GT-1", 30.0)
    listed = (await client.get("/api/alarms")).json()["alarms"]
    assert [(a["id"], a["state"], a["active"]) for a in listed] == [
        ("T1/GT-1/H", "out_of_service", True)
    ]
    restored = await client.post("/api/alarms/T1/GT-1/H/in-service")
    assert restored.json()["state"] == "active_unacknowledged"
    again = await client.post("/api/alarms/T1/GT-1/H/in-service")
    assert again.status_code == 409


async def test_history_with_filters(gateway: Gateway, client: httpx.AsyncClient) -> None:
    gateway.feed("GT-1", 55.0)
    gateway.clock.advance(10)
    gateway.feed("XS-1", True)
    await client.post("/api/alarms/ack", json={"ids": ["T1/GT-1/H"]})
    everything = (await client.get("/api/alarms/history")).json()["events"]
    assert [e["id"] for e in everything] == ["T1/GT-1/H", "T1/XS-1/DISCRETE", "T1/GT-1/HH",
                                             "T1/GT-1/H"]
    critical = await client.get("/api/alarms/history",
                                params=[("priority", "critical"), ("kind", "raised")])
    assert [e["id"] for e in critical.json()["events"]] == ["T1/XS-1/DISCRETE", "T1/GT-1/HH"]
    by_type = await client.get("/api/alarms/history", params={"type": "HH"})
    assert [e["id"] for e in by_type.json()["events"]] == ["T1/GT-1/HH"]
    by_source = await client.get("/api/alarms/history", params={"hazard_source": "HS2"})
    assert [e["id"] for e in by_source.json()["events"]] == ["T1/XS-1/DISCRETE"]
    since = await client.get("/api/alarms/history", params={"since": gateway.clock.now})
    assert len(since.json()["events"]) == 2
    limited = await client.get("/api/alarms/history", params={"limit": 1, "tag": "GT-1"})
    assert [e["kind"] for e in limited.json()["events"]] == ["acknowledged"]
    assert limited.json()["events"][0]["user"] == "张三"
    bad = await client.get("/api/alarms/history", params={"priority": "urgent"})
    assert bad.status_code == 422


async def test_history_pages_by_seq_even_when_times_disagree(
    gateway: Gateway, client: httpx.AsyncClient
) -> None:
    # Events are journalled in seq order, but their times need not follow it: the notifier
    # writes its own events, and a clock may step back. Paging must still see each once.
    journal = gateway.engine.journal
    for ts in (300.0, 100.0, 200.0, 50.0, 400.0, 250.0, 250.0):
        journal.write([AlarmEvent(
            alarm_id="T1/LT-1/H", point=key("LT-1"), alarm_type=AlarmType.HIGH,
            kind=EventKind.NOTIFIED, state=AlarmState.UNACK, priority=Priority.MEDIUM,
            ts=1_000_000.0 + ts, hazard_source="HS1",
        )])
    seen: list[int] = []
    params: dict[str, int] = {"limit": 2}
    for _ in range(10):  # bounded: 7 events in pages of 2
        page = (await client.get("/api/alarms/history", params=params)).json()["events"]
        if not page:
            break
        seen.extend(event["seq"] for event in page)
        params = {"limit": 2, "before_seq": min(event["seq"] for event in page)}
    assert seen == [7, 6, 5, 4, 3, 2, 1]


async def test_load_report(gateway: Gateway, client: httpx.AsyncClient) -> None:
    for _ in range(5):
        gateway.feed("LT-1", 90.0, 5.0, 50.0)  # H and L raised and returned
        await client.post("/api/alarms/ack", json={"ids": ["T1/LT-1/H", "T1/LT-1/L"]})
        gateway.clock.advance(10)
    response = await client.get("/api/alarms/load", params={"site": "T1"})
    assert response.status_code == 200
    (report,) = response.json()["reports"]
    assert (report["alarms_in_window"], report["flood"]) == (10, True)
    assert {c["id"] for c in report["chattering"]} == {"T1/LT-1/H", "T1/LT-1/L"}
    assert report["top"][0]["count"] == 5
    assert (await client.get("/api/alarms/load", params={"site": "ZZ"})).status_code == 404
    everyone = (await client.get("/api/alarms/load")).json()["reports"]
    assert [r["site"] for r in everyone] == ["T1"]


async def test_hazard_sources(gateway: Gateway, client: httpx.AsyncClient) -> None:
    def colours(body: dict[str, list[dict[str, object]]]) -> dict[object, object]:
        return {s["id"]: s["colour"] for s in body["sources"]}

    response = await client.get("/api/hazard-sources")
    assert colours(response.json()) == {"HS1": "green", "HS2": "green"}
    gateway.feed("XS-1", True)
    gateway.feed("GT-1", 30.0)
    body = (await client.get("/api/hazard-sources")).json()
    assert colours(body) == {"HS1": "orange", "HS2": "red"}
    hs2 = next(s for s in body["sources"] if s["id"] == "HS2")
    assert (hs2["worst_priority"], hs2["unacknowledged"], hs2["grade"], hs2["name"]) == (
        "critical", 1, 3, "1号除尘系统"
    )


async def test_events_reach_the_websocket_hub(gateway: Gateway, client: httpx.AsyncClient) -> None:
    gateway.feed("GT-1", 30.0)
    assert gateway.hub.events_in == 1


async def test_health_component(gateway: Gateway, client: httpx.AsyncClient) -> None:
    gateway.feed("GT-1", 30.0)
    component = alarm_component(gateway.engine)
    assert component.ok and component.counters["events"] == 1
    assert component.counters["active"] == 1
