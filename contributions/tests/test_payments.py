"""Payments, arrears, late fees and the employer's statement (DESIGN §5.2).

Bills are written directly (``Bill.objects.create``) for an employer of the tiny demo
province, in runs released to the tax bureau, beside runs that were not released.
Every expected amount is worked out by hand in the comment next to it.
"""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal as D

import pytest
from django.conf import settings as django_settings
from django.test import Client
from openpyxl import load_workbook

from contributions import payments
from contributions.choices import BillStatus, LineKind, RunStatus
from contributions.models import (
    AssessmentRun,
    Bill,
    ContributionLine,
    PaymentAllocation,
    TaxPayment,
)
from enrollment.models import Employer, InsuredPerson
from pension.api import keys
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ApiClient, ChangeLogEntry, Region
from pension.periods import Period

pytestmark = pytest.mark.django_db

RATE_1999 = (date(1999, 1, 22), D("0.002"))
RATE_2011 = (date(2011, 7, 1), D("0.0005"))


# --- fixtures ----------------------------------------------------------------------------


def _run(period: str, region: Region, starter, *, status: str, dry_run: bool = False):
    return AssessmentRun.objects.create(
        period=Period.parse(period), region=region, status=status, dry_run=dry_run,
        started_by=starter,
    )  # fmt: skip


def _bill(run, employer: Employer, period: str, employer_amount: str, individual: str, due: date):
    return Bill.objects.create(
        run=run,
        posted=not (run and run.dry_run),
        period=Period.parse(period),
        kind=LineKind.REGULAR,
        employer=employer,
        line_count=2,
        employer_amount=D(employer_amount),
        individual_amount=D(individual),
        total=D(employer_amount) + D(individual),
        due_date=due,
        region=employer.region,
    )


def _line(run, employer, person, period: str, base: str, employer_amount: str, individual: str):
    return ContributionLine.objects.create(
        run=run,
        posted=not run.dry_run,
        period=Period.parse(period),
        person=person,
        employer=employer,
        kind=LineKind.REGULAR,
        base=D(base),
        employer_rate=D("0.16"),
        individual_rate=D("0.08"),
        account_rate=D("0.08"),
        employer_amount=D(employer_amount),
        individual_amount=D(individual),
        account_credit=D(individual),
    )


def find_employer() -> Employer:
    """An employer of the tiny demo in Taiyuan (1401) that has no bills of its own."""
    found = (
        Employer.objects.select_related("region")
        .filter(region__code__startswith="1401", bills__isnull=True)
        .order_by("id")
        .first()
    )
    assert found is not None
    return found


def find_other_employer() -> Employer:
    """An employer of the tiny demo outside Taiyuan (still in Shanxi)."""
    found = (
        Employer.objects.filter(region__code__startswith="14")
        .exclude(region__code__startswith="1401")
        .order_by("id")
        .first()
    )
    assert found is not None
    return found


def find_people() -> list[InsuredPerson]:
    found = list(InsuredPerson.objects.filter(region__code__startswith="1401").order_by("id")[:3])
    assert len(found) == 3
    return found


