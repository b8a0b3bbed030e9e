"""The alarm-history filters as one FastAPI dependency, shared by the JSON history and
its CSV export so that both take exactly the same query parameters."""

# No `from __future__ import annotations`: FastAPI reads these parameters' types.
from typing import Annotated

from fastapi import Depends, Query

from alerting.events import EventKind
from alerting.journal import HistoryQuery
from config.vocabulary import AlarmType, Priority
from dashboard.routes.bounds import BeforeQuery, TimeQuery


def history_filters(
    since: TimeQuery = None,
    until: TimeQuery = None,
    site: str | None = None,
    hazard_source: str | None = None,
    tag: str | None = None,
    alarm_id: str | None = None,
    priority: Annotated[list[Priority] | None, Query()] = None,
    alarm_type: Annotated[list[AlarmType] | None, Query(alias="type")] = None,
    kind: Annotated[list[EventKind] | None, Query()] = None,
    before_seq: BeforeQuery = None,
) -> HistoryQuery:
    """The query without its page size: each route sets its own ``limit``."""
    return HistoryQuery(
        since=since,
        until=until,
        site=site,
        hazard_source=hazard_source,
        tag=tag,
        alarm_id=alarm_id,
        priorities=tuple(priority or ()),
        types=tuple(alarm_type or ()),
        kinds=tuple(kind or ()),
        before_seq=before_seq,
    )


HistoryFilters = Annotated[HistoryQuery, Depends(history_filters)]
