"""`hazgw demo`: a simulated plant, a broker, influxd when installed, a notification inbox,
and the gateway with its dashboard, all on loopback, all stopped by Ctrl-C or SIGTERM.

Drills (演练) are exposed only here: `GET /api/demo/scenarios` lists them and
`POST /api/demo/scenarios/{name}` starts one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import time
import webbrowser
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel

from collectors.taskdump import describe_tasks
from config.gateway_file import GatewayConfig, HttpSettings, InfluxV1, StorageSettings
from config.notifications import NotificationSettings
from config.shifts import ReportSettings, ShiftSchedule
from dashboard.auth import Role, create_demo_users, require
from gateway.runtime import Gateway, Parts
from gateway.sim.broker import any_broker
from gateway.sim.inbox import DemoInbox
from gateway.sim.influx import influxd, influxd_available
from gateway.sim.plant import EXAMPLES, SCENARIOS, Plant, PlantModel

log = logging.getLogger("hazgw.demo")


class ScenarioOut(BaseModel):
    name: str
    title: str
    duration: float
    active: bool


class DeliveryOut(BaseModel):
    channel: str
    received_at: float
    subject: str
    body: str


def demo_router(plant: Plant, inbox: DemoInbox) -> APIRouter:
    api = APIRouter(prefix="/api/demo", tags=["demo"])

    @api.get("/scenarios")
    def scenarios() -> list[ScenarioOut]:
        active = set(plant.model.active(time.time()))
        return [
            ScenarioOut(name=s.name, title=s.title, duration=s.duration, active=s.name in active)
            for s in SCENARIOS.values()
        ]

    @api.post(
        "/scenarios/{name}", status_code=202, dependencies=[Depends(require(Role.OPERATOR))]
    )
    def start(name: str) -> ScenarioOut:
        if name not in SCENARIOS:
            raise HTTPException(404, f"no scenario {name!r}; known: {', '.join(SCENARIOS)}")
        scenario = plant.start_scenario(name)
        log.info("drill started: %s (%s)", scenario.name, scenario.title)
        return ScenarioOut(
            name=scenario.name, title=scenario.title, duration=scenario.duration, active=True
        )

    @api.get("/notices")
    def notices() -> list[DeliveryOut]:
        """What the demo's notification channels received, newest last."""
        return [
            DeliveryOut(
                channel=d.channel, received_at=d.received_at, subject=d.subject, body=d.body
            )
            for d in inbox.deliveries
        ]

    return api


# Two twelve-hour shifts; the demo users operator and engineer take turns.
# Cancelled, the gateway stops its web server (5 s grace for handlers), writers and devices.
STOP_WITHIN = 20.0

DEMO_SHIFTS = ShiftSchedule.model_validate({
    "timezone": "Asia/Shanghai",
    "shifts": [
        {"name": "白班", "start": "08:00", "officers": ["operator"]},
        {"name": "夜班", "start": "20:00", "officers": ["engineer"]},
    ],
})


def demo_notifications(
    inbox: DemoInbox, escalate_after: float, consolidation_window: float = 30.0
) -> NotificationSettings:
    """The shift first, the safety manager if nobody answers, then the park duty centre;
    second-level combustible alarms and detector faults also go to the fire-control room."""
    return NotificationSettings.model_validate(
        {
            "channels": {
                "shift": {"kind": "webhook", "url": inbox.webhook_url("shift")},
                "safety-manager": {
                    "kind": "email",
                    "host": "127.0.0.1",
                    "port": inbox.smtp_port,
                    "security": "none",
                    "from": "hazgw-demo@localhost",
                    "to": ["safety-manager@localhost"],
                },
                "park-duty": {"kind": "webhook", "url": inbox.webhook_url("park-duty")},
                "fire-room": {"kind": "webhook", "url": inbox.webhook_url("fire-room")},
            },
            "routes": [
                {
                    "name": "shift",
                    "match": {"min_priority": "medium"},
                    "escalation": [
                        {
                            "name": "当班人员",
                            "channels": ["shift"],
                            "escalate_after": escalate_after,
                        },
                        {
                            "name": "安全管理人员",
                            "channels": ["safety-manager"],
                            "escalate_after": escalate_after,
                        },
                        {"name": "园区应急值守", "channels": ["park-duty"]},
                    ],
                },
                {
                    "name": "fire-control-room",
                    "match": {
                        "point_kinds": ["combustible_gas"],
                        "alarm_types": ["HH", "SENSOR_FAULT", "COMM_LOSS"],
                    },
                    "escalation": [{"name": "消防控制室", "channels": ["fire-room"]}],
                },
            ],
            "consolidation_window": consolidation_window,
            "retry": {"attempts": 3, "initial_delay": 1.0, "max_delay": 10.0},
        }
    )


