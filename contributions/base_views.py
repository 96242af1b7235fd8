"""Pages of base declaration and contribution cases (DESIGN §5.2, §7.1–§7.4).

Thin: each page checks the section (``section_required("contributions")``) and the
region (``pension.scope.region_allows``), then calls ``contributions.bases`` or
``contributions.cases``. The person page's "Contributions" section is built here too
(``person_section_context``), registered from ``ContributionsConfig.ready``.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from contributions import bases, cases
from contributions.choices import BillStatus, LineKind
from contributions.forms import (
    BackPaymentForm,
    BaseChooseForm,
    BaseCorrectionForm,
    BaseDeclareForm,
    BaseImportForm,
    EmployerFindForm,
    RedetermineForm,
    RefundForm,
    TopUpForm,
)
from contributions.models import Bill, ContributionBase, ContributionLine
from contributions.selectors import CONTRIBUTED_KINDS, paid_line_ids
from enrollment.models import Employer, Employment, InsuredPerson
from pension.charts import chart
from pension.errors import ApplicationError
from pension.imports import RowError, errors_workbook, estimate_rows, import_job_create
from pension.money import format_money, round_fen
from pension.paging import page_of
from pension.pdf import PdfDocument, pdf_response, record_printed
from pension.periods import Period
from pension.privacy import citizen_id_for
from pension.scope import region_allows
from pension.views import SENT_TO_REVIEWER, section_required

contributions_section = section_required("contributions")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS_SHOWN = 500


# --- lookups and guards ------------------------------------------------------------


def _employer(request: HttpRequest, pk: int) -> Employer:
    """An employer the user may prepare declarations for (403 outside the region)."""
    employer = Employer.objects.select_related("region", "agency").filter(pk=pk).first()
    if employer is None:
        raise Http404
    if not region_allows(request.user, employer.region_id, "prepare"):
        raise PermissionDenied
    return employer


def _person(request: HttpRequest, pk: int, action: str = "prepare") -> InsuredPerson:
    """An insured person the user may ``action`` (province-wide for insured people)."""
    person = InsuredPerson.objects.select_related("region", "agency").filter(pk=pk).first()
    if person is None:
        raise Http404
    if not region_allows(request.user, person.region_id, action, model=InsuredPerson):
        raise PermissionDenied
    return person


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    return year if 1990 <= year <= 2200 else timezone.localdate().year


def _submitted(request: HttpRequest, approval) -> None:
    messages.success(request, SENT_TO_REVIEWER % {"id": approval.pk})


# --- base declaration --------------------------------------------------------------


@contributions_section
def base_index(request: HttpRequest) -> HttpResponse:
    """Find an employer's base page by credit code; re-determine provisional bases."""
    form = EmployerFindForm(request.GET or None)
    if request.GET and form.is_valid():
        employer = form.cleaned_data["credit_code"]
        url = reverse("contributions:base_employer", args=[employer.pk])
        return redirect(f"{url}?year={form.cleaned_data['year']}")
    return render(
        request,
        "contributions/base_index.html",
        {"form": form, "redetermine_form": RedetermineForm(), "region": request.user.region},
    )


@contributions_section
@require_POST
def base_redetermine(request: HttpRequest) -> HttpResponse:
    """Clamp the provisional bases of the user's region with the published limits."""
    form = RedetermineForm(request.POST)
    region = request.user.region
    if region is None or not region_allows(request.user, region.code, "prepare"):
        raise PermissionDenied
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("contributions:base_index")
    try:
        report = bases.bases_redetermine_for_published_limits(
            actor=request.user, year=form.cleaned_data["year"], region=region
        )
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _(
                "%(bases)d bases re-determined; %(lines)d adjustment lines and %(bills)d bills "
                "(%(total)s) written; %(credits)d credits (%(credit_total)s) to be refunded."
            )
            % {
                "bases": report.bases,
                "lines": report.lines,
                "bills": report.bills,
                "total": format_money(report.billed_total),
                "credits": len(report.credits),
                "credit_total": format_money(report.credit_total),
            },
        )
    return redirect("contributions:base_index")


