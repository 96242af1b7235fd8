"""Three-way reconciliation (DESIGN §5.5, seed 000 item 10): a small month worked by
hand with two breaks, their workflow (a timing difference carried and matched next
month, a correcting entry approved by a second person), the sign-off refused while a
break is open and by its maker, an amount difference corrected by reversal and
repost, statements recorded once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from funds import ledger, reconciliation, revenue
from funds.choices import AccountKind, BreakKind, BreakStatus, FundItem, ReconciliationStatus
from funds.models import (
    AccountStatement,
    JournalEntry,
    ReconciliationBreak,
    ReconciliationMatch,
    ReconciliationRun,
    StatementLine,
)
from funds.reconciliation import StatementLineIn
from funds.selectors import account_balances, ledger_total
from pension import approvals
from pension.api import keys
from pension.errors import Conflict, InvalidInput, NotPermitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(staff):
    return make_world(staff)


def make_world(staff) -> dict:
    """A county's income account in October 2026 (every figure by hand):

    the ledger (tax bureau transfers, tax clearing → income account):
      HJ-1 10 000.00 on 10-05, HJ-2 2 500.00 on 10-20, HJ-3 1 200.00 on 10-31;
    the bank's statement of October (opening 0.00):
      1. 10-05 +10 000.00 reference HJ-1        → matched by reference
      2. 10-21 + 2 500.00 no reference          → matched by amount, a day apart
      3. 10-31 +     3.15 no reference (利息)   → on the statement, not in the ledger
      closing 0.00 + 10 000.00 + 2 500.00 + 3.15 = 12 503.15;
    HJ-3 reached the bank on 11-02: in the ledger, not on the statement (a timing
    difference). Two breaks."""
    county = staff["county_accountant"].region
    province = staff["province_accountant"].region
    tax, _key = keys.api_client_create(
        actor=staff["admin"], name="县税务", kind="tax", region=county,
        scopes=[revenue.TAX_TRANSFER_SCOPE],
    )  # fmt: skip
    bank, _key = keys.api_client_create(
        actor=staff["admin"], name="省工行", kind="bank", region=province,
        scopes=[reconciliation.STATEMENT_SCOPE], bank_name="中国工商银行",
    )  # fmt: skip
    income = ledger.fund_account_for(region=county, kind=AccountKind.INCOME)
    for number, day, amount in [
        ("HJ-1", date(2026, 10, 5), "10000.00"),
        ("HJ-2", date(2026, 10, 20), "2500.00"),
        ("HJ-3", date(2026, 10, 31), "1200.00"),
    ]:
        revenue.tax_transfer_record(
            client=tax, transfer_number=number, transferred_on=day, account_code=income.code,
            amount=D(amount), receipt_numbers=[f"R-{number}"],
        )  # fmt: skip
    return {"income": income, "bank": bank, "tax": tax, "county": county}


def _october_statement(world) -> AccountStatement:
    return reconciliation.statement_record(
        client=world["bank"], statement_number="ICBC-2026-10",
        account_code=world["income"].code, period=202610, opening_balance=D("0.00"),
        closing_balance=D("12503.15"),
        lines=[
            StatementLineIn(1, date(2026, 10, 5), D("10000.00"), "HJ-1", "税款划入"),
            StatementLineIn(2, date(2026, 10, 21), D("2500.00"), "", "税款划入"),
            StatementLineIn(3, date(2026, 10, 31), D("3.15"), "", "利息"),
        ],
    )  # fmt: skip


def _run(staff, period=202610) -> ReconciliationRun:
    return reconciliation.reconciliation_run(actor=staff["province_accountant"], period=period)


def test_a_month_with_two_breaks(staff, world):
    _october_statement(world)
    run = _run(staff)
    assert run.status == ReconciliationStatus.CALCULATED, run.error
    # one account moved; two pairs (10 000.00 + 2 500.00 = 12 500.00), two breaks
    assert (run.account_count, run.matched_count, run.break_count) == (1, 2, 2)
    assert run.matched_total == D("12500.00")
    rules = dict(
        ReconciliationMatch.objects.filter(run=run).values_list("line__line_number", "rule")
    )
    assert rules == {1: "reference", 2: "date"}
    breaks = {b.kind: b for b in run.breaks.all()}
    assert set(breaks) == {BreakKind.LEDGER_ONLY, BreakKind.BANK_ONLY}
    assert (
        breaks[BreakKind.LEDGER_ONLY].ledger_amount,
        breaks[BreakKind.LEDGER_ONLY].reference,
    ) == (
        D("1200.00"),
        "HJ-3",
    )
    assert breaks[BreakKind.LEDGER_ONLY].booked_on == date(2026, 10, 31)
    assert breaks[BreakKind.BANK_ONLY].bank_amount == D("3.15")
    # the balance adjustment: ledger 13 700.00 + 3.15 only on the statement = 13 703.15;
    # statement 12 503.15 + 1 200.00 only in the ledger = 13 703.15
    figures = run.accounts.get()
    assert (figures.ledger_opening, figures.ledger_closing) == (D("0.00"), D("13700.00"))
    assert (figures.ledger_in, figures.ledger_out) == (D("13700.00"), D("0.00"))
    assert (figures.bank_opening, figures.bank_closing) == (D("0.00"), D("12503.15"))
    assert (figures.bank_in, figures.bank_out) == (D("12503.15"), D("0.00"))
    assert (figures.ledger_only_total, figures.bank_only_total) == (D("1200.00"), D("3.15"))
    assert figures.adjusted_ledger == figures.adjusted_bank == D("13703.15")
    assert figures.balances_agree
    # the third way: the tax bureau's three transfers = the ledger's entries from them
    assert figures.records_total == figures.records_ledger_total == D("13700.00")
    # executed again (a redelivered task): nothing twice
    reconciliation.reconciliation_run_execute(run.pk)
    reconciliation._chunk(run, str(world["income"].pk), 1)
    assert ReconciliationMatch.objects.filter(run=run).count() == 2
    assert ReconciliationBreak.objects.filter(run=run).count() == 2


def test_the_breaks_worked_then_signed_off_by_a_second_person(staff, world):
    _october_statement(world)
    run = _run(staff)
    maker, checker = staff["province_accountant"], staff["province_reviewer"]
    with pytest.raises(Conflict) as refused:
        reconciliation.reconciliation_sign_off(actor=maker, run=run)
    assert (refused.value.code, refused.value.params["count"]) == ("breaks_open", 2)
    timing = run.breaks.get(kind=BreakKind.LEDGER_ONLY)
    interest = run.breaks.get(kind=BreakKind.BANK_ONLY)

    # the county's accountant works the county's breaks; another county's may not
    with pytest.raises(NotPermitted):
        reconciliation.break_explain(
            actor=staff["other_caseworker"], brk=timing, explanation="x", timing=True
        )
    reconciliation.break_assign(actor=maker, brk=timing, assignee=staff["county_accountant"])
    reconciliation.break_explain(
        actor=staff["county_accountant"], brk=timing,
        explanation="10-31 划转，银行 11-02 入账", timing=True,
    )  # fmt: skip
    # the interest the ledger lacks: an entry approved by a second person
    with pytest.raises(InvalidInput):
        reconciliation.break_correct(actor=staff["county_accountant"], brk=interest, reason="利息")
    request = reconciliation.break_correct(
        actor=staff["county_accountant"], brk=interest, reason="10月利息", item=FundItem.INTEREST
    )
    with pytest.raises(NotPermitted):
        approvals.approval_request_approve(
            actor=staff["county_accountant"], request_id=request.pk, reason=""
        )
    assert JournalEntry.objects.filter(item=FundItem.INTEREST).count() == 0
    approvals.approval_request_approve(actor=staff["reviewer"], request_id=request.pk, reason="")
    interest.refresh_from_db()
    assert interest.status == BreakStatus.RESOLVED
    entry = interest.correcting_entry
    assert (entry.item, entry.period.period.as_int) == (FundItem.INTEREST, 202610)
    assert sorted(entry.legs.values_list("amount", flat=True)) == [D("-3.15"), D("3.15")]
    assert account_balances()[world["income"].pk] == D("13703.15")
    assert ledger_total() == D("0.00")

    # the sign-off: the maker cannot approve it; a second person can
    request = reconciliation.reconciliation_sign_off(actor=maker, run=run)
    with pytest.raises(NotPermitted):
        approvals.approval_request_approve(actor=maker, request_id=request.pk, reason="")
    approvals.approval_request_approve(actor=checker, request_id=request.pk, reason="")
    run.refresh_from_db()
    assert (run.status, run.approved_by) == (ReconciliationStatus.APPROVED, checker)
    with pytest.raises(Conflict) as refused:
        reconciliation.break_explain(actor=maker, brk=timing, explanation="later")
    assert refused.value.code == "signed_off"

    # November: the bank books HJ-3 on 11-02 (opening 12 503.15 + 1 200.00 = 13 703.15);
    # the carried break matches it and is resolved; no break is left
    reconciliation.statement_record(
        client=world["bank"], statement_number="ICBC-2026-11", account_code=world["income"].code,
        period=202611, opening_balance=D("12503.15"), closing_balance=D("13703.15"),
        lines=[StatementLineIn(1, date(2026, 11, 2), D("1200.00"), "HJ-3", "税款划入")],
    )  # fmt: skip
    november = _run(staff, 202611)
    assert (november.account_count, november.matched_count, november.break_count) == (1, 1, 0)
    timing.refresh_from_db()
    assert (timing.status, timing.cleared_by_id) == (BreakStatus.RESOLVED, november.pk)
    figures = november.accounts.get()
    assert figures.ledger_closing == figures.bank_closing == D("13703.15")
    assert figures.balances_agree


def test_amounts_that_differ_are_corrected_by_reversal_and_repost(staff, world):
    """HJ-4: the ledger booked 800.00 on 10-12, the bank received 880.00 under HJ-4.
    The statement: 10 000.00 + 2 500.00 + 1 200.00 + 880.00 = 14 580.00."""
    income = world["income"]
    revenue.tax_transfer_record(
        client=world["tax"], transfer_number="HJ-4", transferred_on=date(2026, 10, 12),
        account_code=income.code, amount=D("800.00"), receipt_numbers=["R-HJ-4"],
    )  # fmt: skip
    reconciliation.statement_record(
        client=world["bank"], statement_number="ICBC-2026-10", account_code=income.code,
        period=202610, opening_balance=D("0.00"), closing_balance=D("14580.00"),
        lines=[
            StatementLineIn(1, date(2026, 10, 5), D("10000.00"), "HJ-1"),
            StatementLineIn(2, date(2026, 10, 12), D("880.00"), "HJ-4"),
            StatementLineIn(3, date(2026, 10, 20), D("2500.00"), "HJ-2"),
            StatementLineIn(4, date(2026, 10, 31), D("1200.00"), "HJ-3"),
        ],
    )  # fmt: skip
    run = _run(staff)
    assert (run.matched_count, run.break_count) == (3, 1)
    differs = run.breaks.get()
    assert (differs.kind, differs.ledger_amount, differs.bank_amount) == (
        BreakKind.AMOUNT_DIFFERS,
        D("800.00"),
        D("880.00"),
    )
    assert (differs.reference, differs.difference) == ("HJ-4", D("80.00"))
    figures = run.accounts.get()
    # 14 500.00 + 880.00 = 15 380.00 = 14 580.00 + 800.00
    assert figures.adjusted_ledger == figures.adjusted_bank == D("15380.00")
    with pytest.raises(InvalidInput) as refused:
        reconciliation.break_explain(
            actor=staff["county_accountant"], brk=differs, explanation="x", timing=True
        )
    assert refused.value.code == "timing_not_amount"
    request = reconciliation.break_correct(
        actor=staff["county_accountant"], brk=differs, reason="按银行回单更正"
    )
    approvals.approval_request_approve(actor=staff["reviewer"], request_id=request.pk, reason="")
    differs.refresh_from_db()
    assert differs.status == BreakStatus.RESOLVED
    original = differs.leg.entry
    assert differs.reversal_entry.reverses_id == original.pk
    assert sorted(differs.reversal_entry.legs.values_list("amount", flat=True)) == [
        D("-800.00"),
        D("800.00"),
    ]
    repost = differs.correcting_entry
    assert repost.legs.get(account=income).amount == D("880.00")
    assert repost.item == original.item == FundItem.TAX_TRANSFER
    # the ledger now says what the bank says
    assert account_balances()[income.pk] == D("14580.00")
    assert ledger_total() == D("0.00")
    request = reconciliation.reconciliation_sign_off(actor=staff["province_accountant"], run=run)
    approvals.approval_request_approve(
        actor=staff["province_reviewer"], request_id=request.pk, reason=""
    )
    run.refresh_from_db()
    assert run.status == ReconciliationStatus.APPROVED


def test_statements_are_recorded_once_and_must_add_up(staff, world):
    statement = _october_statement(world)
    assert (statement.line_count, StatementLine.objects.count()) == (3, 3)
    with pytest.raises(Conflict) as refused:
        reconciliation.statement_record(
            client=world["bank"], statement_number="ICBC-2026-10-B",
            account_code=world["income"].code, period=202610, opening_balance=D("0.00"),
            closing_balance=D("0.00"), lines=[],
        )  # fmt: skip
    assert refused.value.code == "statement_exists"
    city = ledger.fund_account_for(region=world["county"].parent, kind=AccountKind.INCOME)
    with pytest.raises(InvalidInput) as refused:
        reconciliation.statement_record(
            client=world["bank"], statement_number="ICBC-C-2026-10", account_code=city.code,
            period=202610, opening_balance=D("100.00"), closing_balance=D("150.00"),
            lines=[StatementLineIn(1, date(2026, 10, 3), D("40.00"))],
        )  # fmt: skip
    assert refused.value.code == "statement_not_balanced"
    with pytest.raises(InvalidInput) as refused:
        reconciliation.statement_record(
            client=world["bank"], statement_number="ICBC-C-2026-10", account_code=city.code,
            period=202610, opening_balance=D("0.00"), closing_balance=D("40.00"),
            lines=[StatementLineIn(1, date(2026, 11, 3), D("40.00"))],
        )  # fmt: skip
    assert refused.value.code == "line_outside_month"
    with pytest.raises(NotPermitted):  # the county's tax system has no province account
        province = ledger.fund_account_for(
            region=staff["province_accountant"].region, kind=AccountKind.SPECIAL
        )
        reconciliation.statement_record(
            client=world["tax"], statement_number="X-1", account_code=province.code,
            period=202610, opening_balance=D("0.00"), closing_balance=D("0.00"), lines=[],
        )  # fmt: skip
    assert AccountStatement.objects.count() == 1


def test_only_a_provincial_fund_accountant_runs_it_once(staff, world):
    with pytest.raises(NotPermitted):
        reconciliation.reconciliation_run(actor=staff["county_accountant"], period=202610)
    with pytest.raises(InvalidInput) as refused:  # the month is not over
        reconciliation.reconciliation_run(actor=staff["province_accountant"], period=209901)
    assert refused.value.code == "month_not_over"
    _run(staff)
    with pytest.raises(Conflict) as refused:
        _run(staff)
    assert refused.value.code == "reconciliation_exists"
    assert ReconciliationRun.objects.count() == 1


def test_a_month_closes_only_when_every_break_is_settled(staff, world):
    _october_statement(world)
    run = _run(staff)
    maker, checker = staff["province_accountant"], staff["province_reviewer"]
    with pytest.raises(Conflict) as refused:
        ledger.period_close(actor=maker, period=202610)
    assert refused.value.code == "breaks_open" and refused.value.params["count"] == 2
    timing, interest = sorted(run.breaks.all(), key=lambda b: b.kind != BreakKind.LEDGER_ONLY)
    reconciliation.break_explain(
        actor=maker, brk=timing, explanation="HJ-3 于 11-02 到账", timing=True
    )
    with pytest.raises(Conflict) as still:  # one of two settled
        ledger.period_close(actor=maker, period=202610)
    assert still.value.params["count"] == 1
    reconciliation.break_explain(actor=maker, brk=interest, explanation="银行结息，下月入账")
    request = ledger.period_close(actor=maker, period=202610)
    approvals.approval_request_approve(actor=checker, request_id=request.pk)
    assert ledger.accounting_period_for(202610).status == "closed"
