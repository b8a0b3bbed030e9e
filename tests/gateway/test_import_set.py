"""A gateway whose site has only Modbus devices does not load the libraries of features it
does not use: they cost memory in every gateway (issue 13, docs/BENCHMARKS.md). Checked in a
fresh interpreter that loads such a site and runs the gateway until its web server is up, as
``hazgw run`` does (the devices and the database are closed ports: nothing answers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from benchmarks.peers.gateways import hazgw_gateway_file, hazgw_site
from benchmarks.peers.tb_config import ModbusSlave

REPO = Path(__file__).resolve().parents[2]

# Loaded on first use only: documents (ReportLab, openpyxl, Pillow) when a report or a
# handover PDF is asked for, nats-py when the park uplink connects, influxdb-client (and
# aiohttp, with multidict and yarl, that it runs on) for an InfluxDB 2 target, aiomqtt and
# paho for MQTT devices, aiosmtplib for mail. The InfluxDB 1.x writer and the webhook
# notifications use collectors.http (httpcore), not aiohttp.
NOT_FOR_MODBUS_ONLY = ("reportlab", "openpyxl", "PIL", "nats", "influxdb_client", "aiomqtt",
                       "paho", "aiosmtplib", "aiohttp", "multidict", "yarl")

# Notifications configured too, so that the notifier runs and builds its channels.
NOTIFICATIONS = {
    "channels": {
        "duty": {"kind": "webhook", "url": "http://127.0.0.1:9/hook"},
        "robot": {"kind": "wecom", "url": "https://127.0.0.1:9/cgi-bin/webhook/send?key=k"},
    },
    "routes": [{"name": "all", "escalation": [{"channels": ["duty", "robot"]}]}],
}

_PROGRAM = """
import asyncio, contextlib, json, sys
from pathlib import Path
import gateway.cli
from gateway.runtime import Gateway
from gateway.validation import load_gateway

async def main(folder):
    loaded = load_gateway(folder / "gateway.yaml")
    gateway = Gateway(loaded.config, loaded.sites, state_dir=folder / "state",
                      config_path=folder / "gateway.yaml")
    running = asyncio.create_task(gateway.run())
    ready = asyncio.create_task(gateway.ready.wait())
    await asyncio.wait([running, ready], timeout=60, return_when=asyncio.FIRST_COMPLETED)
    assert gateway.ready.is_set(), "the gateway did not start"
    running.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running

asyncio.run(main(Path(sys.argv[1])))
print(json.dumps(sorted(sys.modules)))
"""


def loaded_modules(folder: Path) -> set[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", _PROGRAM, str(folder)], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_a_modbus_only_gateway_loads_no_optional_heavy_library(tmp_path: Path) -> None:
    site = hazgw_site([ModbusSlave(f"dev{n}", 9, 5, 1000) for n in range(2)])
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(site, allow_unicode=True))
    gateway_file = hazgw_gateway_file("site.yaml", "http://127.0.0.1:9", "bench", 0)
    assert gateway_file["storage"]  # an InfluxDB 1.x target: the writer runs
    gateway_file["notifications"] = NOTIFICATIONS
    (tmp_path / "gateway.yaml").write_text(yaml.safe_dump(gateway_file))
    modules = loaded_modules(tmp_path)
    tops = {name.split(".")[0] for name in modules}
    assert {"pymodbus", "fastapi", "httpcore"} <= tops  # what it needs is there
    assert tops.isdisjoint(NOT_FOR_MODBUS_ONLY), sorted(tops & set(NOT_FOR_MODBUS_ONLY))
    # The modules that import them lazily are loaded: the check is not vacuous.
    assert {"gateway.reportjobs", "gateway.uplink.edge", "dashboard.routes.reports",
            "dashboard.routes.handover", "gateway.storage.v1", "gateway.storage.query",
            "gateway.storage.stats", "alerting.notify.channels", "alerting.notify.notifier",
            "collectors.http"} <= modules
