"""The park's 班报 on file: after each shift of the central file's ``shifts:`` (and the
edge's five minutes of grace, so late records of the shift are in it), the shift report and
its ledger into ``<state>/reports/park-shift-<start day>-<shift>.json`` and ``.csv``.

Like the edge's ``gateway.reportjobs``: which shifts are due is pure (``finished_shifts``:
the shift ends passed between two checks), the loop checks once a minute, a file already
there is not written again (a restart does not duplicate; on start the last shift's report
is made if it is missing), a write that fails is logged and tried again at the next check.
It waits until the instance's mirror of the park journal is loaded, so a report made just
after a start is not empty. Every instance files its own copy (the same figures: the
journal is the same).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from alerting.sqlite import make_folders
from config.shifts import ShiftPeriod, ShiftSchedule, current_shift
from dashboard.park import JournalEntry
from dashboard.parkledger import ledger_csv, ledger_rows, shift_report
from gateway.reportjobs import CHECK_EVERY_S, SHIFT_GRACE_S, finished_shifts

log = logging.getLogger("hazgw.park.reports")
Clock = Callable[[], float]


def report_stem(schedule: ShiftSchedule, period: ShiftPeriod) -> str:
    day = datetime.fromtimestamp(period.start, ZoneInfo(schedule.timezone)).date().isoformat()
    return f"park-shift-{day}-{period.name}"


class ParkShiftReports:
    def __init__(
        self, schedule: ShiftSchedule, folder: Path,
        entries: Callable[[], Sequence[JournalEntry]], loaded: asyncio.Event, clock: Clock,
    ) -> None:
        self._schedule = schedule
        self._folder = folder
        self._entries = entries
        self._loaded = loaded
        self._clock = clock
        self.written: list[Path] = []

    def write(self, period: ShiftPeriod, now: float) -> Path | None:
        """The report of ``period``; None when it is already on file."""
        stem = report_stem(self._schedule, period)
        target = self._folder / f"{stem}.json"
        if target.exists():
            return None
        make_folders(self._folder, 0o700)  # inside the private state folder, private too
        entries = self._entries()
        report = asdict(shift_report(entries, period.start, period.end, now))
        report.update(shift=period.name, officers=list(period.officers), made_at=now)
        rows = ledger_rows(entries, period.start, period.end, now)
        zone = ZoneInfo(self._schedule.timezone)
        # The CSV first, the JSON last and by rename: a JSON on file means both are whole.
        self._atomic(self._folder / f"{stem}.csv", "\ufeff" + ledger_csv(rows, zone))
        self._atomic(target, json.dumps(report, ensure_ascii=False, indent=1))
        self.written.append(target)
        log.info("park shift report %s", target)
        return target

    @staticmethod
    def _atomic(path: Path, text: str) -> None:
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)

    async def run(self) -> None:
        await self._loaded.wait()
        now = self._clock()
        last = current_shift(self._schedule, now - SHIFT_GRACE_S)
        # On start: the last finished shift's report, if it is missing.
        pending = [current_shift(self._schedule, last.start - 1.0)]
        checked = now
        while True:
            now = self._clock()
            pending += finished_shifts(self._schedule, checked, now)
            checked = now
            still: list[ShiftPeriod] = []
            for period in pending:
                try:
                    self.write(period, now)
                except OSError as exc:
                    log.error("park shift report %s: %s; trying again in %.0f s",
                              report_stem(self._schedule, period), exc, CHECK_EVERY_S)
                    still.append(period)
            pending = still
            await asyncio.sleep(CHECK_EVERY_S)
