"""Monthly spending plans (用款计划), disbursements (拨付) and the sweep of historical
surpluses (历年结余归集) (DESIGN §5.5; seed 001 §3(2); seed 002 §3(2); seed 004 §2(2);
operations standard §10.3–§10.4). Services (writes) and selectors (reads).

The chain for month P (the month the money is for), prepared in month P−1:

1. a county's fund accountant prepares the plan (``plan_prepare``): one line per
   expenditure item, pre-filled from the projection of P's payroll
   (``benefits.selectors.payroll_projection``); a line whose amount differs from the
   projection beyond ``funds.plan_tolerance`` needs a reason. Lines are edited on the
   page or uploaded as Excel (``plan_lines_update``);
2. ``plan_submit``: a checker of the county (maker-checker, ``pension.approvals``)
   approves, and the plan is submitted to the city, due by ``funds.spending_plan_due_day``
   of P−1;
3. the city consolidates its counties' submitted plans (``plan_consolidate``: the lines
   summed) and submits to the province (due by ``funds.city_plan_due_day``, the month's
   end); on the checker's approval the counties' plans are consolidated into it;
4. the province consolidates its cities' plans and submits: that is the application to
   the finance department (省财政厅);
5. finance approves and allocates, or rejects (``plan_finance_decide``, over the API
   or on the page), and confirms its transfer to the provincial expenditure account
   (``finance_transfer_record``); both are idempotent by finance's document number;
6. the province disburses to each city (due by ``funds.disbursement_day`` of P), each
   city to its counties (``disbursement_request``, maker-checker; on approval the
   ledger entry is posted).

A region sees its own plans and those below it (``pension.scope``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from funds.choices import DisbursementStatus, PlanItem, PlanStatus, ReminderStage, SweepStatus
from funds.models import (
    Disbursement,
    FinanceTransfer,
    PlanReminder,
    SpendingPlan,
    SpendingPlanLine,
    SurplusSweep,
)
from pension import approvals, changelog
from pension.choices import RegionLevel, Role
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import Agency, ApprovalRequest, ApprovalStatus, ChangeAction, Region, StaffUser
from pension.periods import Period
from pension.scope import region_allows, restrict
from pension.selectors import policy_value

OP_PLAN_SUBMIT = "funds.spending_plan_submit"
OP_DISBURSEMENT = "funds.disbursement"
OP_SURPLUS_SWEEP = "funds.surplus_sweep"
# who checks the steps: a reviewer or the agency head of the maker's region or above
CHECKER_ROLES = (Role.REVIEWER, Role.AGENCY_HEAD)
# who prepares plans, disbursements and sweeps
MAKER_ROLES = (Role.FUND_ACCOUNTANT,)
EDITABLE = (PlanStatus.DRAFT, PlanStatus.REJECTED)

# payroll items (benefits.choices.PayrollItem values) → expenditure item of the plan
PAYROLL_ITEM_TO_PLAN = {
    "pension": PlanItem.PENSION,
    "adjustment": PlanItem.PENSION,
    "settlement": PlanItem.PENSION,
    "back_pay": PlanItem.PENSION,
    "adjustment_back_pay": PlanItem.PENSION,
    "reissue": PlanItem.PENSION,
    "recovery": PlanItem.PENSION,
    "survivor_benefit": PlanItem.SURVIVOR,
    "transfer_out": PlanItem.TRANSFER_OUT,
    "refund": PlanItem.OTHER,
    "account_settlement": PlanItem.OTHER,
}
# the payroll item whose people are the pension line's headcount (the pensioners)
HEADCOUNT_ITEMS = {PlanItem.PENSION: ("pension",)}

ERROR_NOT_MAKER = _("Only a fund accountant prepares spending plans and disbursements.")
ERROR_OWN_REGION = _("You can prepare the spending plan of your own region only.")
ERROR_NOT_COUNTY = _(
    "Spending plans are prepared by counties; cities and the province consolidate."
)
ERROR_NOT_CONSOLIDATING = _("Only a city or the province consolidates spending plans.")
ERROR_NOT_EDITABLE = _("This spending plan is %(status)s and can no longer be changed.")
ERROR_NO_CHILD_PLANS = _("No plan of the regions below has been submitted for %(period)s yet.")
ERROR_CHILDREN_CHANGED = _(
    "The plans of the regions below changed since this plan was consolidated; consolidate "
    "again before submitting."
)
ERROR_REASON_NEEDED = _(
    "%(item)s: the amount %(amount)s differs from the payroll projection %(projected)s; "
    "give the reason for the difference."
)
ERROR_UNKNOWN_ITEM = _("Unknown expenditure item: %(item)s")
ERROR_NO_LINES = _("The workbook has no plan lines; nothing was changed.")
ERROR_DUPLICATE_ITEM = _("The expenditure item %(item)s appears twice.")
ERROR_NEGATIVE = _("%(item)s: the amount cannot be negative.")
ERROR_NOT_PROVINCE_PLAN = _("Finance decides on the province's plan only.")
ERROR_NOT_APPLIED = _("This plan is %(status)s; finance decides on a plan applied to it.")
ERROR_REFERENCE_REUSED = _(
    "The finance document number %(reference)s was used for another decision or transfer; "
    "nothing was changed."
)
ERROR_NOT_APPROVED = _("This plan is %(status)s; only a plan approved by finance is disbursed.")
ERROR_NOT_PAYER = _("The region above the plan's region disburses it.")
ERROR_ALREADY_DISBURSED = _("This plan's disbursement has already been requested.")
ERROR_AMOUNT_POSITIVE = _("The amount must be greater than zero.")
ERROR_OVER_PLAN = _("The disbursement %(amount)s exceeds the plan's amount %(plan)s.")
ERROR_OVER_ALLOCATION = _(
    "The disbursement %(amount)s exceeds what finance's allocation leaves for the month: "
    "%(left)s (allocated %(allocated)s)."
)
ERROR_SWEEP_LEVEL = _("Historical surpluses are swept from a city or a county.")
ERROR_SWEEP_DONE = _("The historical surplus of %(region)s has already been swept or is pending.")
ERROR_REPORT_REQUIRED = _("Attach the audit report.")
ERROR_FINANCE_ROLE = _("Only the finance department decides on spending plans.")
ERROR_ALLOCATED_TOO_HIGH = _("The allocation %(allocated)s exceeds the plan's amount %(amount)s.")


# --- deadlines -----------------------------------------------------------------------


def _day_of(period: Period, day: int) -> date:
    return date(period.year, period.month, min(int(day), period.last_day.day))


def _parameter(key: str, *, on: date, region: Region) -> Any | None:
    try:
        return policy_value(key, on=on, region=region).value
    except ValidationError:
        return None


def plan_due_on(*, region: Region, period: Period) -> date | None:
    """When the plan of ``region`` for ``period`` is due at the level above, in the month
    before: a county's by ``funds.spending_plan_due_day`` (seed 004: before the 25th), a
    city's by ``funds.city_plan_due_day`` (operations standard §10.3.2: month end). The
    province's application to finance has no published day (None)."""
    month = period.prev()
    key = {
        RegionLevel.COUNTY: "funds.spending_plan_due_day",
        RegionLevel.CITY: "funds.city_plan_due_day",
    }.get(region.level)
    if key is None:
        return None
    day = _parameter(key, on=month.first_day, region=region)
    return None if day is None else _day_of(month, day)


