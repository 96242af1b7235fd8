"""Late fees as the law says (滞纳金, 社会保险法 art. 86; DESIGN §5.2): employers only, a
back-payment of an old month from that month's due date, a paid-on date before the
bill's issue date does not shorten the fee, and the fee is billed and collected apart
from contributions. Every figure is worked out by hand in the comment beside it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from contributions import payments, selectors
from contributions.cases import original_due_date
from contributions.choices import BillStatus, LineKind
from contributions.models import Bill, LateFeeCharge, LateFeeCollection
from contributions.tests.test_payments import _tax, find_employer, find_people
from pension.periods import Period

pytestmark = pytest.mark.django_db


@pytest.fixture
def tax(staff):
    return _tax(staff)


def _case_bill(*, employer=None, person=None, period: Period, total: str, due: date,
               issued_on: date | None) -> Bill:  # fmt: skip
    payer = employer or person
    return Bill.objects.create(
        period=period,
        kind=LineKind.BACK_PAYMENT if employer else LineKind.REGULAR,
        employer=employer,
        person=None if employer else person,
        employer_amount=D("0.00") if person else D(total) - D(total) * 2 / 7,
        individual_amount=D(total) if person else D(total) * 2 / 7,
        total=D(total),
        due_date=due,
        issued_on=issued_on,
        region=payer.region,
    )


def _pay(tax, *, amount: str, paid_on: date, employer=None, person=None, receipt: str):
    return payments.tax_payment_record(
        client=tax,
        receipt_number=receipt,
        credit_code=employer.credit_code if employer else None,
        id_number=person.id_number if person else None,
        amount=D(amount),
        paid_on=paid_on,
    )


def test_a_back_payment_of_an_old_month_is_due_on_that_months_due_date(demo_tiny):
    employer = find_employer()
    # 2019-03 is due on the 15th of the month after it (contribution.payment_due_day 15)
    assert original_due_date(employer.region)(Period(2019, 3)) == date(2019, 4, 15)
    assert original_due_date(employer.region)(Period(2024, 12)) == date(2025, 1, 15)


def test_the_late_fee_runs_from_the_old_due_date_and_is_billed_and_collected_apart(tax):
    employer = find_employer()
    # back-payment of 2019-03 approved 2025-06-10: 1 000.00 employer + 400.00 individual
    bill = _case_bill(employer=employer, period=Period(2019, 3), total="1400.00",
                      due=date(2019, 4, 15), issued_on=date(2025, 6, 10))  # fmt: skip
    payment = _pay(tax, employer=employer, amount="2980.60", paid_on=date(2025, 6, 20),
                   receipt="LF-1")  # fmt: skip
    # days 2019-04-16 … 2025-06-20: 2019-04-15 → 2025-04-15 is 6 × 365 + 2 (29 Feb 2020,
    # 2024) = 2 192 days, + 15 (16–30 Apr) + 31 (May) + 20 (June) = 2 258 days, all at
    # 0.05 % (after 2011-07-01): 1 400.00 × 0.0005 × 2 258 = 0.70 × 2 258 = 1 580.60
    [charge] = LateFeeCharge.objects.filter(bill=bill)
    assert (charge.principal, charge.due_date, charge.counted_to, charge.days, charge.amount) == (
        D("1400.00"), date(2019, 4, 15), date(2025, 6, 20), 2258, D("1580.60"),
    )  # fmt: skip
    # 2 980.60 = 1 400.00 to the contributions + 1 580.60 to the late fee, no credit
    bill.refresh_from_db()
    assert (bill.paid_amount, bill.status) == (D("1400.00"), BillStatus.PAID)
    assert (payment.late_fee, payment.late_fee_paid, payment.unallocated) == (
        D("1580.60"), D("1580.60"), D("0.00"),
    )  # fmt: skip
    assert (charge.paid_amount, charge.status) == (D("1580.60"), BillStatus.PAID)
    assert list(LateFeeCollection.objects.values_list("charge_id", "amount")) == [
        (charge.pk, D("1580.60"))
    ]
    # the fund ledger reads the late-fee money as its own item, by region and paid-on date
    assert selectors.late_fee_collected(
        region_prefix="14", paid_from=date(2025, 6, 1), paid_to=date(2025, 6, 30)
    ) == [{"region_id": employer.region_id, "amount": D("1580.60")}]
    assert selectors.late_fee_collected(region_prefix="14", paid_to=date(2025, 5, 31)) == []


def test_a_paid_on_date_before_the_issue_date_does_not_shorten_the_fee(tax):
    employer = find_employer()
    bill = _case_bill(employer=employer, period=Period(2019, 3), total="1400.00",
                      due=date(2019, 4, 15), issued_on=date(2025, 6, 10))  # fmt: skip
    _pay(tax, employer=employer, amount="1400.00", paid_on=date(2025, 6, 1), receipt="LF-2")
    # counted to the issue date 2025-06-10, not 06-01: 2 258 − 10 = 2 248 days,
    # 0.70 × 2 248 = 1 573.60 (and not 0.70 × 2 239 = 1 567.30)
    [charge] = LateFeeCharge.objects.filter(bill=bill)
    assert (charge.counted_to, charge.days, charge.amount) == (
        date(2025, 6, 10), 2248, D("1573.60"),
    )  # fmt: skip
    assert charge.inputs["paid_on"] == "2025-06-01"
    assert charge.inputs["issued_on"] == "2025-06-10"
    # the whole 1 400.00 went to the contributions: the fee is owed, not collected yet
    assert (charge.paid_amount, charge.status) == (D("0.00"), BillStatus.OPEN)


def test_an_open_late_fee_is_collected_by_later_payments_oldest_first(tax):
    employer = find_employer()
    old = _case_bill(employer=employer, period=Period(2019, 3), total="1400.00",
                     due=date(2019, 4, 15), issued_on=date(2025, 6, 10))  # fmt: skip
    first = _pay(tax, employer=employer, amount="1900.00", paid_on=date(2025, 6, 20),
                 receipt="LF-3")  # fmt: skip
    # 1 400.00 to the bill; fee 1 580.60 (as above) billed; 500.00 of it collected
    [charge] = LateFeeCharge.objects.filter(bill=old)
    assert (first.late_fee_paid, first.unallocated) == (D("500.00"), D("0.00"))
    assert (charge.paid_amount, charge.status) == (D("500.00"), BillStatus.PARTIALLY_PAID)
    # no contribution open: 1 100.00 pays the rest of the fee, 1 580.60 − 500.00 =
    # 1 080.60, and 1 100.00 − 1 080.60 = 19.40 is held as credit
    second = _pay(tax, employer=employer, amount="1100.00", paid_on=date(2025, 6, 21),
                  receipt="LF-4")  # fmt: skip
    charge.refresh_from_db()
    assert (second.late_fee, second.late_fee_paid, second.unallocated) == (
        D("0.00"), D("1080.60"), D("19.40"),
    )  # fmt: skip
    assert (charge.paid_amount, charge.status) == (D("1580.60"), BillStatus.PAID)
    assert sorted(LateFeeCollection.objects.values_list("payment_id", "amount")) == [
        (first.pk, D("500.00")), (second.pk, D("1080.60")),
    ]  # fmt: skip


def test_a_flexible_worker_never_bears_a_late_fee(tax):
    person = find_people()[0]
    bill = _case_bill(person=person, period=Period(2025, 3), total="1399.40",
                      due=date(2025, 4, 15), issued_on=date(2025, 3, 31))  # fmt: skip
    # 21 days late would be 1 399.40 × 0.0005 × 21 = 14.69 for an employer: none here
    [item] = payments.arrears(region_prefix="14", as_of=date(2025, 5, 6), person=person)
    assert (item.outstanding, item.late_fee) == (D("1399.40"), D("0.00"))
    payment = _pay(tax, person=person, amount="1399.40", paid_on=date(2025, 5, 6),
                   receipt="LF-5")  # fmt: skip
    assert (payment.late_fee, payment.late_fee_paid) == (D("0.00"), D("0.00"))
    assert not LateFeeCharge.objects.filter(bill=bill).exists()
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID
