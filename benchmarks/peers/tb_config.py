"""The ThingsBoard IoT Gateway's configuration for the side-by-side runs. Pure: builds the
documents, ``write_tb_config`` puts them in a folder.

The peer gets its own stock connectors pointed at the same simulated devices and the same
publisher as hazgw, and its uplink ("ThingsBoard") is a local mosquitto: the harness
subscribes there to ``v1/gateway/telemetry`` and counts what the peer delivers. Settings are
the peer's shipped defaults except where a run needs otherwise (no remote configuration, no
statistics, logs at WARNING, a memory storage large enough that nothing is dropped there).

MQTT values need the device's timestamp (``"ts"`` in epoch milliseconds, which the JSON
converter reads by default): without one the peer dates each value on reception to the
millisecond, and its uplink client (tb-mqtt-client 1.13, ``TBDeviceMqttClient._split_message``)
groups a device's pack by timestamp into one dict per millisecond, so two messages of a device
converted within the same millisecond keep only the later one's values. No storage setting
prevents it; the harness's publisher therefore dates every message (see ``load.stamped``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TELEMETRY_TOPIC = "v1/gateway/telemetry"
LOGGERS = ("database", "service", "connector", "converter", "tb_connection", "storage",
           "extension")


@dataclass(frozen=True)
class ModbusSlave:
    """One simulated Modbus TCP device: ``points`` float32 values (ABCD) from register 0."""

    name: str
    port: int
    points: int
    poll_ms: int
    unit: int = 1


@dataclass(frozen=True)
class MqttFeed:
    """Publishers send ``{"P0": …, "P9": …}`` objects to ``bench/<device>/data``."""

    host: str
    port: int
    keys: Sequence[str]
    topic_filter: str = "bench/+/data"


def gateway_document(
    uplink_host: str, uplink_port: int, connectors: Sequence[str]
) -> dict[str, Any]:
    return {
        "thingsboard": {
            "host": uplink_host,
            "port": uplink_port,
            "remoteShell": False,
            "remoteConfiguration": False,
            "latencyDebugMode": False,
            "statistics": {"enable": False, "statsSendPeriodInSeconds": 3600,
                           "customStatsSendPeriodInSeconds": 3600},
            "deviceFiltering": {"enable": False, "filterFile": "list.json"},
            "maxPayloadSizeBytes": 8196,
            "minPackSendDelayMS": 50,
            "minPackSizeToSend": 500,
            "checkConnectorsConfigurationInSeconds": 3600,
            "handleDeviceRenaming": False,
            "security": {"type": "accessToken", "accessToken": "hazgw-bench"},
            "qos": 1,
            "reportStrategy": {"type": "ON_RECEIVED"},
            "checkingDeviceActivity": {"checkDeviceInactivity": False,
                                       "inactivityTimeoutSeconds": 300,
                                       "inactivityCheckPeriodSeconds": 10},
            # On a host that is not ThingsBoard's cloud these mean "no limit".
            "rateLimits": "DEFAULT_TELEMETRY_RATE_LIMIT",
            "dpRateLimits": "DEFAULT_TELEMETRY_DP_RATE_LIMIT",
            "messagesRateLimits": "DEFAULT_MESSAGES_RATE_LIMIT",
            "deviceMessagesRateLimits": "DEFAULT_MESSAGES_RATE_LIMIT",
            "deviceRateLimits": "DEFAULT_TELEMETRY_RATE_LIMIT",
            "deviceDpRateLimits": "DEFAULT_TELEMETRY_DP_RATE_LIMIT",
        },
        "storage": {"type": "memory", "read_records_count": 100,
                    "max_records_count": 1_000_000},
        "grpc": {"enabled": False},
        "connectors": [
            {"type": kind, "name": f"bench-{kind}", "configuration": f"{kind}.json"}
            for kind in connectors
        ],
    }


def modbus_document(slaves: Sequence[ModbusSlave], host: str = "127.0.0.1") -> dict[str, Any]:
    """One tag per float32 point, as the peer's documentation configures a device."""
    return {
        "master": {
            "slaves": [
                {
                    "host": host,
                    "port": slave.port,
                    "type": "tcp",
                    "method": "socket",
                    "unitId": slave.unit,
                    "deviceName": slave.name,
                    "deviceType": "default",
                    "timeout": 35,
                    "byteOrder": "BIG",
                    "wordOrder": "BIG",
                    "retries": 3,
                    "retryOnEmpty": True,
                    "retryOnInvalid": True,
                    "pollPeriod": slave.poll_ms,
                    "connectAttemptTimeMs": 5000,
                    "connectAttemptCount": 5,
                    "waitAfterFailedAttemptsMs": 300000,
                    "attributes": [],
                    "timeseries": [
                        {"tag": f"P{index:03d}", "type": "32float", "functionCode": 3,
                         "objectsCount": 2, "address": 2 * index}
                        for index in range(slave.points)
                    ],
                    "attributeUpdates": [],
                    "rpc": [],
                }
                for slave in slaves
            ]
        }
    }


