"""The fund ledger (DESIGN §5.5): balance, closed periods and immutability kept by the
database; posting, reversal and idempotency by the services."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.utils import ProgrammingError

from funds import ledger
from funds.choices import AccountKind, Counterparty, FundItem, PeriodStatus
from funds.ledger import Leg, Source, credit, debit
from funds.models import AccountingPeriod, FundAccount, JournalEntry, JournalLeg
from funds.selectors import account_balances, actuals_by_item, ledger_total
from pension.approvals import approval_request_approve
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ChangeLogEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(staff):
    return staff["county_accountant"].region


@pytest.fixture
def accounts(county):
    return {
        "tax": ledger.fund_account_for(
            region=county, kind=AccountKind.CLEARING, counterparty=Counterparty.TAX
        ),
        "income": ledger.fund_account_for(region=county, kind=AccountKind.INCOME),
        "revenue": ledger.fund_account_for(region=county, kind=AccountKind.REVENUE),
        "expense": ledger.fund_account_for(region=county, kind=AccountKind.EXPENSE),
        "expenditure": ledger.fund_account_for(region=county, kind=AccountKind.EXPENDITURE),
    }


def _post(actor, accounts, amount="1000.00", key="k1", period=202601, **kw):
    return ledger.post_entry(
        actor=actor,
        period=period,
        legs=[
            debit(accounts["tax"], Decimal(amount)),
            credit(accounts["revenue"], Decimal(amount)),
        ],
        source=Source("test", "1", "R-1"),
        memo="test",
        idempotency_key=key,
        item=kw.pop("item", FundItem.CONTRIBUTION_EMPLOYER),
        **kw,
    )


def test_account_codes_and_names(county, accounts):
    assert accounts["income"].code == f"{county.code}-SR"
    assert accounts["tax"].code == f"{county.code}-WL-TAX"
    assert accounts["income"].name == f"{county.name}收入户"
    assert accounts["tax"].name == f"{county.name}税务部门往来清算"
    # opened once: a second call finds it
    again = ledger.fund_account_for(region=county, kind=AccountKind.INCOME)
    assert again.pk == accounts["income"].pk


def test_post_entry_writes_balanced_legs_and_logs(staff, accounts):
    actor = staff["county_accountant"]
    entry = _post(actor, accounts, "1234.56")
    assert entry.replayed is False
    legs = list(entry.legs.order_by("id").values_list("account_id", "amount"))
    assert legs == [
        (accounts["tax"].pk, Decimal("1234.56")),
        (accounts["revenue"].pk, Decimal("-1234.56")),
    ]
    assert entry.period.period.as_int == 202601
    assert ChangeLogEntry.objects.filter(
        object_type="funds.journalentry", object_id=str(entry.pk), action="create"
    ).exists()
    balances = account_balances()
    assert balances[accounts["tax"].pk] == Decimal("1234.56")
    assert balances[accounts["revenue"].pk] == Decimal("-1234.56")
    assert ledger_total() == Decimal("0.00")


def test_post_entry_refuses_bad_input_and_writes_nothing(staff, accounts):
    actor = staff["county_accountant"]
    cases = [
        ([debit(accounts["tax"], Decimal("10")), credit(accounts["revenue"], Decimal("9.99"))],
         "unbalanced"),
        ([debit(accounts["tax"], Decimal("10"))], "too_few_legs"),
        ([debit(accounts["tax"], Decimal("0")), credit(accounts["revenue"], Decimal("0"))],
         "zero_leg"),
        ([debit(accounts["tax"], Decimal("0.001")), credit(accounts["revenue"], Decimal("0.001"))],
         "bad_amount"),
        ([Leg(accounts["tax"], 1.5), Leg(accounts["revenue"], -1.5)], "bad_amount"),
        ([Leg(999999, Decimal("1")), Leg(accounts["revenue"], Decimal("-1"))], "unknown_account"),
    ]  # fmt: skip
    for legs, code in cases:
        with pytest.raises(InvalidInput) as refused:
            ledger.post_entry(
                actor=actor, period=202601, legs=legs, source=Source("test"),
                idempotency_key=f"bad-{code}", item=FundItem.LATE_FEE,
            )  # fmt: skip
        assert refused.value.code == code
    assert str(InvalidInput(ledger.UNBALANCED, params={"difference": "0.01"})) == (
        "借贷不平衡：借方与贷方相差 0.01。"
    )
    with pytest.raises(InvalidInput) as refused:
        _post(actor, accounts, item="nonsense")
    assert refused.value.code == "unknown_item"
    assert JournalEntry.objects.count() == 0
    assert JournalLeg.objects.count() == 0


def test_idempotent_by_key(staff, accounts):
    actor = staff["county_accountant"]
    first = _post(actor, accounts, "50.00", key="tax-2026-01-001")
    again = _post(actor, accounts, "50.00", key="tax-2026-01-001")
    assert again.pk == first.pk and again.replayed is True
    assert JournalEntry.objects.count() == 1
    with pytest.raises(Conflict) as refused:
        _post(actor, accounts, "50.01", key="tax-2026-01-001")
    assert refused.value.code == "idempotency_key_reused"
    assert JournalEntry.objects.count() == 1 and JournalLeg.objects.count() == 2


def test_reversal_negates_and_only_once(staff, accounts):
    actor = staff["county_accountant"]
    entry = _post(actor, accounts, "300.00")
    reversal = ledger.reverse_entry(actor=actor, entry=entry, reason="录入错误")
    assert reversal.reverses_id == entry.pk
    assert reversal.item == FundItem.CONTRIBUTION_EMPLOYER
    assert sorted(reversal.legs.values_list("account_id", "amount")) == sorted(
        [(accounts["tax"].pk, Decimal("-300.00")), (accounts["revenue"].pk, Decimal("300.00"))]
    )
    # the same reversal again is a replay; another key is refused
    assert ledger.reverse_entry(actor=actor, entry=entry, reason="录入错误").pk == reversal.pk
    with pytest.raises(Conflict) as refused:
        ledger.reverse_entry(actor=actor, entry=entry, reason="again", idempotency_key="x")
    assert refused.value.code == "already_reversed"
    balances = account_balances()
    assert balances[accounts["tax"].pk] == Decimal("0.00")
    with pytest.raises(InvalidInput):
        ledger.reverse_entry(actor=actor, entry=entry, reason=" ")


def _raw_entry(cursor, period_id, actor_id, key):
    cursor.execute(
        "INSERT INTO funds_journalentry (period_id, item, memo, source_type, source_id,"
        " source_reference, actor_id, idempotency_key, content_hash, posted_at)"
        " VALUES (%s, 'late_fee', '', 'raw', '', '', %s, %s, '', now()) RETURNING id",
        [period_id, actor_id, key],
    )
    return cursor.fetchone()[0]


def test_database_refuses_an_unbalanced_entry(staff, accounts):
    """Raw SQL around the services: the deferred trigger refuses at commit (SET
    CONSTRAINTS … IMMEDIATE runs the commit-time check now, inside the test's
    transaction)."""
    period = ledger.accounting_period_for(202601)
    actor = staff["county_accountant"]
    with (
        pytest.raises(IntegrityError, match="does not balance"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        entry = _raw_entry(cursor, period.pk, actor.pk, "raw-1")
        cursor.execute(
            "INSERT INTO funds_journalleg (entry_id, account_id, amount) VALUES"
            " (%s, %s, 100.00), (%s, %s, -99.00)",
            [entry, accounts["tax"].pk, entry, accounts["revenue"].pk],
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with (
        pytest.raises(IntegrityError, match="at least two"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        _raw_entry(cursor, period.pk, actor.pk, "raw-2")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # balanced raw legs pass
    with transaction.atomic(), connection.cursor() as cursor:
        entry = _raw_entry(cursor, period.pk, actor.pk, "raw-3")
        cursor.execute(
            "INSERT INTO funds_journalleg (entry_id, account_id, amount) VALUES"
            " (%s, %s, 100.00), (%s, %s, -100.00)",
            [entry, accounts["tax"].pk, entry, accounts["revenue"].pk],
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert list(JournalEntry.objects.values_list("idempotency_key", flat=True)) == ["raw-3"]


def test_database_keeps_entries_immutable(staff, accounts):
    entry = _post(staff["county_accountant"], accounts)
    for sql in (
        "UPDATE funds_journalleg SET amount = amount * 2 WHERE entry_id = %s",
        "DELETE FROM funds_journalleg WHERE entry_id = %s",
        "UPDATE funds_journalentry SET item = 'interest' WHERE id = %s",
        "DELETE FROM funds_journalentry WHERE id = %s",
    ):
        with (
            pytest.raises(ProgrammingError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    assert sorted(JournalLeg.objects.values_list("amount", flat=True)) == [
        Decimal("-1000.00"),
        Decimal("1000.00"),
    ]


def test_period_close_is_maker_checker_and_the_database_refuses_posting(staff, accounts):
    maker, checker = staff["province_accountant"], staff["province_reviewer"]
    _post(staff["county_accountant"], accounts, period=202601)
    with pytest.raises(NotPermitted):
        ledger.period_close(actor=staff["county_accountant"], period=202601)
    request = ledger.period_close(actor=maker, period=202601, reason="月结")
    period = AccountingPeriod.objects.get(period=202601)
    assert period.status == PeriodStatus.OPEN  # nothing changes until approved
    with pytest.raises(Conflict) as pending:
        ledger.period_close(actor=maker, period=202601)
    assert pending.value.code == "close_pending"
    with pytest.raises(NotPermitted):
        approval_request_approve(actor=maker, request_id=request.pk)
    approval_request_approve(actor=checker, request_id=request.pk)
    period.refresh_from_db()
    assert period.status == PeriodStatus.CLOSED and period.closed_by == checker
    # the service refuses with a message ...
    with pytest.raises(Conflict) as refused:
        _post(staff["county_accountant"], accounts, key="late", period=202601)
    assert refused.value.code == "period_closed"
    assert str(refused.value) == "会计期间 2026-01 已结账，不能再记账。"
    # ... and the database refuses raw SQL
    with (
        pytest.raises(IntegrityError, match="closed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        _raw_entry(cursor, period.pk, maker.pk, "raw-closed")
    open_entry = _post(staff["county_accountant"], accounts, key="feb", period=202602)
    with (
        pytest.raises(IntegrityError, match="closed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # a leg into a closed period's entry (the entry itself predates the close)
        cursor.execute(
            "INSERT INTO funds_journalleg (entry_id, account_id, amount)"
            " SELECT id, %s, 1 FROM funds_journalentry WHERE period_id = %s LIMIT 1",
            [accounts["tax"].pk, period.pk],
        )
    with (
        pytest.raises(IntegrityError, match="cannot change"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE funds_accountingperiod SET status = 'open', closed_at = NULL WHERE id = %s",
            [period.pk],
        )
    assert JournalEntry.objects.filter(period=period).count() == 1
    assert open_entry.period.period.as_int == 202602
    # a reversal of a closed month's entry goes into an open month
    first = JournalEntry.objects.get(period=period)
    reversal = ledger.reverse_entry(actor=maker, entry=first, reason="冲销", period=202602)
    assert reversal.period.period.as_int == 202602


def test_period_close_needs_earlier_months_closed(staff):
    ledger.accounting_period_for(202601)
    with pytest.raises(Conflict) as refused:
        ledger.period_close(actor=staff["province_accountant"], period=202602)
    assert refused.value.code == "earlier_period_open"


def test_actuals_by_item(staff, accounts, county):
    actor = staff["county_accountant"]
    _post(actor, accounts, "100.00", key="a")
    _post(actor, accounts, "20.00", key="b", item=FundItem.LATE_FEE)
    _post(actor, accounts, "7.00", key="c", period=202602)
    ledger.post_entry(
        actor=actor, period=202601,
        legs=[debit(accounts["expense"], Decimal("80.00")),
              credit(accounts["expenditure"], Decimal("80.00"))],
        source=Source("test"), idempotency_key="d", item=FundItem.PENSION,
    )  # fmt: skip
    # a transfer between money accounts is no actual
    ledger.post_entry(
        actor=actor, period=202601,
        legs=[debit(accounts["income"], Decimal("100.00")),
              credit(accounts["tax"], Decimal("100.00"))],
        source=Source("test"), idempotency_key="e", item=FundItem.TAX_TRANSFER,
    )  # fmt: skip
    rows = actuals_by_item(year=2026)
    assert rows == [
        (county.code, FundItem.CONTRIBUTION_EMPLOYER, 1, Decimal("100.00")),
        (county.code, FundItem.CONTRIBUTION_EMPLOYER, 2, Decimal("7.00")),
        (county.code, FundItem.LATE_FEE, 1, Decimal("20.00")),
        (county.code, FundItem.PENSION, 1, Decimal("80.00")),
    ]
    assert actuals_by_item(year=2026, month=2) == [
        (county.code, FundItem.CONTRIBUTION_EMPLOYER, 2, Decimal("7.00"))
    ]
    assert actuals_by_item(year=2026, region_code="999999") == []
    assert actuals_by_item(year=2026, month=1, region_code=county.code[:4]) == [
        (county.code, FundItem.CONTRIBUTION_EMPLOYER, 1, Decimal("100.00")),
        (county.code, FundItem.LATE_FEE, 1, Decimal("20.00")),
        (county.code, FundItem.PENSION, 1, Decimal("80.00")),
    ]
    assert FundAccount.objects.filter(kind=AccountKind.REVENUE).count() == 1