def disbursement_due_on(*, region: Region, period: Period) -> date | None:
    """The province disburses to a city by ``funds.disbursement_day`` of the month
    (seed 001: before the 10th); a city's disbursement to its counties has no published
    day (None)."""
    if region.level != RegionLevel.CITY:
        return None
    day = _parameter("funds.disbursement_day", on=period.first_day, region=region)
    return None if day is None else _day_of(period, day)


# --- selectors ------------------------------------------------------------------------


def plans_for(user, action: str = "view") -> QuerySet[SpendingPlan]:
    """Plans ``user`` may ``action``: their region's and those below it."""
    queryset = SpendingPlan.objects.select_related("region", "agency", "prepared_by", "parent")
    return restrict(queryset, user, action)


def disbursements_for(user) -> QuerySet[Disbursement]:
    """Disbursements the user's region paid or received, and those below it."""
    queryset = Disbursement.objects.select_related("region", "from_region", "plan")
    prefix = getattr(getattr(user, "region", None), "scope_prefix", None)
    if user.is_superuser:
        return queryset
    if prefix is None:
        return queryset.none()
    return queryset.filter(region__code__startswith=prefix) | queryset.filter(
        from_region__code__startswith=prefix
    )


def sweeps_for(user) -> QuerySet[SurplusSweep]:
    return restrict(SurplusSweep.objects.select_related("region", "prepared_by"), user)


def reminders_for(user) -> QuerySet[PlanReminder]:
    return restrict(PlanReminder.objects.select_related("region"), user)


def plan_projection(*, region: Region, period: Period) -> dict[str, tuple[int, Decimal]]:
    """The payroll projection of ``period`` for ``region`` by expenditure item:
    {item: (headcount, amount)}, every item present (zero when nothing is projected)."""
    from benefits.selectors import payroll_projection

    heads: dict[str, int] = defaultdict(int)
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    for _county, payroll_item, people, amount in payroll_projection(
        region_code=region.code, period=period
    ):
        item = PAYROLL_ITEM_TO_PLAN.get(payroll_item, PlanItem.OTHER)
        amounts[item] += amount
        if payroll_item in HEADCOUNT_ITEMS.get(item, (payroll_item,)):
            heads[item] += people
    return {item: (heads[item], amounts[item]) for item in PlanItem.values}


@dataclass(frozen=True)
class LateRow:
    """A region whose plan or disbursement is due and not done (逾期未报)."""

    region: Region
    stage: str
    due_on: date
    plan: SpendingPlan | None

    @property
    def stage_label(self) -> str:
        return str(ReminderStage(self.stage).label)

    @property
    def days_late(self) -> int:
        return (timezone.localdate() - self.due_on).days


def late_list(*, user, period: Period, today: date) -> list[LateRow]:
    """Counties and cities within the user's region whose plan for ``period`` was due
    by ``today`` and is not submitted; cities not paid by the disbursement day."""
    prefix = "" if user.is_superuser else user.region.scope_prefix
    regions = Region.objects.filter(
        code__startswith=prefix, level__in=[RegionLevel.COUNTY, RegionLevel.CITY]
    ).order_by("code")
    if not user.is_superuser:
        regions = regions.filter(code__startswith=user.region.code[:2])
    plans = {p.region_id: p for p in SpendingPlan.objects.filter(period=period, region__in=regions)}
    paid = set(
        Disbursement.objects.filter(
            plan__period=period, status=DisbursementStatus.PAID, region__in=regions
        ).values_list("region_id", flat=True)
    )
    rows = []
    for region in regions:
        if not Agency.objects.filter(region=region).exists():
            continue  # a division without an agency of its own (not in the demo)
        plan = plans.get(region.pk)
        due = plan_due_on(region=region, period=period)
        sent = plan is not None and plan.status not in (*EDITABLE, PlanStatus.PENDING)
        stage = (
            ReminderStage.COUNTY_PLAN
            if region.level == RegionLevel.COUNTY
            else (ReminderStage.CITY_PLAN)
        )
        if due is not None and due <= today and not sent:
            rows.append(LateRow(region, stage, due, plan))
        paid_due = disbursement_due_on(region=region, period=period)
        if paid_due is not None and paid_due <= today and region.pk not in paid:
            rows.append(LateRow(region, ReminderStage.DISBURSEMENT, paid_due, plan))
    return rows


