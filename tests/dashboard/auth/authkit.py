"""The assembled dashboard for auth and console tests: the real create_app given the alarm
engine, the user database and the commissioning services (so with every router and the
auth gate), served by a real uvicorn (DashboardServer, port 0), as the gateway does."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from alerting.engine import AlarmEngine
from alerting.journal import AlarmJournal
from collectors.health import CollectorHealth
from collectors.readings import Reading
from config.catalog import Catalog, PointKey
from config.site import Site
from dashboard.alarmfeed import AlarmFeed
from dashboard.app import create_app
from dashboard.auth import TEST_COST, AuthService, AuthSettings, Role
from dashboard.duty.service import DutyServices
from dashboard.hub import Hub
from dashboard.live import LiveState
from dashboard.proxies import networks
from dashboard.routes.commissioning import Reload
from dashboard.server import DashboardServer
from dashboard.services import AlarmServices, CommissioningServices, DashboardServices
from dashboard.trends import TrendSource

SITE = "T-AUTH"
START = 1_700_000_000.0
PASSWORDS = {
    "viewer": "viewer-pass-1",
    "operator": "operator-pass-1",
    "engineer": "engineer-pass-1",
    "admin": "admin-pass-1",
}
WAIT = 10.0


class FakeClock:
    """Time that moves only when a test says so."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_site(
    modbus_port: int = 1502, mqtt_port: int = 1883, code: str = SITE
) -> Site:
    """One tank farm: a Modbus TCP device (a level with limits, a float32 CDAB flow, a gas
    detector with the %LEL defaults) and an MQTT device."""
    return Site.model_validate(
        {
            "enterprise": {"name": "测试化工", "code": code},
            "hazard_sources": [
                {"id": "HS-1", "name": "1号罐区", "grade": 2, "kind": "tank_farm"}
            ],
            "devices": [
                {
                    "id": "gauges",
                    "name": "罐区仪表",
                    "transport": "modbus_tcp",
                    "host": "127.0.0.1",
                    "port": modbus_port,
                    "poll_interval": 0.1,
                    "timeout": 0.5,
                    "points": [
                        {
                            "tag": "LT-1", "name": "1号罐液位", "kind": "level", "unit": "m",
                            "range": {"low": 0, "high": 20}, "hazard_source": "HS-1",
                            "source": {"table": "holding", "address": 0, "type": "float32"},
                            "alarms": {
                                "H": {"value": 15, "priority": "high"},
                                "HH": {"value": 18, "priority": "critical"},
                                "L": {"value": 2, "priority": "low"},
                            },
                        },
                        {
                            "tag": "FT-1", "name": "进料流量", "kind": "flow", "unit": "m3/h",
                            "range": {"low": 0, "high": 500}, "hazard_source": "HS-1",
                            "source": {"table": "holding", "address": 10, "type": "float32",
                                       "byte_order": "CDAB"},
                        },
                        {
                            "tag": "GT-1", "name": "罐区可燃气体", "kind": "combustible_gas",
                            "unit": "%LEL", "range": {"low": 0, "high": 100},
                            "hazard_source": "HS-1",
                            "source": {"table": "holding", "address": 20, "type": "uint16",
                                       "scale": 0.1},
                        },
                    ],
                },
                {
                    "id": "weather",
                    "transport": "mqtt",
                    "broker": {"host": "127.0.0.1", "port": mqtt_port},
                    "subscriptions": [
                        {"topic": "site/weather", "format": "object"},
                    ],
                    "points": [
                        {"tag": "TT-9", "name": "气温", "kind": "temperature", "unit": "°C",
                         "range": {"low": -40, "high": 60}, "hazard_source": "HS-1"},
                    ],
                },
            ],
        }
    )


