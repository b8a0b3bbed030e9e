"""Alarm-system KPIs per duty post and per hazard source (EEMUA 191 / ISA-18.2).

    GET /api/alarms/kpi?since=&until=&post=&source=

``since`` / ``until`` are Unix seconds (default: the 24 h up to now); the period is at
most 31 days. ``post`` is a duty post: the gateway has no post of its own, so a post is a
notification route (``notifications.routes[].name`` in the gateway file), and an alarm
belongs to every post whose route takes it. ``source`` is a hazard source id. Any signed-in
person may read it (the auth middleware guards /api/*). Definitions: ``alerting/kpi.py``
and docs/operation.md.
"""

# No `from __future__ import annotations`: FastAPI reads these parameters' types.
import asyncio
import time
from collections.abc import Callable, Sequence

from fastapi import APIRouter, HTTPException

from alerting.events import AlarmEvent
from alerting.journal import AlarmJournal
from alerting.kpi import Kpis, compute
from alerting.notify.routing import matches
from config.catalog import Catalog, PointKey
from config.notifications import Route
from dashboard.routes.bounds import TimeQuery
from dashboard.schemas.kpi import (
    ChatteringOut,
    ContributorOut,
    KpiOut,
    PriorityOut,
    ScopeOut,
    SpanOut,
    StaleOut,
    SuppressedOut,
    mix_out,
    scope_out,
    targets_out,
)

Clock = Callable[[], float]
DEFAULT_PERIOD = 86_400.0
MAX_PERIOD = 31 * 86_400.0
# The hour before the period gives the flood's trailing window (and a flood begun earlier
# its hysteresis); earlier events only say in which state each alarm entered it.
LOOKBACK = 3_600.0
# Read at most this many (the journal is read on the event loop: ~1 s per 100,000 events on
# a small box); a period with more answers 422. The figures are computed in a worker thread.
MAX_EVENTS = 200_000


def kpi_router(
    journal: AlarmJournal,
    catalog: Catalog,
    routes: Sequence[Route] = (),
    *,
    clock: Clock = time.time,
) -> APIRouter:
    api = APIRouter(prefix="/api", tags=["alarms"])
    posts = {route.name: route for route in routes}
    sources = {
        source.id: source.name for site in catalog.sites for source in site.hazard_sources
    }

    def of_post(route: Route) -> Callable[[AlarmEvent], bool]:
        return lambda event: matches(route.match, event, catalog.get(event.point))

    def of_source(source: str) -> Callable[[AlarmEvent], bool]:
        def keep(event: AlarmEvent) -> bool:
            info = catalog.get(event.point)
            return (info.hazard_source.id if info is not None else event.hazard_source) == source

        return keep

    @api.get("/alarms/kpi", response_model=KpiOut)
    async def alarm_kpi(
        since: TimeQuery = None,
        until: TimeQuery = None,
        post: str | None = None,
        source: str | None = None,
    ) -> KpiOut:
        end = clock() if until is None else until
        start = end - DEFAULT_PERIOD if since is None else since
        if not end > start:
            raise HTTPException(422, "until 必须晚于 since / until must be after since")
        if end - start > MAX_PERIOD:
            raise HTTPException(422, "时段最长 31 天 / the period is at most 31 days")
        if post is not None and post not in posts:
            known = ", ".join(sorted(posts)) or "none configured"
            raise HTTPException(422, f"未知岗位 / unknown post {post!r} (posts: {known})")
        if source is not None and source not in sources:
            raise HTTPException(422, f"未知危险源 / unknown hazard source {source!r}")
        events = journal.kpi_events(start, end, lookback=LOOKBACK, limit=MAX_EVENTS)
        if events is None:
            raise HTTPException(
                422, f"时段内事件超过 {MAX_EVENTS} 条，请缩短时段 / more than {MAX_EVENTS} "
                "events: choose a shorter period"
            )

        def figures() -> KpiOut:
            scoped = events
            if post is not None:
                scoped = [event for event in scoped if of_post(posts[post])(event)]
            if source is not None:
                scoped = [event for event in scoped if of_source(source)(event)]
            kpis = compute(scoped, start, end)
            # The breakdown is over every alarm, whatever the filter: it is what one
            # compares the chosen post or source with.
            post_rows = [
                _scope(name, _post_label(route), events, of_post(route), start, end)
                for name, route in posts.items()
            ]
            source_rows = [
                _scope(ident, name, events, of_source(ident), start, end)
                for ident, name in sources.items()
            ]
            return _kpi_out(kpis, catalog, post, source, len(events), post_rows, source_rows)

        # Pure work on immutable events: off the event loop, so that readings and alarms
        # keep flowing while a month of KPIs is computed.
        return await asyncio.to_thread(figures)

    return api


def _post_label(route: Route) -> str:
    """The route's first level names who is called (当班人员): the post as people say it."""
    first = route.escalation[0].name
    return first or route.name


def _scope(
    ident: str,
    label: str,
    events: Sequence[AlarmEvent],
    keep: Callable[[AlarmEvent], bool],
    start: float,
    end: float,
) -> ScopeOut:
    return scope_out(ident, label, compute([e for e in events if keep(e)], start, end))


def _kpi_out(
    kpis: Kpis,
    catalog: Catalog,
    post: str | None,
    source: str | None,
    events_read: int,
    posts: list[ScopeOut],
    sources: list[ScopeOut],
) -> KpiOut:
    def point_of(alarm_id: str) -> tuple[str, str]:
        site, tag, _ = alarm_id.split("/", 2)
        info = catalog.get(PointKey(site, tag))
        return tag, info.config.name if info is not None else ""

    top = []
    for item in kpis.top:
        tag, name = point_of(item.alarm_id)
        top.append(
            ContributorOut(
                alarm_id=item.alarm_id, tag=tag, name=name, count=item.count, share=item.share
            )
        )
    return KpiOut(
        since=kpis.since,
        until=kpis.until,
        post=post,
        source=source,
        events_read=events_read,
        alarms=kpis.alarms,
        per_10min=kpis.per_10min,
        per_day=kpis.per_day,
        peak_10min=kpis.peak_10min,
        flood_seconds=kpis.flood_seconds,
        flood_share=kpis.flood_share,
        floods=[SpanOut(start=span.start, end=span.end) for span in kpis.floods],
        top=top,
        top_share=kpis.top_share,
        chattering=[
            ChatteringOut(alarm_id=c.alarm_id, most_in_window=c.most_in_window)
            for c in kpis.chattering
        ],
        stale=[
            StaleOut(alarm_id=s.alarm_id, active_since=s.active_since, hours=s.hours)
            for s in kpis.stale
        ],
        shelved=[SuppressedOut(alarm_id=s.alarm_id, seconds=s.seconds) for s in kpis.shelved],
        shelved_seconds=kpis.shelved_seconds,
        out_of_service=[
            SuppressedOut(alarm_id=s.alarm_id, seconds=s.seconds) for s in kpis.out_of_service
        ],
        out_of_service_seconds=kpis.out_of_service_seconds,
        priorities=[
            PriorityOut(priority=p.priority, count=p.count, share=p.share)
            for p in kpis.priorities
        ],
        mix=mix_out(kpis),
        targets=targets_out(kpis.targets),
        posts=posts,
        sources=sources,
    )
