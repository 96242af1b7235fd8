"""The demo step "funds" (funds/demo.py) on the tiny province with a year of history:
closed months posted by the month-end close from the demo's own contributions and bank
results, money moved through the income and expenditure accounts, revenue recorded by
cases, one spending-plan cycle to the counties; the ledger balances and a second load
adds nothing. The closed months reconciled from finance's and the banks' statements,
signed off but the last, whose planted bank fee of 12.50 is the one open break."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.db.models import Sum

from benefits.models import PayrollPayment
from funds import ledger, reconciliation, statements
from funds.choices import (
    BREAK_SETTLED,
    AccountKind,
    BreakKind,
    BreakStatus,
    DisbursementStatus,
    FundItem,
    OtherRevenueStatus,
    PeriodStatus,
    PlanStatus,
    ReconciliationStatus,
)
from funds.models import (
    AccountingPeriod,
    AccountStatement,
    Disbursement,
    JournalEntry,
    OtherRevenue,
    ReconciliationBreak,
    ReconciliationRun,
    SpendingPlan,
    StatementLine,
)
from funds.selectors import account_balances, ledger_total
from pension import approvals
from pension.choices import Role
from pension.demo import load_demo
from pension.models import Region, StaffUser
from pension.periods import Period

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(db):
    return load_demo(scale="tiny", log=lambda message: None, history_years=1, until="funds")


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

    _reconciliations_and_the_planted_break(history)

    entries, statements_count = JournalEntry.objects.count(), AccountStatement.objects.count()
    load_demo(scale="tiny", log=lambda message: None, history_years=1, until="funds")
    assert JournalEntry.objects.count() == entries
    assert AccountStatement.objects.count() == statements_count


def _reconciliations_and_the_planted_break(reconciled):
    """The last three closed months reconciled from finance's and the banks'
    statements; all but the last signed off; the last has the planted bank fee of 12.50
    open on the capital's first county's expenditure account, and the break's workflow
    still works there."""
    today = reconciled.today
    months = list(Period.range(Period.from_date(today) - 4, Period.from_date(today) - 2))
    last = months[-1]
    province = Region.objects.get(pk=reconciled.province_code)
    capital = Region.objects.filter(parent=province).order_by("code").first()
    county = Region.objects.filter(parent=capital).order_by("code").first()
    fee_account = ledger.fund_account_for(region=county, kind=AccountKind.EXPENDITURE)

    runs = ReconciliationRun.objects.filter(region=province, dry_run=False)
    signed = sorted(
        Period.parse(p)
        for p in runs.filter(status=ReconciliationStatus.APPROVED).values_list("period", flat=True)
    )
    # the last three closed months (August to October on 6 December 2026), the first
    # two signed off
    assert runs.count() == 3 and signed == months[:-1] and len(signed) == 2
    assert all(run.break_count == 0 and run.matched_count > 0 for run in runs.exclude(period=last))

    # exactly one break that is neither explained, carried nor resolved
    open_breaks = ReconciliationBreak.objects.exclude(status__in=list(BREAK_SETTLED))
    brk = open_breaks.get()
    assert (brk.kind, brk.bank_amount, brk.ledger_amount) == (
        BreakKind.BANK_ONLY,
        D("-12.50"),
        None,
    )
    assert brk.account == fee_account and brk.booked_on == last.last_day
    assert brk.status == BreakStatus.ASSIGNED and brk.assignee.region == county
    assert brk.line.memo == "账户管理费（银行扣收，待核实）"
    run = brk.run
    assert Period.parse(run.period) == last and run.status == ReconciliationStatus.CALCULATED
    assert run.break_count == 1
    # every other line of the month matched a leg: lines = pairs + the fee
    lines = StatementLine.objects.filter(statement__period=last).count()
    assert lines == run.matched_count + 1
    # the month is closed nonetheless (closed before its reconciliation)
    assert AccountingPeriod.objects.get(period=last).status == PeriodStatus.CLOSED
    # the balance adjustment: the statement closes 12.50 below the ledger, and agrees
    # once the fee (on the statement, not in the ledger) is added to the ledger's side
    figures = run.accounts.get(account=fee_account)
    assert figures.bank_closing == figures.ledger_closing - D("12.50")
    assert figures.bank_only_total == D("-12.50") and figures.balances_agree
    # finance posted the special account's statement, the banks the others
    kinds = set(
        AccountStatement.objects.filter(period=last).values_list("account__kind", "client__kind")
    )
    assert kinds == {("special", "finance"), ("income", "bank"), ("expenditure", "bank")}

    # the county's fund accountant corrects it (an expenditure entry of 12.50, in this
    # month: the break's month is closed), a reviewer approves, then the sign-off
    maker = brk.assignee
    checker = (
        StaffUser.objects.filter(
            agency__region=county, roles__contains=[Role.REVIEWER], is_active=True
        )
        .exclude(pk=maker.pk)
        .order_by("username")
        .first()
    )
    before = account_balances(region_code=county.code)[fee_account.pk]
    request = reconciliation.break_correct(
        actor=maker, brk=brk, reason="银行手续费入账", item=FundItem.OTHER_EXPENDITURE
    )
    approvals.approval_request_approve(actor=checker, request_id=request.pk)
    brk.refresh_from_db()
    assert brk.status == BreakStatus.RESOLVED
    assert brk.correcting_entry.period.period == Period.from_date(today)
    after = account_balances(region_code=county.code)[fee_account.pk]
    assert after == before - D("12.50")
    sign_off = reconciliation.reconciliation_sign_off(
        actor=StaffUser.objects.get(username="province_accountant"), run=run
    )
    approvals.approval_request_approve(
        actor=StaffUser.objects.get(username="province_reviewer"), request_id=sign_off.pk
    )
    run.refresh_from_db()
    assert run.status == ReconciliationStatus.APPROVED