@contributions_section
def base_employer(request: HttpRequest, pk: int) -> HttpResponse:
    """An employer's roster for a year with each employee's current base and a form,
    a page of ``PER_PAGE`` employees at a time (a roster of 5 000 took 12 s and 5.6 MB
    as one page)."""
    employer = _employer(request, pk)
    year = _year(request)
    first, last = Period(year, 1), Period(year, 12)
    # one employment per person (the first by id), in name order, a page at a time
    employments = (
        Employment.objects.filter(employer=employer, start_period__lte=last)
        .filter(Q(stop_period__isnull=True) | Q(stop_period__gt=first))
        .select_related("person")
        .order_by("person__name", "person_id", "id")
        .distinct("person__name", "person_id")
    )
    page = page_of(request, employments)
    current = {
        row.person_id: row
        for row in ContributionBase.objects.filter(
            employer=employer,
            year=year,
            superseded_by__isnull=True,
            person_id__in=[employment.person_id for employment in page],
        )
    }
    rows = []
    for employment in page:
        row = current.get(employment.person_id)
        rows.append(
            {
                "person": employment.person,
                "employment": employment,
                "base": row,
                "form": BaseDeclareForm(
                    initial={
                        "year": year,
                        "wage": row.declared_wage if row else None,
                        "basis": row.basis if row else None,
                    },
                    prefix=f"p{employment.person_id}",
                ),
            }
        )
    try:
        limits = bases.year_limits(year, region=employer.region)
    except ApplicationError as error:
        limits, limits_error = None, str(error)
    else:
        limits_error = ""
    return render(
        request,
        "contributions/base_employer.html",
        {
            "employer": employer,
            "year": year,
            "rows": rows,
            "page": page,
            "limits": limits,
            "limits_error": limits_error,
            "base_total": bases.employer_base_total(employer, year),
            "previous_year": year - 1,
            "next_year": year + 1,
        },
    )


