"""HTTP API and static files via httpx against the live server."""

from __future__ import annotations

import httpx
import pytest
from dashboard_testkit import Gateway
from fastapi import APIRouter

from collectors.health import CollectorHealth, LinkState
from collectors.readings import Quality, Reading, Reason, bad
from config.catalog import PointKey
from dashboard.app import VENDOR_DIR, create_app
from dashboard.deps import HubDep
from dashboard.server import DashboardServer
from dashboard.services import ComponentStatus

pytestmark = pytest.mark.integration


async def test_points_carry_configuration_and_latest_values(
    server: DashboardServer, gateway: Gateway
) -> None:
    gateway.feed(
        [
            Reading(PointKey("DEMO-CHEM", "LT-101"), 12.5, 1_700_000_000.25),
            bad(PointKey("DEMO-CHEM", "GT-201"), 1_700_000_001.0, Reason.COMM_LOSS),
            Reading(
                PointKey("DEMO-CHEM", "PT-102"),
                2.7,
                1_700_000_002.0,
                Quality.UNCERTAIN,
                Reason.OUT_OF_RANGE,
            ),
        ]
    )
    gateway.hub.flush()
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
        response = await client.get("/api/points")
    assert response.status_code == 200
    body = response.json()
    assert (body["epoch"], body["seq"]) == (gateway.hub.epoch, 1)
    assert len(body["points"]) == len(gateway.catalog) == 8
    points = {point["id"]: point for point in body["points"]}
    assert points["DEMO-CHEM/LT-101"] == {
        "id": "DEMO-CHEM/LT-101",
        "site": "DEMO-CHEM",
        "enterprise": "示例化工有限公司",
        "hazard_source": {
            "id": "HS-TF1",
            "name": "1号储罐区（甲醇/液氨）",
            "grade": 2,
            "kind": "tank_farm",
        },
        "device": "tank-gauges",
        "device_name": "tank-gauges",  # the site file names no device here: its id
        "tag": "LT-101",
        "name": "1号甲醇罐液位",
        "kind": "level",
        "unit": "m",
        "range": {"low": 0.0, "high": 20.0},
        "gas": None,
        "heartbeat": False,
        # One shape for a reading, here and on the websocket: [value, quality, reason, ts].
        "reading": [12.5, "good", "", 1_700_000_000.25],
    }
    assert points["DEMO-CHEM/GT-201"]["reading"][:3] == [None, "bad", "comm_loss"]
    assert points["DEMO-CHEM/PT-102"]["reading"][:3] == [2.7, "uncertain", "out_of_range"]
    assert points["DEMO-DUST/XS-303"]["hazard_source"]["grade"] == 3
    assert points["DEMO-DUST/XS-303"]["reading"] is None  # never reported yet


async def test_health_reports_collectors_devices_and_counters(
    server: DashboardServer, gateway: Gateway
) -> None:
    modbus = CollectorHealth(name="modbus:tank-gauges", kind="modbus_tcp")
    modbus.state = LinkState.CONNECTED
    modbus.device("tank-gauges").succeeded(gateway.now - 2.0)
    modbus.count("reads", 42)
    gas = CollectorHealth(name="modbus:gas-controller", kind="modbus_rtu_tcp")
    gas.device("gas-controller").failed(gateway.now - 1.0, "No response received")
    gateway.collectors[:] = [modbus, gas]
    gateway.components[:] = [
        ComponentStatus("pipeline", True, {"readings_in": 1000, "batches_in": 10}),
        ComponentStatus("storage:influx", True, {"written": 990, "dropped": 0, "buffered": 10}),
    ]
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
        degraded = await client.get("/api/health")
        modbus.state = LinkState.DISCONNECTED
        modbus.device("tank-gauges").failed(gateway.now, "Connection refused")
        down = await client.get("/api/health")
    assert degraded.status_code == 200
    body = degraded.json()
    assert body["status"] == "degraded"
    assert body["problems"] == [
        "collector modbus:gas-controller: connecting",
        "collector modbus:gas-controller device gas-controller: disconnected "
        "(last error: No response received)",
    ]
    first, second = body["collectors"]
    assert (first["ok"], first["counters"]) == (True, {"reads": 42})
    device = first["devices"][0]
    assert (device["device_id"], device["state"], device["last_success_age_s"]) == (
        "tank-gauges",
        "connected",
        2.0,
    )
    failing = second["devices"][0]
    assert (failing["error_count"], failing["last_error"]) == (1, "No response received")
    assert body["components"][1] == {
        "name": "storage:influx",
        "ok": True,
        "detail": None,
        "counters": {"written": 990, "dropped": 0, "buffered": 10},
    }
    assert body["websocket"]["epoch"] == gateway.hub.epoch
    assert down.status_code == 503
    assert down.json()["status"] == "down"


async def test_pages_static_files_and_vendor(server: DashboardServer) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
        start = await client.get("/")
        wall = await client.get("/wall")
        script = await client.get("/static/wall.js")
        live = await client.get("/static/liveclient.js")
        retired = await client.get("/static/app.js")
        openapi = await client.get("/api/openapi.json")
        vendor = await client.get("/vendor/uplot/dist/uPlot.esm.js")
    # Nobody is signed in here: / leads to the login page, which comes back to the console.
    assert (start.status_code, start.headers["location"]) == (303, "/login?next=/console")
    assert wall.status_code == 200 and wall.headers["content-type"].startswith("text/html")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "LiveClient" in live.text
    assert retired.status_code == 404  # the old live page is gone
    assert {"/api/points", "/api/health"} <= set(openapi.json()["paths"])
    if VENDOR_DIR.is_dir():
        assert vendor.status_code == 200
    else:
        assert vendor.status_code == 404


async def test_extra_routers_are_included_and_read_services(gateway: Gateway) -> None:
    extra = APIRouter(prefix="/api")

    @extra.get("/extra")
    async def extra_route(hub: HubDep) -> dict[str, str]:
        return {"epoch": hub.epoch}

    server = DashboardServer(create_app(gateway.services(), extra_routers=[extra]), port=0)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
            response = await client.get("/api/extra")
    finally:
        await server.stop()
    assert response.json() == {"epoch": gateway.hub.epoch}


async def test_port_in_use_is_a_clear_error(server: DashboardServer, gateway: Gateway) -> None:
    other = DashboardServer(create_app(gateway.services()), port=server.port)
    try:
        await other.start()
    except OSError as error:
        assert f"127.0.0.1:{server.port}" in str(error)
    else:
        await other.stop()
        raise AssertionError("a second server bound the same port")
