"""Pages of personal pension accounts (个人账户): the account with its ledger and yearly
statement (printable), the cases (transfer out and in, settlement, reversal), the
batches (crediting, interest) with progress bars, and the person page's section.
Thin: they check the input and call ``accounts.services``, ``accounts.cases`` and
``accounts.runs``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts import cases, runs, selectors
from accounts.choices import AccountStatus, RunKind, RunStatus
from accounts.filtersets import AccountRunFilterSet, InterestLineFilterSet
from accounts.forms import (
    CreditingRunForm,
    InterestRunForm,
    ReversalForm,
    SettlementForm,
    TransferInForm,
    TransferOutForm,
)
from accounts.models import AccountEntry, AccountRun, PensionAccount
from enrollment.models import InsuredPerson
from pension.batch_views import (
    may_approve,
    progress_of,
    progress_partial,
    run_list_page,
    run_or_404,
    run_transition,
    startable,
)
from pension.charts import chart
from pension.choices import Role
from pension.errors import ApplicationError
from pension.money import format_money
from pension.paging import page_of
from pension.pdf import PdfDocument, pdf_response, record_printed
from pension.privacy import citizen_id_for
from pension.rules import rule_text
from pension.scope import region_allows, run_part_of
from pension.views import section_required

accounts_section = section_required("accounts")
COUNT_LABELS = {
    "opened": _("Accounts opened"),
    "reopened": _("Sealed accounts reopened"),
    "closed_skipped": _("Lines of closed accounts, not credited"),
}
# a worker has the run: running, approved and waiting to be posted, or posting
WORKING = (RunStatus.RUNNING, RunStatus.APPROVED, RunStatus.POSTING)


@accounts_section
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/index.html", {})


def _account(request: HttpRequest, pk: int, action: str = "view") -> PensionAccount:
    account = (
        PensionAccount.objects.select_related("person__region", "person__agency")
        .filter(pk=pk)
        .first()
    )
    if account is None:
        raise Http404
    if not region_allows(request.user, account.person.region_id, action, model=InsuredPerson):
        raise PermissionDenied
    return account


def _may_prepare(request: HttpRequest, person: InsuredPerson) -> bool:
    return region_allows(request.user, person.region_id, "prepare", model=InsuredPerson)


@accounts_section
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk)
    today = timezone.localdate()
    return render(
        request,
        "accounts/account_detail.html",
        {
            "account": account,
            "person": account.person,
            "balance": selectors.account_balance_split(account, year=today.year),
            "years": selectors.account_statement(account),
            "entries": selectors.account_entries(account).select_related("contribution_line"),
            "transfers": selectors.account_transfers(account),
            "may_prepare": _may_prepare(request, account.person)
            and account.status in (AccountStatus.OPEN, AccountStatus.SEALED),
        },
    )


@accounts_section
def account_statement(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    """The printable yearly statement (个人账户对账单): print stylesheet, in Chinese."""
    account = _account(request, pk)
    years = {y.year: y for y in selectors.account_statement(account, with_entries=True)}
    if year not in years:
        raise Http404
    return render(
        request,
        "accounts/statement.html",
        {
            "account": account,
            "person": account.person,
            "year": years[year],
            "printed_on": timezone.localdate(),
        },
    )


@accounts_section
def account_statement_pdf(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    """The yearly statement as a PDF to print and hand over (same scope as the page);
    the printing is logged."""
    account = _account(request, pk)
    years = {y.year: y for y in selectors.account_statement(account, with_entries=True)}
    if year not in years:
        raise Http404
    content = statement_pdf(request.user, account, years[year])
    record_printed(
        actor=request.user,
        instance=account.person,
        document=gettext("Personal account statement %(year)s") % {"year": year},
    )
    return pdf_response(content, f"account-statement-{account.pk}-{year}.pdf")


def statement_pdf(user, account: PensionAccount, year) -> bytes:
    """个人账户对账单: the person, the year's summary and its entries."""
    person = account.person
    doc = PdfDocument(
        title=gettext("Personal account statement %(year)s") % {"year": year.year},
        issuer=person.agency.name,
        printed_on=timezone.localdate(),
    )
    doc.facts(
        [
            (gettext("Full name"), person.name),
            (gettext("Citizen ID number"), citizen_id_for(user, person.id_number)),
            (gettext("Region"), person.region.name),
            (gettext("Status"), account.get_status_display()),
            (gettext("Opened in"), str(account.opened_period)),
            (gettext("Printed on"), timezone.localdate().isoformat()),
        ]
    )
    doc.table(
        [gettext("Statement item"), gettext("Amount")],
        [
            (gettext("Balance at last year-end"), format_money(year.opening)),
            (gettext("Contribution credits"), format_money(year.credits)),
            (gettext("Months credited"), year.credit_months),
            (gettext("Interest"), format_money(year.interest)),
            (gettext("Other entries"), format_money(year.other)),
            (gettext("Balance at year-end"), format_money(year.closing)),
        ],
        numeric=[1],
        widths=[0.6, 0.4],
    )
    doc.heading(gettext("Account entries of the year"))
    doc.table(
        [
            gettext("Period"),
            gettext("Earns interest from"),
            gettext("Kind"),
            gettext("Amount"),
            gettext("Rule version"),
        ],
        [
            (
                str(e.period),
                str(e.value_period),
                e.get_kind_display(),
                format_money(e.amount),
                rule_text(e.rule) if e.rule else "",
            )
            for e in year.entries
        ],
        numeric=[3],
        widths=[0.13, 0.15, 0.17, 0.17, 0.38],
    )
    doc.paragraph(
        gettext(
            "The balance is the sum of the entries; interest is credited once a year by "
            "the monthly-product method at the announced crediting rate."
        )
    )
    doc.signatures([gettext("Handled by"), gettext("Agency (seal)")])
    return doc.render()


