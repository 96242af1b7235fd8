"""Pages of the three-way reconciliation (三方对账, DESIGN §5.5): the monthly runs, one
run with its balance adjustments (余额调节表) and its sign-off, the breaks (未达账项)
paged and filtered with their workflow, and the account statements banks and finance
posted. Thin: ``funds.reconciliation`` does the work."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from funds import control_totals as totals
from funds import reconciliation as recon
from funds.filtersets import (
    AccountStatementFilterSet,
    ReconciliationBreakPageFilterSet,
    ReconciliationRunFilterSet,
)
from funds.forms import (
    BreakAssignForm,
    BreakCorrectForm,
    BreakExplainForm,
    ControlTotalsForm,
    ReconciliationStartForm,
    SignOffForm,
)
from pension.errors import ApplicationError
from pension.filtersets import region_filter_prefix
from pension.paging import page_of
from pension.periods import Period
from pension.views import section_required


def _filtered(filterset):
    return filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset


def _form_errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


@section_required("funds")
def reconciliation_list(request: HttpRequest) -> HttpResponse:
    """The monthly reconciliations, newest first, 24 a page; a provincial fund
    accountant starts the month's."""
    filterset = ReconciliationRunFilterSet(
        request.GET or None, queryset=recon.runs_for(request.user)
    )
    return render(
        request,
        "funds/reconciliation/run_list.html",
        {
            "filterset": filterset,
            "page": page_of(request, _filtered(filterset), per_page=24),
            "form": ReconciliationStartForm(),
            "may_run": recon.may_run(request.user),
        },
    )


