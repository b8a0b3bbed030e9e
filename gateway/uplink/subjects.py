"""Subjects of the park's NATS cluster.

An edge publishes ``hazgw.<enterprise>.<kind>``; the server's subject mapping appends a
partition token (``{{partition(P,1)}}``: a hash of the enterprise code), so what streams
store and central instances consume is ``hazgw.<enterprise>.<kind>.<partition>``. Every
message of one enterprise lands in one partition, in the order it was published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

ROOT = "hazgw"
DATA_STREAM = "PARK_DATA"  # readings and alarm events: kept, replicated, consumed once
STATE_STREAM = "PARK_STATE"  # heartbeats and site descriptions: the latest few per enterprise

_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")


class Kind(StrEnum):
    READINGS = "readings"
    EVENTS = "events"
    HEARTBEAT = "heartbeat"
    SITE = "site"


DATA_KINDS = (Kind.READINGS, Kind.EVENTS)
STATE_KINDS = (Kind.HEARTBEAT, Kind.SITE)


class SubjectError(ValueError):
    pass


def check_code(code: str) -> str:
    """An enterprise code usable as one subject token, or SubjectError naming it."""
    if not _TOKEN.match(code):
        raise SubjectError(
            f"enterprise code {code!r} cannot be a NATS subject token "
            "(letters, digits, '_' and '-' only) — the park cannot carry it"
        )
    return code


def publish_subject(code: str, kind: Kind) -> str:
    return f"{ROOT}.{check_code(code)}.{kind.value}"


def mapping(partitions: int) -> dict[str, str]:
    """The server-side subject mapping (``mappings`` of the park's account)."""
    return {
        f"{ROOT}.*.*": f"{ROOT}.{{{{wildcard(1)}}}}.{{{{wildcard(2)}}}}"
        f".{{{{partition({partitions},1)}}}}"
    }


def stream_subjects(kinds: tuple[Kind, ...]) -> list[str]:
    return [f"{ROOT}.*.{kind.value}.*" for kind in kinds]


def partition_filter(kind: Kind, partition: int) -> str:
    return f"{ROOT}.*.{kind.value}.{partition}"


@dataclass(frozen=True, slots=True)
class StoredSubject:
    code: str
    kind: Kind
    partition: int


def parse_stored(subject: str) -> StoredSubject:
    """``hazgw.E1.readings.3`` → (E1, readings, 3); SubjectError for anything else."""
    parts = subject.split(".")
    if len(parts) != 4 or parts[0] != ROOT:
        raise SubjectError(f"subject {subject!r}: expected {ROOT}.<code>.<kind>.<partition>")
    try:
        kind = Kind(parts[2])
        partition = int(parts[3])
    except ValueError as exc:
        raise SubjectError(f"subject {subject!r}: {exc}") from exc
    return StoredSubject(parts[1], kind, partition)
