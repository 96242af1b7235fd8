"""Pages of fund revenue and expenditure reporting (基金收支报表, DESIGN §5.5, operations
standard §10.2–§10.5): the monthly revenue and expenditure statement (基金收支月报) with
its Excel export, and the revenue recorded by a case (其他基金收入登记). Thin: selectors
and services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from funds import other_revenue, statements
from funds.choices import OTHER_REVENUE_ITEMS
from funds.filtersets import OtherRevenueFilterSet
from funds.forms import OtherRevenueForm, StatementForm
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


# --- the monthly revenue and expenditure statement (基金收支月报) ---


def _statement(request: HttpRequest):
    """The statement the query asks for (region, period), the form, or a 403 for a
    region outside the user's."""
    user = request.user
    region = statements.statement_region_for(user, request.GET.get("region"))
    if region is None:
        raise PermissionDenied
    form = StatementForm(
        request.GET or None,
        regions=statements.statement_regions(user),
        initial={"region": region.code},
    )
    period = statements.latest_period(today=timezone.localdate())
    if form.is_valid() and form.cleaned_data.get("period"):
        period = form.cleaned_data["period"]
    return form, statements.revenue_expenditure_statement(region=region, period=period)


@funds_section
def statement(request: HttpRequest) -> HttpResponse:
    """The statement of the user's region (or one below) for a month, with the regions
    one level below and the Excel download."""
    form, result = _statement(request)
    return render(
        request,
        "funds/statements/statement.html",
        {"form": form, "statement": result},
    )


@funds_section
def statement_export(request: HttpRequest) -> HttpResponse:
    _form, result = _statement(request)
    response = HttpResponse(
        statements.statement_workbook(result), content_type=statements.CONTENT_TYPE
    )
    name = f"fund-statement-{result.region.code}-{result.period}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
