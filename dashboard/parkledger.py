"""The park's journal, 叫应 ledger and shift report, as pure functions.

The park journal keeps one ``JournalEntry`` per park alarm; several central instances
write to it (each computes the same park alarms from the same streams), so what one entry
says must not depend on who wrote first or how often: ``merge`` adds the facts a newer
sighting brings and keeps every fact already there (first writer wins, per fact). Merging
the same sighting twice changes nothing, which is what lets a writer skip a write and
what makes a double write harmless.

The ledger lists the park alarms raised in a window with what became of them; the shift
report counts them: park alarms by kind, 叫应 calls raised / answered / overdue (no
officer's record by the end of the shift), the enterprises' own acknowledgements, the
enterprises offline and for how long, and answer times (raised → the answer the officer
recorded). "now" is always passed in.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Any

from alerting.ledger import median, percentile
from dashboard.park import CallResponse, Contact, JournalEntry, ParkAlarm

# Identity of the alarm: fixed by the first write, never changed by a later one.
_FIXED = ("id", "kind", "enterprise", "raised_at", "raised_by")


def entry_of(alarm: ParkAlarm, instance: str, contacts: Sequence[Contact],
             now: float) -> JournalEntry:
    """What ``instance`` knows of ``alarm`` at ``now``, as a journal entry."""
    return JournalEntry(
        id=alarm.id, kind=alarm.kind, enterprise=alarm.enterprise,
        enterprise_name=alarm.enterprise_name or alarm.enterprise, priority=alarm.priority,
        raised_at=alarm.raised_at, raised_by=instance, tag=alarm.tag,
        alarm_type=alarm.alarm_type, enterprise_alarm=alarm.enterprise_alarm,
        source_raised_at=alarm.source_raised_at, deadline=alarm.deadline,
        silent_since=alarm.silent_since, contacts=tuple(contacts),
        response=alarm.response, responded_at=now if alarm.response is not None else None,
        enterprise_acked_at=alarm.enterprise_acked_at,
        enterprise_acked_by=alarm.enterprise_acked_by, cleared_at=alarm.cleared_at,
    )


def merge(old: JournalEntry | None, new: JournalEntry) -> JournalEntry:
    """``old`` with the facts of ``new`` it lacks; ``new`` when there is no ``old``."""
    if old is None:
        return new
    changes: dict[str, Any] = {}
    for f in fields(JournalEntry):
        if f.name in _FIXED:
            continue
        mine, theirs = getattr(old, f.name), getattr(new, f.name)
        if mine in (None, "", ()) and theirs not in (None, "", ()):
            changes[f.name] = theirs
    return replace(old, **changes) if changes else old


# ------------------------------------------------------------------------- wire form


def entry_to_json(entry: JournalEntry) -> dict[str, Any]:
    body: dict[str, Any] = {f.name: getattr(entry, f.name) for f in fields(JournalEntry)}
    body["contacts"] = [
        {"name": c.name, "role": c.role, "phone": c.phone} for c in entry.contacts
    ]
    r = entry.response
    body["response"] = None if r is None else {
        "answered_by": r.answered_by, "answered_at": r.answered_at, "action": r.action,
        "recorded_by": r.recorded_by,
    }
    return body


def entry_from_json(body: dict[str, Any]) -> JournalEntry:
    """The inverse of ``entry_to_json``; raises ``KeyError``/``TypeError`` on a body that is
    not an entry."""
    data = dict(body)
    data["contacts"] = tuple(Contact(**c) for c in data.get("contacts") or ())
    response = data.get("response")
    data["response"] = None if response is None else CallResponse(**response)
    known = {f.name for f in fields(JournalEntry)}
    return JournalEntry(**{k: v for k, v in data.items() if k in known})


# ------------------------------------------------------------------------- ledger


class CallStatus(StrEnum):
    ANSWERED = "answered"  # the officer recorded who answered
    ACKED = "acked"  # no record yet, but the enterprise acknowledged its alarm
    OPEN = "open"  # waiting for the officer's call
    CLEARED = "cleared"  # an offline alarm that ended; or a call cleared without a record
    OFFLINE = "offline"  # an offline alarm still standing


@dataclass(frozen=True, slots=True)
class LedgerRow:
    entry: JournalEntry
    status: CallStatus
    answer_s: float | None  # raised → the answer the officer recorded
    enterprise_ack_s: float | None  # the enterprise alarm raised → acknowledged there
    duration_s: float  # raised → cleared (or the end of the window while it stands)


def status_of(entry: JournalEntry, at: float) -> CallStatus:
    """What a row says at ``at`` (facts recorded later than ``at`` are not known yet)."""
    cleared = entry.cleared_at is not None and entry.cleared_at <= at
    if entry.kind == "offline":
        return CallStatus.CLEARED if cleared else CallStatus.OFFLINE
    if entry.response is not None and (entry.responded_at or entry.response.answered_at) <= at:
        return CallStatus.ANSWERED
    if entry.enterprise_acked_at is not None and entry.enterprise_acked_at <= at:
        return CallStatus.ACKED
    return CallStatus.CLEARED if cleared else CallStatus.OPEN


def ledger_rows(entries: Iterable[JournalEntry], since: float, until: float,
                now: float) -> list[LedgerRow]:
    """The park alarms raised in [since, until), oldest first, as they stand at ``now``."""
    rows = []
    for entry in entries:
        if not since <= entry.raised_at < until:
            continue
        answer = (entry.response.answered_at - entry.raised_at
                  if entry.response is not None else None)
        ack = (entry.enterprise_acked_at - entry.source_raised_at
               if entry.enterprise_acked_at is not None and entry.source_raised_at is not None
               else None)
        end = entry.cleared_at if entry.cleared_at is not None else now
        rows.append(LedgerRow(entry, status_of(entry, now), answer, ack,
                              max(0.0, end - entry.raised_at)))
    rows.sort(key=lambda r: (r.entry.raised_at, r.entry.id))
    return rows


# ------------------------------------------------------------------------- shift report


@dataclass(frozen=True, slots=True)
class EnterpriseShift:
    code: str
    name: str
    calls: int
    answered: int
    overdue: int
    offline_alarms: int
    offline_s: float  # seconds offline within the shift


@dataclass(frozen=True, slots=True)
class ShiftReport:
    since: float
    until: float
    alarms: int  # park alarms raised in the shift
    calls: int  # 叫应 alarms raised in the shift
    answered: int  # with the officer's record by the end of the shift
    overdue: int  # without it at the end of the shift
    enterprise_acked: int  # acknowledged at the enterprise by the end of the shift
    offline_alarms: int  # 企业离线 raised in the shift
    offline_enterprises: int  # enterprises offline at some time in the shift
    offline_at_end: int  # enterprises still offline at the end of the shift
    answer_median_s: float | None
    answer_p90_s: float | None
    answer_max_s: float | None
    enterprises: tuple[EnterpriseShift, ...]


def shift_report(entries: Iterable[JournalEntry], since: float, until: float,
                 now: float) -> ShiftReport:
    """The figures of the shift [since, until), as known at ``min(until, now)``."""
    end = min(until, now)
    entries = list(entries)
    calls = [e for e in entries if e.kind == "call" and since <= e.raised_at < until]
    answered = [e for e in calls if status_of(e, end) is CallStatus.ANSWERED]
    answered_ids = {e.id for e in answered}
    acked = [e for e in calls
             if e.enterprise_acked_at is not None and e.enterprise_acked_at <= end]
    # An outage counts in every shift it overlaps, for the part inside the shift.
    outages = [e for e in entries if e.kind == "offline" and e.raised_at < until
               and (e.cleared_at is None or e.cleared_at > since)]
    offline_raised = [e for e in outages if e.raised_at >= since]
    spans = [e.response.answered_at - e.raised_at for e in answered if e.response is not None]
    per: dict[str, dict[str, Any]] = {}

    def bucket(e: JournalEntry) -> dict[str, Any]:
        return per.setdefault(e.enterprise, {
            "name": e.enterprise_name or e.enterprise, "calls": 0, "answered": 0,
            "overdue": 0, "offline_alarms": 0, "offline_s": 0.0,
        })

    for e in calls:
        b = bucket(e)
        b["calls"] += 1
        if e.id in answered_ids:
            b["answered"] += 1
        else:
            b["overdue"] += 1
    for e in outages:
        b = bucket(e)
        b["offline_alarms"] += e.raised_at >= since
        stop = end if e.cleared_at is None else min(e.cleared_at, end)
        # The outage began at the last heartbeat, before the alarm rose.
        start = max(since, e.silent_since if e.silent_since is not None else e.raised_at)
        b["offline_s"] += max(0.0, stop - start)
    still = {e.enterprise for e in outages if e.cleared_at is None or e.cleared_at > end}
    return ShiftReport(
        since=since, until=until,
        alarms=len(calls) + len(offline_raised), calls=len(calls), answered=len(answered),
        overdue=len(calls) - len(answered), enterprise_acked=len(acked),
        offline_alarms=len(offline_raised),
        offline_enterprises=len({e.enterprise for e in outages}),
        offline_at_end=len(still),
        answer_median_s=median(spans), answer_p90_s=percentile(spans, 0.9),
        answer_max_s=max(spans, default=None),
        enterprises=tuple(
            EnterpriseShift(code, b["name"], b["calls"], b["answered"], b["overdue"],
                            b["offline_alarms"], b["offline_s"])
            for code, b in sorted(per.items())
        ),
    )


# ------------------------------------------------------------------------- CSV

CSV_COLUMNS = (
    ("id", "编号"), ("kind", "类别"), ("enterprise", "企业代码"), ("enterprise_name", "企业"),
    ("priority", "级别"), ("tag", "位号"), ("alarm_type", "报警类型"),
    ("source_raised_at", "企业报警时间"), ("deadline", "确认时限"), ("raised_at", "园区报警时间"),
    ("contacts", "应叫应人"), ("recorded_by", "值班员"), ("answered_by", "应答人"),
    ("answered_at", "应答时间"), ("action", "处置情况"), ("answer_s", "叫应用时(秒)"),
    ("enterprise_acked_at", "企业确认时间"), ("enterprise_acked_by", "企业确认人"),
    ("cleared_at", "恢复时间"), ("status", "状态"),
)
_KIND_ZH = {"call": "叫应", "offline": "企业离线"}
_STATUS_ZH = {
    CallStatus.ANSWERED: "已叫应", CallStatus.ACKED: "企业已确认", CallStatus.OPEN: "待叫应",
    CallStatus.CLEARED: "已恢复", CallStatus.OFFLINE: "离线中",
}


def ledger_csv(rows: Sequence[LedgerRow], zone: tzinfo) -> str:
    """The ledger as CSV for a spreadsheet: a header of Chinese / English words, times in
    ``zone``, words in Chinese (the ledger is a Chinese document; the keys are English)."""

    def when(ts: float | None) -> str:
        return "" if ts is None else datetime.fromtimestamp(ts, zone).strftime("%Y-%m-%d %H:%M:%S")

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f"{zh} {key}" for key, zh in CSV_COLUMNS])
    for row in rows:
        e, r = row.entry, row.entry.response
        writer.writerow([
            e.id, _KIND_ZH.get(e.kind, e.kind), e.enterprise, e.enterprise_name, e.priority,
            e.tag or "", e.alarm_type or "", when(e.source_raised_at), when(e.deadline),
            when(e.raised_at),
            "; ".join(f"{c.role} {c.name} {c.phone}".strip() for c in e.contacts),
            r.recorded_by if r else "", r.answered_by if r else "",
            when(r.answered_at if r else None), r.action if r else "",
            "" if row.answer_s is None else f"{row.answer_s:.0f}",
            when(e.enterprise_acked_at), e.enterprise_acked_by or "", when(e.cleared_at),
            _STATUS_ZH[row.status],
        ])
    return out.getvalue()
