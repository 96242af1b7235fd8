"""Pages of the annual adjustment (待遇调整, §9.4.1) and the individual adjustment case
(零星调整, §9.4.2): the events, one event with its progress bar (htmx polling), its
distribution by component and county and a sample of lines, the start, approve and
discard buttons; the individual adjustment form of a determination.

Thin: they check the section and the region, then call ``benefits.adjustment.adjustments``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from benefits import selectors
from benefits.adjustment import adjustments as adjustment
from benefits.choices import BatchStatus
from benefits.filtersets import AdjustmentEventFilterSet
from benefits.models import AdjustmentEvent, PensionDetermination
from pension.batch_views import (
    may_approve,
    progress_of,
    progress_partial,
    run_transition,
    startable,
)
from pension.choices import Role
from pension.errors import ApplicationError
from pension.forms import ServiceErrorsMixin
from pension.imports import UploadField
from pension.paging import page_of
from pension.periods import PeriodFormField
from pension.scope import region_allows
from pension.selectors import profile_for_region
from pension.views import section_required, sent_to_reviewer

benefits_section = section_required("benefits")
WORKING = (BatchStatus.RUNNING,)
DATE = forms.DateInput(attrs={"type": "date"})


class AgeBandsField(forms.CharField):
    """Age bands typed one a line: ``minimum age, amount`` (e.g. ``70, 30.00``)."""

    def to_python(self, value: Any) -> list[dict[str, Any]]:
        text = super().to_python(value) or ""
        bands = []
        for line in text.replace("，", ",").splitlines():
            if not line.strip():
                continue
            age, sep, amount = line.partition(",")
            try:
                if not sep:
                    raise ValueError
                bands.append({"min_age": int(age.strip()), "amount": str(Decimal(amount.strip()))})
            except (ValueError, InvalidOperation):
                raise forms.ValidationError(
                    _("Write one band a line: the minimum age, a comma, the amount (70, 30.00)."),
                    code="age_bands",
                ) from None
        return bands


class AdjustmentEventForm(ServiceErrorsMixin, forms.Form):
    """The year's adjustment notice (调整方案): amounts, percentage, bands, cut-off."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    name = forms.CharField(label=_("Name"), max_length=200)
    flat_amount = forms.DecimalField(
        label=_("Flat amount"), min_value=0, max_digits=14, decimal_places=2, initial=0
    )
    per_year_amount = forms.DecimalField(
        label=_("Amount per whole contribution year"), min_value=0, max_digits=14,
        decimal_places=2, initial=0,
    )  # fmt: skip
    percentage = forms.DecimalField(
        label=_("Percentage of the pension"), min_value=0, max_value=100, max_digits=7,
        decimal_places=4, initial=0,
        help_text=_("In per cent: 2.5 means 2.5 per cent of the pension."),
    )  # fmt: skip
    age_bands = AgeBandsField(
        label=_("Age bands"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One band a line: the minimum age reached by 31 December, a comma, the monthly "
            "amount (70, 30.00). The highest band reached applies."
        ),
    )  # fmt: skip
    cutoff_date = forms.DateField(label=_("Retired on or before"), widget=DATE)


