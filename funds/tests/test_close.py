"""The month-end close (DESIGN §5.5): revenue by item and county from the paid sources,
expenditure by item, county and bank from the bank's results, the sweep up to the
special account, the reserve alert; idempotent. Every figure worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection

from benefits.models import PayrollPayment
from benefits.payroll import bank
from benefits.payroll import runs as payroll
from benefits.tests.factories import retiree
from benefits.tests.test_payroll import import_result
from contributions.models import LateFeeCollection
from contributions.tests import test_payments as data
from funds import close, ledger, revenue
from funds.choices import AccountKind, CloseStatus, Counterparty, FundItem
from funds.models import CloseRun, FundAccount, JournalEntry
from funds.selectors import account_balances, actuals_by_item, ledger_total
from pension.errors import Conflict, NotPermitted
from pension.models import Region

pytestmark = pytest.mark.django_db
PERIOD = 202612


@pytest.fixture
def world(staff):
    """Contributions paid in 2025-04 by a Taiyuan employer (bills of test_payments):

    - 2025-03 (10 000.00, due 04-15) paid 04-10 on time: its lines 3 200.00 + 3 466.67
      = 6 666.67 employer, 1 600.00 + 1 733.33 = 3 333.33 individual;
    - 2025-02 (10 000.00, due 03-15) paid 04-10: 26 days late (03-16 … 04-10) →
      10 000.00 × 0.05 % × 26 = 130.00;
    - 2025-01 (9 600.00, due 02-15) paid 04-10 with 389.20 more: 54 days late
      (02-16 … 04-10: 13 + 31 + 10) → 9 600.00 × 0.05 % × 54 = 259.20; the 389.20
      left pays both late fees (130.00 + 259.20): late fees collected 389.20.
      (Bills 2025-01 and 2025-02 carry no lines: no contribution revenue.)

    A payroll of 2026-11 in the caseworker's county: 甲 3 200.00 paid by 中国工商银行,
    乙 2 875.40 failed (its result in today's month, 2026-12 or later). A tax transfer
    of 10 000.00 to the employer's county income account on 2026-12-01."""
    employer = data.find_employer()
    people = data.find_people()
    data.make_bills(staff, employer, people)
    tax = data._tax(staff, scopes=["contributions.pay", "funds.tax_transfer"])
    data._pay(tax, employer, "R-3", "10000.00", date(2025, 4, 10), periods=["2025-03"])
    data._pay(tax, employer, "R-2", "10000.00", date(2025, 4, 10), periods=["2025-02"])
    data._pay(tax, employer, "R-1", "9989.20", date(2025, 4, 10), periods=["2025-01"])
    assert sum(c.amount for c in LateFeeCollection.objects.all()) == D("389.20")

    agency = staff["caseworker"].agency
    retiree(agency, paid_through="2026-10", name="甲")
    retiree(agency, basic="1200.40", account="775.00", retired="2026-10", name="乙")
    run = payroll.payroll_run_create(
        actor=staff["caseworker"], period="2026-11", region=agency.region_id
    )
    payroll.payroll_run_execute(run.pk)
    payroll.payroll_run_approve(actor=staff["reviewer"], run=run)
    bank.payroll_run_export(actor=staff["caseworker"], run=run)
    a = PayrollPayment.objects.get(run=run, payee_name="甲")
    b = PayrollPayment.objects.get(run=run, payee_name="乙")
    import_result(
        staff,
        run,
        [
            [str(a.pk), a.bank_account, "3200.00", "成功", ""],
            [str(b.pk), b.bank_account, "2875.40", "失败", "账户冻结"],
        ],
    )
    county = employer.region
    ledger.fund_accounts_open(regions=[county])
    income = FundAccount.objects.get(region=county, kind=AccountKind.INCOME)
    revenue.tax_transfer_record(
        client=tax, transfer_number="HJ-1", transferred_on=date(2026, 12, 1),
        account_code=income.code, amount=D("10000.00"), receipt_numbers=["R-3"],
    )  # fmt: skip
    return {"employer_county": county, "payroll_county": agency.region}


def _account(region, kind, counterparty="", bank=""):
    return FundAccount.objects.get(
        region=region, kind=kind, counterparty=counterparty, bank=bank
    ).pk


def test_the_close_posts_revenue_expenditure_and_the_sweep(staff, world):
    run = close.close_run(actor=staff["province_accountant"], period=PERIOD)
    assert run.status == CloseStatus.POSTED
    ec, pc = world["employer_county"], world["payroll_county"]
    city = Region.objects.get(code=ec.parent_id)
    province = run.region
    # 6 666.67 + 3 333.33 + 389.20 = 10 389.20
    assert run.revenue_total == D("10389.20")
    assert run.expenditure_total == D("3200.00")
    assert run.sweep_total == D("10000.00")
    # 3 revenue items, pension and its bank settlement, county → city → special
    assert run.entry_count == 7
    assert actuals_by_item(year=2026, month=12) == sorted(
        [
            (ec.code, FundItem.CONTRIBUTION_EMPLOYER, 12, D("6666.67")),
            (ec.code, FundItem.CONTRIBUTION_INDIVIDUAL, 12, D("3333.33")),
            (ec.code, FundItem.LATE_FEE, 12, D("389.20")),
            (pc.code, FundItem.PENSION, 12, D("3200.00")),
        ]
    )
    balances = account_balances()
    icbc = _account(province, AccountKind.CLEARING, Counterparty.BANK, "中国工商银行")
    assert balances[_account(ec, AccountKind.INCOME)] == D("0.00")  # swept
    assert balances[_account(city, AccountKind.INCOME)] == D("0.00")  # swept on
    assert balances[_account(province, AccountKind.SPECIAL)] == D("10000.00")
    # collected 10 389.20, transferred 10 000.00: 389.20 still with the tax bureau
    assert balances[_account(ec, AccountKind.CLEARING, Counterparty.TAX)] == D("389.20")
    assert balances[_account(ec, AccountKind.REVENUE)] == D("-10389.20")
    assert balances[_account(pc, AccountKind.EXPENSE)] == D("3200.00")
    assert balances[icbc] == D("0.00")  # paid out: nothing left in transit
    assert balances[_account(pc, AccountKind.EXPENDITURE)] == D("-3200.00")
    assert ledger_total() == D("0.00")
    # the reserve: 3 200.00 spent over the last three months → 1 066.67 a month, 2 months
    # (funds.reserve_months, a working value) → 2 133.33 needed; the balance is −3 200.00
    assert run.reserve_alerts == 1
    assert run.parameters["reserve_short"] == [
        {"region": pc.code, "balance": "-3200.00", "needed": "2133.33"}
    ]


def test_the_close_is_idempotent(staff, world):
    run = close.close_run(actor=staff["province_accountant"], period=PERIOD)
    entries = JournalEntry.objects.count()
    # the same run again: nothing happens
    assert close.close_run_execute(run.pk).entry_count == 7
    # a second run of the month is refused
    with pytest.raises(Conflict) as refused:
        close.close_run(actor=staff["province_accountant"], period=PERIOD)
    assert refused.value.code == "close_exists"
    # the next month's close finds nothing new in the same sources
    following = close.close_run(actor=staff["province_accountant"], period=202701)
    assert (following.entry_count, following.revenue_total) == (0, D("0.00"))
    assert JournalEntry.objects.count() == entries
    # a chunk executed again (a redelivered task) meets its own keys
    close._chunk(run, world["employer_county"].code, 1)
    assert JournalEntry.objects.count() == entries


def test_only_a_provincial_fund_accountant_runs_it(staff, world):
    with pytest.raises(NotPermitted):
        close.close_run(actor=staff["county_accountant"], period=PERIOD)
    assert not CloseRun.objects.exists()


def test_the_revenue_stage_holds_each_county_once(staff, world):
    """The revenue due staged in one statement for every county (the close's stage):
    the employer's county 6 666.67 employer, 3 333.33 individual, 389.20 late fees
    (test_the_close_posts_…); another county nothing paid, its late fees 0.00; a county
    named twice is staged once."""
    run = close.close_run_create(actor=staff["province_accountant"], period=PERIOD)
    ec = world["employer_county"].code
    pc = Region.objects.filter(level="county").exclude(code=ec).order_by("code").first().code
    close.revenue_stage(run, [ec, pc, ec])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT region, item, amount FROM {close.REVENUE_STAGE} ORDER BY 1, 2")
        rows = cursor.fetchall()
    assert rows == sorted(
        [
            (ec, FundItem.CONTRIBUTION_EMPLOYER, D("6666.67")),
            (ec, FundItem.CONTRIBUTION_INDIVIDUAL, D("3333.33")),
            (ec, FundItem.LATE_FEE, D("389.20")),
            (pc, FundItem.LATE_FEE, D("0.00")),
        ]
    )
    close._chunk(run, ec, 1)  # the county's entries from the stage: its 3 revenue items
    assert JournalEntry.objects.filter(source_id=str(run.pk)).count() == 3


def test_accounts_already_open_cost_one_query(staff, world, django_assert_num_queries):
    regions = list(Region.objects.all())
    ledger.fund_accounts_open(regions=regions)
    with django_assert_num_queries(1):
        assert ledger.fund_accounts_open(regions=regions) == 0