def plan_vs_actual(*, region: Region, months: int = 6, until: Period) -> list[tuple]:
    """The region's plans against what was disbursed to it and what its payroll paid,
    for the last ``months`` months up to ``until``: (month, planned, disbursed, paid)."""
    from benefits.models import PayrollTotal

    start = until - (months - 1)
    planned = dict(
        SpendingPlan.objects.filter(
            region=region, period__gte=start, period__lte=until
        ).values_list("period", "total_amount")
    )
    disbursed = dict(
        Disbursement.objects.filter(
            region=region, status=DisbursementStatus.PAID,
            plan__period__gte=start, plan__period__lte=until,
        ).values_list("plan__period", "amount")
    )  # fmt: skip
    paid_rows = (
        PayrollTotal.objects.filter(
            region=region,
            run__dry_run=False,
            run__status__in=["approved", "exported", "closed"],
            run__period__gte=start.as_int,
            run__period__lte=until.as_int,
        )
        .values("run__period")
        .annotate(amount=Sum("amount"))
    )
    paid = {Period.parse(r["run__period"]): r["amount"] for r in paid_rows}
    out = []
    for month in Period.range(start, until):
        out.append(
            (
                str(month),
                planned.get(month, Decimal("0.00")),
                disbursed.get(month, Decimal("0.00")),
                paid.get(month, Decimal("0.00")),
            )
        )
    return out


# --- checks ---------------------------------------------------------------------------


def _agency_of(region: Region) -> Agency:
    agency = Agency.objects.filter(region=region, is_active=True).order_by("code").first()
    if agency is None:
        raise InvalidInput(
            _("%(region)s has no agency of its own."), code="no_agency", params={"region": region}
        )
    return agency


def _require_maker(actor: StaffUser) -> None:
    if not (actor.is_superuser or actor.has_role(*MAKER_ROLES)):
        raise NotPermitted(ERROR_NOT_MAKER, code="not_fund_accountant")


def _require_own_region(actor: StaffUser, region: Region) -> None:
    if not actor.is_superuser and (actor.region is None or actor.region.pk != region.pk):
        raise NotPermitted(ERROR_OWN_REGION, code="outside_region")


def _tolerance(region: Region, on: date) -> Decimal:
    value = _parameter("funds.plan_tolerance", on=on, region=region)
    return Decimal(value) if value is not None else Decimal("0")


def line_errors(
    lines: list[dict], *, tolerance: Decimal, projection: dict[str, tuple[int, Decimal]]
) -> list[str]:
    """What is wrong with ``lines`` ({item, headcount, amount, reason}), in Chinese."""
    errors = []
    seen = set()
    labels = dict(PlanItem.choices)
    for line in lines:
        item = line["item"]
        if item not in labels:
            errors.append(gettext(ERROR_UNKNOWN_ITEM) % {"item": item})
            continue
        if item in seen:
            errors.append(gettext(ERROR_DUPLICATE_ITEM) % {"item": labels[item]})
        seen.add(item)
        amount = line["amount"]
        if amount < 0:
            errors.append(gettext(ERROR_NEGATIVE) % {"item": labels[item]})
            continue
        projected = projection.get(item, (0, Decimal("0")))[1]
        if abs(amount - projected) > projected * tolerance and not line.get("reason", "").strip():
            errors.append(
                gettext(ERROR_REASON_NEEDED)
                % {"item": labels[item], "amount": amount, "projected": projected}
            )
    return errors


def _plan_totals(plan: SpendingPlan) -> None:
    totals = plan.lines.aggregate(
        heads=Sum("headcount"), amount=Sum("amount"), projected=Sum("projected_amount")
    )
    plan.total_headcount = totals["heads"] or 0
    plan.total_amount = totals["amount"] or Decimal("0.00")
    plan.projected_amount = totals["projected"] or Decimal("0.00")


def _lock(plan: SpendingPlan) -> SpendingPlan:
    return (
        SpendingPlan.objects.select_for_update().select_related("region", "agency").get(pk=plan.pk)
    )


def _editable(plan: SpendingPlan) -> bool:
    if plan.status in EDITABLE:
        return True
    # a submission the checker rejected (or the maker withdrew) opens the plan again
    return (
        plan.status == PlanStatus.PENDING
        and plan.approval is not None
        and plan.approval.status in (ApprovalStatus.REJECTED, ApprovalStatus.WITHDRAWN)
    )


def plan_is_editable(plan: SpendingPlan) -> bool:
    return _editable(plan)


def _refuse_unless_editable(plan: SpendingPlan) -> None:
    if not _editable(plan):
        raise Conflict(
            ERROR_NOT_EDITABLE,
            code="plan_not_editable",
            params={"status": PlanStatus(plan.status).label},
        )


# --- services: prepare, edit, consolidate, submit ------------------------------------------