def make_bills(staff, employer: Employer, people: list[InsuredPerson]) -> dict[str, Bill]:
    """Three released months (2025-01 … 03) and bills that must never count.

    - 2025-01: base 40 000.00 → employer 16 % = 6 400.00, individual 8 % = 3 200.00,
      total 9 600.00, due 2025-02-15;
    - 2025-02: 6 666.67 + 3 333.33 = 10 000.00, due 2025-03-15;
    - 2025-03: the same 10 000.00, due 2025-04-15; its two lines: base 20 000.00 →
      3 200.00 + 1 600.00, base 21 666.67 → round(3 466.6672) = 3 466.67 and
      round(1 733.33336) = 1 733.33; sums 6 666.67 and 3 333.33;
    - 2025-04: 12 000.00 in a run only approved (not released to the tax bureau);
    - 2025-03 again in a dry run (not posted).
    """
    starter = staff["caseworker"]
    region = employer.region
    released = {
        p: _run(p, region, starter, status=s)
        for p, s in [
            ("2025-01", RunStatus.CLOSED),
            ("2025-02", RunStatus.RELEASED),
            ("2025-03", RunStatus.RELEASED),
        ]
    }
    approved = _run("2025-04", region, starter, status=RunStatus.APPROVED)
    dry = _run("2025-03", region, starter, status=RunStatus.CALCULATED, dry_run=True)
    out = {
        "2025-01": _bill(released["2025-01"], employer, "2025-01", "6400.00", "3200.00",
                         date(2025, 2, 15)),
        "2025-02": _bill(released["2025-02"], employer, "2025-02", "6666.67", "3333.33",
                         date(2025, 3, 15)),
        "2025-03": _bill(released["2025-03"], employer, "2025-03", "6666.67", "3333.33",
                         date(2025, 4, 15)),
        "unreleased": _bill(approved, employer, "2025-04", "8000.00", "4000.00",
                            date(2025, 5, 15)),
        "dry": _bill(dry, employer, "2025-03", "6666.67", "3333.33", date(2025, 4, 15)),
    }  # fmt: skip
    zhang, li, wang = people
    _line(released["2025-03"], employer, zhang, "2025-03", "20000.00", "3200.00", "1600.00")
    _line(released["2025-03"], employer, li, "2025-03", "21666.67", "3466.67", "1733.33")
    _line(approved, employer, wang, "2025-04", "50000.00", "8000.00", "4000.00")
    _line(dry, employer, wang, "2025-03", "41666.67", "6666.67", "3333.33")
    return out


@pytest.fixture
def employer(demo_tiny) -> Employer:
    return find_employer()


@pytest.fixture
def other_employer(demo_tiny) -> Employer:
    return find_other_employer()


@pytest.fixture
def people(demo_tiny) -> list[InsuredPerson]:
    return find_people()


@pytest.fixture
def bills(staff, employer, people) -> dict[str, Bill]:
    return make_bills(staff, employer, people)


def _tax(staff, name: str = "Taiyuan tax", region: str = "140100", scopes=None) -> ApiClient:
    client, _key = keys.api_client_create(
        actor=staff["admin"],
        name=name,
        kind="tax",
        region=Region.objects.get(code=region),
        scopes=scopes or ["contributions.read", "contributions.pay"],
    )
    return client


@pytest.fixture
def tax(staff) -> ApiClient:
    return _tax(staff)


def _pay(tax: ApiClient, employer: Employer, receipt: str, amount: str, paid_on: date, **kw):
    return payments.tax_payment_record(
        client=tax,
        receipt_number=receipt,
        credit_code=employer.credit_code,
        amount=D(amount),
        paid_on=paid_on,
        **kw,
    )


def _state(*bills: Bill) -> list[tuple[str, D, str]]:
    out = []
    for bill in bills:
        bill.refresh_from_db()
        out.append((str(bill.period), bill.paid_amount, bill.status))
    return out


def _allocations(payment: TaxPayment) -> list[tuple[str, D, D]]:
    return [
        (str(a.bill.period), a.amount, a.late_fee)
        for a in payment.allocations.select_related("bill").order_by("bill__period")
    ]


# --- late-fee rates ------------------------------------------------------------------------


def test_the_late_fee_rates_are_every_dated_row_in_force(demo_tiny):
    rates = payments.LateFeeRates()
    # 0.2 % a day from 1999-01-22, 0.05 % from 2011-07-01 (DESIGN §4)
    assert rates("140105") == (RATE_1999, RATE_2011)
    assert len(rates.references) == 2
    assert all(r.startswith("contribution.late_fee_daily_rate@") for r in rates.references)


def test_a_late_fee_across_the_2011_change_of_rate(demo_tiny):
    fee = payments.LateFeeRates().fee(
        D("1000.00"), due=date(2011, 6, 20), paid_on=date(2011, 7, 10), region_code="140105"
    )
    # 21–30 June: 10 days × 0.002 × 1 000.00 = 20.00; 1–10 July: 10 × 0.0005 × 1 000 = 5.00
    assert (fee.days, fee.fee) == (20, D("25.00"))


# --- allocation ------------------------------------------------------------------------------


