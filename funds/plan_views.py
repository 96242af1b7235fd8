"""Pages of the spending plans (用款计划): the list with the late regions and the plan
vs actual chart, one plan with its lines (edit, Excel download and upload, submit,
finance's decision, disbursement), consolidation, the late list, disbursements and
the historical surplus sweeps.

Thin: each page checks the section (``section_required("funds")``) and the region
(the plans the user sees, ``funds.plans.plans_for``), then calls ``funds.plans``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from funds import plan_excel, plans
from funds.choices import PlanStatus
from funds.filtersets import DisbursementFilterSet, SpendingPlanFilterSet
from funds.forms import (
    DisbursementForm,
    FinanceDecisionForm,
    PeriodForm,
    PlanLinesForm,
    PlanUploadForm,
    SurplusSweepForm,
)
from funds.models import Disbursement, SpendingPlan
from pension.attachments import attachments_of
from pension.charts import chart
from pension.choices import RegionLevel, Role
from pension.errors import ApplicationError
from pension.models import Region
from pension.paging import page_of
from pension.periods import Period
from pension.views import section_required

funds_section = section_required("funds")


def _is_maker(user) -> bool:
    return user.is_superuser or user.has_role(*plans.MAKER_ROLES)


def _is_finance(user) -> bool:
    return user.is_superuser or user.has_role(Role.FINANCE_OFFICER)


def _plan_chart(region: Region, until: Period):
    rows = plans.plan_vs_actual(region=region, until=until)
    return chart(
        "plan-vs-actual",
        title=_("Plan vs actual: %(region)s") % {"region": region.name},
        categories=[r[0] for r in rows],
        series=[
            (_("Planned"), [r[1] for r in rows]),
            (_("Disbursed"), [r[2] for r in rows]),
            (_("Paid by the payroll"), [r[3] for r in rows]),
        ],
        unit=_("yuan"),
        caption=_(
            "By month: the plan's amount, what was disbursed to the region, what its payroll paid."
        ),
    ), rows


@funds_section
def plan_list(request: HttpRequest) -> HttpResponse:
    """The plans of the user's region and below, filtered and paged; the region's
    reminders, and on a county's page its plan vs actual chart."""
    user = request.user
    filterset = SpendingPlanFilterSet(request.GET or None, queryset=plans.plans_for(user))
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    today = timezone.localdate()
    next_month = Period.from_date(today).next()
    region = user.region
    context = {
        "filter": filterset,
        "page": page_of(request, queryset),
        "next_month": next_month,
        "reminders": plans.reminders_for(user).filter(period__gte=Period.from_date(today))[:20],
        "may_prepare": _is_maker(user)
        and region is not None
        and region.level == RegionLevel.COUNTY,
        "may_consolidate": _is_maker(user)
        and region is not None
        and region.level != RegionLevel.COUNTY,
        "period_form": PeriodForm(initial={"period": next_month}),
    }
    if region is not None and region.level == RegionLevel.COUNTY:
        context["chart"], context["chart_rows"] = _plan_chart(region, next_month)
    return render(request, "funds/plan_list.html", context)


def _plan(request: HttpRequest, pk: int) -> SpendingPlan:
    plan = plans.plans_for(request.user).filter(pk=pk).first()
    if plan is None:
        if SpendingPlan.objects.filter(pk=pk).exists():
            raise PermissionDenied
        raise Http404
    return plan


def _detail(request: HttpRequest, plan: SpendingPlan, **forms) -> HttpResponse:
    user = request.user
    lines = list(plan.lines.order_by("item"))
    editable = plans.plan_is_editable(plan)
    own = user.is_superuser or getattr(user.region, "pk", None) == plan.region_id
    county = plan.region.level == RegionLevel.COUNTY
    payer = plan.region.parent
    disbursement = Disbursement.objects.filter(plan=plan).select_related("approval").first()
    chart_obj, chart_rows = _plan_chart(plan.region, plan.period)
    context = {
        "plan": plan,
        "lines": lines,
        "children": plan.children.select_related("region").order_by("region_id"),
        # the plan above is linked only for those who may open it (the region above)
        "parent_visible": plan.parent_id is not None
        and plans.plans_for(user).filter(pk=plan.parent_id).exists(),
        "editable": editable,
        "may_edit": editable and own and county and _is_maker(user),
        "may_submit": editable and own and _is_maker(user),
        "may_decide": _is_finance(user)
        and plan.region.level == RegionLevel.PROVINCE
        and plan.status == PlanStatus.SUBMITTED,
        "may_disburse": _is_maker(user)
        and payer is not None
        and (user.is_superuser or getattr(user.region, "pk", None) == payer.pk)
        and plan.status == PlanStatus.APPROVED,
        "disbursement": disbursement,
        "finance_transfers": plan.finance_transfers.order_by("-transferred_on"),
        "lines_form": forms.get("lines_form") or PlanLinesForm(lines=lines),
        "upload_form": forms.get("upload_form") or PlanUploadForm(),
        "decision_form": forms.get("decision_form") or FinanceDecisionForm(),
        "disbursement_form": forms.get("disbursement_form") or DisbursementForm(),
        "errors": forms.get("errors") or [],
        "chart": chart_obj,
        "chart_rows": chart_rows,
    }
    return render(request, "funds/plan_detail.html", context)


@funds_section
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _plan(request, pk))


def _done(request: HttpRequest, message: str, pk: int) -> HttpResponse:
    messages.success(request, message)
    return redirect("funds:plan_detail", pk=pk)


@funds_section
@require_POST
def plan_prepare(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.POST)
    if form.is_valid():
        try:
            plan = plans.plan_prepare(actor=request.user, period=form.cleaned_data["period"])
        except ApplicationError as error:
            messages.error(request, str(error))
        else:
            return _done(request, _("The plan is pre-filled from the payroll projection."), plan.pk)
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("funds:plan_list")