@transaction.atomic
def plan_prepare(*, actor: StaffUser, period: Period) -> SpendingPlan:
    """A county's plan for ``period``, pre-filled from the payroll projection: a new
    draft, or the draft there with its projection refreshed (amounts kept)."""
    _require_maker(actor)
    region = actor.region
    if region is None or region.level != RegionLevel.COUNTY:
        raise InvalidInput(ERROR_NOT_COUNTY, code="not_county")
    projection = plan_projection(region=region, period=period)
    plan = SpendingPlan.objects.filter(region=region, period=period).first()
    created = plan is None
    if created:
        plan = SpendingPlan(
            region=region,
            agency=_agency_of(region),
            period=period,
            prepared_by=actor,
            due_on=plan_due_on(region=region, period=period),
        )
        plan.full_clean()
        plan.save()
    else:
        plan = _lock(plan)
        _refuse_unless_editable(plan)
    existing = {line.item: line for line in plan.lines.all()}
    for item in PlanItem.values:
        heads, amount = projection[item]
        line = existing.get(item)
        if line is None:
            SpendingPlanLine.objects.create(
                plan=plan, item=item, headcount=heads, amount=amount,
                projected_headcount=heads, projected_amount=amount,
            )  # fmt: skip
        else:
            line.projected_headcount, line.projected_amount = heads, amount
            line.save(update_fields=["projected_headcount", "projected_amount"])
    _plan_totals(plan)
    plan.save(update_fields=["total_headcount", "total_amount", "projected_amount", "updated_at"])
    changelog.record(
        actor=actor,
        action=ChangeAction.CREATE if created else ChangeAction.UPDATE,
        instance=plan,
        after={
            "period": str(period),
            "projection": {k: [h, a] for k, (h, a) in projection.items()},
            "total_amount": plan.total_amount,
        },
    )
    return plan


@transaction.atomic
def plan_lines_update(*, actor: StaffUser, plan: SpendingPlan, lines: list[dict]) -> SpendingPlan:
    """Replace the amounts, headcounts and reasons of a county's draft plan. All or
    nothing: any line in error refuses the whole change (``details["errors"]``)."""
    _require_maker(actor)
    plan = _lock(plan)
    _require_own_region(actor, plan.region)
    if plan.region.level != RegionLevel.COUNTY:
        raise InvalidInput(ERROR_NOT_COUNTY, code="not_county")
    _refuse_unless_editable(plan)
    existing = {line.item: line for line in plan.lines.all()}
    projection = {i: (ln.projected_headcount, ln.projected_amount) for i, ln in existing.items()}
    errors = line_errors(
        lines, tolerance=_tolerance(plan.region, plan.period.first_day), projection=projection
    )
    if errors:
        raise InvalidInput(
            _("The plan has %(count)s errors; nothing was changed."),
            code="plan_lines_invalid",
            params={"count": len(errors)},
            details={"errors": errors},
        )
    before = {i: [ln.headcount, ln.amount, ln.reason] for i, ln in existing.items()}
    for data in lines:
        line = existing.get(data["item"]) or SpendingPlanLine(plan=plan, item=data["item"])
        line.headcount = data["headcount"]
        line.amount = data["amount"]
        line.reason = (data.get("reason") or "").strip()[:200]
        line.full_clean()
        line.save()
    _plan_totals(plan)
    plan.status = PlanStatus.DRAFT
    plan.save(
        update_fields=[
            "total_headcount",
            "total_amount",
            "projected_amount",
            "status",
            "updated_at",
        ]
    )
    changelog.record(
        actor=actor,
        action=ChangeAction.UPDATE,
        instance=plan,
        before={"lines": before},
        after={"lines": {ln["item"]: [ln["headcount"], ln["amount"], ln.get("reason", "")]
                         for ln in lines}},
    )  # fmt: skip
    return plan


def _children_to_consolidate(region: Region, period: Period, plan: SpendingPlan | None):
    queryset = SpendingPlan.objects.filter(
        region__parent=region, period=period, status=PlanStatus.SUBMITTED, parent__isnull=True
    )
    if plan is not None and plan.pk:
        queryset = queryset | SpendingPlan.objects.filter(
            parent=plan, status__in=[PlanStatus.SUBMITTED, PlanStatus.CONSOLIDATED]
        )
    return queryset.order_by("region_id")


@transaction.atomic
def plan_consolidate(*, actor: StaffUser, period: Period) -> SpendingPlan:
    """The city's (or the province's) plan for ``period``: the lines of the submitted
    plans of the regions directly below, summed by item (汇总)."""
    _require_maker(actor)
    region = actor.region
    if region is None or region.level == RegionLevel.COUNTY:
        raise InvalidInput(ERROR_NOT_CONSOLIDATING, code="not_consolidating")
    plan = SpendingPlan.objects.filter(region=region, period=period).first()
    if plan is not None:
        plan = _lock(plan)
        _refuse_unless_editable(plan)
    children = list(_children_to_consolidate(region, period, plan))
    if not children:
        raise InvalidInput(
            ERROR_NO_CHILD_PLANS, code="no_child_plans", params={"period": str(period)}
        )
    if plan is None:
        plan = SpendingPlan(
            region=region,
            agency=_agency_of(region),
            period=period,
            prepared_by=actor,
            due_on=plan_due_on(region=region, period=period),
        )
        plan.full_clean()
        plan.save()
    sums = (
        SpendingPlanLine.objects.filter(plan__in=children)
        .values("item")
        .annotate(
            heads=Sum("headcount"),
            amount=Sum("amount"),
            p_heads=Sum("projected_headcount"),
            p_amount=Sum("projected_amount"),
        )
    )
    plan.lines.all().delete()
    SpendingPlanLine.objects.bulk_create(
        SpendingPlanLine(
            plan=plan, item=row["item"], headcount=row["heads"], amount=row["amount"],
            projected_headcount=row["p_heads"], projected_amount=row["p_amount"],
        )
        for row in sums
    )  # fmt: skip
    _plan_totals(plan)
    plan.status = PlanStatus.DRAFT
    plan.prepared_by = actor
    plan.save()
    changelog.record(
        actor=actor,
        action=ChangeAction.UPDATE,
        instance=plan,
        after={
            "consolidated": [c.region_id for c in children],
            "total_amount": plan.total_amount,
        },
    )
    return plan


