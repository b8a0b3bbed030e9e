"""Build the writer a gateway file asks for."""

from __future__ import annotations

from config.catalog import Catalog
from config.gateway_file import InfluxV1, StorageSettings
from gateway.pipeline import ReadingBuffer
from gateway.storage.lineprotocol import ReadingEncoder
from gateway.storage.transport import Transport
from gateway.storage.writer import InfluxWriter


def build_transport(settings: StorageSettings) -> Transport:
    target = settings.target
    if isinstance(target, InfluxV1):
        from gateway.storage.v1 import InfluxV1Transport

        return InfluxV1Transport(target, timeout=settings.timeout)
    # Imported here: influxdb-client is only loaded by gateways that write to a v2 target.
    from gateway.storage.v2 import InfluxV2Transport

    return InfluxV2Transport(target, timeout=settings.timeout)


def build_writer(
    settings: StorageSettings,
    catalog: Catalog,
    buffer: ReadingBuffer,
    *,
    drain_timeout: float = 10.0,
) -> InfluxWriter:
    """The writer for ``settings.target``; no I/O until ``run`` (or ``write_lines``)."""
    return InfluxWriter(
        build_transport(settings),
        ReadingEncoder(catalog),
        buffer,
        batch_size=settings.batch_size,
        flush_interval=settings.flush_interval,
        max_retry_delay=settings.max_retry_delay,
        drain_timeout=drain_timeout,
    )