def mqtt_document(feed: MqttFeed) -> dict[str, Any]:
    return {
        "broker": {
            "host": feed.host,
            "port": feed.port,
            "clientId": "tb-bench-gateway",
            "version": 5,
            "maxMessageNumberPerWorker": 10,
            "maxNumberOfWorkers": 100,
            "cleanSession": True,
            "cleanStart": True,
            "sessionExpiryInterval": 0,
            "security": {"type": "anonymous"},
        },
        "mapping": [
            {
                "topicFilter": feed.topic_filter,
                "subscriptionQos": 1,
                "converter": {
                    "type": "json",
                    "deviceInfo": {
                        "deviceNameExpressionSource": "topic",
                        "deviceNameExpression": "(?<=bench/)(.*?)(?=/data)",
                        "deviceProfileExpressionSource": "constant",
                        "deviceProfileExpression": "default",
                    },
                    "sendDataOnlyOnChange": False,
                    "timeout": 60000,
                    "attributes": [],
                    "timeseries": [
                        {"type": "double", "key": key, "value": "${" + key + "}"}
                        for key in feed.keys
                    ],
                },
            }
        ],
        "requestsMapping": {},
    }


def logs_document(folder: Path) -> dict[str, Any]:
    """Warnings and errors only, into one file: the peer logs every message at INFO."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {
            "file": {"class": "logging.FileHandler", "formatter": "plain",
                     "filename": str(folder / "peer.log"), "level": "WARNING"}
        },
        "loggers": {
            name: {"handlers": ["file"], "level": "WARNING", "propagate": False}
            for name in LOGGERS
        }
        # pymodbus 3.9 warns "BinaryPayloadDecoder is deprecated" on every decode.
        | {"pymodbus": {"handlers": ["file"], "level": "ERROR", "propagate": False}},
        "root": {"handlers": ["file"], "level": "WARNING"},
    }


def write_tb_config(
    folder: Path,
    uplink: tuple[str, int],
    *,
    modbus: Sequence[ModbusSlave] = (),
    mqtt: MqttFeed | None = None,
) -> Path:
    """Write tb_gateway.json, logs.json and the connectors' files; return the folder to pass
    as ``TB_GW_CONFIG_DIR``."""
    connectors = (["modbus"] if modbus else []) + (["mqtt"] if mqtt is not None else [])
    if not connectors:
        raise ValueError("the peer needs at least one connector (modbus or mqtt)")
    folder.mkdir(parents=True, exist_ok=True)
    documents: dict[str, dict[str, Any]] = {
        "tb_gateway.json": gateway_document(uplink[0], uplink[1], connectors),
        "logs.json": logs_document(folder),
    }
    if modbus:
        documents["modbus.json"] = modbus_document(modbus)
    if mqtt is not None:
        documents["mqtt.json"] = mqtt_document(mqtt)
    for name, document in documents.items():
        (folder / name).write_text(json.dumps(document, indent=2))
    return folder
