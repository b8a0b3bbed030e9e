"""What the web app needs from the running gateway, handed over in one object.

The gateway builds these once and passes them to ``create_app``, which builds every
route from them; routes reach the state through the dependencies in ``dashboard.deps``
or the objects their router was built with, never through globals.

A part left out (``alarms``, ``auth``, ``commissioning`` None) leaves its routes out: the
tests of the live data build the app from a catalog, a live state and a hub alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from alerting.answerlinks import AnswerLinks
from alerting.engine import AlarmEngine
from alerting.journal import AlarmJournal
from collectors.health import CollectorHealth
from config.catalog import Catalog
from config.notifications import Route
from dashboard.auth.service import AuthService
from dashboard.components import ComponentStatus as ComponentStatus
from dashboard.duty.service import DutyServices
from dashboard.hub import Hub
from dashboard.live import LiveState
from dashboard.park import ParkSource
from dashboard.routes.commissioning import Reload
from dashboard.trends import TrendSource


def _no_collectors() -> Sequence[CollectorHealth]:
    return ()


def _no_components() -> Sequence[ComponentStatus]:
    return ()


@dataclass(frozen=True, slots=True)
class AlarmServices:
    """The alarm engine and its journal, for the alarm and console routes; ``trend`` is
    where point trends come from (None: ``/api/trend`` answers that none is configured)."""

    engine: AlarmEngine
    journal: AlarmJournal
    trend: TrendSource | None = None
    # The notification routes: the duty posts of the alarm KPIs (/api/alarms/kpi).
    routes: Sequence[Route] = ()
    links: AnswerLinks | None = None  # checks acknowledgement links (None: every link refused)


@dataclass(frozen=True, slots=True)
class CommissioningServices:
    """The running collectors (``Parts.collectors``) and the gateway's reload (None: the
    reload route answers 501)."""

    collectors: Sequence[object]
    reload: Reload | None = None


@dataclass(frozen=True, slots=True)
class DashboardServices:
    """The gateway's state as the web app sees it.

    ``collectors`` and ``components`` are called on every ``GET /api/health``; they must be
    cheap and must not block (they read the gateway's own health objects).

    ``auth`` puts the sign-in gate in front of the app; without it nobody is signed in, so
    every alarm action answers 401 (who acts is never taken from the request).
    """

    catalog: Catalog
    live: LiveState
    hub: Hub
    collectors: Callable[[], Sequence[CollectorHealth]] = _no_collectors
    components: Callable[[], Sequence[ComponentStatus]] = _no_components
    clock: Callable[[], float] = time.time
    alarms: AlarmServices | None = None
    auth: AuthService | None = None
    commissioning: CommissioningServices | None = None
    # Shifts, the handover book and reports (needs ``alarms``; None: their routes are left out).
    duty: DutyServices | None = None
    park: ParkSource | None = None  # the park's central instance: /api/enterprises, /park
