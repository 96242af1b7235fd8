"""A spending plan as an Excel workbook (用款计划表): download, fill in, upload.

The workbook has one row per expenditure item with the headers ``HEADERS``; the
projection columns are for reading (the upload keeps the stored projection). The upload
reads through the import kernel (``pension.imports``): wrong headers, a formula, a bad
number or an unknown item are listed in Chinese and nothing is changed.
"""

from __future__ import annotations

import io

from django.utils import translation
from openpyxl import Workbook

from funds import plans
from funds.choices import PlanItem
from funds.models import SpendingPlan
from pension.errors import InvalidInput
from pension.exports import safe_xlsx_row
from pension.imports import (
    cell_count,
    cell_money,
    cell_text,
    max_rows,
    parse_cells,
    read_table,
    refuse_if_errors,
)
from pension.models import StaffUser

COL_ITEM, COL_HEADS, COL_AMOUNT, COL_P_HEADS, COL_P_AMOUNT, COL_REASON = HEADERS = (
    "支出项目",
    "人数",
    "金额",
    "预计人数",
    "预计金额",
    "差异原因",
)
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _item_names() -> dict[str, str]:
    """Item by its Chinese name (and by its code)."""
    with translation.override("zh-hans"):
        names = {str(label): value for value, label in PlanItem.choices}
    return {**names, **{value: value for value in PlanItem.values}}


def plan_workbook(plan: SpendingPlan) -> bytes:
    """The plan's lines as an .xlsx workbook."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="用款计划")
    sheet.append(list(HEADERS))
    with translation.override("zh-hans"):
        for line in plan.lines.order_by("item"):
            sheet.append(
                safe_xlsx_row(
                    sheet,
                    [
                        str(PlanItem(line.item).label),
                        line.headcount,
                        line.amount,
                        line.projected_headcount,
                        line.projected_amount,
                        line.reason,
                    ],
                )
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def plan_upload(*, actor: StaffUser, plan: SpendingPlan, upload) -> SpendingPlan:
    """Replace the plan's lines with the workbook's; all or nothing."""
    table = read_table(upload, headers=HEADERS, limit=max_rows())
    names = _item_names()
    lines = []
    if not table.file_error:
        for number, values in table.rows:
            item_cell, heads_cell, amount_cell, _ph, _pa, reason_cell = values
            item = names.get(str(item_cell or "").strip())
            if item is None:
                with translation.override("zh-hans"):
                    table.add(
                        number, COL_ITEM, item_cell,
                        str(plans.ERROR_UNKNOWN_ITEM) % {"item": item_cell or ""},
                    )  # fmt: skip
                continue
            (heads, amount, reason), ok = parse_cells(
                table,
                number,
                [
                    (COL_HEADS, heads_cell, cell_count),
                    (COL_AMOUNT, amount_cell, cell_money),
                    (COL_REASON, reason_cell, lambda v: cell_text(v, max_length=200)),
                ],
            )
            if ok:
                lines.append({"item": item, "headcount": heads, "amount": amount, "reason": reason})
    refuse_if_errors(table)
    if not lines:
        raise InvalidInput(plans.ERROR_NO_LINES, code="import_has_errors", details={"errors": []})
    return plans.plan_lines_update(actor=actor, plan=plan, lines=lines)


__all__ = ["CONTENT_TYPE", "HEADERS", "plan_upload", "plan_workbook"]
