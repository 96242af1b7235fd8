"""Pages of budget (基金预算, DESIGN §5.6): the versions with the draft, its assumptions
and editable lines, the approval chain's steps, versions side by side, the five-year
projection, collection targets, execution monitoring, final accounts, gap-sharing and
the scorecards (with their Excel export), and the month-end snapshots.

Thin: each page checks the section (``section_required("budget")``), reads through
``budget.selectors`` (which keeps a city's staff to their city, a county's to their
county) and writes through ``budget.services`` and ``budget.snapshot``."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from budget import calc, scorecard_excel, selectors, services, snapshot
from budget.choices import BudgetStatus, Indicator
from budget.filtersets import (
    BudgetVersionFilterSet,
    CollectionTargetFilterSet,
    GapPaymentFilterSet,
    SnapshotRunFilterSet,
)
from budget.forms import (
    CompareForm,
    DraftForm,
    ExecutionFilter,
    GapPaymentForm,
    LinesForm,
    ScorecardFilter,
    SnapshotForm,
    TargetForm,
    YearFilter,
)
from pension.charts import chart
from pension.choices import RegionLevel, Role
from pension.errors import ApplicationError
from pension.paging import page_of
from pension.periods import Period
from pension.views import DomainIndexView, section_required

index = DomainIndexView.as_view(domain="budget", template_name="budget/index.html")
budget_section = section_required("budget")


def _filtered(filterset):
    return filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset


def _errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def _today():
    return timezone.localdate()


def _year(request: HttpRequest, default: int | None = None) -> tuple[YearFilter, int]:
    form = YearFilter(request.GET or None)
    year = default or _today().year
    if form.is_bound and form.is_valid():
        year = form.cleaned_data["year"]
    elif not form.is_bound:
        form = YearFilter(initial={"year": year})
    return form, year


# --- versions ---------------------------------------------------------------------------


@budget_section
def version_list(request: HttpRequest) -> HttpResponse:
    """The province's budget versions, newest year first, filtered and paged; the
    budget officer's form for a new draft (an adjustment plan once the year's budget
    is approved)."""
    user = request.user
    filterset = BudgetVersionFilterSet(
        request.GET or None, queryset=selectors.budget_versions(user)
    )
    context = {
        "filter": filterset,
        "page": page_of(request, _filtered(filterset)),
        "may_draft": services.may_draft(user),
        "draft_form": DraftForm(initial={"year": _today().year + 1, **DRAFT_DEFAULTS}),
    }
    return render(request, "budget/version_list.html", context)


# working defaults of the draft form, shown for the officer to change (not policy)
DRAFT_DEFAULTS = {
    "insured_growth": Decimal("0.0200"),
    "contributor_growth": Decimal("0.0200"),
    "wage_growth": Decimal("0.0500"),
    "collection_rate": Decimal("0.9500"),
    "adjustment_rate": Decimal("0.0200"),
}


@budget_section
@require_POST
def version_draft(request: HttpRequest) -> HttpResponse:
    form = DraftForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        forecast = calc.Forecast(
            insured_growth=data["insured_growth"],
            contributor_growth=data["contributor_growth"],
            wage_growth=data["wage_growth"],
            collection_rate=data["collection_rate"],
            adjustment_rate=data["adjustment_rate"],
        )
        try:
            version = services.budget_draft_create(
                actor=request.user, year=data["year"], forecast=forecast, note=data["note"]
            )
        except ApplicationError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The draft is computed; check and edit its lines."))
            return redirect("budget:version_detail", version.pk)
    else:
        messages.error(request, _errors(form))
    return redirect("budget:version_list")


def _version(request: HttpRequest, pk: int):
    version = selectors.budget_version(request.user, pk)
    if version is None:
        raise Http404
    return version


def _detail(request: HttpRequest, version, lines_form: LinesForm | None = None) -> HttpResponse:
    user = request.user
    cities = selectors.visible_cities(user)
    editable = version.status == BudgetStatus.DRAFT and services.may_draft(user)
    if editable and lines_form is None:
        lines_form = LinesForm(
            regions=cities, lines={(ln.region_id, ln.item): ln.amount for ln in version.lines.all()}
        )
    step = services.may_take_step(user, version)
    assumptions = version.assumptions or {}
    context = {
        "version": version,
        "table": selectors.version_table_for(user, version),
        "forecast": _forecast_rows(assumptions.get("forecast") or {}),
        "assumptions": assumptions,
        "city_bases": _city_bases(assumptions, cities),
        "lines_form": lines_form if editable else None,
        "step": step,
        "step_label": STEP_LABELS.get(step),
        "waiting_for": WAITING_FOR.get(services.next_step(version) or ""),
        "others": selectors.budget_versions(user).filter(budget=version.budget),
        "sees_totals": selectors.sees_province_totals(user),
    }
    return render(request, "budget/version_detail.html", context)


FORECAST_LABELS = {
    "insured_growth": _lazy("Insured growth rate"),
    "contributor_growth": _lazy("Contributor growth rate"),
    "wage_growth": _lazy("Wage growth rate"),
    "collection_rate": _lazy("Collection rate"),
    "adjustment_rate": _lazy("Pension adjustment rate"),
}
STEP_LABELS = {
    "submit": _lazy("Submit for review"),
    "review_hrss": _lazy("Review for HR and social security"),
    "review_finance": _lazy("Review for finance"),
    "approve": _lazy("Approve for the government"),
}
WAITING_FOR = {
    "submit": _lazy("the budget officer's submission"),
    "review_hrss": _lazy("the review of the province's agency head (HR and social security)"),
    "review_finance": _lazy("the finance department's review"),
    "approve": _lazy("the government's approval"),
}


def _forecast_rows(forecast: dict) -> list[tuple[str, Decimal]]:
    return [(label, Decimal(forecast[k])) for k, label in FORECAST_LABELS.items() if k in forecast]


def _city_bases(assumptions: dict, cities) -> list[dict]:
    bases = assumptions.get("cities") or {}
    return [{"name": c.name, "code": c.code, **bases[c.code]} for c in cities if c.code in bases]


@budget_section
def version_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _version(request, pk))


@budget_section
@require_POST
def version_lines(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the edited amounts as the next version (the draft is kept)."""
    version = _version(request, pk)
    form = LinesForm(
        request.POST,
        regions=selectors.visible_cities(request.user),
        lines={(ln.region_id, ln.item): ln.amount for ln in version.lines.all()},
    )
    if not form.is_valid():
        return _detail(request, version, lines_form=form)
    try:
        edited = services.budget_version_edit(
            actor=request.user, version_id=version.pk, amounts=form.changed_amounts(),
            note=form.cleaned_data["note"],
        )  # fmt: skip
    except ApplicationError as error:
        messages.error(request, str(error))
        return redirect("budget:version_detail", version.pk)
    messages.success(request, _("Saved as version %(number)s.") % {"number": edited.number})
    return redirect("budget:version_detail", edited.pk)


