"""Reports made on a schedule (日报 / 班报 / 月报) into ``<state>/reports`` and, when the
gateway file says so, sent by email.

    reports:
      daily_at: "00:10"        # yesterday's 日报 (and on the 1st, last month's 月报)
      shift: true              # a 班报 when each shift of shifts: ends
      email_channel: mail      # a notifications email channel: its server and sender
      email_to: [duty@example.cn]

Which reports are due is pure (``due_reports``: the moments passed between two checks);
the loop checks once a minute. A file already written is not written again, so a restart
does not duplicate; on start the last daily report is made if it is missing. A report that
fails is logged with the reason and tried again at the next check, never silently skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from alerting.journal import AlarmJournal
from alerting.sqlite import make_folders
from config.catalog import Catalog
from config.notifications import EmailChannel
from config.shifts import ReportSettings, ShiftPeriod, ShiftSchedule, current_shift
from dashboard.documents.errors import DocumentError, FontMissing
from dashboard.reports.figures import Report, ReportKind, StatsSource
from dashboard.reports.make import Period, gather, period_of

log = logging.getLogger("hazgw.reports")
Clock = Callable[[], float]
CHECK_EVERY_S = 60.0
SHIFT_GRACE_S = 300.0  # a 班报 five minutes after the shift ends: the handover is in it


@dataclass(frozen=True, slots=True)
class Due:
    kind: ReportKind
    when: str | None  # the period as period_of reads it
    shift: str | None = None


def finished_shifts(schedule: ShiftSchedule, since: float, now: float) -> list[ShiftPeriod]:
    """The shifts whose report fell due in (since, now]: their end + the grace."""
    due: list[ShiftPeriod] = []
    moment = since
    while True:
        period = current_shift(schedule, moment - SHIFT_GRACE_S)
        fire = period.end + SHIFT_GRACE_S
        if fire > now:
            return due
        if fire > since:
            due.append(period)
        moment = fire + 1.0


def due_reports(
    settings: ReportSettings,
    schedule: ShiftSchedule | None,
    zone: tzinfo,
    since: float,
    now: float,
) -> list[Due]:
    """The reports whose moment fell in (since, now]."""
    due: list[Due] = []
    hours, minutes = (int(x) for x in settings.daily_at.split(":"))
    first = datetime.fromtimestamp(since, zone).date()
    last = datetime.fromtimestamp(now, zone).date()
    day = first
    while day <= last:
        moment = datetime(day.year, day.month, day.day, hours, minutes, tzinfo=zone).timestamp()
        if since < moment <= now:
            due.append(Due(ReportKind.DAILY, (day - timedelta(days=1)).isoformat()))
            if settings.monthly and day.day == 1:
                previous = (day - timedelta(days=1)).strftime("%Y-%m")
                due.append(Due(ReportKind.MONTHLY, previous))
        day += timedelta(days=1)
    if settings.shift and schedule is not None:
        for period in finished_shifts(schedule, since, now):
            start_day = datetime.fromtimestamp(period.start, zone).date().isoformat()
            due.append(Due(ReportKind.SHIFT, start_day, period.name))
    return due


def render(report: Report, zone: tzinfo) -> tuple[bytes, bytes, str]:
    """The PDF, the Excel file and the mail's subject, in a worker thread. ReportLab and
    openpyxl are imported here, on the first report: about 25 MB that a gateway without
    scheduled reports never holds, and the import does not stall the event loop."""
    from dashboard.reports.render import report_pdf, report_xlsx, title

    return report_pdf(report, zone), report_xlsx(report, zone), title(report)


class ReportJobs:
    def __init__(
        self,
        settings: ReportSettings,
        *,
        journal: AlarmJournal,
        catalog: Catalog,
        stats: StatsSource | None,
        schedule: ShiftSchedule | None,
        zone: tzinfo,
        folder: Path,
        email: EmailChannel | None = None,
        clock: Clock,
    ) -> None:
        self.settings = settings
        self.journal = journal
        self.catalog = catalog
        self.stats = stats
        self.schedule = schedule
        self.zone = zone
        self.folder = folder
        self.email = email
        self.clock = clock
        self.written: list[Path] = []
        self.failures = 0
        self.last_error: str | None = None

    def _paths(self, period: Period) -> tuple[Path, Path]:
        folder = self.folder / period.kind.value
        stem = report_filename_stem(period, self.zone)
        return folder / f"{stem}.pdf", folder / f"{stem}.xlsx"

    async def make(self, due: Due) -> list[Path]:
        """Write one report as PDF and Excel (unless both exist) and email it."""
        now = self.clock()
        period = period_of(due.kind, due.when, zone=self.zone, now=now, schedule=self.schedule,
                           shift=due.shift)
        pdf_path, xlsx_path = self._paths(period)
        sent = pdf_path.with_suffix(".sent")  # the mail went out (a failed one is retried)
        mailing = self.email is not None and bool(self.settings.email_to)
        if pdf_path.exists() and xlsx_path.exists() and (sent.exists() or not mailing):
            return []
        report = await gather(period, journal=self.journal, catalog=self.catalog,
                              stats=self.stats, now=now,
                              answer_within_s=self.settings.answer_within)
        pdf_bytes, xlsx_bytes, subject = await asyncio.to_thread(render, report, self.zone)
        make_folders(pdf_path.parent, 0o700)  # inside the private state folder, private too
        for path, data in ((pdf_path, pdf_bytes), (xlsx_path, xlsx_bytes)):
            partial = path.with_suffix(path.suffix + ".part")
            partial.write_bytes(data)
            partial.replace(path)  # a file named .pdf is always whole
        self.written += [pdf_path, xlsx_path]
        log.info("report written: %s, %s", pdf_path, xlsx_path)
        if mailing:
            await self._send(subject, [(pdf_path, pdf_bytes), (xlsx_path, xlsx_bytes)])
            sent.write_text(datetime.fromtimestamp(self.clock(), self.zone).isoformat())
        return [pdf_path, xlsx_path]

    async def _send(self, subject: str, files: list[tuple[Path, bytes]]) -> None:
        import aiosmtplib  # only when reports are mailed: see run_due

        channel = self.email
        assert channel is not None
        mail = EmailMessage()
        mail["Subject"] = f"{channel.subject_prefix} {subject}".strip()
        mail["From"] = channel.sender
        mail["To"] = ", ".join(self.settings.email_to)
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = make_msgid(domain=channel.sender.rpartition("@")[2] or None)
        mail.set_content(f"{subject}\n\n附件：{', '.join(p.name for p, _ in files)}\n",
                         charset="utf-8")
        for path, data in files:
            main, sub = ("application", "pdf") if path.suffix == ".pdf" else (
                "application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            mail.add_attachment(data, maintype=main, subtype=sub, filename=path.name)
        await aiosmtplib.send(
            mail, hostname=channel.host, port=channel.effective_port,
            username=channel.username,
            password=channel.password.get_secret_value() if channel.password else None,
            use_tls=channel.security == "ssl", start_tls=channel.security == "starttls",
            validate_certs=channel.validate_certs, timeout=channel.timeout,
        )

    async def run_due(self, since: float, now: float) -> bool:
        """Make every report due in (since, now]; False if one failed (tried again later)."""
        # Here, not at the top: a gateway without scheduled reports never loads aiosmtplib.
        import aiosmtplib

        ok = True
        for due in due_reports(self.settings, self.schedule, self.zone, since, now):
            try:
                await self.make(due)
            except (OSError, aiosmtplib.SMTPException, FontMissing, DocumentError,
                    ValueError) as error:
                ok = False
                self.failures += 1
                self.last_error = f"{due.kind.value} {due.when}: {error!r}"
                log.error("report %s %s %s failed: %r", due.kind.value, due.when,
                          due.shift or "", error)
        return ok

    async def run(self) -> None:
        """Check once a minute until cancelled; on start, yesterday's 日报 if missing."""
        since = self.clock() - 86400.0
        while True:
            now = self.clock()
            if await self.run_due(since, now):
                since = now
            await asyncio.sleep(CHECK_EVERY_S)


def report_filename_stem(period: Period, zone: tzinfo) -> str:
    """ASCII: the kind and the period (a shift by its start)."""
    if period.kind is ReportKind.SHIFT:
        label = datetime.fromtimestamp(period.start, zone).strftime("%Y%m%d-%H%M")
    else:
        label = period.label
    return f"report-{period.kind.value}-{label}"
