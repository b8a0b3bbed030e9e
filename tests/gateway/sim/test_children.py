"""Servers started for the demo, tests and benchmarks die with their parent, even when the
parent is killed with SIGKILL and cannot stop them itself."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.waiting import poll_until

ROOT = Path(__file__).parents[3]
SCRIPT = """
import asyncio, os, sys
from gateway.sim.{module} import {launcher}
async def main():
    async with {launcher}() as server:
        print("ready", flush=True)
        await asyncio.sleep(60)
asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has died already


def _children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("module", "launcher"),
    [("influx", "influxd"), ("influx", "victoria_metrics"), ("broker", "mosquitto")],
)
def test_server_dies_with_a_killed_parent(module: str, launcher: str) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", SCRIPT.format(module=module, launcher=launcher)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    assert parent.stdout.readline().strip() == "ready"
    children = _children_of(parent.pid)
    assert len(children) == 1, children
    child = children[0]
    parent.kill()
    parent.wait(10)
    asyncio.run(
        poll_until(
            lambda: not _alive(child),
            within=15,
            interval=0.1,
            message=f"server {child} to die with its killed parent",
        )
    )