@require_POST
@section_required("funds")
def reconciliation_start(request: HttpRequest) -> HttpResponse:
    form = ReconciliationStartForm(request.POST)
    if form.is_valid():
        try:
            run = recon.reconciliation_run_start(
                actor=request.user, period=form.cleaned_data["period"]
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            return redirect("funds:reconciliation_detail", run.pk)
    messages.error(request, _form_errors(form))
    return redirect("funds:reconciliation_list")


@section_required("funds")
def reconciliation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One month's reconciliation: its figures, its breaks by kind and status, each
    account's balance adjustment (paged, by region) and the sign-off."""
    run = recon.runs_for(request.user).filter(pk=pk).first()
    if run is None:
        raise Http404
    adjustments = recon.adjustments_for(request.user, run)
    region = (request.GET.get("region") or "").strip()
    if region.isdigit() and len(region) in (2, 4, 6):
        adjustments = adjustments.filter(
            account__region__code__startswith=region_filter_prefix(region)
        )
    return render(
        request,
        "funds/reconciliation/run_detail.html",
        {
            "run": run,
            "summary": recon.break_summary(run, request.user),
            "open_count": recon.open_breaks(run).count(),
            "page": page_of(request, adjustments),
            "region": region,
            "form": SignOffForm(),
            "may_sign_off": recon.may_run(request.user),
            "sign_off_link": recon.approval_visible(request.user, run.sign_off),
        },
    )


@require_POST
@section_required("funds")
def reconciliation_sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    run = recon.runs_for(request.user).filter(pk=pk).first()
    if run is None:
        raise Http404
    form = SignOffForm(request.POST)
    if form.is_valid():
        try:
            approval = recon.reconciliation_sign_off(
                actor=request.user, run=run, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("The sign-off was sent to a second person."))
            return redirect("approval_detail", approval.pk)
    messages.error(request, _form_errors(form))
    return redirect("funds:reconciliation_detail", run.pk)


@section_required("funds")
def break_list(request: HttpRequest) -> HttpResponse:
    """Breaks of the user's region and below, 50 a page, filtered by month, kind,
    status, region, account, age and assignee."""
    filterset = ReconciliationBreakPageFilterSet(
        request.GET or None, queryset=recon.breaks_for(request.user), request=request
    )
    page = page_of(request, _filtered(filterset))
    today = timezone.localdate()
    for brk in page.object_list:
        brk.age = recon.break_age_days(brk, today)
    return render(
        request, "funds/reconciliation/break_list.html", {"filterset": filterset, "page": page}
    )


def _break_or_404(request: HttpRequest, pk: int):
    brk = recon.break_detail(user=request.user, pk=pk)
    if brk is None:
        raise Http404
    return brk


@section_required("funds")
def break_detail(request: HttpRequest, pk: int) -> HttpResponse:
    brk = _break_or_404(request, pk)
    may_work = recon.may_work(request.user, brk)
    return render(
        request,
        "funds/reconciliation/break_detail.html",
        {
            "brk": brk,
            "age": recon.break_age_days(brk, timezone.localdate()),
            "may_work": may_work,
            "assign_form": BreakAssignForm(assignees=recon.assignees_for(brk))
            if may_work
            else None,
            "explain_form": BreakExplainForm(initial={"explanation": brk.explanation}),
            "correct_form": BreakCorrectForm(items=recon.correction_items(brk)),
            "correction_link": recon.approval_visible(request.user, brk.correction),
        },
    )


def _break_action(request: HttpRequest, pk: int, form_class, act, **form_kwargs) -> HttpResponse:
    brk = _break_or_404(request, pk)
    form = form_class(request.POST, **{k: v(brk) for k, v in form_kwargs.items()})
    if form.is_valid():
        try:
            result = act(brk, form.cleaned_data)
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            return result or redirect("funds:break_detail", brk.pk)
    messages.error(request, _form_errors(form))
    return redirect("funds:break_detail", brk.pk)


@require_POST
@section_required("funds")
def break_assign(request: HttpRequest, pk: int) -> HttpResponse:
    def act(brk, data):
        recon.break_assign(actor=request.user, brk=brk, assignee=data["assignee"])
        messages.success(request, _("The break was assigned."))

    return _break_action(request, pk, BreakAssignForm, act, assignees=recon.assignees_for)


@require_POST
@section_required("funds")
def break_explain(request: HttpRequest, pk: int) -> HttpResponse:
    def act(brk, data):
        recon.break_explain(
            actor=request.user, brk=brk, explanation=data["explanation"], timing=data["timing"]
        )
        messages.success(request, _("The explanation was recorded."))

    return _break_action(request, pk, BreakExplainForm, act)


@require_POST
@section_required("funds")
def break_correct(request: HttpRequest, pk: int) -> HttpResponse:
    def act(brk, data):
        approval = recon.break_correct(
            actor=request.user, brk=brk, reason=data["reason"], item=data["item"]
        )
        messages.success(request, _("The correcting entry was sent to a second person."))
        return redirect("approval_detail", approval.pk)

    return _break_action(request, pk, BreakCorrectForm, act, items=recon.correction_items)


@section_required("funds")
def statement_list(request: HttpRequest) -> HttpResponse:
    """Account statements of the user's region's accounts, 50 a page."""
    filterset = AccountStatementFilterSet(
        request.GET or None, queryset=recon.statements_for(request.user)
    )
    return render(
        request,
        "funds/reconciliation/statement_list.html",
        {"filterset": filterset, "page": page_of(request, _filtered(filterset))},
    )


@section_required("funds")
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    statement = recon.statements_for(request.user).filter(pk=pk).first()
    if statement is None:
        raise Http404
    return render(
        request,
        "funds/reconciliation/statement_detail.html",
        {"statement": statement, "page": page_of(request, recon.statement_lines(statement))},
    )


@section_required("funds")
def control_totals(request: HttpRequest) -> HttpResponse:
    """The control totals of a month (last month by default) and a region (the user's
    by default), each line green when it closes to the fen, red with the difference."""
    last_month = Period.from_date(timezone.localdate()) - 1
    form = ControlTotalsForm(request.GET or {"period": str(last_month)})
    checks, period, prefix = [], None, None
    if form.is_valid():
        period = form.cleaned_data["period"]
        prefix = totals.region_prefix_for(request.user, form.cleaned_data["region"] or "")
        if prefix is not None:
            checks = totals.control_totals(period=period, region_prefix=prefix)
    return render(
        request,
        "funds/reconciliation/control_totals.html",
        {"form": form, "checks": checks, "period": period, "prefix": prefix},
    )