class IndividualAdjustmentForm(ServiceErrorsMixin, forms.Form):
    """An individual adjustment (零星调整): the monthly increase, from when, why."""

    monthly_amount = forms.DecimalField(
        label=_("Monthly increase"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )
    effective_from = PeriodFormField(label=_("Effective from"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    attachment = UploadField(
        label=_("Supporting document"),
        help_text=_("A scan of the decision or the document the adjustment rests on."),
    )


def _event(request: HttpRequest, pk: int) -> AdjustmentEvent:
    try:
        return adjustment.adjustment_event_get(request.user, pk)
    except AdjustmentEvent.DoesNotExist:
        if AdjustmentEvent.objects.filter(pk=pk).exists():
            raise PermissionDenied from None
        raise Http404 from None


def _may_create(user) -> bool:
    return user.is_superuser or user.has_role(
        Role.CASEWORKER, Role.FUND_ACCOUNTANT, Role.PROVINCE_ADMIN
    )


@benefits_section
def adjustment_event_list(request: HttpRequest) -> HttpResponse:
    filterset = AdjustmentEventFilterSet(
        request.GET or None, queryset=adjustment.adjustment_events(request.user), request=request
    )
    page = page_of(request, filterset.qs)
    return render(
        request,
        "benefits/adjustment_event_list.html",
        {
            "events": page,
            "page": page,
            "filterset": filterset,
            "may_create": _may_create(request.user),
        },
    )


@benefits_section
def adjustment_event_create(request: HttpRequest) -> HttpResponse:
    initial = {"year": timezone.localdate().year}
    form = AdjustmentEventForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        province = profile_for_region(getattr(request.user, "region", None)).province
        try:
            event = adjustment.adjustment_event_create(
                actor=request.user,
                year=data["year"],
                region=province,
                name=data["name"],
                flat_amount=data["flat_amount"],
                per_year_amount=data["per_year_amount"],
                percentage=data["percentage"],
                age_bands=data["age_bands"],
                cutoff_date=data["cutoff_date"],
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                gettext("Adjustment event %(event)s created; start it to calculate.")
                % {"event": event.pk},
            )
            return redirect("benefits:adjustment_event_detail", pk=event.pk)
    return render(request, "benefits/adjustment_event_form.html", {"form": form})


def _working(event: AdjustmentEvent) -> bool:
    """Running, or approved on the page and waiting for the worker."""
    queued = event.status == BatchStatus.CALCULATED and "approval_queued" in event.parameters
    return event.status in WORKING or queued


def _progress(event: AdjustmentEvent) -> dict[str, Any]:
    finished = (BatchStatus.CALCULATED, BatchStatus.APPROVED)
    return progress_of(event, finished=finished, polling=_working(event))


@benefits_section
def adjustment_event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    user = request.user
    may_prepare = region_allows(user, event.region_id, "prepare")
    totals = adjustment.event_totals(event)
    components = [
        (_("Flat amount"), totals.get("flat_amount")),
        (_("By contribution years"), totals.get("per_year_amount")),
        (_("By percentage"), totals.get("percentage_amount")),
        (_("Age band"), totals.get("age_band_amount")),
        (_("Monthly increase"), totals.get("monthly_amount")),
    ]
    return render(
        request,
        "benefits/adjustment_event_detail.html",
        {
            "event": event,
            "progress": _progress(event),
            "components": components if totals else [],
            "counties": adjustment.event_by_county(event),
            "sample": adjustment.event_sample(event),
            "may_start": may_prepare and startable(adjustment.BATCH, event),
            "may_approve": event.status == BatchStatus.CALCULATED
            and "approval_queued" not in event.parameters
            and may_approve(user, event, makers={event.created_by_id}),
            "may_discard": may_prepare
            and event.status in (BatchStatus.DRAFT, BatchStatus.CALCULATED, BatchStatus.FAILED)
            and "approval_queued" not in event.parameters,
        },
    )


@benefits_section
def adjustment_event_progress(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    context = {"event": event, "progress": _progress(event)}
    return progress_partial(request, "benefits/adjustment_event_progress.html", context)


def _transition(request: HttpRequest, pk: int, service, done: str) -> HttpResponse:
    event = _event(request, pk)
    detail = "benefits:adjustment_event_detail"
    return run_transition(request, event, service, done, detail, keyword="event")


@benefits_section
@require_POST
def adjustment_event_start(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(
        request, pk, adjustment.adjustment_event_start,
        gettext("Adjustment event %(event)s started."),
    )  # fmt: skip


@benefits_section
@require_POST
def adjustment_event_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(
        request, pk, adjustment.adjustment_event_approve_queue,
        gettext(
            "Adjustment event %(event)s approved: the adjustments come into force with their "
            "back pay on a worker; this page follows."
        ),
    )  # fmt: skip


@benefits_section
@require_POST
def adjustment_event_discard(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(
        request, pk, adjustment.adjustment_event_discard,
        gettext("Adjustment event %(event)s discarded."),
    )  # fmt: skip


@benefits_section
def individual_adjustment(request: HttpRequest, pk: int) -> HttpResponse:
    """The individual adjustment case of a determination (零星调整)."""
    determination = (
        PensionDetermination.objects.select_related("person", "region", "agency")
        .filter(pk=pk)
        .first()
    )
    if determination is None:
        raise Http404
    if not region_allows(request.user, determination.person.region_id, "prepare"):
        raise PermissionDenied
    form = IndividualAdjustmentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            approval = adjustment.individual_adjustment_request(
                actor=request.user,
                determination=determination,
                monthly_amount=data["monthly_amount"],
                effective_from=data["effective_from"],
                reason=data["reason"],
                attachments=[data["attachment"]],
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            return sent_to_reviewer(request, approval)
    return render(
        request,
        "benefits/adjustment_individual.html",
        {
            "determination": determination,
            "person": determination.person,
            "form": form,
            "adjustments": adjustment.determination_adjustments(determination),
            "current": selectors.current_determination(determination.person),
        },
    )
