"""Which routes take an alarm. Pure: the event, what the catalog knows of its point, the routes.

Every matching route takes the alarm (no first-match-wins): the fire-control room route
for a second-level combustible-gas alarm comes on top of the shift's general route.
"""

from __future__ import annotations

from collections.abc import Sequence

from alerting.events import AlarmEvent
from config.catalog import PointInfo
from config.notifications import Route, RouteFilter


def matches(rule: RouteFilter, event: AlarmEvent, info: PointInfo | None) -> bool:
    """A point the catalog does not know matches no filter on device or point kind (and on
    hazard source only by the id the engine put on the event): an unknown point is not
    guessed into the fire-control room route, and the notifier counts alarms no route
    takes."""
    if rule.sites is not None and event.point.site not in rule.sites:
        return False
    if rule.tags is not None and event.point.tag not in rule.tags:
        return False
    if rule.alarm_types is not None and event.alarm_type not in rule.alarm_types:
        return False
    if rule.min_priority is not None and event.priority.rank > rule.min_priority.rank:
        return False
    if rule.priorities is not None and event.priority not in rule.priorities:
        return False
    if rule.hazard_sources is not None:
        # The catalog's word first; the engine's copy on the event for a point it lacks.
        source = info.hazard_source.id if info is not None else event.hazard_source
        if source not in rule.hazard_sources:
            return False
    if rule.devices is not None and (info is None or info.device_id not in rule.devices):
        return False
    return rule.point_kinds is None or (info is not None and info.kind in rule.point_kinds)


def match_routes(routes: Sequence[Route], event: AlarmEvent, info: PointInfo | None) -> list[Route]:
    return [route for route in routes if matches(route.match, event, info)]
