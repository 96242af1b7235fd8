"""The employer's contribution statement (单位缴费对账单): page and Excel export.

Thin: the section guard (``contributions``), then the employer's region scope
(``view``; outside it the employer is not found, as on the registration pages), then
``contributions.payments.employer_statement``. ``?as_of=YYYY-MM-DD`` shows the
statement as of another day (default today); ``?format=xlsx`` downloads it as a
write-only workbook and ``?format=pdf`` gives it as a PDF to print (``pension.pdf``);
both exports are logged.
"""

from __future__ import annotations

import io
from datetime import date

from django.db.models import F, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET
from openpyxl import Workbook

from contributions.filtersets import ArrearsFilterSet
from contributions.models import Bill
from contributions.payments import (
    Statement,
    arrears_bills,
    employer_statement,
    statement_export_record,
    with_late_fees,
)
from enrollment.models import Employer
from pension.exports import safe_xlsx_row
from pension.money import format_money
from pension.paging import page_of
from pension.pdf import PdfDocument, pdf_response, record_printed
from pension.scope import region_allows, user_prefix
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


def statement_pdf(statement: Statement) -> bytes:
    """单位缴费对账单: the employer, the totals, month by month and the payments."""
    employer = statement.employer
    doc = PdfDocument(
        title=gettext("Employer contribution statement"),
        issuer=employer.agency.name,
        printed_on=timezone.localdate(),
    )
    doc.facts(
        [
            (gettext("Employer name"), employer.name),
            (gettext("Unified social credit code"), employer.credit_code),
            (gettext("Region"), employer.region.name),
            (gettext("As of"), statement.as_of.isoformat()),
        ]
    )
    doc.facts(
        [
            (gettext("Assessed"), format_money(statement.assessed)),
            (gettext("Paid"), format_money(statement.paid)),
            (gettext("Outstanding"), format_money(statement.outstanding)),
            (gettext("Arrears (past the due date)"), format_money(statement.arrears)),
            (gettext("Late fee due"), format_money(statement.late_fee_due)),
            (gettext("Late fee charged on payments"), format_money(statement.late_fee_charged)),
            (gettext("Late fee collected"), format_money(statement.late_fee_collected)),
            (gettext("Credit held"), format_money(statement.credit)),
        ]
    )
    doc.heading(gettext("Month by month"))
    doc.table(
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
        [
            (
                str(m.period),
                m.due_date.isoformat() if m.due_date else "",
                format_money(m.assessed),
                format_money(m.paid),
                format_money(m.outstanding),
                m.days_late,
                format_money(m.late_fee_due),
                format_money(m.late_fee_charged),
            )
            for m in statement.months
        ],
        numeric=[2, 3, 4, 5, 6, 7],
        total=(
            gettext("Total"),
            "",
            format_money(statement.assessed),
            format_money(statement.paid),
            format_money(statement.outstanding),
            "",
            format_money(statement.late_fee_due),
            format_money(statement.late_fee_charged),
        ),
        empty=gettext("No assessment has been released for this employer."),
    )
    doc.heading(gettext("Payments received"))
    doc.table(
        [
            gettext("Receipt number"),
            gettext("Paid on"),
            gettext("Amount"),
            gettext("Allocated"),
            gettext("Late fee"),
            gettext("Held as credit"),
        ],
        [
            (
                p.payment.receipt_number,
                p.payment.paid_on.isoformat(),
                format_money(p.payment.amount),
                format_money(p.allocated),
                format_money(p.payment.late_fee),
                format_money(p.payment.unallocated),
            )
            for p in statement.payments
        ],
        numeric=[2, 3, 4, 5],
        empty=gettext("No payment has been received."),
    )
    doc.paragraph(
        gettext(
            "Late fees on what is still unpaid are computed up to and including %(day)s, at "
            "the daily rate in force on each day; they are owed on top of the contributions."
        )
        % {"day": statement.as_of.isoformat()}
    )
    doc.signatures([gettext("Handled by"), gettext("Agency (seal)")])
    return doc.render()


@section_required("contributions")
@require_GET
def employer_statement_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Month by month: assessed, paid, outstanding, late fees; the payments."""
    employer = get_object_or_404(Employer.objects.select_related("region", "agency"), pk=pk)
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
    if request.GET.get("format") == "pdf":
        content = statement_pdf(statement)
        record_printed(
            actor=request.user,
            instance=employer,
            document=gettext("Employer contribution statement"),
            as_of=statement.as_of,
        )
        filename = f"statement-{employer.credit_code}-{statement.as_of.isoformat()}.pdf"
        return pdf_response(content, filename)
    return render(
        request,
        "contributions/statement.html",
        {"employer": employer, "statement": statement},
    )


@section_required("contributions")
@require_GET
def arrears_list(request: HttpRequest) -> HttpResponse:
    """Arrears (欠费) of the user's region as of a day (``?as_of=``, default today): every
    payable bill still open after its due date, oldest first, with what it owes and the
    late fee so far; filtered by region, employer or flexible contributor (the API's
    ``ArrearsFilterSet``), 50 a page, with the count and the total owed of what the
    filters select. The late fees are computed for the rows shown, never stored."""
    as_of = _as_of(request)
    prefix = user_prefix(request.user, Bill, "view")
    bills = (
        arrears_bills(region_prefix=prefix, as_of=as_of)
        if prefix is not None
        else Bill.objects.none().annotate(outstanding=F("total") - F("paid_amount"))
    )
    filterset = ArrearsFilterSet(request.GET or None, queryset=bills)
    queryset = filterset.qs
    totals = queryset.aggregate(owed=Sum(F("total") - F("paid_amount")))
    page = page_of(request, queryset)
    return render(
        request,
        "contributions/arrears_list.html",
        {
            "filterset": filterset,
            "page": page,
            "items": list(with_late_fees(page.object_list, as_of=as_of)),
            "as_of": as_of,
            "total_outstanding": totals["owed"] or 0,
        },
    )
