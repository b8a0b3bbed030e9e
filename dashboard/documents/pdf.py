"""The PDF toolkit of the duty-room documents: a CJK font, styles, tables, the page frame.

ReportLab draws the pages; Chinese needs a font that has it, so the first of
``CJK_FONTS`` found on the machine is embedded (Debian ``fonts-wqy-microhei``, which the
Makefile installs). Without one the documents cannot be made, and ``FontMissing`` says
which package to install rather than printing empty boxes.

Documents are black on white with thin grey rules: they are printed and filed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.doctemplate import LayoutError

from dashboard.documents.errors import DocumentError, FontMissing

FONT = "HazgwCJK"
CJK_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)


def register_font(candidates: Sequence[Path] = CJK_FONTS) -> str:
    """Register the first CJK font found (once per process) and return its name."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return FONT
    for path in candidates:
        if path.is_file():
            pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=0))
            return FONT
    raise FontMissing(
        "no CJK font for PDF documents: install Debian fonts-wqy-microhei "
        f"(looked for {', '.join(str(p) for p in candidates)})"
    )


@dataclass(frozen=True)
class Styles:
    title: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle


def styles() -> Styles:
    font = register_font()
    body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=13, wordWrap="CJK")
    return Styles(
        title=ParagraphStyle("title", parent=body, fontSize=16, leading=22, spaceAfter=4),
        heading=ParagraphStyle(
            "heading", parent=body, fontSize=11.5, leading=16, spaceBefore=8, spaceAfter=3
        ),
        body=body,
        small=ParagraphStyle("small", parent=body, fontSize=8, leading=11,
                             textColor=colors.HexColor("#444444")),
    )


def escape(text: object) -> str:
    """Text for a Paragraph (which reads a little markup)."""
    return (
        str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\n", "<br/>")
    )


def para(text: object, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    style: ParagraphStyle,
    widths: Sequence[float] | None = None,
    empty: str = "无",
) -> Table:
    """A ruled table with a grey header row; cells wrap. An empty ``rows`` prints one
    row saying ``empty``, so that "nothing" is printed, not left out."""
    body = [[para(cell, style) for cell in row] for row in rows]
    if not body:
        body = [[para(empty, style)] + [para("", style) for _ in header[1:]]]
    grid = Table(
        [[para(h, style) for h in header], *body],
        colWidths=list(widths) if widths is not None else None,
        repeatRows=1,
    )
    grid.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return grid


def spacer(height_mm: float = 3) -> Spacer:
    return Spacer(1, height_mm * mm)


def local_time(ts: float | None, zone: tzinfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return datetime.fromtimestamp(ts, zone).strftime(fmt) if ts is not None else "—"


def render(story: list[Flowable], *, title: str, footer: str) -> bytes:
    """Lay out ``story`` on A4 pages with the title in the metadata and ``footer`` and the
    page number at the foot of every page."""
    font = register_font()
    out = io.BytesIO()

    def frame(canvas: Canvas, document: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(15 * mm, 9 * mm, footer)
        canvas.drawRightString(A4[0] - 15 * mm, 9 * mm, f"第 {document.page} 页")
        canvas.restoreState()

    document = SimpleDocTemplate(
        out, pagesize=A4, title=title, author="hazgw", leftMargin=15 * mm,
        rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=16 * mm,
    )
    try:
        document.build(story, onFirstPage=frame, onLaterPages=frame)
    except LayoutError as error:
        raise DocumentError(f"{title}: {error}") from error
    return out.getvalue()
