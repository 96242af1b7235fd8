"""Pages of the fund ledger (基金会计账, DESIGN §5.5): accounts with their balances,
journal entries (paged, filtered), one entry, the accounting periods with their close
(maker-checker) and the month-end close runs. Thin: selectors and services."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from funds import close, ledger, selectors
from funds.filtersets import CloseRunFilterSet, FundAccountFilterSet, JournalEntryFilterSet
from funds.forms import PeriodActionForm
from pension.errors import ApplicationError
from pension.paging import page_of
from pension.views import DomainIndexView, section_required

index = DomainIndexView.as_view(domain="funds", template_name="funds/index.html")


def _filtered(filterset):
    return filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset


@section_required("funds")
def account_list(request: HttpRequest) -> HttpResponse:
    """Fund accounts of the user's region and below, with their balances (借方余额 −
    贷方余额), 50 a page."""
    filterset = FundAccountFilterSet(
        request.GET or None, queryset=selectors.account_list(user=request.user)
    )
    page = page_of(request, _filtered(filterset))
    return render(request, "funds/account_list.html", {"filterset": filterset, "page": page})


@section_required("funds")
def entry_list(request: HttpRequest) -> HttpResponse:
    """Journal entries with a leg in the user's region, newest first, 50 a page."""
    filterset = JournalEntryFilterSet(
        request.GET or None, queryset=selectors.entry_list(user=request.user)
    )
    page = page_of(request, _filtered(filterset))
    selectors.entry_totals(page.object_list)
    return render(request, "funds/entry_list.html", {"filterset": filterset, "page": page})


@section_required("funds")
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = selectors.entry_detail(user=request.user, pk=pk)
    if entry is None:
        raise Http404
    return render(request, "funds/entry_detail.html", {"entry": entry})


@section_required("funds")
def period_list(request: HttpRequest) -> HttpResponse:
    """Accounting periods and the month-end close runs; a provincial fund accountant
    proposes a period's close (approved by a second person in the work queue) and
    starts the month-end close."""
    filterset = CloseRunFilterSet(
        request.GET or None, queryset=selectors.close_run_list(user=request.user)
    )
    return render(
        request,
        "funds/period_list.html",
        {
            "periods": page_of(request, selectors.period_list(), per_page=24),
            "filterset": filterset,
            "runs": _filtered(filterset)[:24],
            "form": PeriodActionForm(),
            "may_close": ledger.may_close(request.user),
        },
    )


def _period_action(request: HttpRequest, action) -> HttpResponse:
    form = PeriodActionForm(request.POST)
    if form.is_valid():
        try:
            result = action(form.cleaned_data)
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            return result
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("funds:period_list")


@require_POST
@section_required("funds")
def period_close(request: HttpRequest) -> HttpResponse:
    def act(data):
        approval = ledger.period_close(
            actor=request.user, period=data["period"], reason=data["reason"]
        )
        messages.success(request, _("The close was sent for approval."))
        return redirect("approval_detail", approval.pk)

    return _period_action(request, act)


@require_POST
@section_required("funds")
def close_run_start(request: HttpRequest) -> HttpResponse:
    def act(data):
        run = close.close_run_start(actor=request.user, period=data["period"])
        return redirect("funds:close_run_detail", run.pk)

    return _period_action(request, act)


@section_required("funds")
def close_run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.close_run_list(user=request.user).filter(pk=pk).first()
    if run is None:
        raise Http404
    return render(request, "funds/close_run_detail.html", {"run": run})
