"""Monthly crediting and annual interest (DESIGN §5.3), run in the test's process
(the worker path is test_worker.py), with figures worked by hand.

The person is a flexible worker of the caseworker's county paying 20 % of a 5 000.00
base, 8 % = 400.00 a month to the account. Crediting rate 2024: 2.62 % (announced);
2025 has none in the seed, so 2025 is credited provisionally at 2.62 %.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import translation

from accounts import runs
from accounts.choices import AccountStatus, EntryKind, RunStatus
from accounts.models import AccountEntry, AccountRun, InterestLine, PensionAccount
from accounts.services import account_balance, pension_account_seal
from accounts.tests.factories import account_with, make_person, paid_line
from contributions.choices import BillStatus
from contributions.models import Bill, PaymentAllocation, TaxPayment
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ChangeLogEntry, PolicyParameter

pytestmark = pytest.mark.django_db
PROVINCE = "140000"


@pytest.fixture
def person(staff):
    return make_person(staff["caseworker"].agency)


@pytest.fixture
def three_months(person):
    """2024-01 paid on time, 2024-02 paid late (2024-04-20, due 03-15), 2024-03 unpaid."""
    return [
        paid_line(person, "2024-01", "5000.00", paid_on=date(2024, 2, 10)),
        paid_line(person, "2024-02", "5000.00", paid_on=date(2024, 4, 20)),
        paid_line(person, "2024-03", "5000.00", paid_on=None),
    ]


def credit(staff, period="2024-12") -> AccountRun:
    run = runs.crediting_run_create(
        actor=staff["province_accountant"], region=PROVINCE, period=period
    )
    return runs.crediting_run_execute(run.pk)


def interest(staff, year: int, *, dry_run=False, post=True) -> AccountRun:
    run = runs.interest_run_create(
        actor=staff["province_accountant"], region=PROVINCE, year=year, dry_run=dry_run
    )
    run = runs.interest_run_execute(run.pk)
    if post and not dry_run:
        runs.interest_run_approve(actor=staff["province_reviewer"], run=run)
        run = runs.interest_run_post(run.pk)
    return run


def entries(person):
    return list(
        AccountEntry.objects.filter(account__person=person)
        .order_by("value_period", "id")
        .values_list("kind", "period", "value_period", "amount")
    )


def test_crediting_opens_the_account_and_credits_paid_lines_by_when_they_were_paid(
    staff, person, three_months
):
    run = credit(staff)

    assert run.status == RunStatus.POSTED
    account = PensionAccount.objects.get(person=person)
    assert account.status == AccountStatus.OPEN
    assert str(account.opened_period) == "2024-01"  # the first paid month
    # on time: earns from its own month; late: from the month paid; unpaid: nothing
    assert [(k, str(p), str(v), a) for k, p, v, a in entries(person)] == [
        ("credit", "2024-01", "2024-01", D("400.00")),
        ("credit", "2024-02", "2024-04", D("400.00")),
    ]
    first = AccountEntry.objects.get(account=account, period=202401)
    assert first.contribution_line_id == three_months[0].pk
    assert first.run_id == run.pk
    assert first.rule == "account_rate 0.080000"
    assert run.processed_count == run.total_count == len(run.parameters["counties"])
    assert ChangeLogEntry.objects.filter(
        object_type="accounts.accountrun", object_id=str(run.pk)
    ).exists()


def test_a_second_crediting_run_credits_nothing_twice_and_picks_up_what_was_paid_since(
    staff, person, three_months
):
    credit(staff)
    again = credit(staff)
    assert (
        again.entry_count == 0
        or not AccountEntry.objects.filter(run=again, account__person=person).exists()
    )
    assert len(entries(person)) == 2

    # 2024-03 is paid late, on 2025-01-10: it earns from 2025-01
    bill = Bill.objects.get(person=person, period=202403)
    payment = TaxPayment.objects.create(
        receipt_number="LATE-1", person=person, amount=bill.total, paid_on=date(2025, 1, 10),
        region_id=person.region_id,
    )  # fmt: skip
    PaymentAllocation.objects.create(payment=payment, bill=bill, amount=bill.total)
    Bill.objects.filter(pk=bill.pk).update(paid_amount=bill.total, status=BillStatus.PAID)
    credit(staff, "2025-01")

    assert [(str(p), str(v)) for _, p, v, _ in entries(person)][-1] == ("2024-03", "2025-01")
    assert AccountEntry.objects.filter(contribution_line=three_months[2]).count() == 1


def test_a_sealed_account_keeps_its_entries_and_reopens_with_the_next_credit(
    staff, person, three_months
):
    credit(staff)
    account = PensionAccount.objects.get(person=person)
    pension_account_seal(actor=staff["caseworker"], account=account, reason="stopped paying")
    account.refresh_from_db()
    assert account.status == AccountStatus.SEALED

    paid_line(person, "2024-04", "5000.00", paid_on=date(2024, 5, 10))
    credit(staff)

    account.refresh_from_db()
    assert account.status == AccountStatus.OPEN
    assert PensionAccount.objects.filter(person=person).count() == 1
    assert account_balance(account) == D("1200.00")
    # the reason the batch writes is a msgid: the account page shows it in Chinese
    assert account.status_reason == "contributions resumed"
    with translation.override("zh-hans"):
        assert translation.gettext(account.status_reason) == "恢复缴费"


def test_interest_of_a_year_by_the_monthly_product(staff, person, three_months):
    credit(staff)
    run = interest(staff, 2024)

    # credits 400 from 2024-01 (12 months) and 400 from 2024-04 (9 months):
    # Σ = 4 800 + 3 600 = 8 400; 0.0262 × 8 400 ÷ 12 = 220.08 ÷ 12 = 18.34
    line = InterestLine.objects.get(run=run, account__person=person)
    assert (line.opening, line.credits, line.weighted) == (D("0"), D("800.00"), D("8400.00"))
    assert line.interest == line.posted_amount == D("18.34")
    assert line.closing == D("818.34")
    assert run.status == RunStatus.POSTED
    assert run.rate == D("0.026200") and not run.rate_provisional
    posted = AccountEntry.objects.get(account__person=person, kind=EntryKind.INTEREST)
    assert (posted.amount, posted.interest_year, str(posted.value_period)) == (
        D("18.34"),
        2024,
        "2024-12",
    )
    assert "monthly_product 0.026200 accounts.interest_rate@" in posted.rule
    account = PensionAccount.objects.get(person=person)
    assert account_balance(account) == D("818.34")
    # totals are the sums of the lines
    assert run.total_amount == sum(x.posted_amount for x in run.interest_lines.all())


def test_a_re_run_posting_and_a_second_run_at_the_same_rate_add_nothing(
    staff, person, three_months
):
    credit(staff)
    run = interest(staff, 2024)
    runs.interest_run_post(run.pk)  # a redelivered task
    assert AccountEntry.objects.filter(account__person=person, kind=EntryKind.INTEREST).count() == 1
    with pytest.raises(Conflict) as refused:
        runs.interest_run_create(actor=staff["province_accountant"], region=PROVINCE, year=2024)
    assert refused.value.code == "live_run_exists"


def test_a_dry_run_computes_the_same_lines_and_posts_nothing(staff, person, three_months):
    credit(staff)
    dry = interest(staff, 2024, dry_run=True)

    assert dry.status == RunStatus.CALCULATED
    assert InterestLine.objects.get(run=dry, account__person=person).interest == D("18.34")
    assert not AccountEntry.objects.filter(kind=EntryKind.INTEREST, account__person=person).exists()
    with pytest.raises(Conflict):
        runs.interest_run_approve(actor=staff["province_reviewer"], run=dry)


def test_the_starter_cannot_approve_and_a_county_reviewer_cannot_either(
    staff, person, three_months
):
    credit(staff)
    run = interest(staff, 2024, post=False)
    with pytest.raises(NotPermitted) as own:
        runs.interest_run_approve(actor=staff["province_accountant"], run=run)
    assert own.value.code == "self_approval"
    with pytest.raises(NotPermitted) as county:
        runs.interest_run_approve(actor=staff["reviewer"], run=run)
    assert county.value.code == "outside_region"
    run.refresh_from_db()
    assert run.status == RunStatus.CALCULATED and run.approved_by is None


def test_a_year_without_its_rate_is_credited_provisionally_and_trued_up(
    staff, person, three_months
):
    credit(staff)
    interest(staff, 2024)
    paid_line(person, "2025-01", "5000.00", paid_on=date(2025, 2, 1))
    credit(staff, "2025-02")
    provisional = interest(staff, 2025)

    # opening 818.34 (the 2024 closing), 400 from 2025-01 (12 months), r = 2.62 %:
    # 818.34 × 0.0262 = 21.440508; 0.0262 × 4 800 ÷ 12 = 10.48; 31.920508 → 31.92
    assert provisional.rate_provisional and provisional.rate == D("0.026200")
    line = InterestLine.objects.get(run=provisional, account__person=person)
    assert (line.opening, line.interest) == (D("818.34"), D("31.92"))

    # the 2025 rate is entered (3 % here, a value for the test): the true-up posts the
    # difference. 818.34 × 0.03 = 24.5502; 0.03 × 4 800 ÷ 12 = 12.00; 36.5502 → 36.55;
    # 36.55 − 31.92 = 4.63
    PolicyParameter.objects.create(
        key="accounts.interest_rate", effective_from=date(2025, 1, 1), value="0.03",
        reference_year=2025, source="test",
    )  # fmt: skip
    true_up = interest(staff, 2025)
    assert not true_up.rate_provisional
    line = InterestLine.objects.get(run=true_up, account__person=person)
    assert (line.interest, line.already_posted, line.posted_amount) == (
        D("36.55"),
        D("31.92"),
        D("4.63"),
    )
    assert line.closing == D("1254.89")  # 818.34 + 400 + 36.55
    interest_2025 = AccountEntry.objects.filter(
        account__person=person, kind=EntryKind.INTEREST, interest_year=2025
    ).values_list("amount", flat=True)
    assert sorted(interest_2025) == [D("4.63"), D("31.92")]
    assert account_balance(PensionAccount.objects.get(person=person)) == D("1254.89")


def test_an_earlier_year_cannot_be_trued_up_once_the_next_is_posted(staff, person, three_months):
    credit(staff)
    interest(staff, 2024)
    interest(staff, 2025)
    PolicyParameter.objects.create(
        key="accounts.interest_rate", effective_from=date(2024, 1, 1), version=2,
        value="0.03", reference_year=2024, source="test",
    )  # fmt: skip
    with pytest.raises(Conflict) as refused:
        runs.interest_run_create(actor=staff["province_accountant"], region=PROVINCE, year=2024)
    assert refused.value.code == "next_year_posted"


def test_a_year_not_ended_and_a_county_are_refused(staff):
    with pytest.raises(InvalidInput) as future:
        runs.interest_run_create(
            actor=staff["province_accountant"], region=PROVINCE, year=2026, today=date(2026, 12, 1)
        )
    assert future.value.code == "year_not_ended"
    with pytest.raises(InvalidInput) as county:
        runs.interest_run_create(
            actor=staff["province_accountant"],
            region=staff["caseworker"].agency.region_id,
            year=2024,
        )
    assert county.value.code == "not_province"
    assert not AccountRun.objects.exists()


def test_closed_and_drawing_accounts_earn_nothing_in_the_annual_run(staff):
    agency = staff["caseworker"].agency
    closed = account_with(make_person(agency), [("migrated_balance", "2023-06", "1000.00")])
    drawing = account_with(make_person(agency), [("migrated_balance", "2023-06", "1000.00")])
    sealed = account_with(make_person(agency), [("migrated_balance", "2023-06", "1000.00")])
    PensionAccount.objects.filter(pk=closed.pk).update(status=AccountStatus.CLOSED)
    PensionAccount.objects.filter(pk=drawing.pk).update(status=AccountStatus.DRAWING)
    PensionAccount.objects.filter(pk=sealed.pk).update(status=AccountStatus.SEALED)

    run = interest(staff, 2024)

    got = set(InterestLine.objects.filter(run=run).values_list("account_id", flat=True))
    assert sealed.pk in got and closed.pk not in got and drawing.pk not in got
    # the sealed balance of 1 000 carried from 2023 earns 0.0262 × 1 000 = 26.20
    assert InterestLine.objects.get(run=run, account=sealed).interest == D("26.20")


def test_an_entry_cannot_be_updated_or_deleted_in_the_database(staff):
    account = account_with(
        make_person(staff["caseworker"].agency), [("migrated_balance", "2024-01", "10.00")]
    )
    entry = AccountEntry.objects.get(account=account)
    with connection.cursor() as cursor:
        for sql in (
            f"UPDATE accounts_accountentry SET amount = 99 WHERE id = {entry.pk}",
            f"DELETE FROM accounts_accountentry WHERE id = {entry.pk}",
        ):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                cursor.execute(sql)
    entry.refresh_from_db()
    assert entry.amount == D("10.00")


def test_a_move_within_the_province_keeps_the_account_and_moves_no_money(
    staff, person, three_months
):
    credit(staff)
    account = PensionAccount.objects.get(person=person)
    before = entries(person)
    # the holder moves to a county of Datong (only the relationship moves, §8.3)
    type(person).objects.filter(pk=person.pk).update(
        region_id=staff["other_caseworker"].agency.region_id
    )
    paid_line(person, "2024-04", "5000.00", paid_on=date(2024, 5, 10))
    credit(staff)
    run = interest(staff, 2024)

    assert PensionAccount.objects.filter(person=person).get() == account
    assert entries(person)[: len(before)] == before  # nothing moved or re-booked
    assert InterestLine.objects.filter(run=run, account=account).exists()


def test_a_profile_that_chooses_the_annual_method(staff, person, three_months):
    PolicyParameter.objects.create(
        profile_id="shanxi", key="accounts.interest_method", effective_from=date(2024, 1, 1),
        version=2, value="annual", source="test",
    )  # fmt: skip
    credit(staff)
    run = interest(staff, 2024)

    # 800 × 0.0262 = 20.96; × 1.083 = 22.69968; ÷ 2 = 11.34984 → 11.35
    assert run.method == "annual"
    line = InterestLine.objects.get(run=run, account__person=person)
    assert (line.credits, line.interest, line.closing) == (D("800.00"), D("11.35"), D("811.35"))


def _limits_adjustment(person, period: str, base: str, credit: str, *, bill: bool):
    """A flexible worker's limits adjustment (bases_redetermine_for_published_limits:
    no run, no case) of ``period``, and when ``bill`` its limits-adjustment bill of the
    difference (20 % of ``base``), due 2026-09-15, open."""
    from contributions.choices import LineKind
    from contributions.models import ContributionLine
    from pension.periods import Period

    p = Period.parse(period)
    individual = (D(base) * D("0.20")).quantize(D("0.01"))
    line = ContributionLine.objects.create(
        posted=True, period=p, person=person, employer=None, kind=LineKind.LIMITS_ADJUSTMENT,
        base=D(base), employer_rate=D("0"), individual_rate=D("0.20"), account_rate=D("0.08"),
        employer_amount=D("0.00"), individual_amount=individual, account_credit=D(credit),
    )  # fmt: skip
    if bill:
        Bill.objects.create(
            posted=True, period=p, kind=LineKind.LIMITS_ADJUSTMENT, person=person, line_count=1,
            employer_amount=D("0.00"), individual_amount=individual, total=individual,
            due_date=date(2026, 9, 15), region_id=person.region_id,
        )  # fmt: skip
    return line


def test_positive_limits_adjustments_are_credited_once_their_bill_is_paid(staff, person):
    # January 2026 paid at the provisional floor 4198: 4198 × 8 % = 335.84 credited
    paid_line(person, "2026-01", "4198.00", paid_on=date(2026, 2, 10))
    # the 2026 limits published: 4244 − 4198 = 46.00 more base; account 46 × 8 % = 3.68,
    # billed 46 × 20 % = 9.20, due 2026-09-15
    billed = _limits_adjustment(person, "2026-01", "46.00", "3.68", bill=True)
    credit(staff, "2026-08")
    assert not AccountEntry.objects.filter(contribution_line=billed).exists()  # not paid yet

    bill = Bill.objects.get(person=person, kind="limits_adjustment")
    payment = TaxPayment.objects.create(
        receipt_number="LIM-1", person=person, amount=D("9.20"), paid_on=date(2026, 9, 10),
        region_id=person.region_id,
    )  # fmt: skip
    PaymentAllocation.objects.create(payment=payment, bill=bill, amount=D("9.20"))
    Bill.objects.filter(pk=bill.pk).update(paid_amount=D("9.20"), status=BillStatus.PAID)
    credit(staff, "2026-09")
    credit(staff, "2026-10")  # a second run credits nothing twice

    # paid by its due date: earns from its own month, 2026-01
    [entry] = AccountEntry.objects.filter(contribution_line=billed)
    assert (entry.kind, entry.amount, str(entry.period), str(entry.value_period)) == (
        "credit", D("3.68"), "2026-01", "2026-01",
    )  # fmt: skip
    assert account_balance(PensionAccount.objects.get(person=person)) == D("339.52")  # 335.84+3.68


def test_a_positive_limits_adjustment_with_no_bill_is_credited(staff, person):
    # a month whose net difference was not positive is not billed (bases._write_bills);
    # its positive lines count as paid (PAID_LINE_SQL) and are credited at once
    paid_line(person, "2026-02", "4198.00", paid_on=date(2026, 3, 10))
    unbilled = _limits_adjustment(person, "2026-02", "46.00", "3.68", bill=False)
    credit(staff, "2026-08")
    [entry] = AccountEntry.objects.filter(contribution_line=unbilled)
    assert (entry.amount, str(entry.value_period)) == (D("3.68"), "2026-02")