@transaction.atomic
def plan_submit(*, actor: StaffUser, plan: SpendingPlan, reason: str = "") -> ApprovalRequest:
    """Send the plan to a checker of the same region; on approval it is submitted to
    the level above (the province's: applied to finance)."""
    _require_maker(actor)
    plan = _lock(plan)
    _require_own_region(actor, plan.region)
    _refuse_unless_editable(plan)
    children: list[int] = []
    if plan.region.level == RegionLevel.COUNTY:
        lines = [
            {"item": ln.item, "amount": ln.amount, "headcount": ln.headcount, "reason": ln.reason}
            for ln in plan.lines.all()
        ]
        projection = {
            ln.item: (ln.projected_headcount, ln.projected_amount) for ln in plan.lines.all()
        }
        errors = line_errors(
            lines, tolerance=_tolerance(plan.region, plan.period.first_day), projection=projection
        )
        if errors:
            raise InvalidInput(
                _("The plan has %(count)s errors; nothing was changed."),
                code="plan_lines_invalid",
                params={"count": len(errors)},
                details={"errors": errors},
            )
    else:
        found = list(_children_to_consolidate(plan.region, plan.period, plan))
        total = sum((c.total_amount for c in found), Decimal("0.00"))
        if not found or total != plan.total_amount:
            raise Conflict(ERROR_CHILDREN_CHANGED, code="children_changed")
        children = [c.pk for c in found]
    request = approvals.approval_request_create(
        actor=actor,
        operation=OP_PLAN_SUBMIT,
        agency=plan.agency,
        summary=gettext("Spending plan of %(region)s for %(period)s: %(amount)s")
        % {"region": plan.region.name, "period": plan.period, "amount": plan.total_amount},
        payload={
            "plan_id": plan.pk,
            "region": plan.region.name,
            "period": str(plan.period),
            "total_headcount": plan.total_headcount,
            "total_amount": plan.total_amount,
            "children": children,
        },
        target=plan,
        before={"total_amount": plan.total_amount},
        reason=reason,
    )
    plan.status = PlanStatus.PENDING
    plan.approval = request
    plan.save(update_fields=["status", "approval", "updated_at"])
    return request


def _apply_plan_submit(request: ApprovalRequest, checker: StaffUser) -> dict:
    plan = SpendingPlan.objects.select_for_update().get(pk=request.payload["plan_id"])
    if plan.status != PlanStatus.PENDING or plan.approval_id != request.pk:
        raise Conflict(
            ERROR_NOT_EDITABLE,
            code="plan_not_pending",
            params={"status": plan.get_status_display()},
        )
    children = list(
        SpendingPlan.objects.select_for_update().filter(pk__in=request.payload["children"])
    )
    for child in children:
        if child.status not in (PlanStatus.SUBMITTED, PlanStatus.CONSOLIDATED) or (
            child.parent_id not in (None, plan.pk)
        ):
            raise Conflict(ERROR_CHILDREN_CHANGED, code="children_changed")
    SpendingPlan.objects.filter(pk__in=[c.pk for c in children]).update(
        parent=plan, status=PlanStatus.CONSOLIDATED, updated_at=timezone.now()
    )
    plan.status = PlanStatus.SUBMITTED
    plan.submitted_at = timezone.now()
    plan.save(update_fields=["status", "submitted_at", "updated_at"])
    changelog.record(
        actor=checker,
        action=ChangeAction.UPDATE,
        instance=plan,
        before={"status": PlanStatus.PENDING},
        after={"status": plan.status, "consolidated": [c.pk for c in children]},
        reason=str(_("Approval request #%(id)s")) % {"id": request.pk},
    )
    return {"plan_id": plan.pk, "status": plan.status}


# --- the finance department ------------------------------------------------------------------


def _finance_actor_ok(actor: StaffUser | None) -> None:
    if actor is not None and not (actor.is_superuser or actor.has_role(Role.FINANCE_OFFICER)):
        raise NotPermitted(ERROR_FINANCE_ROLE, code="not_finance")


@dataclass(frozen=True)
class FinanceResult:
    plan: SpendingPlan
    replayed: bool


@transaction.atomic
def plan_finance_decide(
    *,
    plan: SpendingPlan,
    approve: bool,
    reference: str,
    allocated_amount: Decimal | None = None,
    reason: str = "",
    actor: StaffUser | None = None,
    client=None,
) -> FinanceResult:
    """The finance department approves (and allocates) or rejects the province's plan
    applied to it. Idempotent by ``reference`` (finance's document number): the same
    decision again returns the plan as decided and changes nothing."""
    _finance_actor_ok(actor)
    reference = (reference or "").strip()
    if not reference:
        raise InvalidInput(_("Give the finance document number."), code="reference_required")
    plan = _lock(plan)
    if plan.region.level != RegionLevel.PROVINCE:
        raise InvalidInput(ERROR_NOT_PROVINCE_PLAN, code="not_province_plan")
    status = PlanStatus.APPROVED if approve else PlanStatus.REJECTED
    if plan.finance_reference == reference:
        same = plan.status == status and (
            not approve or allocated_amount is None or allocated_amount == plan.allocated_amount
        )
        if same:
            return FinanceResult(plan, True)
        raise Conflict(
            ERROR_REFERENCE_REUSED, code="reference_reused", params={"reference": reference}
        )
    if (
        SpendingPlan.objects.filter(finance_reference=reference).exclude(pk=plan.pk).exists()
        or FinanceTransfer.objects.filter(reference=reference).exists()
    ):
        raise Conflict(
            ERROR_REFERENCE_REUSED, code="reference_reused", params={"reference": reference}
        )
    if plan.status != PlanStatus.SUBMITTED:
        raise Conflict(
            ERROR_NOT_APPLIED, code="plan_not_applied", params={"status": plan.get_status_display()}
        )
    if approve:
        allocated = plan.total_amount if allocated_amount is None else allocated_amount
        if allocated < 0:
            raise InvalidInput(_("The amount cannot be negative."), code="negative_amount")
        if allocated > plan.total_amount:
            raise InvalidInput(
                ERROR_ALLOCATED_TOO_HIGH,
                code="allocation_too_high",
                params={"allocated": allocated, "amount": plan.total_amount},
            )
        plan.allocated_amount = allocated
    elif not reason.strip():
        raise InvalidInput(_("A rejection needs a reason."), code="reason_required")
    before = {"status": plan.status}
    plan.status = status
    plan.finance_reference = reference
    plan.finance_reason = reason.strip()
    plan.finance_decided_at = timezone.now()
    plan.save()
    if approve:
        # the cities' and counties' plans consolidated into it are approved with it
        level = [plan.pk]
        while level:
            below = list(
                SpendingPlan.objects.filter(parent_id__in=level).values_list("pk", flat=True)
            )
            SpendingPlan.objects.filter(pk__in=below).update(
                status=PlanStatus.APPROVED, updated_at=timezone.now()
            )
            level = below
    changelog.record(
        actor=actor,
        action=ChangeAction.UPDATE,
        instance=plan,
        before=before,
        after={
            "status": plan.status,
            "allocated_amount": plan.allocated_amount,
            "finance_reference": reference,
            "client": getattr(client, "name", ""),
        },
        reason=reason,
    )
    return FinanceResult(plan, False)


