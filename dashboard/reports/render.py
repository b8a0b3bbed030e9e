"""A ``Report`` as PDF (ReportLab, CJK font) and as Excel (openpyxl): the same figures,
the same words, one section per enterprise and hazard source."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import tzinfo

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable

from dashboard.documents import pdf
from dashboard.reports.figures import Report, SiteFigures, SourceFigures

# A month of a busy plant has thousands of notes: the PDF lists the latest, the Excel all.
PDF_DISPOSITIONS = 200


def number(value: float | None, digits: int = 2) -> str:
    """A figure as printed: rounded, no float artefacts, "—" for none."""
    if value is None:
        return "—"
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def seconds(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 120:
        return f"{value:.0f} 秒"
    return f"{value / 60:.1f} 分"


def title(report: Report) -> str:
    return f"监测{report.kind.zh} {report.label}"


def summary_rows(source: SourceFigures, report: Report) -> list[tuple[str, str]]:
    """The headline figures of one hazard source, label and value, as both formats print."""
    return [
        ("报警次数", str(source.raised)),
        *((f"  {name}", str(n)) for name, n in source.by_priority.items()),
        ("重复报警（未消除再报）", str(source.realarmed)),
        ("已确认", str(source.acknowledged)),
        ("期内未确认", str(source.not_acknowledged)),
        ("平均确认用时", seconds(source.ack_mean_s)),
        ("确认用时中位数", seconds(source.ack_median_s)),
        ("最长确认用时", seconds(source.ack_max_s)),
        (f"叫应及时（{report.answer_within_s / 60:g} 分钟内确认）",
         f"{source.answered_in_time} / {source.raised}（{percent(source.answered_rate)}）"),
        ("处置记录", f"{source.notes} 条，涉及 {source.alarms_with_note} 个报警"),
    ]


def _sources(report: Report) -> Iterator[tuple[SiteFigures, SourceFigures]]:
    for site in report.sites:
        for source in site.sources:
            yield site, source


# ------------------------------------------------------------------------------ PDF


def report_pdf(report: Report, zone: tzinfo) -> bytes:
    s = pdf.styles()
    story: list[Flowable] = [
        pdf.para(title(report), s.title),
        pdf.para(
            f"统计时段 {pdf.local_time(report.start, zone)} 至 {pdf.local_time(report.end, zone)}"
            f"　生成时间 {pdf.local_time(report.generated_at, zone)}　报警事件 {report.events} 条",
            s.body,
        ),
    ]
    if report.truncated:
        story.append(pdf.para("注意：本时段事件过多，报表只统计了最近的部分事件。", s.body))
    for site in report.sites:
        story.append(pdf.para(f"{site.name}（{site.code}）", s.heading))
        if site.stats_error:
            story.append(pdf.para(f"数据统计不可用：{site.stats_error}", s.small))
        story.append(pdf.table(
            ("设备", "名称", "在线率"),
            [[d.device, d.name, percent(d.online_rate)] for d in site.devices],
            s.body, widths=(45 * mm, 90 * mm, 45 * mm),
        ))
        for source in site.sources:
            story.append(pdf.para(
                f"危险源 {source.name}（{source.id}，{source.grade} 级）", s.heading))
            story.append(pdf.table(("指标", "数值"), summary_rows(source, report), s.body,
                                   widths=(100 * mm, 80 * mm)))
            story.append(pdf.spacer(2))
            story.append(pdf.table(
                ("报警类型", "次数"), list(source.by_type.items()), s.body,
                widths=(100 * mm, 80 * mm),
            ))
            story.append(pdf.spacer(2))
            story.append(pdf.table(
                ("报警最多的点位", "名称", "次数"), source.top, s.body,
                widths=(45 * mm, 95 * mm, 40 * mm),
            ))
            story.append(pdf.spacer(2))
            story.append(pdf.table(
                ("位号", "名称", "单位", "最小", "最大", "平均", "数据完整率"),
                [[p.tag, p.name, p.unit, number(p.min), number(p.max), number(p.mean),
                  percent(p.completeness)] for p in source.points],
                s.small, widths=tuple(w * mm for w in (24, 48, 18, 20, 20, 20, 30)),
            ))
            if source.dispositions:
                shown = source.dispositions[-PDF_DISPOSITIONS:]
                story.append(pdf.spacer(2))
                story.append(pdf.table(
                    ("时间", "位号", "报警", "处置人", "处置说明"),
                    [[pdf.local_time(d.ts, zone), d.tag, d.alarm, d.user, d.text]
                     for d in shown],
                    s.small, widths=tuple(w * mm for w in (28, 22, 18, 22, 90)),
                ))
                if len(shown) < len(source.dispositions):
                    story.append(pdf.para(
                        f"处置记录共 {len(source.dispositions)} 条，此处列出最近 {len(shown)} 条；"
                        "全部见 Excel 报表的“处置”表。", s.small))
    return pdf.render(story, title=title(report),
                      footer=f"hazgw {title(report)} · {report.kind.zh}")


# ---------------------------------------------------------------------------- Excel

_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="E8E8E8")


def _header(sheet: Worksheet, *cells: str) -> None:
    sheet.append(list(cells))
    for cell in sheet[sheet.max_row]:
        cell.font = _BOLD
        cell.fill = _HEADER_FILL


def report_xlsx(report: Report, zone: tzinfo) -> bytes:
    """Sheets: 概要 (headline figures per hazard source), 点位 (per point), 设备 (online
    rate), 处置 (dispositions). Numbers are numbers (rounded), not text."""
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "概要"
    summary.append([title(report)])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append(["统计时段", pdf.local_time(report.start, zone),
                    pdf.local_time(report.end, zone)])
    summary.append(["报警事件", report.events])
    _header(summary, "企业", "危险源", "等级", "报警次数", "紧急(红)", "重要(橙)", "一般(黄)",
            "提示(蓝)", "已确认", "期内未确认", "平均确认用时(秒)", "最长确认用时(秒)",
            "叫应及时", "叫应及时率", "处置记录")
    for site, source in _sources(report):
        levels = list(source.by_priority.values())
        summary.append([
            site.name, source.name, source.grade, source.raised, *levels,
            source.acknowledged, source.not_acknowledged,
            _rounded(source.ack_mean_s, 1), _rounded(source.ack_max_s, 1),
            source.answered_in_time, _rounded(source.answered_rate, 4), source.notes,
        ])
    points = book.create_sheet("点位")
    _header(points, "企业", "危险源", "位号", "名称", "单位", "设备", "报警次数", "最小",
            "最大", "平均", "有效数据条数", "应有条数", "数据完整率")
    for site, source in _sources(report):
        for p in source.points:
            points.append([site.name, source.name, p.tag, p.name, p.unit, p.device, p.raised,
                           _rounded(p.min, 3), _rounded(p.max, 3), _rounded(p.mean, 3),
                           p.stored, p.expected, _rounded(p.completeness, 4)])
    devices = book.create_sheet("设备")
    _header(devices, "企业", "设备", "名称", "在线率", "说明")
    for site in report.sites:
        for d in site.devices:
            devices.append([site.name, d.device, d.name, _rounded(d.online_rate, 4),
                            site.stats_error or ""])
    notes = book.create_sheet("处置")
    _header(notes, "企业", "危险源", "时间", "位号", "报警", "处置人", "处置说明")
    for site, source in _sources(report):
        for note in source.dispositions:
            notes.append([site.name, source.name,
                          pdf.local_time(note.ts, zone, "%Y-%m-%d %H:%M:%S"), note.tag,
                          note.alarm, note.user, _safe(note.text)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _safe(text: str) -> str:
    # A note typed as "=..." is shown as text, never run as a formula.
    return "'" + text if text.startswith(("=", "+", "-", "@")) else text
