"""What every batch run page shares (DESIGN §2.3): the form of a new run, the run
or a 404, whether the user may approve it, the progress bar's figures, the partial the
page polls while the run works, and a transition button's round trip.

Each domain's run pages (assessment, account, payroll, adjustment runs) call these
with their own run, template and service; the run is a ``pension.batches.BatchRun``
(any model with ``processed_count``, ``total_count`` and ``status`` for the bar).
"""

from __future__ import annotations

from collections.abc import Callable, Container
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from pension.choices import Role
from pension.errors import ApplicationError
from pension.forms import ServiceErrorsMixin
from pension.models import Region
from pension.paging import page_of
from pension.periods import PeriodFormField
from pension.scope import region_allows, user_prefix


class RunForm(ServiceErrorsMixin, forms.Form):
    """A new run: the period, a region of the user's own scope, dry run (试算) or live."""

    period = PeriodFormField(label=_("Period"))
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none())
    dry_run = forms.BooleanField(label=_("Dry run"), required=False, initial=True)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = preparable_regions(user)
        if getattr(user, "region", None) is not None:
            self.fields["region"].initial = user.region.code


def preparable_regions(user: Any) -> Any:
    """The regions ``user`` may prepare runs for (their region and below)."""
    prefix = user_prefix(user, Region, "prepare")
    regions = Region.objects.none() if prefix is None else Region.objects.all()
    if prefix:
        regions = regions.filter(code__startswith=prefix)
    elif prefix == "" and getattr(user, "region", None) is not None:
        regions = regions.filter(code__startswith=user.region.code[:2])
    return regions.order_by("code")


def may_create(user: Any) -> bool:
    """Whether the run list offers a new run."""
    return user_prefix(user, Region, "prepare") is not None


def run_or_404(getter: Callable[[Any, int], Any], request: HttpRequest, pk: int) -> Any:
    """``getter(user, pk)`` (a domain's scoped selector), or a 404 outside the scope."""
    try:
        return getter(request.user, pk)
    except ObjectDoesNotExist:
        raise Http404 from None


def may_approve(user: Any, run: Any, *, makers: Container[int | None] = ()) -> bool:
    """Whether the page offers the approve button: a reviewer of the run's region (or
    above) who neither started nor recalculated the run (nor made it otherwise:
    ``makers``); the service checks again, with the level the amount needs."""
    return (
        (user.is_superuser or user.has_role(Role.REVIEWER))
        and region_allows(user, run.region_id, "approve")
        and user.pk not in (run.started_by_id, run.recalculated_by_id)
        and user.pk not in makers
    )


def run_list_page(
    request: HttpRequest,
    runs: Any,
    template: str,
    filterset_class: Any,
    *,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """The run list (``runs``, already limited to the user's scope) filtered by the app's
    ``filterset_class`` (a ``BatchRunFilterSet``) and paged, with the new-run button when
    the user may prepare runs (``extra`` may say otherwise)."""
    filterset = filterset_class(request.GET or None, queryset=runs, request=request)
    page = page_of(request, filterset.qs)  # a wrong value: its message, that filter unused
    context = {"runs": page, "page": page, "filterset": filterset}
    context["may_create"] = may_create(request.user)
    context.update(extra or {})
    return render(request, template, context)


def run_create_page(
    request: HttpRequest,
    *,
    create: Callable[..., Any],
    template: str,
    done: str,
    detail: str,
    period_label: Any = None,
) -> HttpResponse:
    """The new-run page: ``RunForm``, then ``create(actor=, period=, region=,
    dry_run=)``; its refusal on the form, or ``done`` (with ``%(run)s``) and the run's
    page (URL name ``detail``); ``period_label`` names the month when it is not the
    contribution period."""
    form = RunForm(request.POST or None, user=request.user)
    if period_label is not None:  # the payroll's month is the month paid (发放月份)
        form.fields["period"].label = period_label
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            run = create(
                actor=request.user,
                period=data["period"],
                region=data["region"],
                dry_run=data["dry_run"],
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, done % {"run": run.pk})
            return redirect(detail, pk=run.pk)
    return render(request, template, {"form": form})


def startable(batch: Any, run: Any) -> bool:
    """The run may be started (a draft), started again (a failed run) or resumed (a
    running run that no worker is executing: its worker was lost). A run a worker is
    executing right now shows no Resume button."""
    from pension.batches import executing

    if run.status in ("draft", "failed"):
        return True
    return run.status == "running" and not executing(batch, run.pk)


def progress_of(
    run: Any, *, finished: Container[str], working: Container[str] = (), polling: bool | None = None
) -> dict[str, Any]:
    """The bar: the share processed (100 once the run is ``finished``), and whether the
    page keeps polling (while the run is ``working``, unless ``polling`` says)."""
    percent = 100 * run.processed_count // run.total_count if run.total_count else 0
    return {
        "percent": 100 if run.status in finished else percent,
        "polling": run.status in working if polling is None else polling,
    }


def progress_partial(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """The partial the run page polls every 2 s (``context["progress"]`` the bar); once
    the run stops working, htmx reloads the page (``HX-Refresh``) to show the results."""
    response = render(request, template, context)
    if getattr(request, "htmx", False) and not context["progress"]["polling"]:
        response["HX-Refresh"] = "true"
    return response


def run_transition(
    request: HttpRequest,
    run: Any,
    service: Callable[..., Any],
    done: str,
    detail: str,
    *,
    keyword: str = "run",
) -> HttpResponse:
    """Call ``service(actor=user, <keyword>=run)``; its refusal or ``done`` (with
    ``%(<keyword>)s``) as a message, and back to the run page (URL name ``detail``)."""
    try:
        service(actor=request.user, **{keyword: run})
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done % {keyword: run.pk})
    return redirect(detail, pk=run.pk)
