"""Pages of fund revenue and expenditure reporting (基金收支报表, DESIGN §5.5, operations
standard §10.2–§10.5): the monthly revenue and expenditure statement (基金收支月报) with
its Excel export, and the revenue recorded by a case (其他基金收入登记). Thin: selectors
and services."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from funds import other_revenue
from funds.choices import OTHER_REVENUE_ITEMS
from funds.filtersets import OtherRevenueFilterSet
from funds.forms import OtherRevenueForm
from pension.errors import ApplicationError
from pension.models import Region
from pension.paging import page_of
from pension.views import section_required

funds_section = section_required("funds")


def _other_revenue_form(request: HttpRequest, data=None) -> OtherRevenueForm:
    regions = other_revenue.recordable_regions(request.user)
    region = getattr(request.user, "region", None)
    return OtherRevenueForm(
        data,
        regions=regions,
        items=OTHER_REVENUE_ITEMS,
        initial={"region": region.code if region else ""},
    )


def _other_revenue_page(request: HttpRequest, form: OtherRevenueForm) -> HttpResponse:
    filterset = OtherRevenueFilterSet(
        request.GET or None, queryset=other_revenue.other_revenue_list(user=request.user)
    )
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    return render(
        request,
        "funds/statements/other_revenue_list.html",
        {
            "filter": filterset,
            "page": page_of(request, queryset),
            "form": form,
            "may_record": other_revenue.may_record(request.user) and form.fields["region"].choices,
        },
    )


@funds_section
def other_revenue_list(request: HttpRequest) -> HttpResponse:
    """Revenue recorded by a case in the user's region and below, filtered and paged;
    a fund accountant records a new one (sent to a checker)."""
    return _other_revenue_page(request, _other_revenue_form(request))


@funds_section
@require_POST
def other_revenue_create(request: HttpRequest) -> HttpResponse:
    form = _other_revenue_form(request, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            record = other_revenue.other_revenue_request(
                actor=request.user,
                region=Region.objects.get(pk=data["region"]),
                item=data["item"],
                amount=data["amount"],
                received_on=data["received_on"],
                account_kind=data["account_kind"],
                document_reference=data["document_reference"],
                payer=data["payer"],
                memo=data["memo"],
                reason=data["reason"],
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _("Request #%(id)s is waiting for a checker; nothing changes until it is approved.")
                % {"id": record.approval_id},
            )
            return redirect("funds:other_revenue_list")
    return _other_revenue_page(request, form)