@budget_section
@require_POST
def version_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """One step of the chain: the service refuses the wrong role, order or person."""
    version = _version(request, pk)
    if step not in services.STEPS:
        raise Http404
    try:
        services.budget_version_step(actor=request.user, version_id=version.pk, step=step)
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Done: %(step)s.") % {"step": STEP_LABELS[step]})
    return redirect("budget:version_detail", version.pk)


@budget_section
def version_compare(request: HttpRequest) -> HttpResponse:
    """Versions of one budget side by side (province totals, or the user's city's)."""
    user = request.user
    versions = selectors.budget_versions(user)
    choices = [(v.pk, f"{v.budget.year} v{v.number}") for v in versions[:200]]
    form = CompareForm(request.GET or None, choices=choices)
    chosen, rows = [], []
    if form.is_bound and form.is_valid():
        chosen = sorted(
            versions.filter(pk__in=form.cleaned_data["versions"]),
            key=lambda v: (v.budget.year, v.number),
        )
        rows = selectors.compare_for(user, chosen)
    context = {"form": form, "versions": chosen, "rows": rows, "chosen_ids": [v.pk for v in chosen]}
    return render(request, "budget/compare.html", context)


@budget_section
def version_projection(request: HttpRequest, pk: int) -> HttpResponse:
    """Five years of the pooled fund from the version (income, expenditure, balance,
    months of reserve) with its assumptions and the opening balance."""
    version = _version(request, pk)
    years, opening = selectors.projection_for(version)
    cities = (version.assumptions or {}).get("cities") or {}
    retirees = sum(c["retirees"] for c in cities.values())
    retiring = sum(c["retiring_next_year"] for c in cities.values())
    context = {
        "version": version,
        "years": years,
        "opening": opening,
        "forecast": _forecast_rows((version.assumptions or {}).get("forecast") or {}),
        "retiree_growth": calc.ratio(retiring, retirees),
        "retirees": retirees,
        "retiring": retiring,
        "chart": chart(
            "projection",
            title=_("Five-year projection of the pooled fund"),
            categories=[y.year for y in years],
            series=[
                (_("Income"), [y.income for y in years]),
                (_("Expenditure"), [y.expenditure for y in years]),
                (_("Balance"), [y.balance for y in years]),
            ],
            unit=_("yuan"),
            caption=_("Income, expenditure and the balance at each year's end."),
        )
        if years
        else None,
        "reserve_chart": chart(
            "reserve-months",
            title=_("Months of reserve"),
            categories=[y.year for y in years],
            series=[(_("Months of reserve"), [y.reserve_months for y in years])],
            kind="line",
            money=False,
            caption=_("The balance divided by a month of the year's expenditure."),
        )
        if years
        else None,
    }
    return render(request, "budget/projection.html", context)