def test_a_partial_payment_is_allocated_oldest_period_first(tax, employer, bills):
    payment = _pay(tax, employer, "SW-0001", "15000.00", date(2025, 2, 10))
    # 15 000.00 → 2025-01 takes its 9 600.00 (paid); 5 400.00 go to 2025-02, which
    # still owes 10 000.00 − 5 400.00 = 4 600.00; nothing is left for 2025-03.
    # Paid on 2025-02-10, before every due date: no late fee.
    assert _allocations(payment) == [
        ("2025-01", D("9600.00"), D("0.00")),
        ("2025-02", D("5400.00"), D("0.00")),
    ]
    assert (payment.unallocated, payment.late_fee) == (D("0.00"), D("0.00"))
    assert _state(bills["2025-01"], bills["2025-02"], bills["2025-03"]) == [
        ("2025-01", D("9600.00"), BillStatus.PAID),
        ("2025-02", D("5400.00"), BillStatus.PARTIALLY_PAID),
        ("2025-03", D("0.00"), BillStatus.OPEN),
    ]
    # a second payment starts where the first stopped
    second = _pay(tax, employer, "SW-0002", "5000.00", date(2025, 2, 12))
    # 4 600.00 close 2025-02; 5 000.00 − 4 600.00 = 400.00 go to 2025-03
    assert _allocations(second) == [
        ("2025-02", D("4600.00"), D("0.00")),
        ("2025-03", D("400.00"), D("0.00")),
    ]
    assert _state(bills["2025-02"], bills["2025-03"]) == [
        ("2025-02", D("10000.00"), BillStatus.PAID),
        ("2025-03", D("400.00"), BillStatus.PARTIALLY_PAID),
    ]


def test_an_overpayment_is_held_as_credit_and_unreleased_bills_are_not_paid(tax, employer, bills):
    payment = _pay(tax, employer, "SW-0001", "35000.00", date(2025, 2, 10))
    # 9 600.00 + 10 000.00 + 10 000.00 = 29 600.00 owed on released bills;
    # 35 000.00 − 29 600.00 = 5 400.00 held as credit. The 2025-04 bill (run not
    # released) and the dry run's bill take nothing.
    assert _allocations(payment) == [
        ("2025-01", D("9600.00"), D("0.00")),
        ("2025-02", D("10000.00"), D("0.00")),
        ("2025-03", D("10000.00"), D("0.00")),
    ]
    assert payment.unallocated == D("5400.00")
    assert _state(bills["unreleased"], bills["dry"]) == [
        ("2025-04", D("0.00"), BillStatus.OPEN),
        ("2025-03", D("0.00"), BillStatus.OPEN),
    ]
    # with nothing left open, a further payment is credit as a whole
    again = _pay(tax, employer, "SW-0002", "100.00", date(2025, 2, 11))
    assert (_allocations(again), again.unallocated) == ([], D("100.00"))


def test_the_late_fee_is_computed_per_period_and_owed_on_top(tax, employer, bills):
    payment = _pay(tax, employer, "SW-0001", "29600.00", date(2025, 5, 6))
    # 2025-01, due 2025-02-15: 16–28 Feb 13 + Mar 31 + Apr 30 + 1–6 May 6 = 80 days,
    #   9 600.00 × 0.0005 × 80 = 384.00
    # 2025-02, due 2025-03-15: 16–31 Mar 16 + Apr 30 + May 6 = 52 days,
    #   10 000.00 × 0.0005 × 52 = 260.00
    # 2025-03, due 2025-04-15: 16–30 Apr 15 + 1–6 May 6 = 21 days,
    #   10 000.00 × 0.0005 × 21 = 105.00
    # sum 384.00 + 260.00 + 105.00 = 749.00, owed on top: the 29 600.00 pay the
    # contributions in full.
    assert _allocations(payment) == [
        ("2025-01", D("9600.00"), D("384.00")),
        ("2025-02", D("10000.00"), D("260.00")),
        ("2025-03", D("10000.00"), D("105.00")),
    ]
    assert (payment.late_fee, payment.unallocated) == (D("749.00"), D("0.00"))
    assert [s[2] for s in _state(bills["2025-01"], bills["2025-02"], bills["2025-03"])] == [
        BillStatus.PAID
    ] * 3


