"""The employer's contribution statement (单位缴费对账单): page and Excel export.

Thin: the section guard (``contributions``), then the employer's region scope
(``view``; outside it the employer is not found, as on the registration pages), then
``contributions.payments.employer_statement``. ``?as_of=YYYY-MM-DD`` shows the
statement as of another day (default today); ``?format=xlsx`` downloads it as a
write-only workbook, and the export is logged.
"""

from __future__ import annotations

import io
from datetime import date

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET
from openpyxl import Workbook

from contributions.payments import Statement, employer_statement, statement_export_record
from enrollment.models import Employer
from pension.exports import safe_xlsx_row
from pension.scope import region_allows
from pension.views import section_required

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _as_of(request: HttpRequest) -> date:
    raw = (request.GET.get("as_of") or "").strip()
    if raw:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    return timezone.localdate()


def _put(sheet, row: list) -> None:
    """A row of the statement; a text "=…" (an employer's name, a receipt number) is a
    string cell, never a formula (pension.exports)."""
    sheet.append(safe_xlsx_row(sheet, row))


def statement_workbook(statement: Statement) -> bytes:
    """The statement as an .xlsx: a sheet of months and a sheet of payments."""
    workbook = Workbook(write_only=True)
    months = workbook.create_sheet(title=gettext("Statement"))
    _put(months, [statement.employer.name, statement.employer.credit_code])
    _put(months, [gettext("As of"), statement.as_of])
    _put(
        months,
        [
            gettext("Period"),
            gettext("Due date"),
            gettext("Assessed"),
            gettext("Paid"),
            gettext("Outstanding"),
            gettext("Days late"),
            gettext("Late fee due"),
            gettext("Late fee charged"),
        ],
    )
    for m in statement.months:
        _put(
            months,
            [
                str(m.period),
                m.due_date,
                m.assessed,
                m.paid,
                m.outstanding,
                m.days_late,
                m.late_fee_due,
                m.late_fee_charged,
            ],
        )
    _put(
        months,
        [
            gettext("Total"),
            None,
            statement.assessed,
            statement.paid,
            statement.outstanding,
            None,
            statement.late_fee_due,
            statement.late_fee_charged,
        ],
    )
    _put(months, [gettext("Credit held"), None, statement.credit])
    payments = workbook.create_sheet(title=gettext("Payments"))
    _put(
        payments,
        [
            gettext("Receipt number"),
            gettext("Paid on"),
            gettext("Amount"),
            gettext("Allocated"),
            gettext("Late fee"),
            gettext("Held as credit"),
            gettext("Periods paid"),
        ],
    )
    for p in statement.payments:
        _put(
            payments,
            [
                p.payment.receipt_number,
                p.payment.paid_on,
                p.payment.amount,
                p.allocated,
                p.payment.late_fee,
                p.payment.unallocated,
                ", ".join(f"{a.period} {a.amount}" for a in p.allocations),
            ],
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@section_required("contributions")
@require_GET
def employer_statement_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Month by month: assessed, paid, outstanding, late fees; the payments."""
    employer = get_object_or_404(Employer.objects.select_related("region"), pk=pk)
    if not region_allows(request.user, employer.region_id, "view"):
        raise Http404
    statement = employer_statement(employer, as_of=_as_of(request))
    if request.GET.get("format") == "xlsx":
        content = statement_workbook(statement)
        statement_export_record(actor=request.user, employer=employer, as_of=statement.as_of)
        response = HttpResponse(content, content_type=XLSX)
        filename = f"statement-{employer.credit_code}-{statement.as_of.isoformat()}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return render(
        request,
        "contributions/statement.html",
        {"employer": employer, "statement": statement},
    )
