"""The demo step of budget: after a year of history the pages have figures (a budget
approved through the chain, next year's draft, targets, snapshots, ledger actuals)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from budget.choices import BudgetStatus, SnapshotStatus
from budget.models import BudgetVersion, CollectionTarget, SnapshotRun
from pension.periods import Period

pytestmark = pytest.mark.django_db


@pytest.mark.timeout(900)
def test_the_demo_has_a_budget_through_the_chain_targets_and_a_scorecard_month(client):
    from pension.demo import load_demo
    from pension.models import StaffUser

    load_demo(scale="tiny", log=lambda message: None, history_years=1)
    year = timezone.localdate().year
    approved = BudgetVersion.objects.get(budget__year=year, status=BudgetStatus.APPROVED)
    assert [u.username for u in (approved.drafted_by, approved.hrss_by, approved.finance_by,
                                 approved.approved_by)] == [
        "province_budget", "province_head", "province_finance", "province_government"]  # fmt: skip
    assert approved.lines.filter(item="pension_expenditure", amount__gt=0).exists()
    assert BudgetVersion.objects.get(budget__year=year + 1).status == BudgetStatus.DRAFT
    assert CollectionTarget.objects.filter(year=year, region__level="city").count() >= 2
    last_month = Period.from_date(timezone.localdate()).prev()
    assert SnapshotRun.objects.get(period=last_month).status == SnapshotStatus.CALCULATED
    client.force_login(StaffUser.objects.get(username="province_budget"))
    page = client.get(
        reverse("budget:scorecards"),
        {"year": last_month.year, "month": last_month.month, "level": "city"},
    ).content.decode()
    assert "data-score>—<" not in page.split('id="scorecard"')[1].split("</tr>")[1]
    page = client.get(reverse("budget:execution")).content.decode()
    assert 'data-chart="execution"' in page
