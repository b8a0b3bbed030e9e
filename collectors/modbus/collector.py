"""The Modbus collector: every device behind one connection, polled through one hub.

Build with ``build_modbus_collectors(sites, clock)``: one collector per connection
(TCP endpoint and framing, or serial port), whatever site its devices belong to. Each
device runs its own poll loop at its own interval; the hub's lock puts their requests
in turn on the wire. A poll's readings go to ``emit`` as one batch.

The heartbeat bits of status words go to ``on_heartbeat`` (if given) right after the
poll's readings went to ``emit``: one call per poll that read any, as (point, bit) pairs.

What else a collector offers, read-only, for the rest of the gateway:

* ``health``: connection state, per-device ``DeviceHealth`` (keyed ``"<site>/<device id>"``)
  and counters (requests, timeouts, connects, connect_failures, disconnects, polls,
  readings, overruns);
* ``last_status(key)``: the point's status word as last read (``StatusBits``: raw
  word, each configured role's bit, timestamp), e.g. for heartbeat and alarm bits;
* ``last_raw(key)``: the registers the point's value was last decoded from
  (``RawRegisters``), e.g. to show it under all four byte orders with
  ``collectors.modbus.decode.all_byte_orders``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Sequence

from collectors.backoff import backoff_delays
from collectors.base import Clock, Emit
from collectors.health import CollectorHealth
from collectors.modbus.connection import (
    ClientFactory,
    Endpoint,
    connection_key,
    endpoint_of,
    pymodbus_client,
)
from collectors.modbus.convert import StatusBits
from collectors.modbus.device import DevicePoller, OnHeartbeat, RawRegisters, SilencePolicy
from collectors.modbus.hub import Backoff, ModbusHub, quiet_pymodbus
from collectors.readings import Reason
from config.catalog import PointKey
from config.modbus import (
    ModbusRtuOverTcpDevice,
    ModbusRtuSerialDevice,
    ModbusTcpDevice,
)
from config.site import ModbusDevice, Site

log = logging.getLogger(__name__)

SiteDevice = tuple[str, ModbusDevice]  # (enterprise code, device)
DEFAULT_SILENCE = SilencePolicy()


class ModbusCollector:
    kind = "modbus"

    def __init__(
        self,
        devices: Sequence[SiteDevice],
        *,
        clock: Clock = time.time,
        client_factory: ClientFactory = pymodbus_client,
        silence: SilencePolicy = DEFAULT_SILENCE,
        backoff: Backoff = backoff_delays,
        reconnect_after_silence: int = 3,
        on_heartbeat: OnHeartbeat | None = None,
    ) -> None:
        """All ``devices`` must share one connection; no I/O happens here."""
        if not devices:
            raise ValueError("a Modbus collector needs at least one device")
        self.endpoint = _shared_endpoint(devices)
        self.name = f"modbus {self.endpoint}"
        self.health = CollectorHealth(self.name, self.kind)
        self.clock = clock
        self.on_heartbeat = on_heartbeat
        configs = [device for _, device in devices]
        if backoff is backoff_delays:
            # Reconnect at least once per poll interval: a device that comes back is read
            # again within two poll intervals, not after a back-off grown to 30 s. A
            # refused connect costs nothing; every device behind it is down anyway.
            fastest = min(device.poll_interval for device in configs)
            backoff = functools.partial(backoff_delays, initial=min(0.5, fastest), cap=fastest)
        self.hub = ModbusHub(
            self.endpoint,
            connect_timeout=max(device.timeout for device in configs),
            request_delay=max(device.request_delay for device in configs),
            client_factory=client_factory,
            backoff=backoff,
            reconnect_after_silence=reconnect_after_silence,
            health=self.health,
        )
        self.pollers: list[DevicePoller] = []
        owner: dict[PointKey, str] = {}
        for site, device in devices:
            device_key = f"{site}/{device.id}"
            if device_key in self.health.devices:
                raise ValueError(f"device {device_key} is listed twice")
            poller = DevicePoller(
                site, device, self.hub, self.health.device(device_key),
                clock=clock, silence=silence,
            )
            for key in poller.keys:
                if key in owner:
                    raise ValueError(f"point {key} is on both {owner[key]} and {device_key}")
                owner[key] = device_key
            self.pollers.append(poller)
        self._by_key = {key: poller for poller in self.pollers for key in poller.keys}

    @property
    def points(self) -> list[PointKey]:
        return list(self._by_key)

    def last_status(self, key: PointKey) -> StatusBits | None:
        poller = self._by_key.get(key)
        return None if poller is None else poller.last_status.get(key)

    def last_raw(self, key: PointKey) -> RawRegisters | None:
        poller = self._by_key.get(key)
        return None if poller is None else poller.last_raw(key)

    async def run(self, emit: Emit) -> None:
        """Poll until cancelled. Device and connection errors become BAD readings and
        health entries, never exceptions; only a failing ``emit`` ends this early."""
        quiet_pymodbus()
        try:
            async with asyncio.TaskGroup() as group:
                for poller in self.pollers:
                    group.create_task(self._run_device(poller, emit), name=poller.name)
        finally:
            self.hub.close()

    async def _run_device(self, poller: DevicePoller, emit: Emit) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            try:
                readings = await poller.poll()
            except Exception as error:  # the device task's boundary: logged and counted
                # A bug here or in pymodbus (an odd frame it fails on) must cost this
                # device one poll, not stop the connection's other devices.
                log.exception("%s: poll failed unexpectedly", poller.name)
                self.health.count("poll_errors")
                poller.health.failed(self.clock(), f"internal error: {error!r}")
                readings = poller.all_bad(Reason.COMM_LOSS)
            self.health.count("polls")
            self.health.count("readings", len(readings))
            emit(readings)
            # Outside the poll's guard above: like emit, a failing receiver is not a device
            # error and must not be reported as one.
            beats = poller.take_heartbeats()
            if beats and self.on_heartbeat is not None:
                self.on_heartbeat(beats)
            due += poller.next_delay()
            now = loop.time()
            if due < now:
                # Overran the interval (slow bus, many timeouts): start afresh rather than
                # bursting to catch up.
                self.health.count("overruns")
                due = now
            await asyncio.sleep(due - now)


def _shared_endpoint(devices: Sequence[SiteDevice]) -> Endpoint:
    first_site, first = devices[0]
    endpoint = endpoint_of(first)
    key = connection_key(endpoint)
    for site, device in devices[1:]:
        other = endpoint_of(device)
        if connection_key(other) != key:
            raise ValueError(
                f"device {site}/{device.id} is on {other}, not on {endpoint} like "
                f"{first_site}/{first.id}: one collector serves one connection"
            )
    # Devices on one serial port agree on its line settings: the loader refuses any that
    # do not (config.checks.check_serial_lines), across site files too.
    return endpoint


def build_modbus_collectors(
    sites: Sequence[Site],
    clock: Clock = time.time,
    *,
    client_factory: ClientFactory = pymodbus_client,
    silence: SilencePolicy = DEFAULT_SILENCE,
    on_heartbeat: OnHeartbeat | None = None,
) -> list[ModbusCollector]:
    """One collector per connection over all sites' Modbus devices, in config order;
    ``on_heartbeat`` receives every status word's heartbeat bit (see ``ModbusCollector``).

    The sites are loaded ones (``gateway.validation``): devices sharing a serial port
    agree on its line settings, and every point can be served.
    """
    groups: dict[str, list[SiteDevice]] = {}
    for site in sites:
        for device in site.devices:
            if isinstance(device, ModbusTcpDevice | ModbusRtuOverTcpDevice | ModbusRtuSerialDevice):
                key = connection_key(endpoint_of(device))
                groups.setdefault(key, []).append((site.enterprise.code, device))
    return [
        ModbusCollector(
            devices,
            clock=clock,
            client_factory=client_factory,
            silence=silence,
            on_heartbeat=on_heartbeat,
        )
        for devices in groups.values()
    ]

