"""Properties of the ledger (hypothesis): for any sequence of paid credits, interest
postings and reversals, the balance is the sum of the entries (and the statement's
last closing), and re-running a batch adds nothing. Each example runs in a savepoint
that is rolled back, so examples do not see each other."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import cases, runs
from accounts.models import AccountEntry, PensionAccount
from accounts.selectors import account_statement
from accounts.services import account_balance
from accounts.tests.factories import make_person, paid_line
from pension.approvals import approval_request_approve

pytestmark = pytest.mark.django_db
PROVINCE = "140000"

months = st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=6, unique=True)
bases = st.integers(min_value=4198_00, max_value=20991_00).map(lambda fen: D(fen) / 100)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    chosen=months,
    base=bases,
    late=st.booleans(),
    reverse=st.lists(st.integers(min_value=0, max_value=5), max_size=3, unique=True),
    with_interest=st.booleans(),
)
def test_balance_is_the_sum_of_entries_and_batches_are_idempotent(
    staff, chosen, base, late, reverse, with_interest
):
    with transaction.atomic():
        person = make_person(staff["caseworker"].agency)
        for month in chosen:
            paid_on = date(2024 if month < 12 else 2025, min(month + 1, 12), 25 if late else 10)
            paid_line(person, f"2024-{month:02d}", str(base), paid_on=paid_on)
        first = runs.crediting_run_create(
            actor=staff["province_accountant"], region=PROVINCE, period="2025-01"
        )
        runs.crediting_run_execute(first.pk)
        account = PensionAccount.objects.get(person=person)
        credits = list(AccountEntry.objects.filter(account=account).order_by("id"))
        for index in reverse:
            if index < len(credits):
                request = cases.entry_reversal_request(
                    actor=staff["caseworker"], entry=credits[index], reason="test"
                )
                approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
        if with_interest:
            run = runs.interest_run_create(
                actor=staff["province_accountant"], region=PROVINCE, year=2024
            )
            run = runs.interest_run_execute(run.pk)
            runs.interest_run_approve(actor=staff["province_reviewer"], run=run)
            runs.interest_run_post(run.pk)

        total = AccountEntry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"]
        assert account_balance(account) == total
        assert account_statement(account)[-1].closing == total
        count = AccountEntry.objects.filter(account=account).count()

        again = runs.crediting_run_create(
            actor=staff["province_accountant"], region=PROVINCE, period="2025-01"
        )
        runs.crediting_run_execute(again.pk)
        if with_interest:
            runs.interest_run_post(run.pk)
        assert AccountEntry.objects.filter(account=account).count() == count
        assert account_balance(account) == total
        transaction.set_rollback(True)
