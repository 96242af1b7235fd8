"""The demo step "accounts" (accounts/demo.py) on the tiny province with its history:
balances brought over, every paid line credited once and no unpaid one, the interest
of each history year posted, and the ledger consistent with itself."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.db.models import F, Sum

from accounts import calc
from accounts.choices import AccountStatus, EntryKind, RunKind, RunStatus
from accounts.models import AccountEntry, AccountRun, InterestLine, PensionAccount
from contributions.choices import BillStatus
from contributions.models import Bill, ContributionLine
from pension.demo import load_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(db):
    return load_demo(scale="tiny", log=lambda message: None, history_years=3, until="accounts")


def test_the_demo_history_of_accounts(history):
    """One load of the history (it takes a while), three checks."""
    _accounts_credits_and_interest(history)
    _interest_lines_follow_the_formula()
    _balances_brought_over_follow_the_months_insured(history)


def _accounts_credits_and_interest(history):
    years = [history.today.year - 3, history.today.year - 2, history.today.year - 1]
    interest_runs = list(
        AccountRun.objects.filter(kind=RunKind.INTEREST)
        .order_by("year")
        .values_list("year", "status", "rate_provisional")
    )
    assert [(y, s) for y, s, _ in interest_runs] == [(y, RunStatus.POSTED) for y in years]
    assert PensionAccount.objects.exists()
    assert not PensionAccount.objects.filter(status=AccountStatus.CLOSED).exists()

    credited = set(
        AccountEntry.objects.filter(kind=EntryKind.CREDIT).values_list(
            "contribution_line_id", flat=True
        )
    )
    # a flexible contributor's line is credited exactly when its bill is paid in full
    flexible = ContributionLine.objects.filter(employer__isnull=True, posted=True)
    for line in flexible:
        bill = Bill.objects.get(run=line.run_id, person=line.person_id)
        assert (line.pk in credited) == (bill.status == BillStatus.PAID), line.pk
    assert len(credited) == AccountEntry.objects.filter(kind=EntryKind.CREDIT).count()
    # every credit is its line's account credit
    mismatched = AccountEntry.objects.filter(kind=EntryKind.CREDIT).exclude(
        amount=F("contribution_line__account_credit")
    )
    assert not mismatched.exists()


def _interest_lines_follow_the_formula():
    run = AccountRun.objects.filter(kind=RunKind.INTEREST).order_by("year").last()
    lines = InterestLine.objects.filter(run=run).select_related("account")[:20]
    assert lines
    for line in lines:
        entries = AccountEntry.objects.filter(
            account=line.account, value_period__gte=run.year * 100 + 1,
            value_period__lte=run.year * 100 + 12,
        ).exclude(kind=EntryKind.INTEREST)  # fmt: skip
        outcome = calc.year_interest(
            opening=line.opening,
            entries=[(e.value_period.month, e.amount) for e in entries],
            rate=run.rate,
        )
        assert (outcome.weighted, outcome.interest) == (line.weighted, line.interest)
        total = AccountEntry.objects.filter(
            account=line.account, value_period__lte=run.year * 100 + 12
        ).aggregate(s=Sum("amount"))["s"]
        assert total == line.closing


def _balances_brought_over_follow_the_months_insured(history):
    start = history.today.year - 3
    entry = (
        AccountEntry.objects.filter(kind=EntryKind.MIGRATED_BALANCE)
        .select_related("account")
        .order_by("account_id")
        .first()
    )
    opened = entry.account.opened_period
    months = (start - 1 - opened.year) * 12 + (12 - opened.month) + 1
    assert months > 0
    assert D("0.60") * months * D("320") <= entry.amount <= D("1.44") * months * D("320")
