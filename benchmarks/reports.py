"""Report benchmark: a month's 月报 from a journal of many alarm events, as PDF and Excel.

    .venv/bin/python benchmarks/reports.py [--points 1000] [--events 100000]

Builds the synthetic site of ``benchmarks/alarms.py`` (``--points`` points), writes
``--events`` alarm events spread over November 2026 into a real SQLite journal (raisings,
acknowledgements after a random delay, some notes), then times, for the month:

1. reading the events out of the journal and computing the figures (``gather``, no InfluxDB);
2. the PDF (ReportLab, CJK font);
3. the Excel file (openpyxl).

Prints seconds per step and the sizes of the files.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerting.events import AlarmEvent, AlarmState, EventKind, alarm_id
from alerting.journal import AlarmJournal
from benchmarks.alarms import build_site
from config.catalog import Catalog
from config.vocabulary import AlarmType, Priority
from dashboard.reports.figures import ReportKind
from dashboard.reports.make import gather, period_of
from dashboard.reports.render import report_pdf, report_xlsx

ZONE = ZoneInfo("Asia/Shanghai")


def fill(journal: AlarmJournal, catalog: Catalog, events: int, start: float, end: float) -> None:
    rng = random.Random(7)
    infos = list(catalog)
    batch: list[AlarmEvent] = []
    written = 0
    while written < events:
        info = rng.choice(infos)
        ts = rng.uniform(start, end - 3600)
        priority = rng.choice([Priority.CRITICAL, Priority.HIGH, Priority.HIGH, Priority.LOW])
        ident = alarm_id(info.key, AlarmType.HIGH)
        base = dict(alarm_id=ident, point=info.key, alarm_type=AlarmType.HIGH,
                    priority=priority, hazard_source=info.hazard_source.id)
        batch.append(AlarmEvent(kind=EventKind.RAISED, state=AlarmState.UNACK, ts=ts,
                                value=90.0, limit=80.0, **base))  # type: ignore[arg-type]
        batch.append(AlarmEvent(kind=EventKind.ACKNOWLEDGED, state=AlarmState.ACKED,
                                ts=ts + rng.expovariate(1 / 240), user="operator",
                                **base))  # type: ignore[arg-type]
        written += 2
        if rng.random() < 0.2:
            batch.append(AlarmEvent(kind=EventKind.NOTE, state=AlarmState.ACKED, ts=ts + 600,
                                    user="operator", comment="已现场确认，关闭进料阀",
                                    **base))  # type: ignore[arg-type]
            written += 1
        if len(batch) >= 5000:
            journal.write(batch, [])
            batch = []
    if batch:
        journal.write(batch, [])


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    catalog = Catalog([build_site(args.points)[0]])
    now = datetime(2026, 12, 1, 9, 0, tzinfo=ZONE).timestamp()
    period = period_of(ReportKind.MONTHLY, "2026-11", zone=ZONE, now=now)
    with tempfile.TemporaryDirectory() as folder:
        journal = AlarmJournal(Path(folder) / "alarms.db", retention_days=400)
        began = time.perf_counter()
        fill(journal, catalog, args.events, period.start, period.end)
        print(f"journal: {journal.count():,} events written in "
              f"{time.perf_counter() - began:.1f} s")
        began = time.perf_counter()
        loop = asyncio.get_running_loop()
        stalls: list[float] = []

        async def heartbeat() -> None:
            # How long the event loop is kept from running (an alarm would wait that long).
            while True:
                tick = loop.time()
                await asyncio.sleep(0.01)
                stalls.append(loop.time() - tick - 0.01)

        beat = asyncio.create_task(heartbeat())
        await asyncio.sleep(0.02)
        report = await gather(period, journal=journal, catalog=catalog, stats=None, now=now,
                              answer_within_s=300)
        figures_s = time.perf_counter() - began
        beat.cancel()
        began = time.perf_counter()
        pdf = report_pdf(report, ZONE)
        pdf_s = time.perf_counter() - began
        began = time.perf_counter()
        xlsx = report_xlsx(report, ZONE)
        xlsx_s = time.perf_counter() - began
        journal.close()
    source = report.sites[0].sources[0]
    print(f"month {report.label}: {report.events:,} events, {source.raised:,} raisings, "
          f"truncated={report.truncated}")
    print(f"figures (journal read + compute): {figures_s:.2f} s; longest event-loop stall "
          f"{max(stalls) * 1000:.0f} ms")
    print(f"PDF:   {pdf_s:.2f} s, {len(pdf) / 1024:.0f} KiB")
    print(f"Excel: {xlsx_s:.2f} s, {len(xlsx) / 1024:.0f} KiB")


if __name__ == "__main__":
    asyncio.run(main())