@contributions_section
@require_POST
def base_declare(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    employer = _employer(request, pk)
    person = InsuredPerson.objects.filter(pk=person_pk).first()
    if person is None:
        raise Http404
    form = BaseDeclareForm(request.POST, prefix=f"p{person.pk}")
    year = request.POST.get(f"p{person.pk}-year", "")
    if form.is_valid():
        year = form.cleaned_data["year"]
        try:
            row = bases.base_declare(
                actor=request.user,
                person=person,
                employer=employer,
                year=year,
                wage=form.cleaned_data["wage"],
                basis=form.cleaned_data["basis"],
            )
        except ApplicationError as error:
            messages.error(request, f"{person.name}: {error}")
        else:
            text = _("Base of %(name)s for %(year)s: %(base)s (%(rule)s).") % {
                "name": person.name,
                "year": year,
                "base": format_money(row.base),
                "rule": row.get_rule_display(),
            }
            if row.provisional:
                text += " " + _("Last year's limits apply provisionally.")
            messages.success(request, text)
    else:
        messages.error(
            request,
            f"{person.name}: " + " ".join(e for errs in form.errors.values() for e in errs),
        )
    url = reverse("contributions:base_employer", args=[employer.pk])
    return redirect(f"{url}?year={year}")


def _session_key(pk: int) -> str:
    return f"contributions.base_import_errors.{pk}"


def _keep_errors(request: HttpRequest, pk: int, errors: list[RowError]) -> None:
    data = [[e.row, e.column, e.value, e.message] for e in errors]
    packed = zlib.compress(json.dumps(data, ensure_ascii=False).encode("utf-8"))
    request.session[_session_key(pk)] = base64.b64encode(packed).decode("ascii")


def _kept_errors(request: HttpRequest, pk: int) -> list[RowError] | None:
    packed = request.session.get(_session_key(pk))
    if not packed:
        return None
    data = json.loads(zlib.decompress(base64.b64decode(packed)).decode("utf-8"))
    return [RowError(*row) for row in data]


@contributions_section
@require_http_methods(["GET", "POST"])
def base_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload an employer's bases for a year; show the row errors or import the sheet."""
    employer = _employer(request, pk)
    if request.method == "GET" and request.GET.get("download") == "errors":
        errors = _kept_errors(request, pk)
        if errors is None:
            raise Http404
        response = HttpResponse(errors_workbook(errors), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="base-import-errors-{pk}.xlsx"'
        return response
    form = BaseImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {
        "employer": employer,
        "headers": bases.HEADERS,
        "bases_text": list(bases.BASIS_BY_TEXT),
    }
    if request.method == "POST" and form.is_valid():
        year = form.cleaned_data["year"]
        upload = form.cleaned_data["file"]
        rows = estimate_rows(upload)
        if rows >= settings.IMPORT_WORKER_FROM_ROWS:
            # a large sheet: imported on a worker, the job's page shows the progress
            job = import_job_create(
                actor=request.user,
                kind="base_sheet",
                upload=upload,
                params={"employer": employer.pk, "year": year},
                rows=rows,
            )
            return redirect("import_job", pk=job.pk)
        result = bases.parse_base_sheet(upload, employer=employer, year=year)
        errors = result.errors
        if not errors:
            try:
                report = bases.apply_base_sheet(
                    actor=request.user, employer=employer, result=result
                )
            except ApplicationError as error:
                errors = [RowError(**e) for e in error.details.get("errors", [])]
                messages.error(request, str(error))
            else:
                request.session.pop(_session_key(pk), None)
                messages.success(
                    request,
                    _(
                        "Imported %(count)d bases for %(year)s (%(superseded)d replacing earlier "
                        "ones, %(provisional)d on provisional limits)."
                    )
                    % {
                        "count": report.declared,
                        "year": year,
                        "superseded": report.superseded,
                        "provisional": report.provisional,
                    },
                )
                url = reverse("contributions:base_employer", args=[employer.pk])
                return redirect(f"{url}?year={year}")
        if errors:
            _keep_errors(request, pk, errors)
        context.update(
            errors=errors[:ERRORS_SHOWN],
            error_count=len(errors),
            more_errors=len(errors) > ERRORS_SHOWN,
            data_rows=result.data_rows,
        )
    context["form"] = form
    return render(request, "contributions/base_import.html", context)


@contributions_section
def base_choose(request: HttpRequest, pk: int) -> HttpResponse:
    """A flexible worker or individual business owner chooses a base."""
    person = _person(request, pk)
    form = BaseChooseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            row = bases.base_choose(
                actor=request.user,
                person=person,
                year=form.cleaned_data["year"],
                base=form.cleaned_data["base"],
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _("Base of %(name)s for %(year)s: %(base)s.")
                % {"name": person.name, "year": row.year, "base": format_money(row.base)},
            )
            return redirect("enrollment:person_detail", pk=person.pk)
    return render(
        request,
        "contributions/base_form.html",
        {
            "form": form,
            "person": person,
            "title": _("Contribution base of %(name)s") % {"name": person.name},
        },
    )


# --- cases ---------------------------------------------------------------------------


def _case_page(request: HttpRequest, person: InsuredPerson, form, title: str) -> HttpResponse:
    return render(
        request,
        "contributions/case_form.html",
        {"form": form, "person": person, "title": title},
    )


@contributions_section
def case_back_payment(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    form = BackPaymentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            approval = cases.back_payment_request(
                actor=request.user,
                person=person,
                employer=data["employer"],
                periods_and_bases=[
                    (period, data["base"]) for period in Period.range(data["first"], data["last"])
                ],
                reason=data["reason"],
                attachments=[data["attachment"]],
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            _submitted(request, approval)
            return redirect("approval_detail", pk=approval.pk)
    return _case_page(request, person, form, _("Back-payment for %(name)s") % {"name": person.name})


@contributions_section
def case_base_correction(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    form = BaseCorrectionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            approval = cases.base_correction_request(
                actor=request.user,
                person=person,
                employer=data["employer"],
                year=data["year"],
                wage=data["wage"],
                basis=data["basis"],
                reason=data["reason"],
                attachments=[data["attachment"]],
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            _submitted(request, approval)
            return redirect("approval_detail", pk=approval.pk)
    return _case_page(
        request, person, form, _("Base correction for %(name)s") % {"name": person.name}
    )


@contributions_section
def case_refund(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    form = RefundForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            approval = cases.refund_request(
                actor=request.user,
                person=person,
                employer=data["employer"],
                periods=list(Period.range(data["first"], data["last"])),
                reason=data["reason"],
                attachments=[data["attachment"]],
                payee_name=data["payee_name"],
                payee_bank=data["payee_bank"],
                payee_account=data["payee_account"],
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            _submitted(request, approval)
            return redirect("approval_detail", pk=approval.pk)
    return _case_page(request, person, form, _("Refund for %(name)s") % {"name": person.name})


@contributions_section
def case_shortfall(request: HttpRequest, pk: int) -> HttpResponse:
    """The retirement-age shortfall of a person, the extended-contribution request
    (延长缴费) and the top-up request."""
    person = _person(request, pk, action="view")
    may_prepare = region_allows(request.user, person.region_id, "prepare", model=InsuredPerson)
    today = timezone.localdate()
    extending = request.method == "POST" and "extend-reason" in request.POST
    form = TopUpForm(
        request.POST if request.method == "POST" and not extending else None,
        request.FILES if request.method == "POST" and not extending else None,
    )
    extend_form = TopUpForm(
        request.POST if extending else None, request.FILES if extending else None, prefix="extend"
    )
    if request.method == "POST" and not may_prepare:
        raise PermissionDenied
    if extending:
        if extend_form.is_valid():
            try:
                approval = cases.extended_contribution_request(
                    actor=request.user,
                    person=person,
                    reason=extend_form.cleaned_data["reason"],
                    attachments=[extend_form.cleaned_data["attachment"]],
                    on=today,
                )
            except ApplicationError as error:
                extend_form.add_service_error(error)
            else:
                _submitted(request, approval)
                return redirect("approval_detail", pk=approval.pk)
    elif request.method == "POST" and form.is_valid():
        try:
            approval = cases.top_up_request(
                actor=request.user,
                person=person,
                reason=form.cleaned_data["reason"],
                attachments=[form.cleaned_data["attachment"]],
                on=today,
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            _submitted(request, approval)
            return redirect("approval_detail", pk=approval.pk)
    try:
        shortfall = cases.contribution_shortfall(person, on=today)
        shortfall_error = ""
    except ApplicationError as error:
        shortfall, shortfall_error = None, str(error)
    return render(
        request,
        "contributions/case_shortfall.html",
        {
            "person": person,
            "shortfall": shortfall,
            "shortfall_error": shortfall_error,
            "top_up_before": cases.TOP_UP_INSURED_BEFORE,
            "form": form,
            "extend_form": extend_form,
            "may_prepare": may_prepare,
        },
    )


# --- the person page's section -----------------------------------------------------


def _years(months: int) -> Decimal:
    """Months ÷ 12 to two decimals, half up."""
    return (Decimal(months) / Decimal(12)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _bill_key(line: ContributionLine) -> tuple:
    payer = ("e", line.employer_id) if line.employer_id else ("p", line.person_id)
    if line.kind == LineKind.TOP_UP:
        return (line.kind, line.case_id)
    if line.case_id:
        return (line.kind, line.case_id, line.period)
    return (line.kind, payer, line.period)


def _bills_for(lines: Iterable[ContributionLine], person: InsuredPerson) -> dict[tuple, Bill]:
    lines = list(lines)
    employer_ids = {x.employer_id for x in lines if x.employer_id}
    case_ids = {x.case_id for x in lines if x.case_id}
    periods = {x.period for x in lines}
    if not lines:
        return {}
    query = Q(case_id__in=case_ids) if case_ids else Q(pk__in=[])
    query |= Q(case__isnull=True, period__in=sorted(periods)) & (
        Q(employer_id__in=employer_ids) | Q(person=person)
    )
    found: dict[tuple, Bill] = {}
    for bill in Bill.objects.filter(query, posted=True):
        payer = ("e", bill.employer_id) if bill.employer_id else ("p", bill.person_id)
        if bill.kind == LineKind.TOP_UP:
            found[(bill.kind, bill.case_id)] = bill
        elif bill.case_id:
            found[(bill.kind, bill.case_id, bill.period)] = bill
        else:
            found[(bill.kind, payer, bill.period)] = bill
    return found


def _arrears(line: ContributionLine, bill: Bill | None, today) -> Decimal | None:
    """The line's share of what is overdue on its bill (None: nothing overdue).

    A bill is paid for all its lines at once: an unpaid bill leaves each line's whole
    total overdue; a partly paid one the line's share of the outstanding, pro rata."""
    if bill is None or bill.status == BillStatus.PAID or bill.due_date >= today:
        return None
    total = line.employer_amount + line.individual_amount
    if bill.paid_amount == 0 or bill.total == 0:
        return total
    return round_fen(total * (bill.total - bill.paid_amount) / bill.total)


def person_section_context(request: HttpRequest, person: InsuredPerson) -> dict[str, Any]:
    """Month by month: base, employer and individual amounts, account credit, kind,
    paid status (from the bill), arrears and whether the line counts as paid history
    (DESIGN §5.2); the months paid (contribution years) and the months assessed but
    not paid, apart."""
    today = timezone.localdate()
    counted = paid_line_ids(person.pk)
    lines = list(
        ContributionLine.objects.filter(person=person, posted=True)
        .select_related("employer")
        .order_by("period", "id")
    )
    bills = _bills_for(lines, person)
    kinds = dict(LineKind.choices)
    statuses = dict(BillStatus.choices)
    rows = []
    arrears_total = Decimal("0.00")
    for line in lines:
        bill = bills.get(_bill_key(line))
        arrears = _arrears(line, bill, today)
        if arrears:
            arrears_total += arrears
        rows.append(
            {
                "period": line.period,
                "employer": line.employer.name if line.employer else "",
                "kind": line.kind,
                "kind_label": kinds.get(line.kind, line.kind),
                "base": line.base,
                "employer_amount": line.employer_amount,
                "individual_amount": line.individual_amount,
                "account_credit": line.account_credit,
                "status": statuses.get(bill.status, bill.status) if bill else "",
                "status_code": bill.status if bill else "",
                "arrears": arrears,
                "case_id": line.case_id,
                "counts": line.id in counted,
            }
        )
    months = cases.contributed_months(person)
    # months with a contribution line that is not paid, of a month not counted at all
    paid_periods = {line.period for line in lines if line.id in counted}
    unpaid_periods = sorted(
        {
            line.period
            for line in lines
            if line.kind in CONTRIBUTED_KINDS
            and line.id not in counted
            and line.period not in paid_periods
        }
    )
    current_bases = ContributionBase.objects.filter(
        person=person, superseded_by__isnull=True
    ).select_related("employer")
    may_prepare = region_allows(request.user, person.region_id, "prepare", model=InsuredPerson)
    by_year: dict[int, Decimal] = {}
    for b in current_bases:
        by_year[b.year] = by_year.get(b.year, Decimal("0.00")) + b.base
    return {
        "person": person,
        "chart": chart(
            "contribution-bases-chart",
            title=_("Contribution base by year"),
            categories=sorted(by_year),
            series=[(_("Contribution base"), [by_year[y] for y in sorted(by_year)])],
            unit=_("yuan"),
        )
        if by_year
        else None,
        "rows": rows,
        "months": months,
        "years": _years(months),
        "unpaid_months": len(unpaid_periods),
        "unpaid_periods": unpaid_periods,
        "deemed_months": person.deemed_months,
        "deemed_years": _years(person.deemed_months),
        "arrears_total": arrears_total,
        "bases": current_bases,
        "may_prepare": may_prepare,
        "self_chosen": person.category in bases.SELF_CHOSEN_CATEGORIES,
    }


# --- the certificate of insurance and contributions (参保缴费证明) ----------------------


@contributions_section
def contribution_certificate(request: HttpRequest, pk: int) -> HttpResponse:
    """参保缴费证明 as a PDF to print and hand over: the person, the months contributed
    and paid year by year (what counts as contribution history, DESIGN §5.2), the
    deemed months and the arrears; read province-wide like the person page, the
    printing logged."""
    person = _person(request, pk, action="view")
    section = person_section_context(request, person)
    content = certificate_pdf(request.user, person, section)
    record_printed(
        actor=request.user,
        instance=person,
        document=_("Certificate of insurance and contributions"),
    )
    return pdf_response(content, f"contribution-certificate-{person.pk}.pdf")


def certificate_years(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The lines that count as paid, by year: months (distinct periods of contributed
    kinds), the employers, the individual amounts and the account credits."""
    years: dict[int, dict[str, Any]] = {}
    for row in rows:
        if not row["counts"]:
            continue
        year = years.setdefault(
            row["period"].year,
            {
                "year": row["period"].year,
                "periods": set(),
                "employers": [],
                "individual": Decimal("0.00"),
                "account": Decimal("0.00"),
            },
        )
        if row["kind"] in CONTRIBUTED_KINDS:
            year["periods"].add(row["period"])
        if row["employer"] and row["employer"] not in year["employers"]:
            year["employers"].append(row["employer"])
        year["individual"] += row["individual_amount"]
        year["account"] += row["account_credit"]
    return [{**y, "months": len(y["periods"])} for _n, y in sorted(years.items())]


def certificate_pdf(user, person: InsuredPerson, section: dict[str, Any]) -> bytes:
    doc = PdfDocument(
        title=_("Certificate of insurance and contributions"),
        issuer=person.agency.name,
        printed_on=timezone.localdate(),
    )
    doc.facts(
        [
            (_("Full name"), person.name),
            (_("Citizen ID number"), citizen_id_for(user, person.id_number)),
            (_("Sex"), person.get_sex_display()),
            (_("Birth date"), person.birth_date.isoformat()),
            (_("Category"), person.get_category_display()),
            (_("Status"), person.get_status_display()),
            (
                _("First insured date"),
                person.first_insured_date.isoformat() if person.first_insured_date else "—",
            ),
            (_("Region"), person.region.name),
        ]
    )
    doc.facts(
        [
            (
                _("Months contributed and paid"),
                _("%(months)s (%(years)s years)")
                % {"months": section["months"], "years": section["years"]},
            ),
            (
                _("Deemed contribution months"),
                _("%(months)s (%(years)s years)")
                % {"months": section["deemed_months"], "years": section["deemed_years"]},
            ),
            (_("Months assessed, not paid (not counted)"), section["unpaid_months"]),
            (_("Arrears"), format_money(section["arrears_total"])),
        ],
        columns=1,
    )
    doc.heading(_("Contributions paid, year by year"))
    years = certificate_years(section["rows"])
    doc.table(
        [
            _("Year"),
            _("Months contributed and paid in the year"),
            _("Employer"),
            _("Individual amount"),
            _("Account credit"),
        ],
        [
            (
                y["year"],
                y["months"],
                "、".join(y["employers"]) or _("Flexible employment"),
                format_money(y["individual"]),
                format_money(y["account"]),
            )
            for y in years
        ],
        numeric=[1, 3, 4],
        total=(
            _("Total"),
            sum(y["months"] for y in years),
            "",
            format_money(sum((y["individual"] for y in years), Decimal("0.00"))),
            format_money(sum((y["account"] for y in years), Decimal("0.00"))),
        ),
        widths=[0.1, 0.1, 0.44, 0.18, 0.18],
        empty=_("No contributions recorded."),
    )
    doc.paragraph(
        _(
            "Only months assessed and paid count as contribution history; months assessed "
            "but unpaid are not counted until they are paid."
        )
    )
    doc.signatures([_("Handled by"), _("Agency (seal)")])
    return doc.render()
