"""What the web app needs from the running gateway, handed over in one object.

The gateway builds these once and passes them to ``create_app``; routes reach
them through the dependencies in ``dashboard.deps``, never through globals.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from collectors.health import CollectorHealth
from config.catalog import Catalog
from dashboard.hub import Hub
from dashboard.live import LiveState


@dataclass(frozen=True, slots=True)
class ComponentStatus:
    """A part of the gateway that is not a collector: the pipeline, a storage sink, the
    alarm journal. ``ok`` says whether it works *now* (a database reachable, a buffer not
    dropping); the counters say what happened so far (written, dropped, retried...)."""

    name: str
    ok: bool
    counters: Mapping[str, int | float] = field(default_factory=dict)
    detail: str | None = None


def _no_collectors() -> Sequence[CollectorHealth]:
    return ()


def _no_components() -> Sequence[ComponentStatus]:
    return ()


@dataclass(frozen=True, slots=True)
class DashboardServices:
    """The gateway's state as the web app sees it.

    ``collectors`` and ``components`` are called on every ``GET /api/health``; they must be
    cheap and must not block (they read the gateway's own health objects).
    """

    catalog: Catalog
    live: LiveState
    hub: Hub
    collectors: Callable[[], Sequence[CollectorHealth]] = _no_collectors
    components: Callable[[], Sequence[ComponentStatus]] = _no_components
    clock: Callable[[], float] = time.time
