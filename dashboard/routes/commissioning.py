"""Commissioning (调试) for engineers: devices, raw Modbus registers under the four byte
orders, the last raw MQTT payloads, and config reload.

``commissioning_router(catalog, collectors, reload=...)`` builds it; every route needs the
engineer role or above.

    GET  /api/commissioning/devices                 every configured device and its link
    GET  /api/commissioning/registers?site=&tag=    a Modbus point's last raw registers
    GET  /api/commissioning/mqtt?device=[&site=]    an MQTT device's last raw payloads
    POST /api/config/reload                         validate, then restart with the new files

Registers come from ``ModbusCollector.last_raw(key)`` and are decoded with
``collectors.modbus.decode.all_byte_orders``. MQTT payloads come from the collector's
``last_payloads()`` accessor (``[(topic, received_at, payload bytes), ...]``, newest last);
a collector without it answers 501.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from collectors.health import DeviceHealth, LinkState
from collectors.modbus.collector import ModbusCollector
from collectors.modbus.decode import all_byte_orders
from config.catalog import Catalog, PointKey
from config.modbus import ByteOrder, DataType, ModbusPoint, RegisterTable
from config.mqtt import MqttDevice
from dashboard.auth import audit
from dashboard.auth.deps import auth_of, client_address, require
from dashboard.auth.principal import Principal
from dashboard.auth.roles import Role
from dashboard.auth.service import audit_name

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Engineer = Annotated[Principal, Depends(require(Role.ENGINEER))]
PAYLOAD_TEXT_LIMIT = 2000
MAX_PAYLOADS = 50


@dataclass(frozen=True, slots=True)
class ReloadResult:
    """What a reload attempt came to. ``errors`` empty: the new config was accepted (and the
    gateway restarts its parts with it); otherwise nothing changed. Each error reads
    ``file:line: device D point P: message`` (``str(ConfigIssue)``)."""

    errors: Sequence[str] = field(default_factory=tuple)
    sites: int = 0
    points: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


Reload = Callable[[], Awaitable[ReloadResult]]


# ------------------------------------------------------------------------ answers


class DeviceOut(BaseModel):
    site: str
    id: str
    name: str
    transport: str
    endpoint: str
    collector: str | None
    state: str  # connected / connecting / disconnected, or unknown (no collector runs it)
    last_good_poll: float | None
    last_good_poll_age_s: float | None
    error_count: int
    last_error: str | None
    last_error_at: float | None
    request_count: int
    points: int


class DevicesOut(BaseModel):
    generated_at: float
    devices: list[DeviceOut]


class RegistersOut(BaseModel):
    site: str
    tag: str
    device: str
    table: RegisterTable
    address: int
    type: DataType
    registers: list[int]
    read_at: float
    decoded: dict[str, float | int | bool | str]  # byte order → value (or why it failed)
    scaled: dict[str, float | int | str]  # the same with the point's scale and offset applied
    configured_byte_order: str
    scale: float
    offset: float
    # The rows to show, in order: the four byte orders of a 32/64-bit type, or int16 and
    # uint16 for a one-register type (a byte order means nothing there).
    interpretations: list[str]
    configured: str  # the row the point is configured with
    suggested: str | None  # the one row whose scaled value lies in the point's range
    stale: bool  # the device is not answering: these are the last registers it sent
    stale_reason: str | None


class PayloadOut(BaseModel):
    topic: str
    received_at: float
    size: int
    payload: str  # UTF-8 (undecodable bytes replaced), cut to PAYLOAD_TEXT_LIMIT characters
    truncated: bool


class MqttOut(BaseModel):
    site: str
    device: str
    topics: list[PayloadOut]


class ReloadOut(BaseModel):
    sites: int
    points: int


class ReloadErrorsOut(BaseModel):
    errors: list[str]


# ------------------------------------------------------------------------- pure parts


def _endpoint(device: object) -> str:
    if isinstance(device, MqttDevice):
        return f"{device.broker.host}:{device.broker.port}"
    serial = getattr(device, "serial", None)
    if serial is not None:
        return f"{serial.port} {serial.baudrate} {serial.bytesize}{serial.parity}{serial.stopbits}"
    return f"{getattr(device, 'host', '?')}:{getattr(device, 'port', '?')}"


def device_health(collectors: Sequence[object]) -> dict[tuple[str, str], tuple[str, DeviceHealth]]:
    """(site, device id) → (collector name, its DeviceHealth), for the collectors this
    gateway runs."""
    found: dict[tuple[str, str], tuple[str, DeviceHealth]] = {}
    for collector in collectors:
        if isinstance(collector, ModbusCollector):
            for poller in collector.pollers:
                found[(poller.site, poller.device.id)] = (collector.name, poller.health)
            continue
        # Not at the top: aiomqtt and paho only where a collector may be an MQTT one.
        from collectors.mqtt.collector import MqttCollector

        if isinstance(collector, MqttCollector):
            found[(collector.site, collector.device.id)] = (collector.name, collector.device_health)
    return found


SIXTEEN_BIT = (DataType.INT16, DataType.UINT16)
SWAPPED = " (BA)"  # the two bytes of the register the other way round (byte order BADC)
SWAPPING = (ByteOrder.BADC, ByteOrder.DCBA)


def _scale(value: float | int | str, scale: float, offset: float) -> float | int | str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and scale == 1 and offset == 0:
        return value  # a raw integer stays an integer: 42, not 42.0
    return value * scale + offset


def decode_registers(
    registers: Sequence[int], data_type: DataType, scale: float, offset: float
) -> tuple[dict[str, float | int | bool | str], dict[str, float | int | str]]:
    """The value under each interpretation, raw and scaled (a decode problem shows as its
    message): the four byte orders of a 32/64-bit type; int16 and uint16 of a one-register
    type. Coils, inputs and bits have neither: both maps are empty."""
    if data_type in (DataType.BOOL, DataType.BIT):
        return {}, {}
    decoded: dict[str, float | int | bool | str] = {}
    scaled: dict[str, float | int | str] = {}
    if data_type in SIXTEEN_BIT:
        if len(registers) != 1:
            return {"uint16": f"expected 1 register, got {len(registers)}"}, {}
        word = registers[0] & 0xFFFF
        swapped = ((word & 0xFF) << 8) | (word >> 8)
        for suffix, unsigned in (("", word), (SWAPPED, swapped)):
            signed = unsigned - 0x10000 if unsigned >= 0x8000 else unsigned
            for name, number in ((f"int16{suffix}", signed), (f"uint16{suffix}", unsigned)):
                decoded[name] = number
                scaled[name] = _scale(number, scale, offset)
        return decoded, scaled
    for order, value in all_byte_orders(registers, data_type).items():
        decoded[order.value] = value
        scaled[order.value] = _scale(value, scale, offset)
    return decoded, scaled


def suggest(scaled: dict[str, float | int | str], low: float | None, high: float | None,
            configured: str) -> str | None:
    """The interpretation whose value lies in the point's range: the configured one if it
    does, else the only one that does; None when none or several (no guess)."""
    if low is None or high is None:
        return None
    fitting = [name for name, value in scaled.items()
               if not isinstance(value, str) and low <= value <= high]
    if configured in fitting:
        return configured
    return fitting[0] if len(fitting) == 1 else None


def payload_out(topic: str, received_at: float, payload: bytes) -> PayloadOut:
    text = payload.decode("utf-8", errors="replace")
    return PayloadOut(
        topic=topic,
        received_at=received_at,
        size=len(payload),
        payload=text[:PAYLOAD_TEXT_LIMIT],
        truncated=len(text) > PAYLOAD_TEXT_LIMIT,
    )


# ------------------------------------------------------------------------- router


def commissioning_router(
    catalog: Catalog,
    collectors: Sequence[object],
    *,
    reload: Reload | None = None,
    clock: Clock = time.time,
) -> APIRouter:
    """``collectors``: the gateway's running collectors (``Parts.collectors``);
    ``reload``: validates the config files and, if they are sound, restarts the gateway's
    parts with them (None: the route answers 501)."""
    api = APIRouter(prefix="/api", tags=["commissioning"])
    reloading = asyncio.Lock()

    @api.get("/commissioning/devices", response_model=DevicesOut)
    async def devices(_: Engineer) -> DevicesOut:
        now = clock()
        health = device_health(collectors)
        out: list[DeviceOut] = []
        for site in catalog.sites:
            code = site.enterprise.code
            for device in site.devices:
                collector, state = health.get((code, device.id), (None, None))
                last = state.last_success if state is not None else None
                out.append(
                    DeviceOut(
                        site=code,
                        id=device.id,
                        name=device.name,
                        transport=device.transport,
                        endpoint=_endpoint(device),
                        collector=collector,
                        state=state.state.value if state is not None else "unknown",
                        last_good_poll=last,
                        last_good_poll_age_s=round(now - last, 3) if last is not None else None,
                        error_count=state.error_count if state is not None else 0,
                        last_error=state.last_error if state is not None else None,
                        last_error_at=state.last_error_at if state is not None else None,
                        request_count=state.request_count if state is not None else 0,
                        points=len(device.points),
                    )
                )
        return DevicesOut(generated_at=now, devices=out)

    @api.get("/commissioning/registers", response_model=RegistersOut)
    async def registers(site: str, tag: str, _: Engineer) -> RegistersOut:
        key = PointKey(site, tag)
        info = catalog.get(key)
        if info is None:
            raise HTTPException(404, f"unknown point {key}")
        point = info.config
        if not isinstance(point, ModbusPoint):
            raise HTTPException(404, f"point {key} is not a Modbus point: it has no registers")
        raw = None
        for collector in collectors:
            if isinstance(collector, ModbusCollector):
                raw = collector.last_raw(key)
                if raw is not None:
                    break
        if raw is None:
            raise HTTPException(
                409, f"point {key} has not been read yet (device {info.device_id} not answering?)"
            )
        source = point.source
        decoded, scaled = decode_registers(raw.values, source.type, source.scale, source.offset)
        configured = (
            source.type.value + (SWAPPED if source.byte_order in SWAPPING else "")
            if source.type in SIXTEEN_BIT else source.byte_order.value
        )
        health = device_health(collectors).get((site, info.device_id))
        stale_reason = None
        if health is not None and health[1].state is not LinkState.CONNECTED:
            stale_reason = (f"设备 {info.device_id} 未连接 ({health[1].state.value}"
                            f"{': ' + health[1].last_error if health[1].last_error else ''})，"
                            "显示的是最后一次读到的寄存器")
        low = point.range.low if point.range is not None else None
        high = point.range.high if point.range is not None else None
        return RegistersOut(
            site=site,
            tag=tag,
            device=info.device_id,
            table=raw.table,
            address=raw.address,
            type=source.type,
            registers=list(raw.values),
            read_at=raw.ts,
            decoded=decoded,
            scaled=scaled,
            configured_byte_order=source.byte_order.value,
            scale=source.scale,
            offset=source.offset,
            interpretations=list(decoded),
            configured=configured,
            suggested=suggest(scaled, low, high, configured),
            stale=stale_reason is not None,
            stale_reason=stale_reason,
        )

    @api.get("/commissioning/mqtt", response_model=MqttOut)
    async def mqtt(device: str, _: Engineer, site: str | None = None) -> MqttOut:
        # Not at the top: aiomqtt and paho are loaded by a gateway with MQTT devices only.
        from collectors.mqtt.collector import MqttCollector

        matches = [
            c for c in collectors
            if isinstance(c, MqttCollector)
            and c.device.id == device
            and (site is None or c.site == site)
        ]
        if not matches:
            raise HTTPException(404, f"no MQTT device {device!r}" + (f" in {site}" if site else ""))
        if len(matches) > 1:
            sites = ", ".join(sorted(c.site for c in matches))
            raise HTTPException(409, f"MQTT device {device!r} is in several sites ({sites}): "
                                     "add &site=")
        collector = matches[0]
        accessor = getattr(collector, "last_payloads", None)
        if accessor is None:
            raise HTTPException(501, "this gateway's MQTT collector keeps no raw payloads")
        recent: Sequence[tuple[str, float, bytes]] = accessor()
        return MqttOut(
            site=collector.site,
            device=device,
            topics=[payload_out(t, at, p) for t, at, p in list(recent)[-MAX_PAYLOADS:]],
        )

    @api.post(
        "/config/reload",
        status_code=202,
        response_model=ReloadOut,
        responses={422: {"model": ReloadErrorsOut}, 409: {}, 501: {}},
    )
    async def reload_config(request: Request, principal: Engineer) -> JSONResponse:
        if reload is None:
            raise HTTPException(501, "config reload is not available in this gateway")
        if reloading.locked():
            raise HTTPException(409, "a config reload is already running")
        auth = auth_of(request)
        who = audit_name(principal)
        address = client_address(request)
        async with reloading:
            result = await reload()
        if not result.ok:
            if auth is not None:
                auth.record(audit.CONFIG_RELOAD_REJECTED, user=who, address=address,
                            detail="; ".join(result.errors))
            log.warning("config reload by %s rejected: %d error(s)", who, len(result.errors))
            body = ReloadErrorsOut(errors=list(result.errors))
            return JSONResponse(body.model_dump(), status_code=422)
        if auth is not None:
            auth.record(audit.CONFIG_RELOAD, user=who, address=address,
                        detail=f"{result.sites} site(s), {result.points} points")
        log.info("config reloaded by %s: %d site(s), %d points", who, result.sites, result.points)
        return JSONResponse(ReloadOut(sites=result.sites, points=result.points).model_dump(),
                            status_code=202)

    return api


def reload_errors(issues: Sequence[object]) -> list[str]:
    """``ConfigError.issues`` (or any errors) as the strings a ``ReloadResult`` carries."""
    return [str(issue) for issue in issues]
