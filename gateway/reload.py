"""What a reload may change, and which running parts can stay as they are.

A reload is validated whole first (the same validator as ``check-config`` and ``run``), and
then applied by ``Gateway`` without stopping the web server, the storage or the alarm
evaluation. Collectors whose device configuration did not change keep running (their
connections, MQTT sessions, counters and poll timing untouched); the others restart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from alerting.defaults import RuleError, resolve
from collectors.base import Clock, Collector
from collectors.modbus.collector import ModbusCollector, build_modbus_collectors
from collectors.modbus.device import OnHeartbeat
from config.catalog import Catalog
from config.gateway_file import GatewayConfig
from config.issues import ConfigError
from config.loader import LoadedGateway
from config.mqtt import MqttDevice
from config.site import Site
from dashboard.routes.commissioning import ReloadResult, reload_errors
from gateway.validation import load_gateway

if TYPE_CHECKING:
    from collectors.mqtt.acks import Durable


def build_collectors(
    sites: Sequence[Site],
    clock: Clock,
    on_heartbeat: OnHeartbeat | None = None,
    *,
    gateway_id: str = "hazgw",
    durable: Durable | None = None,
) -> list[Collector]:
    """Every collector the sites describe. ``durable`` (the storage's commit): MQTT QoS 1/2
    messages are acknowledged only once their readings are durable."""
    collectors: list[Collector] = [
        *build_modbus_collectors(sites, clock, on_heartbeat=on_heartbeat),
    ]
    if any(isinstance(device, MqttDevice) for site in sites for device in site.devices):
        # Imported only for MQTT devices: aiomqtt and paho stay unloaded otherwise.
        from collectors.mqtt.collector import build_mqtt_collectors

        collectors += build_mqtt_collectors(sites, clock, gateway_id=gateway_id,
                                            durable=durable)
    return collectors


def collector_signature(collector: Collector) -> Hashable | None:
    """What a collector was built from; equal signatures mean an unchanged collector.
    None: not comparable, always rebuilt."""
    if isinstance(collector, ModbusCollector):
        return (
            "modbus",
            tuple((poller.site, poller.device.model_dump_json()) for poller in collector.pollers),
        )
    # Not at the top: aiomqtt and paho only where a collector may be an MQTT one.
    from collectors.mqtt.collector import MqttCollector

    if isinstance(collector, MqttCollector):
        return ("mqtt", collector.site, collector.client_id, collector.device.model_dump_json())
    return None


def keep_unchanged(
    running: Sequence[Collector], rebuilt: Sequence[Collector]
) -> list[Collector]:
    """``rebuilt``, with each collector whose configuration did not change replaced by
    the one already running."""
    by_signature: dict[Hashable, Collector] = {}
    for collector in running:
        signature = collector_signature(collector)
        if signature is not None:
            by_signature[signature] = collector
    kept: list[Collector] = []
    for collector in rebuilt:
        signature = collector_signature(collector)
        old = by_signature.pop(signature, None) if signature is not None else None
        kept.append(old if old is not None else collector)
    return kept


async def check_reload(
    config_path: Path | None, current: GatewayConfig, clock: Clock
) -> LoadedGateway | ReloadResult:
    """The reloaded files if they can be applied in this process; otherwise the errors."""
    if config_path is None:
        return ReloadResult(errors=["this gateway was not started from a gateway file"])
    try:
        loaded = await asyncio.to_thread(load_gateway, config_path)
    except ConfigError as error:
        return ReloadResult(errors=reload_errors(error.issues))
    if loaded.config.http != current.http:
        return ReloadResult(
            errors=[f"{config_path}: http: changing the listen address needs a restart"]
        )
    if loaded.config.uplink != current.uplink:
        # The uplink, its connection and its durable buffer live as long as the process
        # (like the storage); a reload only hands it the new sites, engine and journal.
        return ReloadResult(
            errors=[
                f"{config_path}: uplink: 更改园区上联设置需要重启 / changing the park uplink"
                " settings needs a restart"
            ]
        )
    if loaded.config.storage != current.storage:
        # The buffer and its writer outlive reloads: that is what keeps readings safe
        # through one. Moving them is a restart (the buffer on disk is kept across it).
        return ReloadResult(errors=[f"{config_path}: storage: changing it needs a restart"])
    try:
        for info in Catalog(loaded.sites):
            resolve(info.key, info.config, info.hazard_source.id)
        build_collectors(loaded.sites, clock)
    except (RuleError, ValueError) as error:
        return ReloadResult(errors=[str(error)])
    return loaded
