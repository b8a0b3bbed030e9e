"""What a websocket delta says about alarms beyond their events: the current record of every
alarm the events touched, and of its hazard source, in the shapes the REST lists use, so
that a screen updates its lists from the delta and never fetches them after an event."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from alerting.engine import AlarmEngine, UnknownAlarm
from alerting.events import AlarmEvent
from config.catalog import Catalog
from dashboard.protocol import NO_CHANGES, AlarmChanges
from dashboard.schemas.alarms import AlarmViews, source_out

log = logging.getLogger(__name__)


class AlarmFeed:
    """``Hub(live, alarms=AlarmFeed(engine, catalog))``. Records are read when a delta is
    encoded, like readings from the live state: a delta always carries the newest state."""

    def __init__(self, engine: AlarmEngine, catalog: Catalog) -> None:
        self._engine = engine
        self._views = AlarmViews(catalog)

    def __call__(self, events: Sequence[AlarmEvent]) -> AlarmChanges:
        if not events:
            return NO_CHANGES
        ids = dict.fromkeys(event.alarm_id for event in events)
        sources = {(event.point.site, event.hazard_source) for event in events}
        alarms = []
        for ident in ids:
            try:
                record = self._engine.get(ident)
            except UnknownAlarm:
                # An event of an alarm the configuration no longer has (journalled before a
                # reload): the event still goes out; there is no record to show.
                log.debug("delta: no record for %s", ident)
                continue
            alarms.append(self._views.alarm(record).model_dump(mode="json"))
        statuses = [
            source_out(status).model_dump(mode="json")
            for status in self._engine.hazard_sources()
            if (status.site, status.source.id) in sources
        ]
        return AlarmChanges(alarms, statuses)
