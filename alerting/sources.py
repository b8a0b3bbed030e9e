"""Hazard-source status: each source's colour is its worst annunciated alarm.

Pure: built from the engine's current records and the catalog's sites on every call (the
wall and the console ask a few times a second at most; the records are few).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from alerting.events import ANNUNCIATED_STATES, UNACKNOWLEDGED_STATES, AlarmState
from alerting.statemachine import AlarmRecord
from config.catalog import Catalog
from config.points import HazardSource
from config.vocabulary import Priority, status_colour


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """A hazard source's colour: its worst annunciated alarm, green when there is none."""

    site: str
    site_name: str
    source: HazardSource
    worst: Priority | None
    colour: str
    annunciated: int
    unacknowledged: int
    shelved: int
    out_of_service: int


def source_statuses(catalog: Catalog, records: Iterable[AlarmRecord]) -> list[SourceStatus]:
    """Every configured hazard source, in catalog order, with the alarms of ``records``."""
    tallies: dict[tuple[str, str], list[AlarmRecord]] = {}
    for record in records:
        tallies.setdefault((record.point.site, record.hazard_source), []).append(record)
    statuses = []
    for site in catalog.sites:
        code, name = site.enterprise.code, site.enterprise.name
        for source in site.hazard_sources:
            statuses.append(source_status(code, name, source, tallies.get((code, source.id), [])))
    return statuses


def source_status(
    site: str, site_name: str, source: HazardSource, records: Iterable[AlarmRecord]
) -> SourceStatus:
    """One source's status from its alarms' records."""
    worst: Priority | None = None
    annunciated = unacknowledged = shelved = out_of_service = 0
    for record in records:
        if record.state in ANNUNCIATED_STATES:
            annunciated += 1
            if worst is None or record.priority.rank < worst.rank:
                worst = record.priority
        if record.state in UNACKNOWLEDGED_STATES:
            unacknowledged += 1
        elif record.state is AlarmState.SHELVED:
            shelved += 1
        elif record.state is AlarmState.OUT_OF_SERVICE:
            out_of_service += 1
    return SourceStatus(
        site=site,
        site_name=site_name,
        source=source,
        worst=worst,
        colour=status_colour(worst),
        annunciated=annunciated,
        unacknowledged=unacknowledged,
        shelved=shelved,
        out_of_service=out_of_service,
    )