def test_the_brief_example_10000_due_0415_paid_0506_is_105(tax, employer, bills):
    payment = _pay(tax, employer, "SW-0001", "10000.00", date(2025, 5, 6), periods=["2025-03"])
    # named period first: 2025-03 takes the whole 10 000.00;
    # 21 days × 0.0005 × 10 000.00 = 105.00
    assert _allocations(payment) == [("2025-03", D("10000.00"), D("105.00"))]
    assert payment.late_fee == D("105.00")
    assert payment.periods == ["2025-03"]


def test_a_late_fee_is_on_the_allocated_part_only(tax, employer, bills):
    payment = _pay(tax, employer, "SW-0001", "1000.00", date(2025, 3, 5))
    # 1 000.00 to 2025-01 (due 2025-02-15): 16–28 Feb 13 + 1–5 Mar 5 = 18 days,
    # 1 000.00 × 0.0005 × 18 = 9.00 (not on the 9 600.00 owed)
    assert _allocations(payment) == [("2025-01", D("1000.00"), D("9.00"))]


def test_named_periods_are_paid_first_then_the_rest_oldest_first(tax, employer, bills):
    payment = _pay(
        tax, employer, "SW-0001", "12000.00", date(2025, 2, 10), periods=["2025-03", "2025-09"]
    )
    # 2025-03 named: 10 000.00; 2025-09 has no bill and names nothing;
    # 12 000.00 − 10 000.00 = 2 000.00 go to the oldest of the rest, 2025-01.
    assert _allocations(payment) == [
        ("2025-01", D("2000.00"), D("0.00")),
        ("2025-03", D("10000.00"), D("0.00")),
    ]
    assert payment.periods == ["2025-03", "2025-09"]


def test_one_change_log_entry_per_payment(tax, employer, bills):
    before = ChangeLogEntry.objects.count()
    payment = _pay(tax, employer, "SW-0001", "15000.00", date(2025, 5, 6))
    assert ChangeLogEntry.objects.count() == before + 1
    entry = ChangeLogEntry.objects.latest("id")
    assert (entry.object_type, entry.object_id, entry.action) == (
        "contributions.taxpayment",
        str(payment.pk),
        "create",
    )
    assert entry.api_client_id == tax.pk
    assert entry.reason == "tax receipt SW-0001"
    # 9 600.00 × 0.0005 × 80 = 384.00; 5 400.00 × 0.0005 × 52 = 5 400.00 × 0.026 = 140.40
    assert [(a["period"], a["amount"], a["days_late"], a["late_fee"]) for a in entry.after[
        "allocations"
    ]] == [("2025-01", "9600.00", 80, "384.00"), ("2025-02", "5400.00", 52, "140.40")]  # fmt: skip
    assert entry.after["late_fee"] == "524.40"  # 384.00 + 140.40
    assert len(entry.after["late_fee_parameters"]) == 2


def test_a_flexible_contributor_pays_by_id_number(tax, people, staff):
    person = people[0]
    bill = Bill.objects.create(
        period=Period(2025, 3),
        kind=LineKind.REGULAR,
        person=person,
        employer_amount=D("0.00"),
        individual_amount=D("1399.40"),  # base 6 997 × 20 % = 1 399.40
        total=D("1399.40"),
        due_date=date(2025, 4, 15),
        region=person.region,
    )  # a bill of a case: no run
    payment = payments.tax_payment_record(
        client=tax,
        receipt_number="SW-0009",
        id_number=person.id_number.lower(),
        amount="1399.40",
        paid_on=date(2025, 4, 15),
    )
    # paid on the due day itself: 0 days, no fee
    assert _allocations(payment) == [("2025-03", D("1399.40"), D("0.00"))]
    assert (payment.person_id, payment.employer_id) == (person.pk, None)
    assert _state(bill) == [("2025-03", D("1399.40"), BillStatus.PAID)]


# --- refusals ----------------------------------------------------------------------------------


def _counts() -> tuple[int, int, int]:
    return (
        TaxPayment.objects.count(),
        PaymentAllocation.objects.count(),
        ChangeLogEntry.objects.count(),
    )