@transaction.atomic
def finance_transfer_record(
    *,
    plan: SpendingPlan,
    reference: str,
    amount: Decimal,
    transferred_on: date,
    actor: StaffUser | None = None,
    client=None,
) -> tuple[FinanceTransfer, bool]:
    """Finance confirms it transferred (part of) an approved plan's allocation to the
    provincial expenditure account (财政拨付); posted to the ledger. Idempotent by
    ``reference``: the same confirmation again returns the first (replayed True)."""
    _finance_actor_ok(actor)
    reference = (reference or "").strip()
    if not reference:
        raise InvalidInput(_("Give the finance document number."), code="reference_required")
    found = FinanceTransfer.objects.filter(reference=reference).first()
    if found is not None:
        if (found.plan_id, found.amount, found.transferred_on) == (
            plan.pk,
            amount,
            transferred_on,
        ):
            return found, True
        raise Conflict(
            ERROR_REFERENCE_REUSED, code="reference_reused", params={"reference": reference}
        )
    if SpendingPlan.objects.filter(finance_reference=reference).exists():
        raise Conflict(
            ERROR_REFERENCE_REUSED, code="reference_reused", params={"reference": reference}
        )
    plan = _lock(plan)
    if plan.region.level != RegionLevel.PROVINCE or plan.status != PlanStatus.APPROVED:
        raise Conflict(
            ERROR_NOT_APPROVED,
            code="plan_not_approved",
            params={"status": plan.get_status_display()},
        )
    if amount <= 0:
        raise InvalidInput(ERROR_AMOUNT_POSITIVE, code="amount_not_positive")
    transfer = FinanceTransfer(
        plan=plan, reference=reference, amount=amount, transferred_on=transferred_on,
        client=client,
    )  # fmt: skip
    transfer.full_clean()
    transfer.save()
    transfer.ledger_entry = ledger_post(
        kind="finance_transfer",
        amount=amount,
        from_region=plan.region,
        to_region=plan.region,
        on=transferred_on,
        source=transfer,
        actor=actor,
        client=client,
    )
    transfer.save(update_fields=["ledger_entry"])
    changelog.record(
        actor=actor,
        action=ChangeAction.CREATE,
        instance=transfer,
        after=changelog.snapshot(transfer),
    )
    return transfer, False


# --- disbursements ------------------------------------------------------------------------------


@transaction.atomic
def disbursement_request(
    *, actor: StaffUser, plan: SpendingPlan, amount: Decimal | None = None, reason: str = ""
) -> Disbursement:
    """The level above disburses an approved plan (the province to a city, a city to a
    county): a request for a checker of the paying region; paid on approval. Never more
    than the plan's amount (``over_plan``); the province never more to its cities than
    finance's allocation leaves (``over_allocation``)."""
    _require_maker(actor)
    plan = _lock(plan)
    payer = plan.region.parent
    if payer is None or (not actor.is_superuser and getattr(actor.region, "pk", None) != payer.pk):
        raise NotPermitted(ERROR_NOT_PAYER, code="not_payer")
    if plan.status != PlanStatus.APPROVED:
        raise Conflict(
            ERROR_NOT_APPROVED,
            code="plan_not_approved",
            params={"status": plan.get_status_display()},
        )
    existing = Disbursement.objects.filter(plan=plan).select_related("approval").first()
    if existing is not None:
        reopened = (
            existing.status == DisbursementStatus.PENDING
            and existing.approval
            and (existing.approval.status in (ApprovalStatus.REJECTED, ApprovalStatus.WITHDRAWN))
        )
        if not reopened:
            raise Conflict(ERROR_ALREADY_DISBURSED, code="already_disbursed")
        existing.delete()
    amount = plan.total_amount if amount is None else amount
    if amount <= 0:
        raise InvalidInput(ERROR_AMOUNT_POSITIVE, code="amount_not_positive")
    if amount > plan.total_amount:
        raise InvalidInput(
            ERROR_OVER_PLAN, code="over_plan", params={"amount": amount, "plan": plan.total_amount}
        )
    _refuse_over_allocation(plan, amount)
    agency = _agency_of(payer)
    disbursement = Disbursement(
        plan=plan,
        from_region=payer,
        region=plan.region,
        agency=agency,
        amount=amount,
        requested_by=actor,
        due_on=disbursement_due_on(region=plan.region, period=plan.period),
    )
    disbursement.full_clean()
    disbursement.save()
    request = approvals.approval_request_create(
        actor=actor,
        operation=OP_DISBURSEMENT,
        agency=agency,
        summary=gettext("Disbursement to %(region)s for %(period)s: %(amount)s")
        % {"region": plan.region.name, "period": plan.period, "amount": amount},
        payload={
            "disbursement_id": disbursement.pk,
            "region": plan.region.name,
            "period": str(plan.period),
            "total_amount": amount,
        },
        target=disbursement,
        before={"status": DisbursementStatus.PENDING},
        reason=reason,
    )
    disbursement.approval = request
    disbursement.save(update_fields=["approval"])
    changelog.record(
        actor=actor, action=ChangeAction.CREATE, instance=disbursement,
        after=changelog.snapshot(disbursement),
    )  # fmt: skip
    return disbursement


