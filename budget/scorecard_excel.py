"""The scorecard as an Excel workbook (考核表导出, DESIGN §5.6): one row per city or
county with its figures, rates, weighted score and rank, written through
``pension.exports`` (no text becomes a formula). A province has about 130 rows."""

from __future__ import annotations

from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook

from budget.choices import Indicator
from budget.selectors import RegionFigures
from pension.exports import safe_xlsx_row

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def scorecard_workbook(rows: list[RegionFigures], *, title: str) -> bytes:
    """The scorecard's rows as a workbook (rates as fractions, amounts as numbers)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Scorecard"))
    sheet.append(safe_xlsx_row(sheet, [title]))
    header = [
        _("Rank"), _("Region code"), _("Region"), _("Weighted score"),
        *[Indicator(i).label for i in Indicator.values],
        _("Insured"), _("Contributors"), _("Retirees"), _("New retirees"),
        _("Assessed"), _("Collected"), _("Dependency ratio"), _("Average pension"),
    ]  # fmt: skip
    sheet.append(safe_xlsx_row(sheet, [str(h) for h in header]))
    for row in rows:
        sheet.append(
            safe_xlsx_row(
                sheet,
                [
                    row.rank, row.code, row.name, row.score,
                    *[row.rates.get(i) for i in Indicator.values],
                    row.insured, row.contributors, row.retirees, row.new_retirees,
                    row.assessed, row.collected, row.dependency_ratio, row.average_pension,
                ],
            )
        )  # fmt: skip
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