def test_a_duplicate_receipt_is_refused_and_nothing_changes(tax, employer, bills):
    _pay(tax, employer, "SW-0001", "15000.00", date(2025, 2, 10))
    before = _counts()
    with pytest.raises(Conflict) as other:
        _pay(tax, employer, "SW-0001", "16000.00", date(2025, 2, 10))
    assert other.value.code == "receipt_number_reused"
    with pytest.raises(Conflict) as same:
        _pay(tax, employer, "SW-0001", "15000.00", date(2025, 2, 10))
    assert same.value.code == "payment_already_recorded"
    assert _counts() == before
    assert _state(bills["2025-02"]) == [("2025-02", D("5400.00"), BillStatus.PARTIALLY_PAID)]


def test_a_payer_outside_the_clients_region_is_refused(tax, other_employer):
    before = _counts()
    with pytest.raises(NotPermitted) as refused:
        _pay(tax, other_employer, "SW-0001", "100.00", date(2025, 2, 10))
    assert refused.value.code == "outside_region"
    assert _counts() == before


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"credit_code": "91140105MA0XXXXX00"}, "unknown_payer"),
        ({"credit_code": None}, "payer_missing"),
        ({"amount": D("0.00")}, "invalid_amount"),
        ({"amount": D("10.001")}, "invalid_amount"),
        ({"paid_on": date(2099, 1, 1)}, "paid_on_in_future"),
        ({"periods": ["2025-13"]}, "invalid_period"),
    ],
)
def test_invalid_payments_are_refused(tax, employer, bills, kwargs, code):
    before = _counts()
    arguments = {
        "client": tax,
        "receipt_number": "SW-0001",
        "credit_code": employer.credit_code,
        "amount": D("100.00"),
        "paid_on": date(2025, 2, 10),
        **kwargs,
    }
    with pytest.raises(InvalidInput) as refused:
        payments.tax_payment_record(**arguments)
    assert refused.value.code == code
    assert _counts() == before


# --- arrears -------------------------------------------------------------------------------------


def _arrears(employer: Employer, as_of: date) -> list[tuple[str, D, int, D]]:
    return [
        (str(item.bill.period), item.outstanding, item.days_late, item.late_fee)
        for item in payments.arrears(region_prefix="1401", as_of=as_of, employer=employer)
    ]


def test_arrears_as_of_a_date_with_their_late_fees(tax, employer, bills):
    _pay(tax, employer, "SW-0001", "15000.00", date(2025, 2, 10))  # 2025-02 owes 4 600.00
    # as of 2025-04-20:
    # 2025-02, due 03-15: 16–31 Mar 16 + 1–20 Apr 20 = 36 days, 4 600.00 × 0.0005 × 36 = 82.80
    # 2025-03, due 04-15: 16–20 Apr = 5 days, 10 000.00 × 0.0005 × 5 = 25.00
    # (2025-04 is not released; 2025-01 is paid)
    assert _arrears(employer, date(2025, 4, 20)) == [
        ("2025-02", D("4600.00"), 36, D("82.80")),
        ("2025-03", D("10000.00"), 5, D("25.00")),
    ]
    # as of the due day of 2025-03 itself, only 2025-02 is in arrears:
    # 16 + 15 = 31 days, 4 600.00 × 0.0005 × 31 = 71.30
    assert _arrears(employer, date(2025, 4, 15)) == [("2025-02", D("4600.00"), 31, D("71.30"))]
    # nothing of it is stored
    assert not PaymentAllocation.objects.filter(bill=bills["2025-03"]).exists()


def test_arrears_are_scoped_by_region(tax, employer, bills):
    elsewhere = list(payments.arrears(region_prefix="1402", as_of=date(2025, 4, 20)))
    assert all(item.bill.region_id.startswith("1402") for item in elsewhere)
    assert bills["2025-01"].pk not in [item.bill.pk for item in elsewhere]
    mine = payments.arrears_bills(region_prefix="1401", as_of=date(2025, 4, 20))
    # 2025-01 (due 02-15), 02 and 03 (due 04-15 < 04-20): 9 600 + 10 000 + 10 000
    assert sum(b.outstanding for b in mine.filter(employer=employer)) == D("29600.00")


