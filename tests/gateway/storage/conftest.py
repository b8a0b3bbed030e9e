"""Fixtures for storage tests: a small site catalog, the scripted HTTP server and the real
InfluxDB 1.6 and VictoriaMetrics servers (never skipped: missing servers fail loudly)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from scripted_influx import ScriptedInflux
from storage_helpers import make_site

from config.catalog import Catalog
from gateway.sim.influx import (
    InfluxdServer,
    VictoriaMetricsServer,
    influxd,
    influxd_available,
    victoria_metrics,
    victoria_metrics_available,
)


@pytest.fixture
def catalog() -> Catalog:
    return Catalog([make_site(points=20)])


@pytest.fixture(autouse=True)
def _quiet_storage_logs() -> None:
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("influxdb_client").setLevel(logging.CRITICAL)


@pytest.fixture
async def scripted() -> AsyncIterator[ScriptedInflux]:
    server = ScriptedInflux()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def influx() -> AsyncIterator[InfluxdServer]:
    if not influxd_available():
        pytest.fail("/usr/bin/influxd missing: apt-get install influxdb (see `make system`)")
    async with influxd() as server:
        yield server


@pytest.fixture
async def vm() -> AsyncIterator[VictoriaMetricsServer]:
    if not victoria_metrics_available():
        pytest.fail("/usr/bin/victoria-metrics missing: apt-get install victoria-metrics")
    async with victoria_metrics() as server:
        yield server
