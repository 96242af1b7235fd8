"""Property of the fund ledger (hypothesis): for any sequence of postings and
reversals, each account's balance equals the sum of its legs (and what a model of the
postings kept beside says), and the ledger sums to zero. A reversal of an entry
reversed already is refused and changes nothing. Each example runs in a savepoint
rolled back at its end, after the database's own commit-time checks ran (SET
CONSTRAINTS ALL IMMEDIATE)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funds import ledger
from funds.choices import AccountKind, Counterparty, FundItem
from funds.ledger import Leg, Source
from funds.models import JournalEntry, JournalLeg
from funds.selectors import account_balances, ledger_total
from pension.errors import Conflict

pytestmark = pytest.mark.django_db

KINDS = [
    (AccountKind.INCOME, ""),
    (AccountKind.EXPENDITURE, ""),
    (AccountKind.CLEARING, Counterparty.TAX),
    (AccountKind.REVENUE, ""),
    (AccountKind.EXPENSE, ""),
]

amounts = st.integers(min_value=-(10**9), max_value=10**9).filter(bool)  # fen, never zero
posting = st.tuples(
    st.lists(
        st.tuples(st.integers(0, len(KINDS) - 1), amounts), min_size=1, max_size=4
    ),  # the legs but the last; the last balances them
    st.integers(0, len(KINDS) - 1),
    st.sampled_from([202601, 202602, 202603]),
)
operation = st.one_of(
    st.tuples(st.just("post"), posting),
    st.tuples(st.just("reverse"), st.integers(0, 30)),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=12))
def test_balances_are_sums_of_legs_and_the_ledger_sums_to_zero(staff, operations):
    actor = staff["county_accountant"]
    with transaction.atomic():
        accounts = [
            ledger.fund_account_for(region=actor.region, kind=kind, counterparty=counterparty)
            for kind, counterparty in KINDS
        ]
        expected: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
        posted: list[tuple[JournalEntry, list[tuple[int, Decimal]]]] = []
        reversed_: set[int] = set()
        for number, (kind, arguments) in enumerate(operations):
            if kind == "post":
                legs_in, last, period = arguments
                legs = [(accounts[i].pk, Decimal(fen) / 100) for i, fen in legs_in]
                rest = -sum((amount for _a, amount in legs), Decimal("0.00"))
                if rest == 0:
                    continue  # the legs balance alone; the balancing leg would be zero
                legs.append((accounts[last].pk, rest))
                entry = ledger.post_entry(
                    actor=actor,
                    period=period,
                    legs=[Leg(account, amount) for account, amount in legs],
                    source=Source("property", str(number)),
                    idempotency_key=f"p{number}",
                    item=FundItem.OTHER_REVENUE,
                )
                posted.append((entry, legs))
                for account, amount in legs:
                    expected[account] += amount
            elif posted:
                index = arguments % len(posted)
                entry, legs = posted[index]
                if index in reversed_:
                    with pytest.raises(Conflict):
                        ledger.reverse_entry(
                            actor=actor, entry=entry, reason="again", idempotency_key=f"r{number}"
                        )
                    continue
                ledger.reverse_entry(actor=actor, entry=entry, reason="correction")
                reversed_.add(index)
                for account, amount in legs:
                    expected[account] -= amount
        with connection.cursor() as cursor:  # the commit-time checks, now
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        balances = account_balances()
        sums = dict(
            JournalLeg.objects.values("account")
            .annotate(total=Sum("amount"))
            .values_list("account", "total")
        )
        for account in accounts:
            assert balances.get(account.pk, Decimal("0.00")) == expected[account.pk]
            assert sums.get(account.pk, Decimal("0.00")) == expected[account.pk]
        assert ledger_total() == Decimal("0.00")
        assert JournalEntry.objects.filter(reverses__isnull=False).count() == len(reversed_)
        transaction.set_rollback(True)
