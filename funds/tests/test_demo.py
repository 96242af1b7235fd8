"""The demo step "funds" (funds/demo.py) on the tiny province with a year of history:
closed months posted by the month-end close from the demo's own contributions and bank
results, money moved through the income and expenditure accounts, revenue recorded by
cases, one spending-plan cycle to the counties; the ledger balances and a second load
adds nothing."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.db.models import Sum

from benefits.models import PayrollPayment
from funds import statements
from funds.choices import DisbursementStatus, OtherRevenueStatus, PeriodStatus, PlanStatus
from funds.models import AccountingPeriod, Disbursement, JournalEntry, OtherRevenue, SpendingPlan
from funds.selectors import ledger_total
from pension.demo import load_demo
from pension.models import Region
from pension.periods import Period

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(db):
    return load_demo(scale="tiny", log=lambda message: None, history_years=1)


def test_closed_months_plans_and_cases(history):
    this_month = Period.from_date(history.today)
    last_closed = this_month - 2
    closed = list(
        AccountingPeriod.objects.filter(status=PeriodStatus.CLOSED).values_list("period", flat=True)
    )
    assert closed[0] == last_closed and closed[-1] == Period(history.today.year - 1, 1)
    assert ledger_total() == D("0.00")

    # the statement's pensions of the last closed month are what the banks paid of its
    # payroll (the demo's results come in on the 15th of the payroll's month)
    province = Region.objects.get(pk=history.province_code)
    paid = PayrollPayment.objects.filter(
        run__period=last_closed, run__dry_run=False, status="paid", instruction__isnull=True
    ).aggregate(total=Sum("amount"))["total"]
    statement = statements.revenue_expenditure_statement(region=province, period=last_closed)
    assert statement.row("total_expenditure").month == paid > 0
    assert statements.latest_period(today=history.today) == last_closed

    # revenue recorded by cases in the last three closed months, each posted
    assert OtherRevenue.objects.filter(status=OtherRevenueStatus.POSTED).count() == 9
    assert statement.row("central_adjustment").month == (paid / 100).quantize(D("0.01"))

    # one spending-plan cycle for this month, disbursed down to the county
    plan = SpendingPlan.objects.get(region=province, period=this_month)
    assert plan.status == PlanStatus.APPROVED and plan.finance_transfers.count() == 1
    paid_out = Disbursement.objects.filter(plan__period=this_month)
    assert paid_out.exists()
    assert all(d.status == DisbursementStatus.PAID and d.ledger_entry_id for d in paid_out)

    entries = JournalEntry.objects.count()
    load_demo(scale="tiny", log=lambda message: None, history_years=1)
    assert JournalEntry.objects.count() == entries
