"""The web server's stop is bounded: an app whose shutdown never finishes does not hang the
gateway's own shutdown, and the log says what it was waiting on."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI

from collectors.taskdump import describe_tasks
from dashboard.server import LIFESPAN_STOP_WITHIN, DashboardServer


async def test_a_shutdown_that_never_finishes_is_cut_and_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    never = asyncio.Event()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await never.wait()  # a shutdown handler parked for good

    server = DashboardServer(FastAPI(lifespan=lifespan), port=0, graceful_timeout=1)
    await server.start()
    loop = asyncio.get_running_loop()
    began = loop.time()
    with caplog.at_level(logging.ERROR, logger="dashboard.server"):
        await asyncio.wait_for(server.stop(), timeout=1 + LIFESPAN_STOP_WITHIN + 5)
    took = loop.time() - began
    assert 1 + LIFESPAN_STOP_WITHIN - 0.5 <= took < 1 + LIFESPAN_STOP_WITHIN + 3
    assert "dashboard shutdown did not finish" in caplog.text
    assert "never.wait()" in caplog.text or "lifespan" in caplog.text, caplog.text


async def test_describe_tasks_names_each_task_and_where_it_waits() -> None:
    gate = asyncio.Event()

    async def parked_on_the_gate() -> None:
        await gate.wait()

    task = asyncio.create_task(parked_on_the_gate(), name="the-parked-one")
    await asyncio.sleep(0)  # let it reach its await
    try:
        text = describe_tasks({task})
        assert "--- task the-parked-one" in text
        assert "await gate.wait()" in text, text
        gate.set()
        await task
        assert describe_tasks({task}) == ""  # finished tasks are left out
    finally:
        task.cancel()
