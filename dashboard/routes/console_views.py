"""Pure builders for the duty console's data: alarm history as CSV, the shift summary.

No I/O: events, records and the catalog in, bytes or response models out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from pydantic import BaseModel, ConfigDict, Field

from alerting.events import UNACKNOWLEDGED_STATES, AlarmEvent, AlarmState, EventKind
from alerting.ledger import LinkAnswer, Met, NoticeOutcome, judge
from alerting.statemachine import AlarmRecord
from alerting.terms import (
    ALARM_TYPE_TERMS,
    EVENT_TERMS,
    PRIORITY_COLOUR_TERMS,
    STATE_TERMS,
    comment_text,
)
from config.catalog import Catalog
from config.vocabulary import AlarmType, Priority

# ------------------------------------------------------------------------------ CSV

CSV_HEADERS = (
    "序号", "时间", "时间戳(秒)", "报警编号", "企业代码", "企业名称", "危险源", "位号",
    "点名称", "报警类型", "事件", "状态", "级别", "数值", "限值", "单位", "操作人",
    "说明", "搁置到期",
    # The 叫应 ledger: on a notice's row, who it went to and how it ended; on an
    # acknowledgement's row, how it came.
    "通知级别", "通知渠道", "接收人", "发送结果", "重试次数", "确认期限", "按时确认", "确认方式",
)
CHANNEL_KIND_ZH = {"webhook": "Webhook", "wecom": "企业微信", "dingtalk": "钉钉", "email": "邮件"}
MET_ZH = {Met.MET: "按时", Met.MISSED: "超时", Met.OPEN: "等待中", Met.NONE: "末级（无期限）"}
_NO_LEDGER = ("",) * 8


@dataclass(frozen=True, slots=True)
class CsvLedger:
    """What the ledger columns are made of: the ledger rows of the exported notice events
    (by their journal seq), each alarm's acknowledgement times, the link answers, and now
    (an unanswered deadline is missed only once it has passed)."""

    now: float
    notices: Mapping[int, Sequence[NoticeOutcome]] = field(default_factory=dict)
    acks: Mapping[str, Sequence[float]] = field(default_factory=dict)
    links: Sequence[LinkAnswer] = ()


def _ledger_cells(
    event: AlarmEvent,
    ledger: CsvLedger | None,
    zone: tzinfo,
    links: Mapping[tuple[float, str], LinkAnswer],
) -> tuple[str, ...]:
    if ledger is None:
        return _NO_LEDGER
    if event.kind is EventKind.ACKNOWLEDGED and event.user is not None:
        link = links.get((event.ts, event.user))
        return (*_NO_LEDGER[:7], f"通知链接（{link.recipient}）" if link else "值班台")
    rows = ledger.notices.get(event.seq) if event.seq else None
    if not rows:
        return _NO_LEDGER
    notice = rows[0]
    start = notice.due_at if notice.due_at is not None else notice.ts
    acks = sorted(ledger.acks.get(notice.alarm_id, ()))
    answered = next((ts for ts in acks if ts >= start), None)
    deadline = (
        datetime.fromtimestamp(notice.deadline, zone).strftime("%Y-%m-%d %H:%M:%S")
        if notice.deadline is not None
        else ""
    )
    return (
        f"第{notice.level}级" + (f" {notice.level_name}" if notice.level_name else ""),
        f"{notice.channel}（{CHANNEL_KIND_ZH.get(notice.channel_kind, notice.channel_kind)}）",
        safe_text(notice.recipient),
        "已送达" if notice.sent else safe_text(f"失败：{notice.error or ''}"),
        str(notice.retries),
        deadline,
        MET_ZH[judge(notice.deadline, answered, ledger.now)],
        "",
    )


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str | None) -> str:
    """A text cell a spreadsheet will not run as a formula (CSV injection): a comment typed
    as ``=HYPERLINK(...)`` is shown, not evaluated."""
    if not text:
        return ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _number(value: float | bool | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    # Rounded to 6 decimals: a scaled register (227 × 0.1) is 22.7 in the file, not the
    # float artefact 22.700000000000003.
    rounded = round(float(value), 6)
    return repr(0.0 if rounded == 0 else rounded)


def _offset(zone: tzinfo, at: datetime) -> str:
    delta = zone.utcoffset(at)
    if delta is None:
        return "UTC"
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def history_csv(
    events: Sequence[AlarmEvent],
    catalog: Catalog,
    zone: tzinfo,
    ledger: CsvLedger | None = None,
) -> bytes:
    """The events as CSV for Excel: UTF-8 with a BOM, Chinese headers, local times in
    ``zone`` (named in the time column's header) and the epoch seconds beside them, and the
    叫应 ledger's columns from ``ledger`` (empty without it)."""
    links = {(link.ts, link.user): link for link in ledger.links} if ledger is not None else {}
    now_local = datetime.now(zone)
    site_names = {site.enterprise.code: site.enterprise.name for site in catalog.sites}
    source_names = {
        (site.enterprise.code, source.id): source.name
        for site in catalog.sites
        for source in site.hazard_sources
    }
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([
        CSV_HEADERS[0], f"{CSV_HEADERS[1]}({_offset(zone, now_local)})", *CSV_HEADERS[2:]
    ])
    for event in events:
        point = event.point
        info = catalog.get(point)
        local = datetime.fromtimestamp(event.ts, zone)
        until = (
            datetime.fromtimestamp(event.until, zone).strftime("%Y-%m-%d %H:%M:%S")
            if event.until is not None
            else ""
        )
        writer.writerow([
            event.seq,
            local.strftime("%Y-%m-%d %H:%M:%S"),
            f"{event.ts:.3f}",
            event.alarm_id,
            point.site,
            safe_text(site_names.get(point.site)),
            safe_text(source_names.get((point.site, event.hazard_source), event.hazard_source)),
            point.tag,
            safe_text(info.config.name if info is not None else None),
            # The words of the screens and the notices (alerting/terms.py); the level is
            # the warning colour, 红色 for critical.
            ALARM_TYPE_TERMS[event.alarm_type].zh,
            EVENT_TERMS[event.kind].zh,
            STATE_TERMS[event.state].zh,
            PRIORITY_COLOUR_TERMS[event.priority].zh,
            _number(event.value),
            _number(event.limit),
            safe_text(info.config.unit if info is not None else None),
            safe_text(event.user),
            # The engine's own words in Chinese ("30 秒无有效读数"); a person's as typed.
            safe_text(comment_text(event.comment)),
            until,
            *_ledger_cells(event, ledger, zone, links),
        ])
    return out.getvalue().encode("utf-8-sig")


# -------------------------------------------------------------------- shift summary


class ShiftEventOut(BaseModel):
    seq: int
    ts: float
    kind: EventKind
    state: AlarmState
    value: float | bool | None
    user: str | None
    comment: str | None


class AlarmIdentityOut(BaseModel):
    """Which alarm, on which point of which hazard source, and how urgent."""

    id: str
    site: str
    tag: str
    point_name: str | None
    unit: str | None
    hazard_source: str
    hazard_source_name: str | None
    type: AlarmType
    priority: Priority
    colour: str


class ShiftAlarmOut(AlarmIdentityOut):
    """One alarm and what happened to it during the shift."""

    raised: int  # times raised (or re-alarmed) during the shift
    acknowledged: int
    first_ts: float
    last_ts: float
    state: AlarmState  # now
    events: list[ShiftEventOut]


class OpenAlarmOut(AlarmIdentityOut):
    """An alarm still needing attention at handover: active, unacknowledged, shelved or out
    of service."""

    state: AlarmState
    active: bool
    unacknowledged: bool
    value: float | bool | None
    limit: float | None
    raised_at: float | None
    acknowledged_at: float | None
    acknowledged_by: str | None
    shelved_by: str | None
    shelved_until: float | None
    shelve_reason: str | None
    removed_by: str | None
    removed_reason: str | None


class ShiftCountsOut(BaseModel):
    raised: int
    acknowledged: int
    open: int
    unacknowledged: int
    events: int


class ShiftSummaryOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: float = Field(alias="from")
    to: float
    hours: float
    alarms: list[ShiftAlarmOut]
    open: list[OpenAlarmOut]
    counts: ShiftCountsOut
    truncated: bool  # the shift had more events than one summary holds (the oldest are cut)


_RAISING = frozenset({EventKind.RAISED, EventKind.REALARMED})


class _Names:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.sources = {
            (site.enterprise.code, source.id): source.name
            for site in catalog.sites
            for source in site.hazard_sources
        }


def _open_alarm(record: AlarmRecord, names: _Names) -> OpenAlarmOut:
    info = names.catalog.get(record.point)
    return OpenAlarmOut(
        id=record.alarm_id,
        site=record.point.site,
        tag=record.point.tag,
        point_name=info.config.name if info is not None else None,
        unit=info.config.unit if info is not None else None,
        hazard_source=record.hazard_source,
        hazard_source_name=names.sources.get((record.point.site, record.hazard_source)),
        type=record.alarm_type,
        priority=record.priority,
        colour=record.priority.colour,
        state=record.state,
        active=record.active,
        unacknowledged=record.state in UNACKNOWLEDGED_STATES,
        value=record.value,
        limit=record.limit,
        raised_at=record.raised_at,
        acknowledged_at=record.acked_at,
        acknowledged_by=record.acked_by,
        shelved_by=record.shelved_by,
        shelved_until=record.shelved_until,
        shelve_reason=record.shelve_reason,
        removed_by=record.removed_by,
        removed_reason=record.removed_reason,
    )


def shift_summary(
    events: Sequence[AlarmEvent],
    current: Iterable[AlarmRecord],
    catalog: Catalog,
    *,
    start: float,
    end: float,
    truncated: bool,
) -> ShiftSummaryOut:
    """``events``: the shift's events, oldest first; ``current``: every alarm not in
    normal now (``AlarmEngine.active()``)."""
    names = _Names(catalog)
    now_state = {record.alarm_id: record.state for record in current}
    open_records = [record for record in current if record.state is not AlarmState.NORMAL]
    grouped: dict[str, list[AlarmEvent]] = {}
    for event in events:
        grouped.setdefault(event.alarm_id, []).append(event)
    alarms: list[ShiftAlarmOut] = []
    for ident, group in grouped.items():
        first = group[0]
        info = catalog.get(first.point)
        alarms.append(
            ShiftAlarmOut(
                id=ident,
                site=first.point.site,
                tag=first.point.tag,
                point_name=info.config.name if info is not None else None,
                unit=info.config.unit if info is not None else None,
                hazard_source=first.hazard_source,
                hazard_source_name=names.sources.get((first.point.site, first.hazard_source)),
                type=first.alarm_type,
                priority=first.priority,
                colour=first.priority.colour,
                raised=sum(1 for e in group if e.kind in _RAISING),
                acknowledged=sum(1 for e in group if e.kind is EventKind.ACKNOWLEDGED),
                first_ts=first.ts,
                last_ts=group[-1].ts,
                state=now_state.get(ident, AlarmState.NORMAL),
                events=[
                    ShiftEventOut(
                        seq=e.seq, ts=e.ts, kind=e.kind, state=e.state, value=e.value,
                        user=e.user, comment=e.comment,
                    )
                    for e in group
                ],
            )
        )
    alarms.sort(key=lambda alarm: (alarm.priority.rank, alarm.first_ts))
    open_out = [_open_alarm(record, names) for record in open_records]
    return ShiftSummaryOut(
        from_=start,
        to=end,
        hours=(end - start) / 3600.0,
        alarms=alarms,
        open=open_out,
        counts=ShiftCountsOut(
            raised=sum(alarm.raised for alarm in alarms),
            acknowledged=sum(alarm.acknowledged for alarm in alarms),
            open=len(open_out),
            unacknowledged=sum(1 for alarm in open_out if alarm.unacknowledged),
            events=len(events),
        ),
        truncated=truncated,
    )
