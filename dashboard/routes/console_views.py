"""Pure builders for the duty console's data: alarm history as CSV, the shift summary.

No I/O: events, records and the catalog in, bytes or response models out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo

from pydantic import BaseModel, ConfigDict, Field

from alerting.events import UNACKNOWLEDGED_STATES, AlarmEvent, AlarmState, EventKind
from alerting.statemachine import AlarmRecord
from config.catalog import Catalog
from config.vocabulary import AlarmType, Priority

# ------------------------------------------------------------------ Chinese labels

TYPE_LABELS: dict[AlarmType, str] = {
    AlarmType.HIGH_HIGH: "高高",
    AlarmType.HIGH: "高",
    AlarmType.LOW: "低",
    AlarmType.LOW_LOW: "低低",
    AlarmType.RATE_OF_CHANGE: "变化率",
    AlarmType.DISCRETE: "开关量",
    AlarmType.COMM_LOSS: "通信中断",
    AlarmType.SENSOR_FAULT: "传感器故障",
}
KIND_LABELS: dict[EventKind, str] = {
    EventKind.RAISED: "报警",
    EventKind.RETURNED: "恢复",
    EventKind.ACKNOWLEDGED: "确认",
    EventKind.CLEARED: "消除",
    EventKind.SHELVED: "搁置",
    EventKind.UNSHELVED: "取消搁置",
    EventKind.REMOVED_FROM_SERVICE: "停用",
    EventKind.RETURNED_TO_SERVICE: "恢复投用",
    EventKind.NOTE: "处置记录",
    EventKind.NOTIFIED: "已通知",
    EventKind.NOTIFY_FAILED: "通知失败",
    EventKind.ESCALATED: "升级",
    EventKind.REALARMED: "再次报警",
}
STATE_LABELS: dict[AlarmState, str] = {
    AlarmState.NORMAL: "正常",
    AlarmState.UNACK: "报警未确认",
    AlarmState.ACKED: "报警已确认",
    AlarmState.RTN_UNACK: "已恢复未确认",
    AlarmState.SHELVED: "已搁置",
    AlarmState.OUT_OF_SERVICE: "已停用",
}
PRIORITY_LABELS: dict[Priority, str] = {
    Priority.CRITICAL: "红色",
    Priority.HIGH: "橙色",
    Priority.MEDIUM: "黄色",
    Priority.LOW: "蓝色",
}

# ------------------------------------------------------------------------------ CSV

CSV_HEADERS = (
    "序号", "时间", "时间戳(秒)", "报警编号", "企业代码", "企业名称", "危险源", "位号",
    "点名称", "报警类型", "事件", "状态", "级别", "数值", "限值", "单位", "操作人",
    "说明", "搁置到期",
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
    return repr(float(value))


def _offset(zone: tzinfo, at: datetime) -> str:
    delta = zone.utcoffset(at)
    if delta is None:
        return "UTC"
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def history_csv(events: Sequence[AlarmEvent], catalog: Catalog, zone: tzinfo) -> bytes:
    """The events as CSV for Excel: UTF-8 with a BOM, Chinese headers, local times in
    ``zone`` (named in the time column's header) and the epoch seconds beside them."""
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
            TYPE_LABELS.get(event.alarm_type, event.alarm_type.value),
            KIND_LABELS.get(event.kind, event.kind.value),
            STATE_LABELS.get(event.state, event.state.value),
            PRIORITY_LABELS.get(event.priority, event.priority.value),
            _number(event.value),
            _number(event.limit),
            safe_text(info.config.unit if info is not None else None),
            safe_text(event.user),
            safe_text(event.comment),
            until,
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