@dataclass
class AppKit:
    app: FastAPI
    server: DashboardServer
    auth: AuthService
    engine: AlarmEngine
    journal: AlarmJournal
    catalog: Catalog
    live: LiveState
    hub: Hub
    clock: FakeClock

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=WAIT, **kwargs)

    @asynccontextmanager
    async def login(
        self, name: str, password: str | None = None
    ) -> AsyncIterator[httpx.AsyncClient]:
        """A client signed in as ``name`` (session cookie kept by the client)."""
        async with self.client() as client:
            response = await client.post(
                "/api/login", json={"username": name, "password": password or PASSWORDS[name]}
            )
            assert response.status_code == 200, response.text
            yield client

    async def token(self, name: str) -> str:
        async with self.client() as client:
            response = await client.post(
                "/api/login", json={"username": name, "password": PASSWORDS[name]}
            )
            assert response.status_code == 200, response.text
            token: str = response.json()["token"]
            return token

    def feed(self, readings: Sequence[Reading]) -> None:
        """What the pipeline does with a batch."""
        self.live.accept(readings)
        self.engine.accept(readings)
        self.hub.accept(readings)

    def raise_alarm(self, tag: str = "LT-1", value: float = 19.0) -> str:
        """Put a reading over the HH limit through the engine; returns the alarm id."""
        self.feed([Reading(PointKey(SITE, tag), value, self.clock())])
        active = [r.alarm_id for r in self.engine.active() if r.point.tag == tag]
        assert active, f"no alarm raised on {tag}"
        return active[0]


def add_role_users(auth: AuthService) -> None:
    for name, password in PASSWORDS.items():
        auth.add_user(name, password, Role(name), actor="test")


@asynccontextmanager
async def running_app(
    tmp_path: Path,
    site: Site,
    *,
    clock: FakeClock,
    collectors: Sequence[object] = (),
    trend: TrendSource | None = None,
    reload: Reload | None = None,
    collector_health: Sequence[CollectorHealth] = (),
    trusted_proxies: Sequence[str] = (),
    duty: DutyServices | None = None,
) -> AsyncIterator[AppKit]:
    catalog = Catalog([site])
    live = LiveState()
    journal = AlarmJournal(tmp_path / "alarms.db")
    engine = AlarmEngine(catalog, journal, clock=clock)
    hub = Hub(live, flush_interval=0.05, heartbeat=30.0, alarms=AlarmFeed(engine, catalog))
    engine.add_listener(hub.accept_events)
    auth = AuthService.open(tmp_path, clock=clock, settings=AuthSettings(hash_cost=TEST_COST))
    engine.add_listener(auth.alarm_listener)
    add_role_users(auth)
    services = DashboardServices(
        catalog=catalog,
        live=live,
        hub=hub,
        collectors=lambda: list(collector_health),
        clock=clock,
        alarms=AlarmServices(engine, journal, trend=trend),
        auth=auth,
        commissioning=CommissioningServices(collectors, reload=reload),
        duty=duty,
    )
    app = create_app(services)
    server = DashboardServer(
        app, host="127.0.0.1", port=0, graceful_timeout=2,
        trusted_proxies=networks(trusted_proxies),
    )
    await server.start()
    try:
        yield AppKit(app, server, auth, engine, journal, catalog, live, hub, clock)
    finally:
        await server.stop()
        auth.close()
        journal.close()


async def open_ws(
    kit: AppKit,
    *,
    token: str | None = None,
    cookie: str | None = None,
    headers: dict[str, str] | None = None,
) -> ClientConnection:
    url = f"ws://127.0.0.1:{kit.server.port}/ws"
    if token is not None:
        url += f"?token={token}"
    extra = dict(headers or {})
    if cookie is not None:
        extra["Cookie"] = f"hazgw_session={cookie}"
    ws = await connect(url, proxy=None, open_timeout=WAIT, close_timeout=2,
                       additional_headers=extra)
    with contextlib.suppress(ConnectionClosed):  # a refused one may be closed already
        await ws.send(json.dumps({"type": "hello"}))
    return ws


async def recv_json(ws: ClientConnection, within: float = WAIT) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), within))
    return message