# --- collection targets ----------------------------------------------------------------------


@budget_section
def target_list(request: HttpRequest) -> HttpResponse:
    """Collection targets of the user's region and below, filtered and paged; a budget
    officer sets one for a city or county of their region."""
    user = request.user
    filterset = CollectionTargetFilterSet(request.GET or None, queryset=selectors.target_list(user))
    may_set = user.has_role(Role.BUDGET_OFFICER)
    context = {
        "filter": filterset,
        "page": page_of(request, _filtered(filterset)),
        "may_set": may_set,
        "form": TargetForm(regions=selectors.target_regions(user), initial={"year": _today().year})
        if may_set
        else None,
    }
    return render(request, "budget/target_list.html", context)


@budget_section
@require_POST
def target_set(request: HttpRequest) -> HttpResponse:
    form = TargetForm(request.POST, regions=selectors.target_regions(request.user))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.collection_target_set(
                actor=request.user, year=data["year"], region_code=data["region"],
                collection_amount=data["collection_amount"],
                insured_target=data["insured_target"],
            )  # fmt: skip
        except ApplicationError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The target is saved."))
    else:
        messages.error(request, _errors(form))
    return redirect("budget:target_list")


# --- execution and final accounts ------------------------------------------------------------


@budget_section
def execution(request: HttpRequest) -> HttpResponse:
    """The approved budget against the ledger by month, item and city, with an alert
    where execution strays from the share of the year elapsed by the threshold."""
    user = request.user
    today = _today()
    cities = selectors.visible_cities(user)
    form = ExecutionFilter(request.GET or None, regions=cities)
    year, month, region, item = today.year, today.month, "", ""
    if form.is_bound and form.is_valid():
        year = form.cleaned_data["year"]
        month = form.cleaned_data["month"] or 12
        region, item = form.cleaned_data["region"], form.cleaned_data["item"]
    elif not form.is_bound:
        form = ExecutionFilter(regions=cities, initial={"year": year, "month": month})
    result = selectors.execution_for(user, year=year, month=month, region=region, item=item)
    context = {"form": form, "result": result, "year": year, "month": month}
    if result and result["monthly"]:
        monthly = result["monthly"]
        context["chart"] = chart(
            "execution",
            title=_("Execution by month, %(year)s") % {"year": year},
            categories=[m["month"] for m in monthly],
            series=[
                (_("Revenue"), [m["revenue"] for m in monthly]),
                (_("Revenue budgeted (a twelfth)"), [m["budget_revenue"] for m in monthly]),
                (_("Expenditure"), [m["expenditure"] for m in monthly]),
                (_("Expenditure budgeted (a twelfth)"), [m["budget_expenditure"] for m in monthly]),
            ],
            unit=_("yuan"),
            caption=_("Actual revenue and expenditure of each month from the fund ledger."),
        )
    return render(request, "budget/execution.html", context)


@budget_section
def final_accounts(request: HttpRequest) -> HttpResponse:
    """The year's final accounts (决算) from the ledger in the budget's layout, beside
    the approved budget."""
    form, year = _year(request, default=_today().year - 1)
    result = selectors.final_accounts_for(request.user, year=year)
    return render(
        request, "budget/final_accounts.html", {"form": form, "year": year, "result": result}
    )


# --- gap-sharing -----------------------------------------------------------------------------


@budget_section
def gap_sharing(request: HttpRequest) -> HttpResponse:
    """Each city's gap of the year, who covers it, and what each payer has paid; the
    payments recorded (filtered, paged)."""
    user = request.user
    form, year = _year(request, default=_today().year - 1)  # a year's gap: after its end
    statement = selectors.gap_statement_for(user, year=year)
    filterset = GapPaymentFilterSet(request.GET or None, queryset=selectors.gap_payments(user))
    may_record = services.may_record_gap_payment(user)
    context = {
        "form": form,
        "year": year,
        "statement": statement,
        "filter": filterset,
        "page": page_of(request, _filtered(filterset)),
        "payment_form": GapPaymentForm(regions=selectors.visible_cities(user))
        if may_record
        else None,
    }
    return render(request, "budget/gap_sharing.html", context)


