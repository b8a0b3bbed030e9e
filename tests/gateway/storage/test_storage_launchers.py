"""The server launchers leave nothing behind, restart in place and fail with a clear error."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import pytest

from gateway.sim.influx import ServerError, influxd, victoria_metrics

pytestmark = pytest.mark.integration


def exists(path: Path) -> bool:
    return path.exists()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is gone once reaped, which the launcher does.
    return True


async def test_influxd_stops_and_cleans_up() -> None:
    async with influxd() as server:
        pid, workdir = server.pid, server.workdir
        assert pid is not None and alive(pid)
        await server.create_database("x")
        await server.stop()
        assert not server.running
        await server.start()  # same folder, same port: the database is still there
        assert await server.rows("SHOW DATABASES", "x") == [{"name": "x"}]
        pid = server.pid
    assert pid is not None and not alive(pid)
    assert not exists(workdir)


async def test_victoria_metrics_stops_and_cleans_up() -> None:
    async with victoria_metrics() as server:
        pid, workdir = server.pid, server.workdir
        assert pid is not None and alive(pid)
        assert await server.export('{__name__="nothing"}') == []
    assert not alive(pid)
    assert not exists(workdir)


async def test_cancelled_user_still_stops_the_server() -> None:
    started = asyncio.Event()
    pids: list[int] = []

    async def user() -> None:
        async with influxd() as server:
            assert server.pid is not None
            pids.append(server.pid)
            started.set()
            await asyncio.Event().wait()  # until cancelled

    task = asyncio.create_task(user())
    await asyncio.wait_for(started.wait(), 20)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 15)
    assert not alive(pids[0])


async def test_busy_port_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServerError, match="address already in use"):
            async with influxd(port=port):
                pass
