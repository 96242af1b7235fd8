"""Test data of personal accounts: people of their own, and contribution lines paid
through released runs, bills and tax payments written directly (the contributions
tests cover how those come about)."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal as D

from accounts.choices import EntryKind
from accounts.models import AccountEntry, PensionAccount
from contributions.choices import BillStatus, LineKind, RunStatus
from contributions.models import (
    AssessmentRun,
    Bill,
    ContributionLine,
    PaymentAllocation,
    TaxPayment,
)
from enrollment.choices import PersonCategory, Sex
from enrollment.models import InsuredPerson
from pension.models import Agency
from pension.periods import Period
from pension.validators import citizen_id_check_character

_sequence = itertools.count(1)


def make_person(
    agency: Agency,
    *,
    born: date = date(1980, 3, 14),
    sex: str = Sex.MALE,
    region: str | None = None,
    **extra,
):
    """An insured person of ``agency`` living in ``region`` (the agency's by default)
    with a valid, unused ID number."""
    region = region or agency.region_id
    while True:
        n = next(_sequence)
        seq = (n * 2 + (1 if sex == Sex.MALE else 0)) % 1000  # odd for men, even for women
        first17 = f"{region}{born:%Y%m%d}{seq:03d}"
        number = first17 + citizen_id_check_character(first17)
        if not InsuredPerson.objects.filter(id_number=number).exists():
            break
    return InsuredPerson.objects.create(
        id_number=number,
        name=extra.pop("name", f"测试{n}"),
        sex=sex,
        birth_date=born,
        category=extra.pop("category", PersonCategory.FLEXIBLE),
        region_id=region,
        agency=agency,
        first_insured_date=extra.pop("first_insured_date", date(2000, 1, 1)),
        **extra,
    )


def _released_run(period: Period, region_id: str, starter) -> AssessmentRun:
    run = AssessmentRun.objects.filter(period=period, region_id=region_id, dry_run=False).first()
    if run is None:
        run = AssessmentRun.objects.create(
            period=period, region_id=region_id, status=RunStatus.RELEASED, started_by=starter
        )
    return run


def paid_line(
    person: InsuredPerson,
    period: str,
    base: str,
    *,
    paid_on: date | None,
    starter=None,
    account_rate: str = "0.08",
) -> ContributionLine:
    """A flexible worker's regular line (20 % of ``base``, 8 % to the account) in a
    released run, its bill, and when ``paid_on`` is given a tax payment paying it in
    full on that day. The bill is due on the 15th of the month after."""
    p = Period.parse(period)
    run = _released_run(p, person.region_id, starter)
    base_d = D(base)
    individual = (base_d * D("0.20")).quantize(D("0.01"))
    credit = (base_d * D(account_rate)).quantize(D("0.01"))
    line = ContributionLine.objects.create(
        run=run, posted=True, period=p, person=person, employer=None, kind=LineKind.REGULAR,
        base=base_d, employer_rate=D("0"), individual_rate=D("0.20"), account_rate=D(account_rate),
        employer_amount=D("0.00"), individual_amount=individual, account_credit=credit,
    )  # fmt: skip
    bill = Bill.objects.create(
        run=run, posted=True, period=p, kind=LineKind.REGULAR, person=person, line_count=1,
        employer_amount=D("0.00"), individual_amount=individual, total=individual,
        due_date=p.next().first_day.replace(day=15), region_id=person.region_id,
    )  # fmt: skip
    if paid_on is not None:
        payment = TaxPayment.objects.create(
            receipt_number=f"T{person.pk}-{p.as_int}", person=person, amount=individual,
            paid_on=paid_on, region_id=person.region_id,
        )  # fmt: skip
        PaymentAllocation.objects.create(payment=payment, bill=bill, amount=individual)
        Bill.objects.filter(pk=bill.pk).update(paid_amount=individual, status=BillStatus.PAID)
    return line


def account_with(person: InsuredPerson, entries: list[tuple[str, str, str]]) -> PensionAccount:
    """An account with entries (kind, value period, amount) written directly; credits
    get no source line, so they are written as migrated balances."""
    first = min(Period.parse(p) for _, p, _ in entries)
    account = PensionAccount.objects.create(
        person=person, opened_period=first, province_id=f"{person.region_id[:2]}0000"
    )
    for kind, period, amount in entries:
        AccountEntry.objects.create(
            account=account, kind=kind, period=Period.parse(period),
            value_period=Period.parse(period), amount=D(amount),
            interest_year=Period.parse(period).year if kind == EntryKind.INTEREST else None,
        )  # fmt: skip
    return account