@funds_section
@require_POST
def plan_consolidate(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.POST)
    if form.is_valid():
        try:
            plan = plans.plan_consolidate(actor=request.user, period=form.cleaned_data["period"])
        except ApplicationError as error:
            messages.error(request, str(error))
        else:
            return _done(request, _("The plans below are consolidated."), plan.pk)
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("funds:plan_list")


@funds_section
@require_POST
def plan_lines(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    form = PlanLinesForm(request.POST, lines=list(plan.lines.order_by("item")))
    if form.is_valid():
        try:
            plans.plan_lines_update(actor=request.user, plan=plan, lines=form.lines())
        except ApplicationError as error:
            form.add_service_error(error)
            return _detail(request, plan, lines_form=form, errors=error.details.get("errors", []))
        return _done(request, _("The plan's lines are saved."), plan.pk)
    return _detail(request, plan, lines_form=form)


@funds_section
def plan_download(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    response = HttpResponse(plan_excel.plan_workbook(plan), content_type=plan_excel.CONTENT_TYPE)
    name = f"spending-plan-{plan.region_id}-{plan.period}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@funds_section
@require_POST
def plan_upload(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    form = PlanUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            plan_excel.plan_upload(actor=request.user, plan=plan, upload=form.cleaned_data["file"])
        except ApplicationError as error:
            form.add_service_error(error)
            details = error.details.get("errors", [])
            shown = [
                f"{e['row']} {e['column']}: {e['message']}" if isinstance(e, dict) else str(e)
                for e in details
            ]
            return _detail(request, plan, upload_form=form, errors=shown)
        return _done(request, _("The workbook is read into the plan."), plan.pk)
    return _detail(request, plan, upload_form=form)


@funds_section
@require_POST
def plan_submit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    try:
        approval = plans.plan_submit(actor=request.user, plan=plan)
    except ApplicationError as error:
        messages.error(request, str(error))
        errors = error.details.get("errors", []) if error.details else []
        return _detail(request, plan, errors=errors)
    return _done(
        request,
        _("Request #%(id)s is waiting for a checker; nothing changes until it is approved.")
        % {"id": approval.pk},
        plan.pk,
    )


@funds_section
@require_POST
def plan_decide(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    form = FinanceDecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            plans.plan_finance_decide(
                plan=plan,
                approve=data["decision"] == "approve",
                reference=data["reference"],
                allocated_amount=data["allocated_amount"],
                reason=data["reason"],
                actor=request.user,
            )
        except ApplicationError as error:
            form.add_service_error(error)
            return _detail(request, plan, decision_form=form)
        return _done(request, _("Finance's decision is recorded."), plan.pk)
    return _detail(request, plan, decision_form=form)


@funds_section
@require_POST
def plan_disburse(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    form = DisbursementForm(request.POST)
    if form.is_valid():
        try:
            disbursement = plans.disbursement_request(
                actor=request.user, plan=plan, amount=form.cleaned_data["amount"]
            )
        except ApplicationError as error:
            form.add_service_error(error)
            return _detail(request, plan, disbursement_form=form)
        return _done(
            request,
            _("Request #%(id)s is waiting for a checker; nothing changes until it is approved.")
            % {"id": disbursement.approval_id},
            plan.pk,
        )
    return _detail(request, plan, disbursement_form=form)


@funds_section
def late_list(request: HttpRequest) -> HttpResponse:
    """Regions whose plan or disbursement is due and not done (逾期未报)."""
    today = timezone.localdate()
    try:
        period = Period.parse(request.GET.get("period") or Period.from_date(today).next())
    except (TypeError, ValueError):
        period = Period.from_date(today).next()
    rows = plans.late_list(user=request.user, period=period, today=today)
    return render(
        request,
        "funds/late_list.html",
        {"page": page_of(request, rows), "period": period, "today": today},
    )


@funds_section
def disbursement_list(request: HttpRequest) -> HttpResponse:
    """Disbursements of the user's region and below, filtered and paged."""
    filterset = DisbursementFilterSet(
        request.GET or None, queryset=plans.disbursements_for(request.user).order_by("-created_at")
    )
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    return render(
        request,
        "funds/disbursement_list.html",
        {"filter": filterset, "page": page_of(request, queryset)},
    )


@funds_section
def sweep_list(request: HttpRequest) -> HttpResponse:
    """The historical surplus sweeps (历年结余归集) of the user's region and below."""
    user = request.user
    regions = []
    if _is_maker(user) and user.region is not None:
        regions = (
            Region.objects.filter(
                code__startswith=user.region.scope_prefix,
                level__in=[RegionLevel.CITY, RegionLevel.COUNTY],
                agencies__isnull=False,
            )
            .distinct()
            .order_by("code")
        )
    form = SurplusSweepForm(request.POST or None, request.FILES or None, regions=regions)
    if request.method == "POST" and regions and form.is_valid():
        data = form.cleaned_data
        try:
            sweep = plans.surplus_sweep_request(
                actor=user,
                region=Region.objects.get(pk=data["region"]),
                amount=data["amount"],
                audited_on=data["audited_on"],
                audit_firm=data["audit_firm"],
                report=data["report"],
                reason=data["reason"],
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _("Request #%(id)s is waiting for a checker; nothing changes until it is approved.")
                % {"id": sweep.approval_id},
            )
            return redirect("funds:sweep_list")
    sweeps = plans.sweeps_for(user)
    page = page_of(request, sweeps)
    for sweep in page:
        sweep.reports = list(attachments_of(sweep.approval)) if sweep.approval else []
    return render(
        request, "funds/sweep_list.html", {"page": page, "form": form, "may_prepare": bool(regions)}
    )
