"""One handover record (交接班记录) as a PDF: title, shift and period, both officers and when
they signed, the notes, every open item carried over, and the corrections added later."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable

from dashboard.documents import pdf
from dashboard.duty.handovers import EntryKind, HandoverRecord

_ALARM_HEADER = ("位号", "名称", "报警", "级别", "状态", "发生时间", "说明")
_ALARM_WIDTHS = tuple(w * mm for w in (22, 34, 18, 16, 26, 26, 38))


def _alarm_rows(items: Sequence[dict[str, Any]], zone: tzinfo, note: str) -> list[list[str]]:
    rows = []
    for item in items:
        if note == "shelved":
            until = pdf.local_time(item.get("shelved_until"), zone)
            detail = f"{item.get('shelved_by') or ''} 至 {until}：{item.get('shelve_reason') or ''}"
        elif note == "removed":
            detail = f"{item.get('removed_by') or ''}：{item.get('removed_reason') or ''}"
        elif note == "unanswered":
            escalations = item.get("escalations") or 0
            detail = f"已升级 {escalations} 次" if escalations else "未升级"
        else:
            acked_by = item.get("acknowledged_by")
            detail = f"确认人 {acked_by}" if acked_by else "未确认"
        rows.append([
            item["tag"], item.get("name", ""), item.get("type_zh", item["type"]),
            item.get("priority_zh", item["priority"]), item.get("state_zh", item["state"]),
            pdf.local_time(item.get("raised_at"), zone), detail,
        ])
    return rows


def handover_pdf(
    record: HandoverRecord,
    corrections: Sequence[HandoverRecord],
    zone: tzinfo,
    *,
    enterprise: str = "",
) -> bytes:
    s = pdf.styles()
    items = record.open_items
    story: list[Flowable] = [
        pdf.para(f"{enterprise} 交接班记录".strip(), s.title),
        pdf.para(
            f"记录编号 {record.id}　班次 {record.shift}　"
            f"时段 {pdf.local_time(record.period_start, zone)} 至 "
            f"{pdf.local_time(record.period_end, zone)}",
            s.body,
        ),
        pdf.spacer(),
        pdf.table(
            ("", "姓名", "签名时间"),
            [
                ["交班人", record.outgoing,
                 pdf.local_time(record.outgoing_signed_at, zone, "%Y-%m-%d %H:%M:%S")],
                ["接班人", record.incoming or "—",
                 pdf.local_time(record.incoming_signed_at, zone, "%Y-%m-%d %H:%M:%S")],
            ],
            s.body,
            widths=(30 * mm, 60 * mm, 90 * mm),
        ),
        pdf.para("交班说明", s.heading),
        pdf.para(record.notes or "（无）", s.body),
    ]
    sections = (
        ("在报报警", "active", "active"),
        ("未叫应（待确认）", "unanswered", "unanswered"),
        ("搁置中的报警", "shelved", "shelved"),
        ("停用（退出服务）的报警", "out_of_service", "removed"),
    )
    for heading, key, note in sections:
        entries = items.get(key, [])
        story.append(pdf.para(f"{heading}（{len(entries)}）", s.heading))
        story.append(pdf.table(_ALARM_HEADER, _alarm_rows(entries, zone, note), s.small,
                               widths=_ALARM_WIDTHS))
    devices = items.get("devices_down", [])
    story.append(pdf.para(f"通讯中断的设备（{len(devices)}）", s.heading))
    story.append(pdf.table(
        ("采集器", "设备", "状态", "最后通讯", "错误"),
        [[d["collector"], d["device"], d["state"], pdf.local_time(d.get("last_success"), zone),
          d.get("last_error") or ""] for d in devices],
        s.small,
        widths=tuple(w * mm for w in (36, 30, 24, 30, 60)),
    ))
    if corrections:
        story.append(pdf.para(f"更正（{len(corrections)}）", s.heading))
        story.append(pdf.table(
            ("编号", "更正人", "时间", "内容"),
            [[str(c.id), c.outgoing, pdf.local_time(c.outgoing_signed_at, zone), c.notes]
             for c in corrections if c.kind is EntryKind.CORRECTION],
            s.body,
            widths=tuple(w * mm for w in (14, 26, 32, 108)),
        ))
    story += [pdf.spacer(6), pdf.para(f"记录校验 SHA-256 {record.hash}", s.small)]
    return pdf.render(
        story,
        title=f"交接班记录 {record.id} {record.shift}",
        footer=f"交接班记录 {record.id} · {record.shift} · "
        f"{pdf.local_time(record.period_start, zone)} – {pdf.local_time(record.period_end, zone)}"
        " · 已签名，不可修改",
    )
