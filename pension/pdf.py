"""Printable PDF documents (可打印的 PDF): the statements, certificates and
determination sheets a service hall prints and hands over (DESIGN §3 "Statements and
certificates print as PDF").

One small layout for every document, drawn with reportlab in its built-in CID font
``STSong-Light`` (宋体; the reader's own copy of the font is used, so no font file is
shipped or embedded and Chinese prints the same on every machine): a title, the
issuing agency, a table of facts (name, ID number, …), then headings, tables and
notes, and on every page's foot the printing date and the page number. The text is
real text (it can be searched, copied and read back by tests with pypdf), never an
image. Callers give already-formatted strings (``format_money`` for money, the ID
number as ``citizen_id_for`` shows it to the user); this module formats nothing.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.http import HttpResponse
from django.utils.translation import gettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_TITLE = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22, alignment=TA_CENTER)
_SUBTITLE = ParagraphStyle("subtitle", fontName=FONT, fontSize=9.5, leading=13, alignment=TA_CENTER)
_HEADING = ParagraphStyle(
    "heading", fontName=FONT, fontSize=11.5, leading=16, spaceBefore=8, spaceAfter=4
)
_BODY = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12.5, wordWrap="CJK")
_CELL = ParagraphStyle("cell", fontName=FONT, fontSize=8.5, leading=11, wordWrap="CJK")
_NUM = ParagraphStyle("num", parent=_CELL, alignment=2)  # right-aligned
_GRID = colors.Color(0.55, 0.55, 0.55)
_SHADE = colors.Color(0.93, 0.93, 0.93)
PDF = "application/pdf"


def _cell(text: object, style: ParagraphStyle = _CELL) -> Paragraph:
    from xml.sax.saxutils import escape

    return Paragraph(escape("" if text is None else str(text)), style)


@dataclass
class PdfDocument:
    """A document built block by block, then ``render()``-ed to the bytes of a PDF."""

    title: str
    issuer: str = ""
    printed_on: date | None = None
    blocks: list[Flowable] = field(default_factory=list)

    def facts(self, pairs: Sequence[tuple[str, object]], *, columns: int = 2) -> None:
        """Label and value pairs, ``columns`` pairs a row (the person, the employer)."""
        rows: list[list[Paragraph]] = []
        for start in range(0, len(pairs), columns):
            row: list[Paragraph] = []
            for label, value in pairs[start : start + columns]:
                row += [_cell(label), _cell(value)]
            row += [_cell("")] * (2 * columns - len(row))
            rows.append(row)
        if not rows:
            return
        width = (A4[0] - 36 * mm) / columns
        table = Table(rows, colWidths=[width * 0.38, width * 0.62] * columns)
        style = [
            ("GRID", (0, 0), (-1, -1), 0.5, _GRID),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
        style += [("BACKGROUND", (c, 0), (c, -1), _SHADE) for c in range(0, 2 * columns, 2)]
        table.setStyle(TableStyle(style))
        self.blocks += [table, Spacer(1, 3 * mm)]

    def heading(self, text: str) -> None:
        self.blocks.append(_cell(text, _HEADING))

    def paragraph(self, text: str) -> None:
        self.blocks.append(_cell(text, _BODY))

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[object]],
        *,
        numeric: Sequence[int] = (),
        total: Sequence[object] | None = None,
        widths: Sequence[float] | None = None,
        empty: str = "",
    ) -> None:
        """A table with a shaded header row repeated on every page; the columns whose
        index is in ``numeric`` are right-aligned; ``total`` is a last, shaded row."""
        body = [list(r) for r in rows]
        if not body and empty:
            self.paragraph(empty)
            return
        if total is not None:
            body.append(list(total))
        data = [[_cell(h) for h in header]]
        data += [
            [_cell(v, _NUM if i in numeric else _CELL) for i, v in enumerate(row)] for row in body
        ]
        usable = A4[0] - 36 * mm
        col_widths = [usable * w for w in widths] if widths else None
        table = Table(data, colWidths=col_widths, repeatRows=1)
        style = [
            ("GRID", (0, 0), (-1, -1), 0.5, _GRID),
            ("BACKGROUND", (0, 0), (-1, 0), _SHADE),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
        if total is not None:
            style.append(("BACKGROUND", (0, -1), (-1, -1), _SHADE))
        table.setStyle(TableStyle(style))
        self.blocks += [table, Spacer(1, 3 * mm)]

    def signatures(self, labels: Sequence[str]) -> None:
        """Blank lines to sign and stamp (经办人, 复核人, 经办机构（盖章）)."""
        cells = [_cell(f"{label}：" + "\u3000" * 8) for label in labels]
        table = Table([cells])
        self.blocks.append(KeepTogether([Spacer(1, 8 * mm), table]))

    def render(self) -> bytes:
        buffer = io.BytesIO()
        printed = self.printed_on or date.today()
        foot = gettext("Printed on %(day)s") % {"day": printed.isoformat()}

        def on_page(canvas, doc) -> None:
            canvas.saveState()
            canvas.setFont(FONT, 8)
            canvas.drawString(18 * mm, 10 * mm, foot)
            canvas.drawRightString(
                A4[0] - 18 * mm, 10 * mm, gettext("Page %(number)s") % {"number": doc.page}
            )
            canvas.restoreState()

        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=18 * mm,
            rightMargin=18 * mm,
            topMargin=16 * mm,
            bottomMargin=18 * mm,
            title=self.title,
            author=self.issuer,
            creator="pension",
        )
        head: list[Flowable] = [_cell(self.title, _TITLE)]
        if self.issuer:
            head.append(_cell(self.issuer, _SUBTITLE))
        head.append(Spacer(1, 5 * mm))
        document.build(head + self.blocks, onFirstPage=on_page, onLaterPages=on_page)
        return buffer.getvalue()


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    """The PDF shown in the browser (it prints from there); ``filename`` when saved."""
    response = HttpResponse(content, content_type=PDF)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def record_printed(*, actor, instance, document: str, **details: object) -> None:
    """Log that ``actor`` printed ``document`` about ``instance`` (personal data leaving
    the system on paper, DESIGN §2.4), in the change log as an export."""
    from pension import changelog
    from pension.models import ChangeAction

    after: dict[str, object] = {"export": document, "format": "pdf"}
    after.update({k: v for k, v in details.items() if v is not None})
    changelog.record(actor=actor, action=ChangeAction.EXPORT, instance=instance, after=after)
