"""The gateway's own parts as /api/health shows them: the pipeline, the alarm engine, the
storage sink and the notifier, each working or not, with its counters."""

from __future__ import annotations

from alerting.engine import AlarmEngine
from alerting.notify.notifier import Notifier
from dashboard.components import ComponentStatus
from dashboard.routes.alarms import alarm_component
from gateway.pipeline import Pipeline
from gateway.sinks import Storage, storage_component


def pipeline_component(pipeline: Pipeline, totals: tuple[int, int]) -> ComponentStatus:
    """``totals``: readings and batches that went through earlier pipelines (before the
    last reloads), so that the counters keep counting across them."""
    return ComponentStatus(
        "pipeline",
        ok=True,
        counters={
            "readings_in": totals[0] + pipeline.readings_in,
            "batches_in": totals[1] + pipeline.batches_in,
        },
    )


def notifier_component(notifier: Notifier) -> ComponentStatus:
    nh = notifier.health()
    failing = [
        name
        for name, channel in nh.channels.items()
        if channel.last_error_at is not None
        and (channel.last_success is None or channel.last_error_at > channel.last_success)
    ]
    return ComponentStatus(
        "notifications",
        ok=nh.running and not failing,
        counters={**nh.counters, "escalating": nh.escalating, "held": nh.held},
        detail=f"failing channels: {', '.join(failing)}" if failing else None,
    )


def gateway_components(
    pipeline: Pipeline,
    totals: tuple[int, int],
    engine: AlarmEngine,
    storage: Storage | None,
    notifier: Notifier | None,
    now: float,
) -> list[ComponentStatus]:
    statuses = [pipeline_component(pipeline, totals), alarm_component(engine)]
    if storage is not None:
        statuses.append(storage_component(storage, now))
    if notifier is not None:
        statuses.append(notifier_component(notifier))
    return statuses
