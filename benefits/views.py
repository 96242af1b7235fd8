"""Pages of benefits and payroll (待遇核定与发放): the retirement case of a person, the
determination with its calculation line by line, and the person page's "Benefits"
section (``person_section_context``, registered from ``BenefitsConfig.ready``).

Thin: each page checks the section (``section_required("benefits")``) and the region
(``pension.scope``), then calls ``benefits.determination.retirement`` or ``benefits.selectors``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from benefits import selectors
from benefits.choices import DeterminationStatus
from benefits.determination import retirement
from benefits.determination.calc import Line
from benefits.filtersets import PaymentInstructionFilterSet
from benefits.forms import RetirementCaseForm
from contributions.cases import contribution_shortfall
from enrollment.choices import PersonStatus
from enrollment.models import InsuredPerson
from pension.errors import ApplicationError
from pension.models import PolicyParameter
from pension.money import format_money
from pension.paging import page_of
from pension.pdf import PdfDocument, pdf_response, record_printed
from pension.periods import Period
from pension.policy import SPECS
from pension.privacy import citizen_id_for
from pension.scope import region_allows
from pension.views import section_required, sent_to_reviewer

benefits_section = section_required("benefits")


@benefits_section
def index(request: HttpRequest) -> HttpResponse:
    """The section's start page: the payroll, the adjustments, certification, survivors."""
    return render(request, "benefits/index.html", {})


@benefits_section
def payment_instruction_list(request: HttpRequest) -> HttpResponse:
    """Payment instructions (支付指令) of the user's region: refunds, account
    settlements, transfers out and survivor benefits, with their status, payee, amount
    and the payroll run that carried them; filtered, 50 a page, newest first, with the
    total of what the filters select."""
    filterset = PaymentInstructionFilterSet(
        request.GET or None, queryset=selectors.payment_instructions(request.user)
    )
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    if filterset.is_bound and not filterset.is_valid():
        queryset = queryset.none()
    total = queryset.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    page = page_of(request, queryset.order_by("-created_at", "-id"))
    return render(
        request,
        "benefits/instruction_list.html",
        {"filterset": filterset, "page": page, "total": total},
    )


def _person(request: HttpRequest, pk: int, action: str = "prepare") -> InsuredPerson:
    """An insured person the user may ``action`` (province-wide for insured people)."""
    person = InsuredPerson.objects.select_related("region", "agency").filter(pk=pk).first()
    if person is None:
        raise Http404
    if not region_allows(request.user, person.region_id, action, model=InsuredPerson):
        raise PermissionDenied
    return person


