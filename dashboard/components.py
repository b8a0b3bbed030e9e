"""The health of a part of the gateway that is not a collector, as ``/api/health`` shows it.

Its own module (no imports) so that any part of the dashboard (the auth service, the alarm
routes) can describe itself without importing the services object that holds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ComponentStatus:
    """A part of the gateway that is not a collector: the pipeline, a storage sink, the
    alarm journal. ``ok`` says whether it works *now* (a database reachable, a buffer not
    dropping); the counters say what happened so far (written, dropped, retried...)."""

    name: str
    ok: bool
    counters: Mapping[str, int | float] = field(default_factory=dict)
    detail: str | None = None