@budget_section
@require_POST
def gap_payment(request: HttpRequest) -> HttpResponse:
    form = GapPaymentForm(request.POST, regions=selectors.visible_cities(request.user))
    year = request.POST.get("year") or ""
    if form.is_valid() and year.isdigit():
        data = form.cleaned_data
        try:
            services.gap_payment_record(
                actor=request.user, year=int(year), region_code=data["region"],
                payer=data["payer"], amount=data["amount"], paid_on=data["paid_on"],
            )  # fmt: skip
        except ApplicationError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The payment is recorded."))
    else:
        messages.error(request, _errors(form) or _("Give the year."))
    return redirect(f"{_url('budget:gap_sharing')}?year={year}")


def _url(name: str) -> str:
    from django.urls import reverse

    return reverse(name)


# --- scorecards -------------------------------------------------------------------------------


def _scorecard(request: HttpRequest):
    today = _today()
    form = ScorecardFilter(request.GET or None)
    year, month, level = today.year, None, RegionLevel.CITY
    if form.is_bound and form.is_valid():
        year, month = form.cleaned_data["year"], form.cleaned_data["month"]
        level = form.cleaned_data["level"] or RegionLevel.CITY
    elif not form.is_bound:
        form = ScorecardFilter(initial={"year": year, "level": level})
    user = request.user
    if user.region is not None and user.region.level == RegionLevel.COUNTY:
        level = RegionLevel.COUNTY  # a county's staff see their county
    rows, weights, reference = selectors.scorecard(user, year=year, month=month, level=level)
    return form, rows, weights, reference, year, month, level


@budget_section
def scorecards(request: HttpRequest) -> HttpResponse:
    """The scorecard of every city or county in the user's scope for a month or the
    year: rates, weighted score, rank, the monitored figures and a chart."""
    form, rows, weights, reference, year, month, level = _scorecard(request)
    indicators = [(i, Indicator(i).label, weights.get(i)) for i in Indicator.values]
    scored = [r for r in rows if r.score is not None]
    context = {
        "form": form,
        "rows": rows,
        "indicators": indicators,
        "reference": reference,
        "year": year,
        "month": month,
        "level": level,
        "query": request.GET.urlencode(),
        "chart": chart(
            "scorecard",
            title=_("Weighted score by region"),
            categories=[r.name for r in scored],
            series=[(_("Weighted score"), [r.score for r in scored])],
            money=False,
            caption=_("Out of 100, from the indicators available, best first."),
        )
        if scored
        else None,
    }
    return render(request, "budget/scorecards.html", context)


@budget_section
def scorecard_export(request: HttpRequest) -> HttpResponse:
    _form, rows, _weights, _reference, year, month, level = _scorecard(request)
    period = f"{year}-{month:02d}" if month else str(year)
    title = _("Scorecard %(period)s") % {"period": period}
    response = HttpResponse(
        scorecard_excel.scorecard_workbook(rows, title=title),
        content_type=scorecard_excel.CONTENT_TYPE,
    )
    response["Content-Disposition"] = f'attachment; filename="scorecard-{level}-{period}.xlsx"'
    return response


# --- month-end snapshots ----------------------------------------------------------------------


@budget_section
def snapshot_list(request: HttpRequest) -> HttpResponse:
    """The province's month-end snapshots with their head counts; a provincial budget
    officer takes a month's (the beat takes it on the 1st)."""
    user = request.user
    filterset = SnapshotRunFilterSet(request.GET or None, queryset=selectors.snapshot_runs(user))
    context = {
        "filter": filterset,
        "page": page_of(request, _filtered(filterset)),
        "may_take": services.may_draft(user),
        "form": SnapshotForm(initial={"period": Period.from_date(_today()).prev()}),
    }
    return render(request, "budget/snapshot_list.html", context)


@budget_section
@require_POST
def snapshot_take(request: HttpRequest) -> HttpResponse:
    form = SnapshotForm(request.POST)
    if form.is_valid():
        try:
            snapshot.snapshot_take(actor=request.user, period=form.cleaned_data["period"])
        except ApplicationError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The snapshot is being taken."))
    else:
        messages.error(request, _errors(form))
    return redirect("budget:snapshot_list")
