"""Contribution history for tests: months assessed in released runs with their bills,
paid in full or left unpaid (fixture data standing for what the assessment batch and
the tax bureau's payments write)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from contributions.choices import BillStatus, LineKind, RunStatus
from contributions.models import (
    AssessmentRun,
    Bill,
    ContributionLine,
    PaymentAllocation,
    TaxPayment,
)
from enrollment.models import Employer, InsuredPerson
from pension.periods import Period

FEN = D("0.01")


def _run(period: Period, region_id: str, status: str) -> AssessmentRun:
    run = AssessmentRun.objects.filter(period=period, region_id=region_id, dry_run=False).first()
    if run is None:
        run = AssessmentRun.objects.create(period=period, region_id=region_id, status=status)
    return run


def assessed_months(
    person: InsuredPerson,
    first: Period | str,
    last: Period | str,
    base: str,
    *,
    employer: Employer | None = None,
    paid: bool = True,
    run_status: str = RunStatus.RELEASED,
) -> list[ContributionLine]:
    """One regular line a month from ``first`` to ``last`` at ``base`` in the live run
    of the payer's region (created ``run_status`` when missing), the payer's bill of
    that run, and, when ``paid``, a tax payment paying the bill in full on its due day.
    Employees pay 16 % + 8 %, flexible workers 20 %; 8 % goes to the account."""
    base_d = D(base)
    rates = (D("0.16"), D("0.08")) if employer is not None else (D("0"), D("0.20"))
    employer_amount = (base_d * rates[0]).quantize(FEN)
    individual = (base_d * rates[1]).quantize(FEN)
    credit = (base_d * D("0.08")).quantize(FEN)
    region_id = employer.region_id if employer is not None else person.region_id
    lines = []
    for period in Period.range(first, last):
        run = _run(period, region_id, run_status)
        lines.append(
            ContributionLine.objects.create(
                run=run, posted=True, period=period, person=person, employer=employer,
                kind=LineKind.REGULAR, base=base_d, employer_rate=rates[0],
                individual_rate=rates[1], account_rate=D("0.08"),
                employer_amount=employer_amount, individual_amount=individual,
                account_credit=credit,
            )
        )  # fmt: skip
        bill = Bill.objects.filter(
            run=run, employer=employer, person=None if employer else person
        ).first()
        due = date(period.next().year, period.next().month, 15)
        if bill is None:
            bill = Bill.objects.create(
                run=run, posted=True, period=period, kind=LineKind.REGULAR, employer=employer,
                person=None if employer else person, line_count=0,
                employer_amount=D("0.00"), individual_amount=D("0.00"), total=D("0.00"),
                due_date=due, region_id=region_id,
            )  # fmt: skip
        Bill.objects.filter(pk=bill.pk).update(
            line_count=bill.line_count + 1,
            employer_amount=bill.employer_amount + employer_amount,
            individual_amount=bill.individual_amount + individual,
            total=bill.total + employer_amount + individual,
            status=BillStatus.PARTIALLY_PAID if bill.paid_amount else BillStatus.OPEN,
        )
        if paid:
            pay_bill(Bill.objects.get(pk=bill.pk), paid_on=due)
    return lines


def pay_bill(bill: Bill, *, paid_on: date, amount: D | None = None) -> TaxPayment:
    """A tax payment of ``amount`` (the outstanding rest by default) against ``bill``."""
    amount = amount if amount is not None else bill.total - bill.paid_amount
    payment = TaxPayment.objects.create(
        receipt_number=f"T{bill.pk}-{TaxPayment.objects.count() + 1}",
        employer=bill.employer, person=bill.person, amount=amount, paid_on=paid_on,
        region_id=bill.region_id,
    )  # fmt: skip
    PaymentAllocation.objects.create(payment=payment, bill=bill, amount=amount)
    paid = bill.paid_amount + amount
    Bill.objects.filter(pk=bill.pk).update(
        paid_amount=paid,
        status=BillStatus.PAID if paid == bill.total else BillStatus.PARTIALLY_PAID,
    )
    return payment
