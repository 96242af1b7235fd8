"""The budget's approval chain (DESIGN §5.6): in order, each step by a different person
of the step's role; an approved version is locked (the service and the database refuse
a change); a change is an adjustment plan through the same chain."""

from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction

from budget import calc, services
from budget.choices import BudgetStatus, VersionKind
from budget.models import BudgetLine, BudgetVersion
from pension.errors import Conflict, Locked, NotPermitted
from pension.models import ChangeLogEntry, StaffUser

pytestmark = pytest.mark.django_db

FORECAST = calc.Forecast(D("0.02"), D("0.03"), D("0.05"), D("0.95"), D("0.02"))
TAIYUAN = "140100"


def _draft(staff):
    return services.budget_draft_create(
        actor=staff["province_budget"], year=2027, forecast=FORECAST
    )


def _through(staff, version, *steps):
    people = {"submit": "province_budget", "review_hrss": "province_head",
              "review_finance": "province_finance", "approve": "province_government"}  # fmt: skip
    for step in steps:
        version = services.budget_version_step(
            actor=staff[people[step]], version_id=version.pk, step=step
        )
    return version


def test_the_chain_in_order_approves_and_locks(staff):
    version = _draft(staff)
    edited = services.budget_version_edit(
        actor=staff["province_budget"], version_id=version.pk,
        amounts={(TAIYUAN, "contribution_income"): D("1234.56")}, note="太原市调整",
    )  # fmt: skip
    assert (version.number, edited.number) == (1, 2)
    assert BudgetLine.objects.get(
        version=edited, region=TAIYUAN, item="contribution_income"
    ).amount == D("1234.56")
    # the first version is kept as it was
    assert BudgetLine.objects.get(
        version=version, region=TAIYUAN, item="contribution_income"
    ).amount == D("0.00")
    approved = _through(staff, edited, "submit", "review_hrss", "review_finance", "approve")
    assert approved.status == BudgetStatus.APPROVED
    assert (approved.drafted_by, approved.hrss_by, approved.finance_by, approved.approved_by) == (
        staff["province_budget"], staff["province_head"], staff["province_finance"],
        staff["province_government"],
    )  # fmt: skip
    assert (
        ChangeLogEntry.objects.filter(
            object_type="budget.budgetversion", object_id=str(approved.pk)
        ).count()
        == 5
    )


def test_out_of_order_steps_are_refused_and_nothing_changes(staff):
    version = _draft(staff)
    with pytest.raises(Conflict) as refused:
        services.budget_version_step(
            actor=staff["province_finance"], version_id=version.pk, step="review_finance"
        )
    assert refused.value.code == "out_of_order"
    version = _through(staff, version, "submit")
    with pytest.raises(Conflict) as refused:
        services.budget_version_step(
            actor=staff["province_government"], version_id=version.pk, step="approve"
        )
    assert refused.value.code == "out_of_order"
    version.refresh_from_db()
    assert version.status == BudgetStatus.SUBMITTED and version.approved_by is None


def test_the_same_person_cannot_take_two_steps(staff):
    version = _through(staff, _draft(staff), "submit")
    # one person with every role still may not review what they submitted
    everything = staff["province_budget"]
    everything.roles = [*everything.roles, "agency_head", "finance_officer"]
    everything.save(update_fields=["roles"])
    with pytest.raises(Conflict) as refused:
        services.budget_version_step(actor=everything, version_id=version.pk, step="review_hrss")
    assert refused.value.code == "same_person"
    version.refresh_from_db()
    assert version.status == BudgetStatus.SUBMITTED and version.hrss_by is None
    # nor does the database let it through
    with pytest.raises(IntegrityError), transaction.atomic():
        BudgetVersion.objects.filter(pk=version.pk).update(hrss_by=everything)


def test_a_step_needs_its_role(staff):
    version = _through(staff, _draft(staff), "submit")
    with pytest.raises(NotPermitted):
        services.budget_version_step(
            actor=staff["city_budget"], version_id=version.pk, step="review_hrss"
        )
    with pytest.raises(NotPermitted):
        services.budget_version_step(
            actor=staff["county_head"], version_id=version.pk, step="review_hrss"
        )
    with pytest.raises(NotPermitted):
        services.budget_draft_create(actor=staff["city_budget"], year=2027, forecast=FORECAST)


def test_an_approved_budget_cannot_be_edited(staff):
    approved = _through(staff, _draft(staff), "submit", "review_hrss", "review_finance", "approve")
    line = BudgetLine.objects.get(version=approved, region=TAIYUAN, item="contribution_income")
    with pytest.raises(Locked) as refused:
        services.budget_version_edit(
            actor=staff["province_budget"], version_id=approved.pk,
            amounts={(TAIYUAN, "contribution_income"): D("1.00")},
        )  # fmt: skip
    assert refused.value.code == "locked"
    # the database refuses a change to its lines, a new line and a deletion
    with pytest.raises(IntegrityError, match="budgetline_locked"), transaction.atomic():
        BudgetLine.objects.filter(pk=line.pk).update(amount=D("1.00"))
    with pytest.raises(IntegrityError, match="budgetline_locked"), transaction.atomic():
        BudgetLine.objects.filter(pk=line.pk).delete()
    with pytest.raises(IntegrityError, match="budgetversion_locked"), transaction.atomic():
        BudgetVersion.objects.filter(pk=approved.pk).update(status=BudgetStatus.DRAFT)
    line.refresh_from_db()
    assert line.amount == D("0.00")


def test_an_adjustment_plan_goes_through_the_same_chain(staff):
    approved = _through(staff, _draft(staff), "submit", "review_hrss", "review_finance", "approve")
    plan = _draft(staff)
    assert (plan.kind, plan.based_on, plan.number) == (VersionKind.ADJUSTMENT, approved, 2)
    # a second draft while the plan is in the chain is refused
    plan = _through(staff, plan, "submit")
    with pytest.raises(Conflict):
        _draft(staff)
    plan = _through(staff, plan, "review_hrss", "review_finance", "approve")
    approved.refresh_from_db()
    assert (plan.status, approved.status) == (BudgetStatus.APPROVED, BudgetStatus.SUPERSEDED)


def test_the_demo_has_the_chain_s_people(staff):
    roles = {
        u: StaffUser.objects.get(username=u).roles
        for u in ("province_head", "province_finance", "province_government")
    }
    assert roles == {"province_head": ["agency_head"], "province_finance": ["finance_officer"],
                     "province_government": ["government_approver"]}  # fmt: skip
