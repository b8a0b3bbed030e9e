"""Pure builders for the API bodies: gateway state in, response model out. No I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime

from collectors.health import CollectorHealth, DeviceHealth, LinkState
from collectors.readings import Reading
from config.catalog import GATEWAY_SITE, Catalog, PointInfo
from config.points import PointKind
from dashboard.components import ComponentStatus
from dashboard.hub import HubStats
from dashboard.live import LiveState
from dashboard.protocol import encode_reading, point_id
from dashboard.schemas.health import (
    CollectorHealthOut,
    ComponentOut,
    DeviceHealthOut,
    HealthOut,
    Status,
    WebsocketOut,
)
from dashboard.schemas.points import HazardSourceOut, PointOut, PointsOut, RangeOut


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="milliseconds")


def _point(info: PointInfo, reading: Reading | None, device_name: str = "") -> PointOut:
    config = info.config
    source = info.hazard_source
    return PointOut(
        id=point_id(info.key),
        site=info.key.site,
        enterprise=info.site_name,
        hazard_source=HazardSourceOut(
            id=source.id, name=source.name, grade=source.grade, kind=source.kind.value
        ),
        device=info.device_id,
        device_name=device_name or info.device_id,
        tag=config.tag,
        name=config.name,
        kind=config.kind.value,
        unit=config.unit,
        range=RangeOut(low=config.range.low, high=config.range.high) if config.range else None,
        gas=config.gas,
        # A discrete point that is a controller's heartbeat reads 心跳正常 / 心跳停止 on
        # screens, not 触发 / 正常 like a tripped detector.
        heartbeat=(
            config.kind is PointKind.DISCRETE_STATE
            and config.alarms is not None
            and config.alarms.heartbeat is not None
        ),
        # The websocket's encoding, its rules too: a value that is not a number is a fault.
        reading=tuple(encode_reading(reading)) if reading is not None else None,
    )


def points_view(catalog: Catalog, live: LiveState, epoch: str, seq: int, now: float) -> PointsOut:
    latest = live.latest
    names = {
        (site.enterprise.code, device.id): device.name
        for site in catalog.sites
        for device in site.devices
    }
    return PointsOut(
        generated_at=iso(now) or "",
        generated_at_epoch=now,
        epoch=epoch,
        seq=seq,
        points=[
            _point(info, latest.get(info.key), names.get((info.key.site, info.device_id), ""))
            for info in catalog
            # The gateway's own points (a dropping buffer, failing writes) are not plant
            # points: no hazard-source tile; their alarms are in the alarm lists.
            if info.key.site != GATEWAY_SITE
        ],
    )


def _device(device: DeviceHealth, now: float) -> DeviceHealthOut:
    return DeviceHealthOut(
        device_id=device.device_id,
        state=device.state.value,
        ok=device.state is LinkState.CONNECTED,
        last_success=device.last_success,
        last_success_time=iso(device.last_success),
        last_success_age_s=(
            round(now - device.last_success, 3) if device.last_success is not None else None
        ),
        last_error=device.last_error,
        last_error_at=device.last_error_at,
        last_error_time=iso(device.last_error_at),
        error_count=device.error_count,
        request_count=device.request_count,
    )


def _collector_problems(collector: CollectorHealth) -> list[str]:
    problems = []
    if collector.state is not LinkState.CONNECTED:
        problems.append(f"collector {collector.name}: {collector.state.value}")
    for device in collector.devices.values():
        if device.state is not LinkState.CONNECTED:
            detail = f" (last error: {device.last_error})" if device.last_error else ""
            problems.append(
                f"collector {collector.name} device {device.device_id}: "
                f"{device.state.value}{detail}"
            )
    return problems


def _delivers(collector: CollectorHealth) -> bool:
    """Data can come from this collector: one of its devices answers (or, for a collector
    that reports no devices, its own link is up)."""
    if collector.devices:
        return any(device.state is LinkState.CONNECTED for device in collector.devices.values())
    return collector.state is LinkState.CONNECTED


def overall_status(
    collectors: Sequence[CollectorHealth], components: Sequence[ComponentStatus], problems: int
) -> Status:
    """ok: everything connected and working. down: there are collectors and no data can
    reach the gateway from any of them. degraded: anything in between."""
    if problems == 0:
        return "ok"
    if collectors and not any(_delivers(collector) for collector in collectors):
        return "down"
    return "degraded"


def health_view(
    collectors: Sequence[CollectorHealth],
    components: Sequence[ComponentStatus],
    hub: HubStats,
    now: float,
) -> HealthOut:
    problems: list[str] = []
    for collector in collectors:
        problems.extend(_collector_problems(collector))
    for component in components:
        if not component.ok:
            detail = f": {component.detail}" if component.detail else ""
            problems.append(f"{component.name} not working{detail}")
    if hub.missing_live:
        problems.append(f"websocket hub: {hub.missing_live} changed point(s) had no live value")
    return HealthOut(
        status=overall_status(collectors, components, len(problems)),
        problems=problems,
        generated_at=iso(now) or "",
        generated_at_epoch=now,
        collectors=[
            CollectorHealthOut(
                name=collector.name,
                kind=collector.kind,
                state=collector.state.value,
                ok=collector.state is LinkState.CONNECTED,
                devices=[_device(device, now) for device in collector.devices.values()],
                counters=dict(collector.counters),
            )
            for collector in collectors
        ],
        components=[
            ComponentOut(
                name=component.name,
                ok=component.ok,
                counters=dict(component.counters),
                detail=component.detail,
            )
            for component in components
        ],
        websocket=WebsocketOut(**asdict(hub)),
    )