def _case_page(request, account_or_person, form, title, *, figures=None) -> HttpResponse:
    person = getattr(account_or_person, "person", account_or_person)
    return render(
        request,
        "accounts/case_form.html",
        {"form": form, "person": person, "title": title, "figures": figures},
    )


def _submitted(request: HttpRequest, approval) -> HttpResponse:
    messages.success(
        request,
        gettext("Case %(id)s submitted; it waits for a reviewer.") % {"id": approval.pk},
    )
    return redirect("approval_detail", pk=approval.pk)


@accounts_section
def transfer_out(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk, "prepare")
    form = TransferOutForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            approval = cases.transfer_out_request(
                actor=request.user,
                account=account,
                other_province=data["other_province"],
                certificate_number=data["certificate_number"],
                payee_name=data["payee_name"],
                payee_bank=data["payee_bank"],
                payee_account=data["payee_account"],
                reason=data["reason"],
                attachments=[data["attachment"]],
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            return _submitted(request, approval)
    try:
        figures = cases.transfer_out_figures(account, on=timezone.localdate())
    except ApplicationError as error:
        figures = None
        form.add_service_error(error)
    title = _("Transfer of %(name)s to another province") % {"name": account.person.name}
    return _case_page(request, account, form, title, figures=figures)


@accounts_section
def settlement(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk, "prepare")
    form = SettlementForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            approval = cases.settlement_request(
                actor=request.user,
                account=account,
                reason_kind=data["reason_kind"],
                payee_name=data["payee_name"],
                payee_bank=data["payee_bank"],
                payee_account=data["payee_account"],
                reason=data["reason"],
                attachments=[data["attachment"]],
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            return _submitted(request, approval)
    title = _("Settlement of the account of %(name)s") % {"name": account.person.name}
    return _case_page(request, account, form, title)


@accounts_section
def transfer_in(request: HttpRequest, person_pk: int) -> HttpResponse:
    person = InsuredPerson.objects.select_related("region", "agency").filter(pk=person_pk).first()
    if person is None:
        raise Http404
    if not _may_prepare(request, person):
        raise PermissionDenied
    form = TransferInForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            approval = cases.transfer_in_request(
                actor=request.user,
                person=person,
                other_province=data["other_province"],
                certificate_number=data["certificate_number"],
                account_amount=data["account_amount"],
                pooled_amount=data["pooled_amount"],
                history=data["history"],
                reason=data["reason"],
                attachments=[data["attachment"]],
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            return _submitted(request, approval)
    title = _("Transfer of %(name)s from another province") % {"name": person.name}
    return _case_page(request, person, form, title)


@accounts_section
def entry_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    entry = AccountEntry.objects.select_related("account__person").filter(pk=pk).first()
    if entry is None:
        raise Http404
    account = _account(request, entry.account_id, "prepare")
    form = ReversalForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            approval = cases.entry_reversal_request(
                actor=request.user,
                entry=entry,
                reason=form.cleaned_data["reason"],
                attachments=[form.cleaned_data["attachment"]],
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            return _submitted(request, approval)
    title = _("Reversal of the entry %(period)s %(amount)s") % {
        "period": entry.period,
        "amount": format_money(entry.amount),
    }
    return _case_page(request, account, form, title)


# --- batches ------------------------------------------------------------------------


def _run(request: HttpRequest, pk: int) -> AccountRun:
    return run_or_404(runs.account_run_get, request, pk)


def _readable_run(request: HttpRequest, pk: int) -> AccountRun:
    """A run to read: the user's region's, or one of a region above that covers theirs."""
    return run_or_404(lambda user, pk: runs.account_runs_covering(user).get(pk=pk), request, pk)


@accounts_section
def run_list(request: HttpRequest) -> HttpResponse:
    may_create = request.user.is_superuser or request.user.has_role(
        Role.CASEWORKER, Role.FUND_ACCOUNTANT
    )
    return run_list_page(
        request,
        runs.account_runs_covering(request.user),
        "accounts/run_list.html",
        AccountRunFilterSet,
        extra={"may_create": may_create},
    )


@accounts_section
def run_create(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in RunKind.values:
        raise Http404
    form_class = InterestRunForm if kind == RunKind.INTEREST else CreditingRunForm
    form = form_class(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if kind == RunKind.INTEREST:
                run = runs.interest_run_create(
                    actor=request.user,
                    region=data["region"],
                    year=data["year"],
                    dry_run=data["dry_run"],
                )
            else:
                run = runs.crediting_run_create(actor=request.user, region=data["region"])
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, gettext("Run %(run)s created.") % {"run": run.pk})
            return redirect("accounts:run_detail", pk=run.pk)
    return render(request, "accounts/run_form.html", {"form": form, "kind": RunKind(kind).label})


def _progress(run: AccountRun) -> dict[str, Any]:
    finished = (RunStatus.CALCULATED, RunStatus.APPROVED, RunStatus.POSTED)
    return progress_of(run, finished=finished, working=WORKING)


@accounts_section
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A run: status, counts and totals, the actions; an interest run's lines filtered
    (``InterestLineFilterSet``) and paged. Of a run of a region above the user's (the
    province's), their region's part only, read-only."""
    run = _readable_run(request, pk)
    user = request.user
    prefix = run_part_of(user, run)
    interest = run.kind == RunKind.INTEREST
    lines = (
        InterestLineFilterSet(request.GET or None, queryset=runs.run_lines(run, prefix=prefix))
        if interest
        else None
    )
    page = page_of(request, lines.qs) if lines is not None else None
    if prefix is not None:
        return render(
            request,
            "accounts/run_detail.html",
            {
                "run": run,
                "progress": _progress(run),
                "part": runs.account_run_part(run, prefix),
                "region": user.region,
                "filterset": lines,
                "page": page,
            },
        )
    may_prepare = region_allows(user, run.region_id, "prepare")
    return render(
        request,
        "accounts/run_detail.html",
        {
            "run": run,
            "progress": _progress(run),
            "filterset": lines,
            "page": page,
            "previous": runs.previous_interest_run(run) if interest else None,
            "counts": [
                (COUNT_LABELS.get(key, key), value)
                for key, value in run.parameters.get("counts", {}).items()
            ],
            "may_start": may_prepare
            and startable(runs.BATCH, run)
            and not run.parameters.get("discarded"),
            "may_approve": interest
            and not run.dry_run
            and run.status == RunStatus.CALCULATED
            and may_approve(user, run),
            "may_discard": interest
            and may_prepare
            and run.status in (RunStatus.DRAFT, RunStatus.CALCULATED)
            and not run.parameters.get("discarded"),
        },
    )


@accounts_section
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    run = _readable_run(request, pk)
    return progress_partial(
        request, "accounts/run_progress.html", {"run": run, "progress": _progress(run)}
    )


def _transition(request: HttpRequest, pk: int, service, done: str) -> HttpResponse:
    return run_transition(request, _run(request, pk), service, done, "accounts:run_detail")


@accounts_section
@require_POST
def run_start(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    service = runs.interest_run_start if run.kind == RunKind.INTEREST else runs.crediting_run_start
    return _transition(request, pk, service, gettext("Run %(run)s started."))


@accounts_section
@require_POST
def run_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(
        request, pk, runs.interest_run_approve, gettext("Run %(run)s approved; posting follows.")
    )


@accounts_section
@require_POST
def run_discard(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, runs.interest_run_discard, gettext("Run %(run)s discarded."))


# --- the person page's section --------------------------------------------------------


def person_section_context(request: HttpRequest, person: InsuredPerson) -> dict[str, Any]:
    """The account in short: status, balance and its split, the years."""
    account = selectors.account_of_person(person)
    today = timezone.localdate()
    years = selectors.account_statement(account) if account else []
    return {
        "person": person,
        "account": account,
        "balance": selectors.account_balance_split(account, year=today.year) if account else None,
        "years": years,
        "chart": chart(
            "account-balance-chart",
            title=gettext("Account balance by year"),
            categories=[y.year for y in years],
            series=[
                (gettext("Balance at year-end"), [y.closing for y in years]),
                (gettext("Contribution credits"), [y.credits for y in years]),
                (gettext("Interest"), [y.interest for y in years]),
            ],
            unit=gettext("yuan"),
        )
        if years
        else None,
        "may_prepare": _may_prepare(request, person),
    }