def _refuse_over_allocation(plan: SpendingPlan, amount: Decimal) -> None:
    """The province disburses to its cities no more than finance allocated for the
    month: the province's plan's ``allocated_amount`` less what it paid or is paying
    (a request waiting for the checker) to the cities' plans in it. The province's
    plan is locked, so two requests at once cannot both take the same money."""
    if plan.parent_id is None:
        return
    parent = (
        SpendingPlan.objects.select_for_update().select_related("region").get(pk=plan.parent_id)
    )
    if parent.region.level != RegionLevel.PROVINCE or parent.allocated_amount is None:
        return
    taken = Disbursement.objects.filter(plan__parent=parent).filter(
        Q(status=DisbursementStatus.PAID)
        | Q(status=DisbursementStatus.PENDING, approval__status=ApprovalStatus.PENDING)
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    left = parent.allocated_amount - taken
    if amount > left:
        raise InvalidInput(
            ERROR_OVER_ALLOCATION,
            code="over_allocation",
            params={"amount": amount, "left": left, "allocated": parent.allocated_amount},
        )


def _apply_disbursement(request: ApprovalRequest, checker: StaffUser) -> dict:
    disbursement = (
        Disbursement.objects.select_for_update()
        .select_related("plan", "region", "from_region")
        .get(pk=request.payload["disbursement_id"])
    )
    if disbursement.status != DisbursementStatus.PENDING:
        raise Conflict(ERROR_ALREADY_DISBURSED, code="already_disbursed")
    today = timezone.localdate()
    disbursement.status = DisbursementStatus.PAID
    disbursement.paid_on = today
    disbursement.ledger_entry = ledger_post(
        kind="disbursement",
        amount=disbursement.amount,
        from_region=disbursement.from_region,
        to_region=disbursement.region,
        on=today,
        source=disbursement,
        actor=checker,
    )
    disbursement.save(update_fields=["status", "paid_on", "ledger_entry"])
    SpendingPlan.objects.filter(pk=disbursement.plan_id).update(
        status=PlanStatus.DISBURSED, updated_at=timezone.now()
    )
    changelog.record(
        actor=checker,
        action=ChangeAction.UPDATE,
        instance=disbursement,
        before={"status": DisbursementStatus.PENDING},
        after={"status": disbursement.status, "ledger_entry": disbursement.ledger_entry_id},
    )
    return {"disbursement_id": disbursement.pk, "ledger_entry": disbursement.ledger_entry_id}


# --- the historical surplus sweep -----------------------------------------------------------------


@transaction.atomic
def surplus_sweep_request(
    *,
    actor: StaffUser,
    region: Region,
    amount: Decimal,
    audited_on: date,
    audit_firm: str,
    report,
    reason: str = "",
) -> SurplusSweep:
    """The one-off sweep of a city's or county's historical surplus to the provincial
    special account, with the audit report attached, for a checker (seed 002 §3(2):
    audited, then swept to the special account)."""
    _require_maker(actor)
    if region.level not in (RegionLevel.CITY, RegionLevel.COUNTY):
        raise InvalidInput(ERROR_SWEEP_LEVEL, code="sweep_level")
    if not region_allows(actor, region.code, "prepare"):
        raise NotPermitted(_("You cannot prepare cases for this agency."), code="outside_region")
    if report is None:
        raise InvalidInput(ERROR_REPORT_REQUIRED, code="report_required")
    if amount is None or amount <= 0:
        raise InvalidInput(ERROR_AMOUNT_POSITIVE, code="amount_not_positive")
    existing = SurplusSweep.objects.select_for_update().filter(region=region).first()
    if existing is not None:
        reopened = existing.status == SweepStatus.REJECTED or (
            existing.status == SweepStatus.PENDING
            and existing.approval is not None
            and existing.approval.status in (ApprovalStatus.REJECTED, ApprovalStatus.WITHDRAWN)
        )
        if not reopened:
            raise Conflict(ERROR_SWEEP_DONE, code="sweep_done", params={"region": region.name})
        existing.delete()
    agency = _agency_of(region)
    sweep = SurplusSweep(
        region=region, agency=agency, amount=amount, audited_on=audited_on,
        audit_firm=audit_firm.strip(), prepared_by=actor,
    )  # fmt: skip
    sweep.full_clean()
    sweep.save()
    request = approvals.approval_request_create(
        actor=actor,
        operation=OP_SURPLUS_SWEEP,
        agency=agency,
        summary=gettext("Historical surplus of %(region)s to the special account: %(amount)s")
        % {"region": region.name, "amount": amount},
        payload={
            "sweep_id": sweep.pk,
            "region": region.name,
            "total_amount": amount,
            "audited_on": audited_on,
            "audit_firm": sweep.audit_firm,
        },
        target=sweep,
        before={"status": SweepStatus.PENDING},
        amount=amount,
        reason=reason,
        attachments=[report],
        threshold_key="approvals.batch_amount_thresholds",
    )
    sweep.approval = request
    sweep.save(update_fields=["approval"])
    changelog.record(
        actor=actor, action=ChangeAction.CREATE, instance=sweep, after=changelog.snapshot(sweep)
    )
    return sweep


def _apply_surplus_sweep(request: ApprovalRequest, checker: StaffUser) -> dict:
    sweep = (
        SurplusSweep.objects.select_for_update()
        .select_related("region")
        .get(pk=request.payload["sweep_id"])
    )
    if sweep.status != SweepStatus.PENDING:
        raise Conflict(ERROR_SWEEP_DONE, code="sweep_done", params={"region": sweep.region.name})
    today = timezone.localdate()
    sweep.status = SweepStatus.SWEPT
    sweep.swept_on = today
    sweep.ledger_entry = ledger_post(
        kind="surplus_sweep",
        amount=sweep.amount,
        from_region=sweep.region,
        to_region=Region.objects.get(pk=sweep.region.code[:2] + "0000"),
        on=today,
        source=sweep,
        actor=checker,
    )
    sweep.save(update_fields=["status", "swept_on", "ledger_entry"])
    changelog.record(
        actor=checker,
        action=ChangeAction.UPDATE,
        instance=sweep,
        before={"status": SweepStatus.PENDING},
        after={"status": sweep.status, "ledger_entry": sweep.ledger_entry_id},
    )
    return {"sweep_id": sweep.pk, "ledger_entry": sweep.ledger_entry_id}


# --- the fund ledger -----------------------------------------------------------------------------


def ledger_post(
    *,
    kind: str,
    amount: Decimal,
    from_region: Region,
    to_region: Region,
    on: date,
    source,
    actor,
    client=None,
):
    """Post the movement to the double-entry fund ledger (``funds.ledger.post_entry``),
    once per source, and return the entry (a ``JournalEntry``):

    - ``finance_transfer``: the special account → the provincial expenditure account;
    - ``disbursement``: the payer's expenditure account → the payee's;
    - ``surplus_sweep``: the region's income account → the provincial special account.
    """
    from funds import ledger
    from funds.choices import AccountKind, FundItem

    if kind == "finance_transfer":
        debit_account = ledger.fund_account_for(region=to_region, kind=AccountKind.EXPENDITURE)
        credit_account = ledger.fund_account_for(region=from_region, kind=AccountKind.SPECIAL)
        item, key = FundItem.DISBURSEMENT, f"plans:finance_transfer:{source.reference}"
    elif kind == "disbursement":
        debit_account = ledger.fund_account_for(region=to_region, kind=AccountKind.EXPENDITURE)
        credit_account = ledger.fund_account_for(region=from_region, kind=AccountKind.EXPENDITURE)
        item, key = FundItem.DISBURSEMENT, f"plans:disbursement:{source.pk}"
    else:
        debit_account = ledger.fund_account_for(region=to_region, kind=AccountKind.SPECIAL)
        credit_account = ledger.fund_account_for(region=from_region, kind=AccountKind.INCOME)
        item, key = FundItem.SWEEP, f"plans:surplus_sweep:{source.pk}"
    entry = ledger.post_entry(
        actor=actor if isinstance(actor, StaffUser) else None,
        period=Period.from_date(on),
        legs=[ledger.debit(debit_account, amount), ledger.credit(credit_account, amount)],
        source=ledger.Source(
            type=changelog.object_type_of(source),
            id=str(source.pk),
            reference=str(getattr(source, "reference", "") or ""),
        ),
        memo=str(source),
        idempotency_key=key,
        item=item,
        api_client=client,
    )
    return entry


# --- reminders (beat) ---------------------------------------------------------------------------


def plan_reminders_write(*, today: date) -> int:
    """Write a reminder (催报) for every region whose plan for next month (or whose
    disbursement this month) is due today or late and not done; once per region,
    month and stage. Returns how many were written."""
    written = 0
    for period in (Period.from_date(today).next(), Period.from_date(today)):
        for row in _late_everywhere(period=period, today=today):
            _, created = PlanReminder.objects.get_or_create(
                region=row.region, period=period, stage=row.stage, defaults={"due_on": row.due_on}
            )
            written += int(created)
    return written


def _late_everywhere(*, period: Period, today: date) -> list[LateRow]:
    class _Everyone:
        is_superuser = True
        region = None

    return late_list(user=_Everyone(), period=period, today=today)


# --- how the work queue shows the steps -----------------------------------------------------------

FIELD_LABELS = {
    "plan_id": _("Spending plan (id)"),
    "disbursement_id": _("Disbursement (id)"),
    "sweep_id": _("Historical surplus sweep (id)"),
    "region": _("Region"),
    "period": _("Month planned"),
    "total_headcount": _("Headcount"),
    "total_amount": _("Amount"),
    "children": _("Plans consolidated (id)"),
    "audited_on": _("Audit report date"),
    "audit_firm": _("Audited by"),
    "status": _("Status"),
}


def _show(field: str, value: Any) -> str:
    if field == "children":
        return "、".join(str(v) for v in value) or "—"
    if field == "status":
        for choices in (PlanStatus, DisbursementStatus, SweepStatus):
            if value in choices.values:
                return str(choices(value).label)
    return str(value)


approvals.register_operation(
    OP_PLAN_SUBMIT,
    label=_("Submission of a spending plan"),
    apply=_apply_plan_submit,
    checker_roles=CHECKER_ROLES,
    field_labels=FIELD_LABELS,
    display=_show,
)
approvals.register_operation(
    OP_DISBURSEMENT,
    label=_("Disbursement of a spending plan"),
    apply=_apply_disbursement,
    checker_roles=CHECKER_ROLES,
    field_labels=FIELD_LABELS,
    display=_show,
)
approvals.register_operation(
    OP_SURPLUS_SWEEP,
    label=_("Sweep of a historical surplus"),
    apply=_apply_surplus_sweep,
    checker_roles=CHECKER_ROLES,
    field_labels=FIELD_LABELS,
    display=_show,
)
