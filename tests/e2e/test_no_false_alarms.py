"""No false alarms reach people: a controller that comes back after a comm-loss drill
raises no "heartbeat stalled"; a gateway process paused with SIGSTOP and resumed raises
nothing for devices that answer on the first poll. Both assert 0 alarms and 0 notices,
and both show, in the same run, that a real fault is still raised and notified."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_kit import watching
from support.waiting import poll_until

from gateway.demo import demo_running
from gateway.sim.children import die_with_parent
from gateway.sim.inbox import DemoInbox
from gateway.sim.modbus_devices import SimModbusServer
from gateway.sim.ports import free_port

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[2]
HEARTBEAT_TIMEOUT = 5.0


def raised(events: list[dict[str, Any]]) -> list[str]:
    return [e["id"] for e in events if e["kind"] == "raised"]


async def test_controller_back_after_comm_loss_raises_no_heartbeat_stall(tmp_path: Path) -> None:
    async with (
        demo_running(
            port=0,
            state_dir=tmp_path,
            auto_events=None,
            use_influxd=False,
            consolidation_window=0,
            heartbeat_timeout=HEARTBEAT_TIMEOUT,
            plant_speed=6.0,  # the controller is silent for 10 s, twice the heartbeat timeout
        ) as demo,
        watching(demo.gateway) as live,
    ):
        gt = "DEMO-CHEM/GT-201"
        await live.until(lambda: live.readings.get(gt, [None, None])[1] == "good", 10, "good")
        demo.plant.start_scenario("device_failure")
        await live.until(lambda: live.readings[gt][2] == "comm_loss", 10, "comm loss")
        await live.until(lambda: live.readings[gt][1] == "good", 20, "controller back")
        back = time.monotonic()
        # The first good poll is where a false stall was raised; watch past a whole
        # heartbeat timeout after it, so that a timer-made one would show too.
        await asyncio.sleep(HEARTBEAT_TIMEOUT + 1.5)
        faults = [a for a in raised(live.events) if a.endswith("/SENSOR_FAULT")]
        assert faults == [], f"false heartbeat alarms {time.monotonic() - back:.1f} s after"
        assert not [d for d in demo.inbox.deliveries if "SENSOR_FAULT" in d.body]

        # The same supervision still catches a heartbeat that really stops.
        demo.plant.start_scenario("heartbeat_stall")
        await live.until(
            lambda: f"{gt}/SENSOR_FAULT" in raised(live.events), HEARTBEAT_TIMEOUT + 10, "stall"
        )


# ----------------------------------------------------------------- SIGSTOP, in a process

COMM_TIMEOUT = 3.0
UNIT = 1


def site_file(directory: Path, port: int) -> Path:
    status = {"table": "holding", "address": 1, "bits": {"fault": 0, "heartbeat": 15}}
    site = {
        "enterprise": {"name": "暂停测试化工", "code": "STOP"},
        "hazard_sources": [{"id": "HS1", "name": "1号罐区", "grade": 2, "kind": "tank_farm"}],
        "devices": [
            {
                "id": "ctl",
                "transport": "modbus_tcp",
                "host": "127.0.0.1",
                "port": port,
                "unit": UNIT,
                "poll_interval": 0.5,
                "timeout": 0.5,
                "points": [
                    {
                        "tag": "GT-1", "name": "可燃气体", "kind": "combustible_gas",
                        "unit": "%LEL", "range": {"low": 0, "high": 100},
                        "hazard_source": "HS1",
                        "source": {"table": "holding", "address": 0, "type": "uint16",
                                   "scale": 0.1, "status_word": status},
                        "alarms": {"comm_loss": {"timeout": COMM_TIMEOUT},
                                   "heartbeat": {"timeout": 4.0}},
                    },
                    {
                        "tag": "LT-1", "name": "液位", "kind": "level", "unit": "m",
                        "range": {"low": 0, "high": 20}, "hazard_source": "HS1",
                        "source": {"table": "holding", "address": 2, "type": "uint16",
                                   "scale": 0.1},
                        "alarms": {"comm_loss": {"timeout": COMM_TIMEOUT}},
                    },
                ],
            }
        ],
    }
    path = directory / "site.yaml"
    path.write_text(yaml.safe_dump(site, allow_unicode=True), encoding="utf-8")
    return path


def gateway_file(directory: Path, site: Path, inbox: DemoInbox) -> Path:
    document = {
        "sites": [str(site)],
        "http": {"host": "127.0.0.1", "port": free_port()},
        "notifications": {
            "channels": {"shift": {"kind": "webhook", "url": inbox.webhook_url("shift")}},
            "routes": [{"name": "shift", "escalation": [{"name": "当班人员",
                                                          "channels": ["shift"]}]}],
            "consolidation_window": 0,
        },
    }
    path = directory / "gateway.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


@contextlib.asynccontextmanager
async def toggling(server: SimModbusServer) -> AsyncIterator[None]:
    """The controller: gas 1 %LEL, level 5 m, heartbeat bit toggling every second."""

    async def run() -> None:
        beat = False
        while True:
            server.write_registers(UNIT, "holding", 0, [10, 0x8000 if beat else 0, 50])
            beat = not beat
            await asyncio.sleep(1.0)

    task = asyncio.create_task(run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def raised_in_journal(state_dir: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(state_dir / "alarms.db")) as db:
        rows = db.execute("SELECT alarm_id FROM events WHERE kind = 'raised'").fetchall()
    return [row[0] for row in rows]


async def test_gateway_paused_with_sigstop_raises_and_notifies_nothing(tmp_path: Path) -> None:
    inbox = DemoInbox()
    await inbox.start()
    state_dir = tmp_path / "state"
    try:
        async with SimModbusServer([UNIT], size=16) as server, toggling(server):
            config = gateway_file(tmp_path, site_file(tmp_path, server.port), inbox)
            child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "gateway.cli", "run", str(config),
                "--state-dir", str(state_dir),
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=subprocess.DEVNULL,
                stderr=(tmp_path / "gateway.log").open("wb"),
                preexec_fn=die_with_parent,
            )
            try:
                await poll_until(lambda: server.request_count(UNIT) >= 6, within=20,
                                 message="the gateway polls the controller")
                await asyncio.sleep(2.0)  # the heartbeat is watched (armed) by now
                child.send_signal(signal.SIGSTOP)
                await asyncio.sleep(3 * COMM_TIMEOUT)  # well past comm loss and heartbeat
                child.send_signal(signal.SIGCONT)
                polled = server.request_count(UNIT)
                await poll_until(lambda: server.request_count(UNIT) > polled + 4, within=10,
                                 message="polling after the pause")
                await asyncio.sleep(COMM_TIMEOUT + 1.0)
                assert inbox.deliveries == type(inbox.deliveries)(), list(inbox.deliveries)

                # The same gateway still tells a real silence, and notifies it.
                server.set_unit_alive(UNIT, False)
                await poll_until(lambda: len(inbox.deliveries) > 0, within=COMM_TIMEOUT + 10,
                                 message="a real comm loss notified")
            finally:
                if child.returncode is None:
                    child.send_signal(signal.SIGCONT)
                    child.terminate()
                await asyncio.wait_for(child.wait(), 30)
        log = (tmp_path / "gateway.log").read_text(encoding="utf-8", errors="replace")
        assert "stood still for" in log, log[-2000:]
        lost = sorted(set(raised_in_journal(state_dir)))
        assert lost == ["STOP/GT-1/COMM_LOSS", "STOP/LT-1/COMM_LOSS"], log[-2000:]
        bodies = " ".join(d.body for d in inbox.deliveries)
        assert "SENSOR_FAULT" not in bodies
    finally:
        await inbox.stop()
