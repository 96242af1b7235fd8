"""Writes of budget (基金预算): one function per business operation, in a transaction,
each with its change-log entry (DESIGN §5.6).

The budget's approval chain is its own maker-checker: the provincial bureau's budget
officer drafts and submits, the province's agency head reviews for HR and social
security (人社部门), the finance department's officer reviews (财政部门), the
government's approver approves (人民政府); each step in order, each by a different
person (the database refuses the same person twice and a step out of order). An
approved version is locked (a trigger refuses any change to its lines); a change is
an adjustment plan, a new version through the same chain."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from budget import calc, selectors
from budget.choices import BudgetItem, BudgetStatus, GapPayer, VersionKind
from budget.models import Budget, BudgetLine, BudgetVersion, CollectionTarget, GapPayment
from pension import changelog
from pension.choices import RegionLevel, Role
from pension.errors import Conflict, InvalidInput, Locked, NotPermitted
from pension.models import Agency, ChangeAction, Region
from pension.periods import Period
from pension.scope import level_at_least, region_allows

ERROR_NOT_PROVINCE_BUDGET = _("Only a budget officer of the provincial bureau drafts the budget.")
ERROR_LOCKED = _("This budget version is %(status)s and locked; change it by an adjustment plan.")
ERROR_OUT_OF_ORDER = _("This budget version is %(status)s; it cannot be %(action)s now.")
ERROR_SAME_PERSON = _("You already took a step of this budget version; another person must.")
ERROR_STEP_ROLE = _("Only %(role)s may take this step.")
ERROR_PENDING = _("Version %(number)s of this budget is still in its approval chain.")
ERROR_UNKNOWN_REGION = _("The region %(region)s is not a city of this province.")
ERROR_NEGATIVE = _("An amount cannot be negative.")
ERROR_TARGET_REGION = _("A collection target is set for a city or county of your region.")

# the chain: from status → (to status, role, the version's field for the person, action)
STEPS = {
    "submit": (BudgetStatus.DRAFT, BudgetStatus.SUBMITTED, Role.BUDGET_OFFICER, "drafted_by"),
    "review_hrss": (
        BudgetStatus.SUBMITTED, BudgetStatus.HRSS_REVIEWED, Role.AGENCY_HEAD, "hrss_by"
    ),
    "review_finance": (
        BudgetStatus.HRSS_REVIEWED, BudgetStatus.FINANCE_REVIEWED, Role.FINANCE_OFFICER,
        "finance_by",
    ),
    "approve": (
        BudgetStatus.FINANCE_REVIEWED, BudgetStatus.APPROVED, Role.GOVERNMENT_APPROVER,
        "approved_by",
    ),
}  # fmt: skip
STEP_ACTIONS = {
    "submit": _("submitted"),
    "review_hrss": _("reviewed by HR and social security"),
    "review_finance": _("reviewed by finance"),
    "approve": _("approved"),
}
IN_CHAIN = (BudgetStatus.SUBMITTED, BudgetStatus.HRSS_REVIEWED, BudgetStatus.FINANCE_REVIEWED)


def period_of(day: date) -> Period:
    return Period.from_date(day)


def _province_of(actor) -> Region:
    return Region.objects.get(code=actor.region.province_code)


def _check_province_budget_officer(actor) -> None:
    if not (actor.has_role(Role.BUDGET_OFFICER) and level_at_least(actor, RegionLevel.PROVINCE)):
        raise NotPermitted(ERROR_NOT_PROVINCE_BUDGET, code="not_permitted")


def _log(actor, version: BudgetVersion, action: str, before: dict | None, reason: str) -> None:
    changelog.record(
        actor=actor, action=action, instance=version, before=before,
        after={"status": version.status, "number": version.number, "kind": version.kind,
               "total": str(sum((line.amount for line in version.lines.all()), Decimal(0)))},
        reason=reason,
    )  # fmt: skip


def _next_number(budget: Budget) -> int:
    return (budget.versions.aggregate(n=Max("number"))["n"] or 0) + 1


def _write_lines(version: BudgetVersion, amounts: dict[tuple[str, str], Decimal]) -> None:
    cities = {r.code for r in selectors.budget_regions(version.budget.region)}
    rows = []
    for (region, item), amount in sorted(amounts.items()):
        if region not in cities:
            raise InvalidInput(
                ERROR_UNKNOWN_REGION, code="unknown_region", params={"region": region}
            )
        if item not in BudgetItem.values:
            raise InvalidInput(code="unknown_item")
        if amount < 0:
            raise InvalidInput(ERROR_NEGATIVE, code="negative_amount")
        rows.append(BudgetLine(version=version, region_id=region, item=item, amount=amount))
    BudgetLine.objects.bulk_create(rows)  # a province's cities × items: a few hundred rows


@transaction.atomic
def budget_draft_create(
    *, actor, year: int, forecast: calc.Forecast, note: str = ""
) -> BudgetVersion:
    """A new version computed from last year's figures and the forecast parameters
    (``selectors.draft_amounts``): the year's budget, or, when the year's budget is
    approved, an adjustment plan based on it. Refused while another version is in
    the chain."""
    _check_province_budget_officer(actor)
    province = _province_of(actor)
    budget, _created = Budget.objects.get_or_create(year=year, region=province)
    budget = Budget.objects.select_for_update().get(pk=budget.pk)
    pending = budget.versions.filter(status__in=IN_CHAIN).first()
    if pending is not None:
        raise Conflict(ERROR_PENDING, code="pending", params={"number": pending.number})
    approved = budget.versions.filter(status=BudgetStatus.APPROVED).first()
    amounts, assumptions = selectors.draft_amounts(province=province, year=year, forecast=forecast)
    version = BudgetVersion(
        budget=budget, number=_next_number(budget),
        kind=VersionKind.ADJUSTMENT if approved else VersionKind.ORIGINAL,
        based_on=approved, assumptions=assumptions, note=note, drafted_by=actor,
    )  # fmt: skip
    version.full_clean()
    version.save()
    _write_lines(version, amounts)
    _log(actor, version, ChangeAction.CREATE, None, "computed")
    return version


@transaction.atomic
def budget_version_edit(
    *, actor, version_id: int, amounts: dict[tuple[str, str], Decimal], note: str = ""
) -> BudgetVersion:
    """Save an edited draft as the next version (the old one is kept, for comparing
    side by side): the draft's lines with ``amounts`` replacing those given. Refused
    on a version that left the draft (it is locked)."""
    _check_province_budget_officer(actor)
    source = BudgetVersion.objects.select_for_update().get(pk=version_id)
    if source.status != BudgetStatus.DRAFT:
        raise Locked(ERROR_LOCKED, code="locked", params={"status": source.get_status_display()})
    merged = {(line.region_id, line.item): line.amount for line in source.lines.all()}
    merged.update(amounts)
    version = BudgetVersion(
        budget=source.budget, number=_next_number(source.budget), kind=source.kind,
        based_on=source.based_on, assumptions={**source.assumptions, "edited_from": source.number},
        note=note or source.note, drafted_by=actor,
    )  # fmt: skip
    version.full_clean()
    version.save()
    _write_lines(version, merged)
    _log(actor, version, ChangeAction.UPDATE, {"from_version": source.number}, note or "edited")
    return version


@transaction.atomic
def budget_version_step(*, actor, version_id: int, step: str) -> BudgetVersion:
    """One step of the chain (``STEPS``): in order, by the step's role, never by a
    person who took an earlier step. Approving supersedes the version in force."""
    from_status, to_status, role, person_field = STEPS[step]
    version = BudgetVersion.objects.select_for_update().get(pk=version_id)
    if not actor.has_role(role) or (
        role in (Role.BUDGET_OFFICER, Role.AGENCY_HEAD)
        and not level_at_least(actor, RegionLevel.PROVINCE)
    ):
        raise NotPermitted(ERROR_STEP_ROLE, code="not_permitted", params={"role": Role(role).label})
    if version.status != from_status:
        raise Conflict(
            ERROR_OUT_OF_ORDER, code="out_of_order",
            params={"status": version.get_status_display(), "action": STEP_ACTIONS[step]},
        )  # fmt: skip
    earlier = [version.hrss_by_id, version.finance_by_id]
    if step != "submit" and actor.pk in [version.drafted_by_id, *earlier]:
        raise Conflict(ERROR_SAME_PERSON, code="same_person")
    before = {"status": version.status}
    if to_status == BudgetStatus.APPROVED:
        BudgetVersion.objects.filter(budget=version.budget, status=BudgetStatus.APPROVED).update(
            status=BudgetStatus.SUPERSEDED
        )
        version.approved_at = timezone.now()
    version.status = to_status
    setattr(version, person_field, actor)
    version.save()
    _log(actor, version, ChangeAction.APPROVE if step != "submit" else ChangeAction.UPDATE,
         before, str(STEP_ACTIONS[step]))  # fmt: skip
    return version


@transaction.atomic
def collection_target_set(
    *, actor, year: int, region_code: str, collection_amount: Decimal, insured_target: int
) -> CollectionTarget:
    """Set a city's or county's collection target and enrollment plan of a year (a
    budget officer of a region above it or of it)."""
    region = Region.objects.filter(code=region_code).first()
    if (
        region is None
        or region.level == RegionLevel.PROVINCE
        or not actor.has_role(Role.BUDGET_OFFICER)
        or not region_allows(actor, region_code, "prepare")
    ):
        raise NotPermitted(ERROR_TARGET_REGION, code="outside_region")
    if collection_amount < 0 or insured_target < 0:
        raise InvalidInput(ERROR_NEGATIVE, code="negative_amount")
    target = CollectionTarget.objects.select_for_update().filter(year=year, region=region).first()
    before = changelog.snapshot(target) if target else None
    if target is None:
        target = CollectionTarget(year=year, region=region)
    target.collection_amount = collection_amount
    target.insured_target = insured_target
    target.set_by = actor
    target.full_clean()
    target.save()
    changelog.record(
        actor=actor, action=ChangeAction.UPDATE if before else ChangeAction.CREATE,
        instance=target, before=before, after=changelog.snapshot(target),
    )  # fmt: skip
    return target


@transaction.atomic
def gap_payment_record(
    *, actor, year: int, region_code: str, payer: str, amount: Decimal, paid_on: date
) -> GapPayment:
    """Record a payment towards a city's gap of a year (a budget officer or a fund
    accountant of the province)."""
    if not (
        actor.has_role(Role.BUDGET_OFFICER, Role.FUND_ACCOUNTANT)
        and level_at_least(actor, RegionLevel.PROVINCE)
    ):
        raise NotPermitted(ERROR_NOT_PROVINCE_BUDGET, code="not_permitted")
    if payer not in GapPayer.values:
        raise InvalidInput(code="unknown_payer")
    if amount <= 0:
        raise InvalidInput(ERROR_NEGATIVE, code="negative_amount")
    province = _province_of(actor)
    if region_code not in {r.code for r in selectors.budget_regions(province)}:
        raise InvalidInput(
            ERROR_UNKNOWN_REGION, code="unknown_region", params={"region": region_code}
        )
    payment = GapPayment(
        year=year, region_id=region_code, payer=payer, amount=amount, paid_on=paid_on,
        recorded_by=actor,
    )  # fmt: skip
    payment.full_clean()
    payment.save()
    changelog.record(
        actor=actor, action=ChangeAction.CREATE, instance=payment,
        after=changelog.snapshot(payment),
    )  # fmt: skip
    return payment


def snapshot_month_end(*, period: Period) -> list:
    """The month-end snapshot of ``period`` for every province with an agency, taken by
    the system (beat); a month already taken is skipped."""
    from budget import snapshot

    runs = []
    provinces = Region.objects.filter(
        level=RegionLevel.PROVINCE,
        code__in=Agency.objects.values("region_id").distinct()
        .values_list("region_id", flat=True),
    )  # fmt: skip
    for province in provinces:
        try:
            runs.append(snapshot.snapshot_take(actor=None, period=period, province=province))
        except Conflict:
            continue
    return runs


def next_step(version: BudgetVersion) -> str | None:
    """The step of the chain the version waits for (None when it waits for none)."""
    for step, (from_status, _to, _role, _field) in STEPS.items():
        if version.status == from_status:
            return step
    return None


def may_take_step(actor, version: BudgetVersion) -> str | None:
    """The step ``actor`` may take on ``version`` now: its role's turn, at the province
    for the bureau's and HR/SS's steps, never a second step by one person; else None."""
    step = next_step(version)
    if step is None:
        return None
    _from, _to, role, _field = STEPS[step]
    if not actor.has_role(role):
        return None
    if role in (Role.BUDGET_OFFICER, Role.AGENCY_HEAD) and not level_at_least(
        actor, RegionLevel.PROVINCE
    ):
        return None
    if step != "submit" and actor.pk in (
        version.drafted_by_id, version.hrss_by_id, version.finance_by_id
    ):  # fmt: skip
        return None
    return step


def may_draft(actor) -> bool:
    """A budget officer of the province drafts and edits."""
    return actor.has_role(Role.BUDGET_OFFICER) and level_at_least(actor, RegionLevel.PROVINCE)


def may_record_gap_payment(actor) -> bool:
    """A budget officer or a fund accountant of the province records gap payments."""
    return actor.has_role(Role.BUDGET_OFFICER, Role.FUND_ACCOUNTANT) and level_at_least(
        actor, RegionLevel.PROVINCE
    )
