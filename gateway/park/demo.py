"""``hazgw demo --park``: a whole park on loopback in one command.

A three-node NATS JetStream cluster, influxd, three simulated plants (each a Modbus tank
gauge, a gas controller and an MQTT dust line on its own broker) feeding six enterprise
gateways of different kinds (tank farm, warehouse, dust lines), each uplinking with its
own NATS user, and two central instances serving the park wall. Drills start at random
every few minutes, or on demand: ``POST /api/demo/park/{code}/{scenario}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException
from pydantic import SecretStr

from config.gateway_file import GatewayConfig, HttpSettings, InfluxV1
from config.park import CentralSettings
from config.points import Enterprise, HazardSourceKind
from config.shifts import Shift, ShiftSchedule
from config.site import Site
from config.uplink import Contact, UplinkSettings
from dashboard.auth import Role, create_demo_users, require
from gateway.park.central import Central
from gateway.runtime import Gateway
from gateway.sim.broker import any_broker
from gateway.sim.influx import influxd
from gateway.sim.nats import CENTRAL_USER, nats_cluster
from gateway.sim.plant import EXAMPLES, SCENARIOS, Plant, PlantModel

log = logging.getLogger("hazgw.demo")

# The duty room's shifts: the park's shift reports (/park/ledger, <state>/reports).
DEMO_SHIFTS = ShiftSchedule(
    shifts=[Shift(name="白班", start="08:00"), Shift(name="夜班", start="20:00")]
)

CENTRAL_PASSWORD = "demo-central"  # loopback only; a real park's comes from its own config
PARTITIONS = 4


@dataclass(frozen=True, slots=True)
class DemoEnterprise:
    plant: int  # which simulated plant
    site: int  # 0: its tank farm / gas site, 1: its dust line
    code: str
    name: str
    kind: HazardSourceKind | None = None  # overrides the hazard source kind
    source_name: str | None = None
    grade: int | None = None


ENTERPRISES = (
    DemoEnterprise(0, 0, "HX-CHEM", "恒信化工有限公司", grade=1),
    DemoEnterprise(0, 1, "JL-ALU", "金铝制品有限公司"),
    DemoEnterprise(1, 0, "ZY-STOR", "中远危化品仓储有限公司", HazardSourceKind.WAREHOUSE,
                   "甲类仓库库区", 2),
    DemoEnterprise(1, 1, "MF-WOOD", "木坊家具有限公司", source_name="木粉除尘系统"),
    DemoEnterprise(2, 0, "HS-PETRO", "华盛石化有限公司", grade=3),
    DemoEnterprise(2, 1, "GF-GRAIN", "谷丰粮油有限公司", source_name="粮食粉尘输送线"),
)


def enterprise_site(site: Site, spec: DemoEnterprise) -> Site:
    """One of a plant's example sites, renamed to the demo enterprise."""
    sources = []
    for source in site.hazard_sources:
        update: dict[str, object] = {}
        if spec.kind is not None:
            update["kind"] = spec.kind
        if spec.source_name is not None:
            update["name"] = spec.source_name
        if spec.grade is not None:
            update["grade"] = spec.grade
        sources.append(source.model_copy(update=update))
    return site.model_copy(
        update={"enterprise": Enterprise(name=spec.name, code=spec.code),
                "hazard_sources": sources}
    )


def demo_park_router(plants: dict[str, Plant]) -> APIRouter:
    api = APIRouter(prefix="/api/demo/park", tags=["demo"])

    @api.get("")
    def scenarios() -> dict[str, object]:
        return {"enterprises": sorted(plants), "scenarios": sorted(SCENARIOS)}

    @api.post("/{code}/{name}", status_code=202,
              dependencies=[Depends(require(Role.OPERATOR))])
    def start(code: str, name: str) -> dict[str, object]:
        plant = plants.get(code)
        if plant is None or name not in SCENARIOS:
            raise HTTPException(404, f"no enterprise {code!r} or drill {name!r}")
        scenario = plant.start_scenario(name)
        log.info("park drill at %s: %s", code, scenario.title)
        return {"enterprise": code, "scenario": name, "duration": scenario.duration}

    return api


@dataclass
class ParkDemo:
    centrals: list[Central]
    gateways: dict[str, Gateway]
    plants: dict[str, Plant]
    influx_url: str
    users: list[tuple[str, Role, str]] = field(default_factory=list)