# --- the statement ----------------------------------------------------------------------


def test_the_statement_month_by_month(tax, employer, bills):
    _pay(tax, employer, "SW-0001", "15000.00", date(2025, 3, 5))
    statement = payments.employer_statement(employer, as_of=date(2025, 4, 20))
    # payment on 2025-03-05: 9 600.00 to 2025-01, 13 + 5 = 18 days late,
    #   9 600.00 × 0.0005 × 18 = 86.40; 5 400.00 to 2025-02, on time (due 03-15)
    # as of 2025-04-20: 2025-02 owes 4 600.00, 36 days → 82.80;
    #   2025-03 owes 10 000.00, 5 days → 25.00
    assert [
        (str(m.period), m.assessed, m.paid, m.outstanding, m.days_late, m.late_fee_due,
         m.late_fee_charged)
        for m in statement.months
    ] == [
        ("2025-01", D("9600.00"), D("9600.00"), D("0.00"), 0, D("0.00"), D("86.40")),
        ("2025-02", D("10000.00"), D("5400.00"), D("4600.00"), 36, D("82.80"), D("0.00")),
        ("2025-03", D("10000.00"), D("0.00"), D("10000.00"), 5, D("25.00"), D("0.00")),
    ]  # fmt: skip
    # totals: 29 600.00 assessed, 15 000.00 paid, 14 600.00 outstanding (all past due),
    # late fees due 82.80 + 25.00 = 107.80, charged 86.40, no credit
    assert (
        statement.assessed, statement.paid, statement.outstanding, statement.arrears,
        statement.late_fee_due, statement.late_fee_charged, statement.credit,
    ) == (
        D("29600.00"), D("15000.00"), D("14600.00"), D("14600.00"), D("107.80"), D("86.40"),
        D("0.00"),
    )  # fmt: skip
    [paid] = statement.payments
    assert (paid.payment.receipt_number, paid.allocated) == ("SW-0001", D("15000.00"))
    assert [(str(a.period), a.amount, a.late_fee) for a in paid.allocations] == [
        ("2025-01", D("9600.00"), D("86.40")),
        ("2025-02", D("5400.00"), D("0.00")),
    ]


STATEMENT = "/contributions/employers/{}/statement/"


def _english(client: Client) -> Client:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_the_statement_page_and_its_guards(client, staff, tax, employer, other_employer, bills):
    _pay(tax, employer, "SW-0001", "35000.00", date(2025, 5, 6))
    url = STATEMENT.format(employer.pk) + "?as_of=2025-06-30"
    # anonymous: to sign in
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/login/")
    # a role without the contributions section
    client.force_login(staff["city_budget"])
    assert client.get(url).status_code == 403
    # the right role in another region: not found
    client.force_login(staff["other_caseworker"])
    assert client.get(url).status_code == 404
    # the city's caseworker
    client.force_login(staff["city_caseworker"])
    html = " ".join(_english(client).get(url).content.decode().split())
    # 35 000.00 paid 2025-05-06: 29 600.00 allocated, fees 384.00 + 260.00 + 105.00 = 749.00
    # billed and collected from the 5 400.00 left, 5 400.00 − 749.00 = 4 651.00 held as
    # credit; nothing outstanding, so no late fee due
    assert '<dd id="total-assessed">29,600.00</dd>' in html
    assert '<dd id="total-paid">29,600.00</dd>' in html
    assert '<dd id="total-outstanding">0.00</dd>' in html
    assert '<dd id="total-late-fee-charged">749.00</dd>' in html
    assert '<dd id="total-late-fee-collected">749.00</dd>' in html
    assert '<dd id="total-credit">4,651.00</dd>' in html
    assert (
        '<tr id="period-2025-01"> <td>2025-01</td><td>2025-02-15</td> <td class="num">9,600.00</td>'
        '<td class="num">9,600.00</td><td class="num">0.00</td> <td class="num">0</td>'
        '<td class="num">0.00</td><td class="num">384.00</td> </tr>'
    ) in html
    assert 'id="period-2025-04"' not in html  # the unreleased month
    assert '<tr id="payment-SW-0001">' in html and "Month by month" in html
    # the other city's employer is not the city caseworker's
    assert client.get(STATEMENT.format(other_employer.pk)).status_code == 404


