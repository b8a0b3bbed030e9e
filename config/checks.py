"""Rules that span several entries of a site file: duplicate tags, dangling
references, overlapping registers with conflicting types; and across the site files of
one gateway, serial lines.

Pure functions over a validated ``Site``; the source map only lends line numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from config.gb18218 import CHEMICALS
from config.issues import ConfigIssue, DataPath, SourceMap
from config.modbus import (
    DataType,
    ModbusDeviceBase,
    ModbusRtuSerialDevice,
    RegisterTable,
    SerialLine,
)
from config.mqtt import MqttDevice, PayloadFormat
from config.site import Site


@dataclass(frozen=True, slots=True)
class RegisterUse:
    """One read of a span of registers that a point's decoding depends on."""

    table: RegisterTable
    start: int
    count: int
    layout: str  # what the registers are decoded as; equal layouts may share registers
    tag: str

    @property
    def end(self) -> int:
        return self.start + self.count


def register_uses(device: ModbusDeviceBase) -> list[RegisterUse]:
    uses = []
    for point in device.points:
        source = point.source
        # A bit of a register and the register read whole agree on what the register is.
        layout = (
            "word16"
            if source.type in (DataType.BIT, DataType.INT16, DataType.UINT16)
            else f"{source.type.value}/{source.byte_order.value}"
        )
        if source.type is DataType.BOOL:
            layout = "bool"
        uses.append(
            RegisterUse(source.table, source.address, source.register_count, layout, point.tag)
        )
        if source.status_word is not None:
            word = source.status_word
            uses.append(RegisterUse(word.table, word.address, 1, "word16", point.tag))
    return uses


def _overlap_conflicts(uses: list[RegisterUse]) -> list[tuple[RegisterUse, RegisterUse]]:
    conflicts = []
    ordered = sorted(uses, key=lambda use: (use.table.value, use.start, use.count))
    for index, first in enumerate(ordered):
        for second in ordered[index + 1 :]:
            if second.table is not first.table or second.start >= first.end:
                break
            same_span = (first.start, first.count) == (second.start, second.count)
            if not (same_span and first.layout == second.layout):
                conflicts.append((first, second))
    return conflicts


def check_site(site: Site, source: SourceMap) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []

    def add(
        path: DataPath, message: str, device: str | None = None, point: str | None = None
    ) -> None:
        issues.append(ConfigIssue(source.file, source.line_of(path), message, point, device))

    source_ids = {hazard.id for hazard in site.hazard_sources}
    tags: dict[str, str] = {}
    device_ids: set[str] = set()
    for d_index, device in enumerate(site.devices):
        device_path: DataPath = ("devices", d_index)
        if device.id in device_ids:
            add((*device_path, "id"), f"duplicate device id {device.id!r}", device.id)
        device_ids.add(device.id)
        for p_index, point in enumerate(device.points):
            point_path: DataPath = (*device_path, "points", p_index)
            if point.tag in tags:
                add(
                    (*point_path, "tag"),
                    f"duplicate tag {point.tag!r} (already on device {tags[point.tag]})",
                    device.id,
                    point.tag,
                )
            else:
                tags[point.tag] = device.id
            if point.hazard_source not in source_ids:
                add(
                    (*point_path, "hazard_source"),
                    f"unknown hazard source {point.hazard_source!r}; "
                    f"known: {', '.join(sorted(source_ids))}",
                    device.id,
                    point.tag,
                )
        if isinstance(device, ModbusDeviceBase):
            _check_registers(device, device_path, add)
        elif isinstance(device, MqttDevice):
            _check_mqtt(device, device_path, add)
    for c_index, contact in enumerate(site.contacts):
        if contact.hazard_source is not None and contact.hazard_source not in source_ids:
            add(("contacts", c_index, "hazard_source"),
                f"contacts: unknown hazard source {contact.hazard_source!r}; "
                f"known: {', '.join(sorted(source_ids))}")
    for s_index, hazard in enumerate(site.hazard_sources):
        # A chemical the gateway's GB 18218 table lacks needs its Q and β in the file:
        # otherwise the R value on the enterprise page could not be computed.
        for k_index, stock in enumerate(hazard.chemicals):
            if (stock.critical_t is None or stock.beta is None) and stock.name not in CHEMICALS:
                add(("hazard_sources", s_index, "chemicals", k_index, "name"),
                    f"hazard source {hazard.id}: chemical {stock.name!r} is not in the "
                    "gateway's GB 18218-2018 table: give critical_t (表1/表2) and beta "
                    "(表3/表4)")
    return issues


Add = Callable[..., None]


def _check_registers(device: ModbusDeviceBase, device_path: DataPath, add: Add) -> None:
    index_of = {point.tag: index for index, point in enumerate(device.points)}
    for first, second in _overlap_conflicts(register_uses(device)):
        add(
            (*device_path, "points", index_of[second.tag], "source"),
            f"{second.table.value} registers {second.start}..{second.end - 1} ({second.layout}) "
            f"overlap point {first.tag}'s {first.start}..{first.end - 1} ({first.layout}) "
            "with a conflicting type",
            device.id,
            second.tag,
        )


def _check_mqtt(device: MqttDevice, device_path: DataPath, add: Add) -> None:
    keys: dict[str, str] = {}
    for index, point in enumerate(device.points):
        key = point.payload_key
        if key in keys:
            add(
                (*device_path, "points", index, "key"),
                f"payload key {key!r} already maps to point {keys[key]}",
                device.id,
                point.tag,
            )
        keys[key] = point.tag
    tags = {point.tag for point in device.points}
    for index, subscription in enumerate(device.subscriptions):
        if subscription.format is PayloadFormat.VALUE and subscription.point not in tags:
            add(
                (*device_path, "subscriptions", index, "point"),
                f"subscription {subscription.topic!r} names point {subscription.point!r}, "
                "which this device does not have",
                device.id,
            )


def _line_settings(line: SerialLine) -> str:
    return f"{line.baudrate} {line.bytesize}{line.parity}{line.stopbits}"


def check_serial_lines(sites: Sequence[tuple[Site, SourceMap]]) -> list[ConfigIssue]:
    """One serial port is one bus, with one master and one baud rate and framing, whichever
    site files its devices are written in: devices on one port must agree on the line.

    Run over each site file on its own, and over all the sites of a gateway file (the
    collector serves a port once for every site on it)."""
    issues: list[ConfigIssue] = []
    first_on_port: dict[str, tuple[Site, SourceMap, int, ModbusRtuSerialDevice]] = {}
    for site, source in sites:
        for index, device in enumerate(site.devices):
            if not isinstance(device, ModbusRtuSerialDevice):
                continue
            path: DataPath = ("devices", index, "serial")
            port = device.serial.port
            first = first_on_port.setdefault(port, (site, source, index, device))
            first_site, first_source, first_index, first_device = first
            if first_device.serial == device.serial:
                continue
            first_line = first_source.line_of(("devices", first_index, "serial"))
            if first_source.file == source.file:
                who, where = first_device.id, f"line {first_line}"
            else:
                who = f"{first_site.enterprise.code}/{first_device.id}"
                where = f"{first_source.file}:{first_line}"
            issues.append(
                ConfigIssue(
                    source.file,
                    source.line_of(path),
                    f"serial port {port} is already used by device {who} ({where}) with other "
                    f"line settings ({_line_settings(first_device.serial)} there, "
                    f"{_line_settings(device.serial)} here): one bus has one baud rate and "
                    "framing",
                    device=device.id,
                )
            )
    return issues