@contextlib.asynccontextmanager
async def park_demo_running(
    *, port: int = 8000, state_dir: Path | None = None, auto_events: float | None = 180.0,
    heartbeat_interval: float = 2.0,
) -> AsyncIterator[ParkDemo]:
    async with contextlib.AsyncExitStack() as stack:
        if state_dir is None:
            state_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hazgw-park-")))
        users = {spec.code: f"demo-{spec.code}" for spec in ENTERPRISES}
        cluster = await stack.enter_async_context(
            nats_cluster(users, central_password=CENTRAL_PASSWORD, partitions=PARTITIONS,
                         mqtt=True)
        )
        log.info("NATS cluster: %s", ", ".join(cluster.urls))
        influx = await stack.enter_async_context(influxd())
        plants: list[Plant] = []
        for index in range(1 + max(spec.plant for spec in ENTERPRISES)):
            broker = await stack.enter_async_context(any_broker())
            plant = Plant(broker.host, broker.port, auto_events=auto_events,
                          model=PlantModel(seed=index + 1))
            await plant.start_servers()
            stack.push_async_callback(plant.stop_servers)
            plants.append(plant)

        gateways: dict[str, Gateway] = {}
        by_code: dict[str, Plant] = {}
        for spec in ENTERPRISES:
            plant = plants[spec.plant]
            site = enterprise_site(plant.sites()[spec.site], spec)
            config = GatewayConfig(
                sites=[EXAMPLES / "tank_farm.yaml"],  # the loaded site below is what runs
                http=HttpSettings(port=0),
                uplink=UplinkSettings(
                    servers=cluster.urls, user=spec.code, password=SecretStr(users[spec.code]),
                    heartbeat_interval=heartbeat_interval,
                    contacts=[Contact(name="值班长", role="主要负责人", phone="0000-0000000")],
                ),
            )
            folder = state_dir / spec.code
            folder.mkdir(parents=True, exist_ok=True)
            gateways[spec.code] = Gateway(config, [site], state_dir=folder)
            by_code[spec.code] = plant

        centrals = []
        for index, name in enumerate(("central-a", "central-b")):
            folder = state_dir / name
            folder.mkdir(parents=True, exist_ok=True)
            settings = CentralSettings(
                servers=cluster.urls, user=CENTRAL_USER, password=SecretStr(CENTRAL_PASSWORD),
                instance=name, partitions=PARTITIONS,
                storage=InfluxV1(kind="influx_v1", url=influx.url, database="park"),
                http=HttpSettings(port=port + index), offline_after=30.0,
                call_after_minutes={"critical": 2.0},  # type: ignore[dict-item]
                shifts=DEMO_SHIFTS,
            )
            centrals.append(
                Central(settings, state_dir=folder, extra_routers=[demo_park_router(by_code)])
            )

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(p.run(), name=f"plant {i}") for i, p in enumerate(plants)]
            tasks += [group.create_task(g.run(), name=f"gateway {c}") for c, g in gateways.items()]
            tasks += [group.create_task(c.run(), name=c.settings.instance) for c in centrals]
            await asyncio.wait_for(
                asyncio.gather(*(c.ready.wait() for c in centrals),
                               *(g.ready.wait() for g in gateways.values())),
                timeout=60,
            )
            demo_users: list[tuple[str, Role, str]] = []
            for central in centrals:
                assert central.auth is not None
                demo_users = create_demo_users(central.auth) or demo_users
            try:
                yield ParkDemo(centrals, gateways, by_code, influx.url, demo_users)
            finally:
                for task in tasks:
                    task.cancel()


async def run_park_demo(port: int, state_dir: Path | None) -> None:
    async with park_demo_running(port=port, state_dir=state_dir) as demo:
        print("\nhazgw demo --park 正在运行 / running")
        for central in demo.centrals:
            print(f"  园区大屏 park wall ({central.settings.instance}): "
                  f"http://127.0.0.1:{central.http_port}/park")
        print(f"  enterprises: {', '.join(demo.plants)}; influxd {demo.influx_url} (db park)")
        print("  drills 演练: POST /api/demo/park/CODE/NAME; NAME: " + ", ".join(SCENARIOS))
        print("  演示用户 / demo users: viewer, operator, engineer, admin; 密码/password: demo")
        print("  Ctrl-C stops everything.\n", flush=True)
        await asyncio.Future()
