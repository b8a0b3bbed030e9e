"""The parts one build of the site files makes, and how the ones with a file of their own
are opened and closed: the alarm journal and engine, the notifier, the duty records and the
scheduled reports. ``gateway.runtime.Gateway`` wires them together and runs them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from alerting.answerlinks import DEFAULT_EXPIRY, AnswerLinks, load_or_create_key
from alerting.engine import AlarmEngine
from alerting.events import AlarmEvent, AlarmState, EventKind
from alerting.journal import AlarmJournal
from alerting.notify.notifier import Notifier
from collectors.base import Collector
from collectors.readings import Reading
from config.catalog import Catalog, PointKey
from config.gateway_file import GatewayConfig
from config.notifications import EmailChannel
from dashboard.duty.documents import DocumentStore
from dashboard.duty.handovers import HandoverBook
from dashboard.duty.service import DutyServices
from dashboard.hub import Hub
from dashboard.live import LiveState
from dashboard.server import DashboardServer
from gateway.buffer import DurableBuffer
from gateway.pipeline import Pipeline
from gateway.reportjobs import ReportJobs
from gateway.sinks import AlarmHistory
from gateway.storage.stats import build_stats_source
from gateway.storage.writer import InfluxWriter

Clock = Callable[[], float]


@dataclass
class Parts:
    """Everything the running gateway is made of; tests and the demo reach in here."""

    catalog: Catalog
    live: LiveState
    hub: Hub
    pipeline: Pipeline
    engine: AlarmEngine
    journal: AlarmJournal
    collectors: list[Collector]
    writer: InfluxWriter | None
    buffer: DurableBuffer | None
    history: AlarmHistory | None
    notifier: Notifier | None
    server: DashboardServer
    app: FastAPI | None = None
    duty: DutyServices | None = None
    reports: ReportJobs | None = None
    links: AnswerLinks | None = None  # acknowledgement links (checked by /a/<token>)



def build_alerting(
    config: GatewayConfig, catalog: Catalog, state_dir: Path, clock: Clock
) -> tuple[AlarmJournal, AlarmEngine]:
    """The alarm journal (opened here) and the engine that recovers its alarms from it."""
    journal = AlarmJournal(
        state_dir / "alarms.db", retention_days=config.alarm_journal.retention_days
    )
    return journal, AlarmEngine(catalog, journal, clock=clock)


def build_notifier(
    config: GatewayConfig,
    catalog: Catalog,
    engine: AlarmEngine,
    clock: Clock,
    current: Callable[[PointKey], Reading | None] | None = None,
    links: AnswerLinks | None = None,
) -> Notifier | None:
    """The notifier, when notifications are configured. Its own events (sends, failures)
    go through the engine's publisher: journalled (one transaction per notice), then heard
    by the engine's listeners like any other event; the 叫应 ledger's rows go into the
    journal's ledger. Notices carry acknowledgement links only when ``http.public_url``
    says where people reach the gateway."""
    notifications = config.notifications
    if notifications is None:
        return None
    return Notifier(
        notifications, catalog, engine.publisher, clock=clock, current=current,
        ledger=engine.journal.ledger,
        links=links if config.http.public_url is not None else None,
    )


def build_answer_links(config: GatewayConfig, state_dir: Path) -> AnswerLinks:
    """The signer and checker of acknowledgement links, its key in the state folder (made
    on first use, 0600). Built without ``http.public_url`` too: links already sent stay
    checkable after the address is removed."""
    expiry = (
        config.notifications.answer_link_expiry
        if config.notifications is not None
        else DEFAULT_EXPIRY
    )
    return AnswerLinks(load_or_create_key(state_dir), config.http.public_url or "", expiry)


def build_duty(
    config: GatewayConfig, parts: Parts, state_dir: Path, clock: Clock
) -> tuple[DutyServices, ReportJobs | None]:
    """The handover book (opened here), the shift schedule and the report statistics; the
    scheduled reports when the gateway file has ``reports:``."""
    duty = DutyServices(
        HandoverBook(state_dir / "handovers.db"),
        schedule=config.shifts,
        reports=config.reports,
        stats=build_stats_source(config.storage),
        documents=DocumentStore(state_dir / "documents"),
    )
    settings = config.reports
    if settings is None:
        return duty, None
    email = None
    if settings.email_channel is not None and config.notifications is not None:
        channel = config.notifications.channels.get(settings.email_channel)
        email = channel if isinstance(channel, EmailChannel) else None
    jobs = ReportJobs(
        settings, journal=parts.journal, catalog=parts.catalog, stats=duty.stats,
        schedule=config.shifts, zone=duty.zone, folder=state_dir / "reports", email=email,
        clock=clock,
    )
    return duty, jobs


def unanswered_alarms(engine: AlarmEngine) -> list[AlarmEvent]:
    """A RAISED event for every recovered alarm that still awaits acknowledgement."""
    return [
        AlarmEvent(
            alarm_id=record.alarm_id,
            point=record.point,
            alarm_type=record.alarm_type,
            kind=EventKind.RAISED,
            state=record.state,
            priority=record.priority,
            ts=record.raised_at or record.changed_at or 0.0,
            value=record.value,
            limit=record.limit,
            hazard_source=record.hazard_source,
        )
        for record in engine.active()
        if record.state in (AlarmState.UNACK, AlarmState.RTN_UNACK)
    ]


def close_parts(parts: Parts) -> None:
    """Close the files one build of the parts opened: the journal and the duty records."""
    parts.journal.close()
    if parts.duty is not None:
        parts.duty.book.close()
        if parts.duty.documents is not None:
            parts.duty.documents.close()