@benefits_section
def retirement_case(request: HttpRequest, pk: int) -> HttpResponse:
    """The retirement case of a person (退休申请): the statutory date and the months on
    record, and the request for a reviewer."""
    person = _person(request, pk)
    today = timezone.localdate()
    form = RetirementCaseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            approval = retirement.retirement_case_request(
                actor=request.user,
                person=person,
                retirement_date=data["retirement_date"],
                kind=data["kind"],
                public_notice_date=data["public_notice_date"],
                transitional_index=data["transitional_index"],
                reason=data["reason"],
                attachments=[data["attachment"]],
                today=today,
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            return sent_to_reviewer(request, approval)
    try:
        shortfall, shortfall_error = contribution_shortfall(person, on=today), ""
    except ApplicationError as error:
        shortfall, shortfall_error = None, str(error)
    return render(
        request,
        "benefits/retirement_case.html",
        {
            "person": person,
            "form": form,
            "shortfall": shortfall,
            "shortfall_error": shortfall_error,
            "current": selectors.current_determination(person),
        },
    )


def _parameters(references: list[str]) -> list[dict[str, Any]]:
    """The parameter rows a determination cites (``key@id.vVersion``), with their label,
    the date they apply from, the version and the source."""
    ids = {}
    for reference in references:
        key, _sep, rest = reference.partition("@")
        number = rest.split(".v")[0]
        if number.isdigit():
            ids[int(number)] = (key, reference)
    rows = PolicyParameter.objects.in_bulk(list(ids))
    out = []
    for number, (key, reference) in ids.items():
        row = rows.get(number)
        spec = SPECS.get(key)
        out.append(
            {
                "reference": reference,
                "label": spec.label if spec else key,
                "effective_from": row.effective_from if row else None,
                "version": row.version if row else None,
                "reference_year": row.reference_year if row else None,
                "region": row.region_id if row else None,
                "source": row.source if row else "",
            }
        )
    return out


def _determination(request: HttpRequest, pk: int):
    determination = selectors.determinations(request.user).filter(pk=pk).first()
    if determination is None:
        if selectors.PensionDetermination.objects.filter(pk=pk).exists():
            raise PermissionDenied
        raise Http404
    return determination


@benefits_section
def determination_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A determination (待遇核定): the components, the calculation line by line, every
    input and the parameter versions."""
    determination = _determination(request, pk)
    inputs = determination.inputs or {}
    lines = [Line(msgid, params).render() for msgid, params in inputs.get("explanation", [])]
    return render(
        request,
        "benefits/determination_detail.html",
        {
            "determination": determination,
            "person": determination.person,
            "inputs": inputs,
            "years": inputs.get("contributions", []),
            "lines": lines,
            "parameters": _parameters(determination.parameters or []),
        },
    )


@benefits_section
def determination_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The determination sheet (养老金核定表) as a PDF to print, sign and hand over
    (same scope as the page); the printing is logged."""
    determination = _determination(request, pk)
    content = determination_sheet(request.user, determination)
    record_printed(
        actor=request.user,
        instance=determination.person,
        document=_("Pension determination sheet"),
        determination=determination.pk,
    )
    return pdf_response(content, f"determination-{determination.pk}.pdf")


def determination_sheet(user, determination) -> bytes:
    """养老金核定表: the person, the monthly pension by component, the calculation line
    by line, the inputs, the contribution years and the parameters with their source."""
    person = determination.person
    inputs = determination.inputs or {}
    doc = PdfDocument(
        title=_("Pension determination sheet"),
        issuer=determination.agency.name,
        printed_on=timezone.localdate(),
    )
    doc.facts(
        [
            (_("Full name"), person.name),
            (_("Citizen ID number"), citizen_id_for(user, person.id_number)),
            (_("Sex"), person.get_sex_display()),
            (_("Birth date"), person.birth_date.isoformat()),
            (_("Kind of retirement"), determination.get_kind_display()),
            (_("Retirement date"), determination.retirement_date.isoformat()),
            (_("Retirement month"), str(determination.retirement_month)),
            (_("Status"), determination.get_status_display()),
        ]
    )
    if determination.provisional:
        doc.paragraph(
            _(
                "The calculation base of %(year)s was not yet published: this determination "
                "uses the base of %(base_year)s and is recalculated when the base is entered, "
                "the difference settled in the payroll."
            )
            % {
                "year": determination.retirement_date.year,
                "base_year": determination.calculation_base_year,
            }
        )
    doc.heading(_("Monthly pension"))
    doc.table(
        [_("Component"), _("Amount")],
        [
            (_("Basic pension"), format_money(determination.basic_pension)),
            (_("Personal account pension"), format_money(determination.account_pension)),
            (_("Transitional pension"), format_money(determination.transitional_pension)),
            (_("Extra pension"), format_money(determination.extra_pension)),
        ],
        numeric=[1],
        total=(_("Monthly pension"), format_money(determination.total)),
        widths=[0.6, 0.4],
    )
    doc.heading(_("Calculation"))
    for number, line in enumerate(
        (Line(msgid, params).render() for msgid, params in inputs.get("explanation", [])),
        start=1,
    ):
        doc.paragraph(f"{number}. {line}")
    doc.heading(_("Inputs"))
    doc.facts(
        [
            (_("Months contributed"), determination.actual_months),
            (_("Deemed contribution months"), determination.deemed_months),
            (_("Contribution years"), determination.contribution_years),
            (_("Average contribution index"), determination.average_index),
            (_("Transitional index"), determination.transitional_index),
            (_("Account balance at retirement"), format_money(determination.account_balance)),
            (_("Months divisor"), determination.divisor),
            (
                _("Pension calculation base"),
                f"{format_money(determination.calculation_base)}"
                f" ({determination.calculation_base_year})",
            ),
        ]
    )
    doc.table(
        [
            _("Year"),
            _("Months contributed"),
            _("Sum of monthly bases"),
            _("Average wage of the year before"),
            _("Contribution index"),
        ],
        [
            (
                y.get("year"),
                y.get("months"),
                format_money(y.get("base_total")),
                format_money(y.get("average_wage")),
                y.get("index"),
            )
            for y in inputs.get("contributions", [])
        ],
        numeric=[1, 2, 3, 4],
        empty=_("No contribution years: deemed months only."),
    )
    doc.heading(_("Parameters used"))
    doc.table(
        [_("Parameter"), _("Effective from"), _("Version"), _("Source")],
        [
            (
                p["label"],
                p["effective_from"].isoformat() if p["effective_from"] else "—",
                p["version"] if p["version"] is not None else "—",
                p["source"] or "—",
            )
            for p in _parameters(determination.parameters or [])
        ],
        widths=[0.3, 0.15, 0.1, 0.45],
    )
    doc.facts(
        [
            (_("Approved by"), str(determination.determined_by or "—")),
            (_("Approved on"), timezone.localtime(determination.created_at).date().isoformat()),
        ]
    )
    doc.signatures([_("Handled by"), _("Agency (seal)")])
    return doc.render()


# --- the person page's section -----------------------------------------------------


def person_section_context(request: HttpRequest, person: InsuredPerson) -> dict[str, Any]:
    """The current determination with its total, what it is paid through, the open
    suspension, the adjustments, the survivors' claim and receivables, and the cases
    the user may open: retirement, suspension or resumption, death report, individual
    adjustment, survivors' claim."""
    from benefits.adjustment import adjustments as adjustment
    from benefits.models import Receivable
    from benefits.payroll import recovery
    from benefits.survivors import claims as survivors
    from benefits.suspension import suspensions

    may_prepare = region_allows(request.user, person.region_id, "prepare", model=InsuredPerson)
    current = selectors.current_determination(person)
    suspension = suspensions.open_suspension(person) if current else None
    claim = survivors.survivor_claim_of(person)
    deceased = person.status == PersonStatus.DECEASED
    return {
        "person": person,
        "current": current,
        "suspension": suspension,
        "adjustments": adjustment.determination_adjustments(current) if current else [],
        "claim": claim,
        "receivables": Receivable.objects.filter(person=person).order_by("-created_at"),
        "recoveries": recovery.person_recoveries(person),
        "may_retire": may_prepare and current is None and person.status in retirement.OPEN_STATUSES,
        "may_suspend": may_prepare
        and current is not None
        and current.status == DeterminationStatus.IN_PAYMENT,
        "may_resume": may_prepare and suspension is not None,
        "may_report_death": may_prepare and not deceased,
        "may_adjust": may_prepare and current is not None and not deceased,
        "may_recover": may_prepare
        and current is not None
        and current.status == DeterminationStatus.IN_PAYMENT,
        "may_claim": may_prepare and claim is None,
    }


def payments_section_context(request: HttpRequest, person: InsuredPerson) -> dict[str, Any]:
    """The person's bank payments month by month with their status, and the lines
    (items) of the recent months; what is still due in a coming payroll."""
    from benefits.models import PayrollDue
    from benefits.payroll import runs as payroll

    payments = payroll.person_payments(person)
    runs = {p.run_id for p in payments}
    return {
        "person": person,
        "payments": payments,
        # the runs the user may open: their region's and those above that pay it
        "readable_runs": set(
            payroll.payroll_runs_paying(request.user)
            .filter(pk__in=runs)
            .values_list("pk", flat=True)
        ),
        "lines": payroll.person_payroll_lines(person),
        # a recovery's later instalments are on the benefits section's schedule
        "dues": PayrollDue.objects.filter(person=person, run__isnull=True)
        .filter(
            Q(payable_from__isnull=True)
            | Q(payable_from__lte=Period.from_date(timezone.localdate()))
        )
        .order_by("created_at"),
    }


def certifications_section_context(request: HttpRequest, person: InsuredPerson) -> dict[str, Any]:
    """The person's life certifications, the last one and when the next is due."""
    from benefits.suspension import certification

    current = selectors.current_determination(person)
    return {
        "person": person,
        "current": current,
        "certifications": certification.certifications_of(person)[:24],
        "last": certification.last_certified_on(person) if current else None,
        "due": certification.certification_due_on(person) if current else None,
        "today": timezone.localdate(),
        "may_certify": current is not None
        and region_allows(request.user, person.region_id, "prepare", model=InsuredPerson),
    }