def test_the_statement_exports_to_excel(client, staff, tax, employer, bills):
    _pay(tax, employer, "SW-0001", "15000.00", date(2025, 3, 5))
    client.force_login(staff["city_caseworker"])
    before = ChangeLogEntry.objects.filter(action="export").count()
    response = _english(client).get(
        STATEMENT.format(employer.pk), {"format": "xlsx", "as_of": "2025-04-20"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"statement-{employer.credit_code}-2025-04-20.xlsx" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert workbook.sheetnames == ["Statement", "Payments"]
    rows = [list(r) for r in workbook["Statement"].iter_rows(values_only=True)]
    assert rows[2] == [
        "Period", "Due date", "Assessed", "Paid", "Outstanding", "Days late", "Late fee due",
        "Late fee charged",
    ]  # fmt: skip
    # the same figures as the statement test: 4 600.00 × 0.0005 × 36 = 82.80 …
    assert [r[0] for r in rows[3:6]] == ["2025-01", "2025-02", "2025-03"]
    assert [D(str(v)) for v in rows[4][2:5]] == [D("10000"), D("5400"), D("4600")]
    assert (rows[4][5], D(str(rows[4][6]))) == (36, D("82.8"))
    assert rows[6][0] == "Total" and D(str(rows[6][6])) == D("107.8")  # 82.80 + 25.00
    payments_rows = [list(r) for r in workbook["Payments"].iter_rows(values_only=True)]
    assert payments_rows[1][0] == "SW-0001"
    assert payments_rows[1][6] == "2025-01 9600.00, 2025-02 5400.00"
    assert ChangeLogEntry.objects.filter(action="export").count() == before + 1


def test_the_statement_prints_as_pdf(client, staff, tax, employer, other_employer, bills):
    from pension.tests.pdfs import pdf_text

    _pay(tax, employer, "SW-0001", "15000.00", date(2025, 3, 5))
    client.force_login(staff["city_caseworker"])
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(STATEMENT.format(employer.pk), {"as_of": "2025-04-20"}).content.decode()
    assert 'href="?format=pdf&amp;as_of=2025-04-20"' in page
    before = ChangeLogEntry.objects.filter(action="export").count()
    response = client.get(STATEMENT.format(employer.pk), {"format": "pdf", "as_of": "2025-04-20"})
    assert f"statement-{employer.credit_code}-2025-04-20.pdf" in response["Content-Disposition"]
    text = pdf_text(response)
    assert "单位缴费对账单" in text
    assert employer.name in text and employer.credit_code in text
    # the figures of the statement test: 2025-02 owes 4 600.00, 36 days → 82.80; 2025-01
    # paid 18 days late → 86.40 charged; due 82.80 + 25.00 = 107.80
    assert "2025-01 2025-02-15 9,600.00 9,600.00 0.00 0 0.00 86.40" in text
    assert "2025-02 2025-03-15 10,000.00 5,400.00 4,600.00 36 82.80 0.00" in text
    assert "合计 29,600.00 15,000.00 14,600.00 107.80 86.40" in text
    assert "SW-0001 2025-03-05 15,000.00 15,000.00" in text
    assert ChangeLogEntry.objects.filter(action="export").count() == before + 1
    # the right role of another region: not found, nothing logged
    client.force_login(staff["other_caseworker"])
    response = client.get(STATEMENT.format(employer.pk), {"format": "pdf"})
    assert response.status_code == 404
    assert ChangeLogEntry.objects.filter(action="export").count() == before + 1


ARREARS = "/contributions/arrears/"


def test_the_arrears_page_lists_filters_and_scopes(
    client, staff, tax, employer, other_employer, bills
):
    _pay(tax, employer, "SW-0001", "15000.00", date(2025, 2, 10))  # 2025-02 owes 4 600.00
    client.force_login(staff["city_caseworker"])
    _english(client)
    assert 'href="/contributions/arrears/"' in client.get("/contributions/").content.decode()
    query = {"as_of": "2025-04-20", "employer": employer.credit_code.lower()}
    html = " ".join(client.get(ARREARS, query).content.decode().split())
    # the figures of the arrears test: 2025-02 36 days → 82.80; 2025-03 5 days → 25.00
    rows = re.findall(r'<tr data-bill="\d+">(.*?)</tr>', html)
    assert len(rows) == 2 and "2 rows" in html
    assert "<td>2025-02</td> <td>2025-03-15</td>" in rows[0]
    assert (
        '<td class="num">10,000.00</td> <td class="num">5,400.00</td> '
        '<td class="num">4,600.00</td> <td class="num">36</td> <td class="num">82.80</td>'
    ) in rows[0]
    assert (
        '<td class="num">10,000.00</td> <td class="num">5</td> <td class="num">25.00</td>'
        in rows[1]
    )
    assert "Owed as of 2025-04-20 by the assessments listed: 14,600.00" in html
    # a day before 2025-03's due date passes: only 2025-02 (16 + 15 = 31 days → 71.30)
    html = " ".join(client.get(ARREARS, {**query, "as_of": "2025-04-15"}).content.decode().split())
    assert len(re.findall(r'<tr data-bill="', html)) == 1 and '<td class="num">71.30</td>' in html
    # a wrong credit code: its message, nothing listed beyond what the valid filters say
    html = client.get(ARREARS, {"as_of": "2025-04-20", "region": "1x"}).content.decode()
    assert 'class="error"' in html
    # the right role of another city sees none of this employer's arrears
    client.force_login(staff["other_caseworker"])
    html = client.get(ARREARS, query).content.decode()
    assert 'data-bill="' not in html and "No arrears match these filters." in html
    # a role without the contributions section
    client.force_login(staff["city_budget"])
    assert client.get(ARREARS).status_code == 403


# --- concurrency -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_payments_at_once_never_pay_a_bill_twice(staff):
    """Two payments of one employer at the same moment: the bills are locked, so the
    second allocates what the first left, whichever comes first."""
    import threading

    from django.db import connection

    employer = find_employer()
    bills = make_bills(staff, employer, find_people())
    tax = _tax(staff)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def pay(receipt: str) -> None:
        try:
            barrier.wait(timeout=10)
            _pay(tax, employer, receipt, "15000.00", date(2025, 2, 10))
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(r,)) for r in ("SW-A", "SW-B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    # 2 × 15 000.00 = 30 000.00 against 9 600.00 + 10 000.00 + 10 000.00 = 29 600.00:
    # every released bill paid once, 30 000.00 − 29 600.00 = 400.00 held as credit
    assert _state(bills["2025-01"], bills["2025-02"], bills["2025-03"]) == [
        ("2025-01", D("9600.00"), BillStatus.PAID),
        ("2025-02", D("10000.00"), BillStatus.PAID),
        ("2025-03", D("10000.00"), BillStatus.PAID),
    ]
    assert sum(p.unallocated for p in TaxPayment.objects.all()) == D("400.00")
    assert sum(a.amount for a in PaymentAllocation.objects.all()) == D("29600.00")


def test_the_statement_export_writes_a_name_like_a_formula_as_text(
    client, staff, tax, employer, bills
):
    """Formula injection: an employer named =HYPERLINK(…) is a string cell of the
    statement workbook, never a formula; the amounts stay numbers."""
    import zipfile

    hyperlink = '=HYPERLINK("http://x","y")'
    Employer.objects.filter(pk=employer.pk).update(name=hyperlink)
    client.force_login(staff["city_caseworker"])
    response = _english(client).get(
        STATEMENT.format(employer.pk), {"format": "xlsx", "as_of": "2025-04-20"}
    )
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    for name in archive.namelist():
        if name.startswith("xl/worksheets/"):
            assert b"<f>" not in archive.read(name)
    sheet = load_workbook(io.BytesIO(response.content), read_only=True)["Statement"]
    cells = [[(c.value, c.data_type) for c in r] for r in sheet.iter_rows()]
    assert cells[0][0] == (hyperlink, "s")
    assert cells[4][2][1] == "n"  # an amount