@dataclass
class DemoHandles:
    """What a running demo is made of, for tests that drive it."""

    gateway: Gateway
    plant: Plant
    inbox: DemoInbox
    influx_url: str | None
    users: list[tuple[str, Role, str]]

    @property
    def parts(self) -> Parts:
        assert self.gateway.parts is not None
        return self.gateway.parts


@contextlib.asynccontextmanager
async def demo_running(
    *,
    port: int = 8000,
    state_dir: Path | None = None,
    auto_events: float | None = 300.0,
    escalate_after: float = 120.0,
    use_influxd: bool = True,
    plant_speed: float = 1.0,
    consolidation_window: float = 30.0,
    heartbeat_timeout: float | None = None,
    public_url: str | None = None,
) -> AsyncIterator[DemoHandles]:
    """Start everything; yield once the dashboard listens; stop everything on exit."""
    async with contextlib.AsyncExitStack() as stack:
        if state_dir is None:
            state_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hazgw-demo-")))
        broker = await stack.enter_async_context(any_broker())
        log.info("broker: %s on %s:%d", broker.kind, broker.host, broker.port)
        storage = None
        influx_url = None
        if use_influxd and influxd_available():
            server = await stack.enter_async_context(influxd())
            influx_url = server.url
            storage = StorageSettings(target=InfluxV1(kind="influx_v1", url=server.url))
            log.info("influxd: %s (database hazgw)", server.url)
        else:
            log.warning("influxd is not installed: readings are not stored")
        inbox = DemoInbox()
        await inbox.start()
        stack.push_async_callback(inbox.stop)
        plant = Plant(
            broker.host,
            broker.port,
            auto_events=auto_events,
            model=PlantModel(speed=plant_speed),
            heartbeat_timeout=heartbeat_timeout,
        )
        await plant.start_servers()
        stack.push_async_callback(plant.stop_servers)
        config = GatewayConfig(
            sites=[EXAMPLES / "tank_farm.yaml", EXAMPLES / "dust_line.yaml"],
            storage=storage,
            # With a public address, notices carry acknowledgement links (/a/<token>).
            http=HttpSettings(port=port, public_url=public_url),
            notifications=demo_notifications(inbox, escalate_after, consolidation_window),
            shifts=DEMO_SHIFTS,
            reports=ReportSettings(email_channel="safety-manager", email_to=["duty@localhost"]),
        )

        def routers(parts: Parts) -> Sequence[APIRouter]:
            return [demo_router(plant, inbox)]

        gateway = Gateway(config, plant.sites(), state_dir=state_dir, extra_routers=routers)
        async with asyncio.TaskGroup() as group:
            plant_task = group.create_task(plant.run(), name="demo-plant")
            gateway_task = group.create_task(gateway.run(), name="gateway")
            ready = asyncio.create_task(gateway.ready.wait())
            done, _ = await asyncio.wait(
                {ready, gateway_task}, timeout=30, return_when=asyncio.FIRST_COMPLETED
            )
            if ready not in done:
                ready.cancel()
                raise RuntimeError("the gateway did not start within 30 s")
            assert gateway.auth is not None
            # No default password outside the demo: these users exist only here.
            users = create_demo_users(gateway.auth)
            try:
                yield DemoHandles(gateway, plant, inbox, influx_url, users)
            finally:
                gateway_task.cancel()
                plant_task.cancel()
                # The task group waits for both whatever happens; a stop that takes longer
                # than it should is logged with what every task is parked on.
                _, stuck = await asyncio.wait({gateway_task, plant_task}, timeout=STOP_WITHIN)
                if stuck:
                    log.error("the demo did not stop within %.0f s; waiting on:\n%s",
                              STOP_WITHIN, describe_tasks())


async def run_demo(port: int, state_dir: Path | None, open_browser: bool) -> None:
    # The demo's notices carry acknowledgement links to this very address.
    public_url = f"http://127.0.0.1:{port}" if port else None
    async with demo_running(port=port, state_dir=state_dir, public_url=public_url) as demo:
        url = demo.parts.server.url
        print(f"\nhazgw demo 正在运行 / running: {url}")
        print(f"  drills 演练: POST {url}/api/demo/scenarios/NAME; NAME: {', '.join(SCENARIOS)}")
        print(f"  notices received by the demo channels: {url}/api/demo/notices")
        if demo.influx_url:
            print(f"  influxd: {demo.influx_url} (database hazgw)")
        print("  演示用户 / demo users (only in hazgw demo):")
        for name, role, password in demo.users:
            print(f"    {name:<9} {role.value:<9} 密码/password: {password}")
        print(f"  screens: {url}/wall  {url}/console  {url}/commissioning  (login: {url}/login)")
        print("  Ctrl-C stops everything.\n", flush=True)
        if open_browser:
            webbrowser.open(url)
        await asyncio.Future()
