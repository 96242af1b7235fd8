"""The demo step "contributions" (contributions/demo.py): bases, three years of released
assessments, payments and arrears, consistent with what the batch and the payment
service would have written.

The tests' ``demo_tiny`` has no history (``history_years=0``); here the tiny province
is loaded with it, as ``make run`` loads it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection
from django.utils import timezone

from contributions import calc, payments
from contributions.assessment import assessment_run_create, assessment_run_execute
from contributions.choices import BaseRule, BillStatus, LineKind, RunStatus
from contributions.models import (
    AssessmentRun,
    Bill,
    ContributionBase,
    ContributionLine,
    PaymentAllocation,
    TaxPayment,
)
from enrollment.models import InsuredPerson
from pension.demo import load_demo
from pension.models import ChangeLogEntry, StaffUser
from pension.periods import Period

pytestmark = pytest.mark.django_db

LATE_RATES = ((date(1999, 1, 22), D("0.002")), (date(2011, 7, 1), D("0.0005")))


def _one(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()


@pytest.fixture
def history(db):
    return load_demo(scale="tiny", log=lambda message: None, history_years=3, until="contributions")


def test_the_tests_tiny_province_has_no_history(demo_tiny):
    assert not ContributionBase.objects.exists()
    assert not AssessmentRun.objects.exists() and not TaxPayment.objects.exists()


def test_three_years_of_released_runs_whose_figures_are_the_sums_of_their_lines(history):
    today = history.today
    # three years of history, but only years whose limits are published: Shanxi's are
    # shipped from 2025 (2023 and 2024 are not, docs/calculations.md), so 2025's 12 runs
    first, last = Period(max(today.year - 3, 2025), 1), Period(today.year - 1, 12)
    runs = list(AssessmentRun.objects.order_by("period"))
    assert [run.period for run in runs] == list(Period.range(first, last))
    assert len(runs) == 12 * (today.year - max(today.year - 3, 2025))
    reviewer = StaffUser.objects.get(username="province_reviewer")
    for run in runs:
        assert (run.region_id, run.dry_run, run.status) == ("140000", False, RunStatus.RELEASED)
        assert (run.started_by, run.approved_by) == (None, reviewer)  # the system; a reviewer
        assert run.line_count > 150 and run.processed_count == run.total_count == run.line_count
        assert run.parameters["rates"]["employer_rate"]["value"] == "0.16"
        assert run.parameters["due_date"] == f"{run.period.next()}-15"
        assert sum(n for _, n in run.parameters["chunks"]) == run.line_count

    # each run's counts and totals are the sums over its lines and bills
    assert _one(
        """SELECT count(*) FROM contributions_assessmentrun r
            WHERE line_count <> (SELECT count(*) FROM contributions_contributionline
                                  WHERE run_id = r.id)
               OR bill_count <> (SELECT count(*) FROM contributions_bill WHERE run_id = r.id)
               OR (total_base, total_employer, total_individual, total_account) <>
                  (SELECT sum(base), sum(employer_amount), sum(individual_amount),
                          sum(account_credit)
                     FROM contributions_contributionline WHERE run_id = r.id)"""
    ) == (0,)
    # every bill is the sum of its payer's lines of its run
    assert _one(
        """SELECT count(*) FROM contributions_bill b
             JOIN LATERAL (
                  SELECT count(*) AS n, sum(employer_amount) AS er, sum(individual_amount) AS ir
                    FROM contributions_contributionline l
                   WHERE l.run_id = b.run_id
                     AND l.employer_id IS NOT DISTINCT FROM b.employer_id
                     AND (b.employer_id IS NOT NULL OR l.person_id = b.person_id)) s ON true
            WHERE (b.line_count, b.employer_amount, b.individual_amount) <> (s.n, s.er, s.ir)
               OR b.total <> b.employer_amount + b.individual_amount"""
    ) == (0,)
    # every amount is the base times its rate, rounded to the fen; flexible: 20 % + 8 %
    assert _one(
        """SELECT count(*) FROM contributions_contributionline
            WHERE employer_amount <> round(base * employer_rate, 2)
               OR individual_amount <> round(base * individual_rate, 2)
               OR account_credit <> round(base * account_rate, 2)
               OR (employer_id IS NULL AND (employer_rate, individual_rate) <> (0, 0.20))
               OR (employer_id IS NOT NULL AND (employer_rate, individual_rate) <> (0.16, 0.08))"""
    ) == (0,)
    # an employee at the 2025 floor: 4198 × 16 % = 671.68; × 8 % = 335.84 (twice)
    floor_line = ContributionLine.objects.filter(
        period__gte=Period(2025, 1), period__lte=Period(2025, 12), employer__isnull=False,
        base=D("4198.00"),
    ).first()  # fmt: skip
    assert floor_line is not None
    assert (
        floor_line.employer_amount,
        floor_line.individual_amount,
        floor_line.account_credit,
    ) == (D("671.68"), D("335.84"), D("335.84"))
    assert floor_line.base_record.rule == BaseRule.BELOW_FLOOR

    entry = ChangeLogEntry.objects.get(object_type="contributions.demo")
    assert entry.reason.startswith("demo data: ") and f"{len(runs)} assessment runs" in entry.reason


def test_the_bases_are_clamped_to_each_years_limits(history):
    limits = {2025: (D("4198"), D("20991")), 2026: (D("4244"), D("21219"))}
    years = set(ContributionBase.objects.values_list("year", flat=True).distinct())
    # the history's years with published limits (from 2025) and this year
    assert years == set(range(max(history.today.year - 3, 2025), history.today.year + 1))
    for year, (floor, ceiling) in limits.items():
        rows = ContributionBase.objects.filter(year=year)
        assert rows.exists()
        assert set(rows.values_list("floor", "ceiling").distinct()) == {(floor, ceiling)}
        assert not rows.filter(base__lt=floor).exists() and not rows.filter(base__gt=ceiling)
        assert set(
            rows.filter(rule=BaseRule.BELOW_FLOOR).values_list("base", flat=True).distinct()
        ) == {floor}
        assert not rows.filter(rule=BaseRule.BELOW_FLOOR, declared_wage__gte=floor).exists()
    # the lines of a year use its current base of the person and employer
    assert _one(
        """SELECT count(*) FROM contributions_contributionline l
             JOIN contributions_contributionbase b ON b.id = l.base_record_id
            WHERE b.base <> l.base OR b.year <> l.period / 100 OR b.person_id <> l.person_id
               OR b.employer_id IS DISTINCT FROM l.employer_id"""
    ) == (0,)


def test_the_demo_run_is_what_the_batch_assesses(history):
    """A dry run of the last period by the real batch gives the demo run's figures."""
    last = Period(history.today.year - 1, 12)
    demo_run = AssessmentRun.objects.get(period=last, dry_run=False)
    dry = assessment_run_execute(
        assessment_run_create(actor=None, period=last, region="140000", dry_run=True).pk
    )
    assert dry.status == RunStatus.CALCULATED
    assert dry.parameters["missing_base"]["count"] == 0
    assert (
        dry.line_count,
        dry.bill_count,
        dry.total_base,
        dry.total_employer,
        dry.total_individual,
        dry.total_account,
    ) == (
        demo_run.line_count,
        demo_run.bill_count,
        demo_run.total_base,
        demo_run.total_employer,
        demo_run.total_individual,
        demo_run.total_account,
    )
    # the batch also stages the flexible contributors insured after the period, who have
    # no base for it (and are not assessed): the demo gave them none either
    unbased = dry.parameters["flexible_without_base"]
    assert unbased["count"] == len(unbased["person_ids"])
    assert all(
        p.first_insured_date > last.last_day
        for p in InsuredPerson.objects.filter(pk__in=unbased["person_ids"])
    )


def test_payments_are_allocated_and_some_payers_are_in_arrears(history):
    today = history.today
    last = Period(today.year - 1, 12)
    # one allocation per payment, to the bill it names; bills paid what was allocated
    assert _one(
        """SELECT count(*) FROM contributions_taxpayment p
             JOIN contributions_paymentallocation a ON a.payment_id = p.id
             JOIN contributions_bill b ON b.id = a.bill_id
            WHERE a.amount <> p.amount OR a.late_fee <> p.late_fee OR p.unallocated <> 0
               OR p.receipt_number <> 'DEMO-' || b.id
               OR a.amount <> b.paid_amount
               OR p.employer_id IS DISTINCT FROM b.employer_id
               OR p.person_id IS DISTINCT FROM b.person_id"""
    ) == (0,)
    assert PaymentAllocation.objects.count() == TaxPayment.objects.count()
    assert not Bill.objects.filter(paid_amount__gt=0, allocations__isnull=True).exists()
    statuses = {
        BillStatus.PAID: Bill.objects.filter(status=BillStatus.PAID, paid_amount__lt=1),
        BillStatus.OPEN: Bill.objects.filter(status=BillStatus.OPEN).exclude(paid_amount=0),
    }
    assert all(not qs.exists() for qs in statuses.values())

    # the late fees recorded are calc.late_fee's on the amount, due date and paid date
    late = list(PaymentAllocation.objects.filter(late_fee__gt=0).select_related("bill", "payment"))
    assert late
    for allocation in late:
        fee = calc.late_fee(
            allocation.amount,
            due=allocation.bill.due_date,
            paid_on=allocation.payment.paid_on,
            daily_rates=LATE_RATES,
        )
        assert 5 <= fee.days <= 24 and allocation.late_fee == fee.fee
        assert allocation.bill.employer_id is not None  # employers only
        # billed as an open late-fee charge of the same amount
        [charge] = allocation.bill.late_fee_charges.all()
        assert (charge.amount, charge.days, charge.status) == (fee.fee, fee.days, "open")
    on_time = PaymentAllocation.objects.filter(late_fee=0).select_related("bill", "payment")
    assert all(a.payment.paid_on <= a.bill.due_date or a.bill.employer_id is None for a in on_time)

    # arrears: unpaid and partly paid bills of the last months only, with a late fee
    items = list(payments.arrears(region_prefix="14", as_of=today))
    payers = Bill.objects.filter(period=last).count()
    in_arrears = {(i.bill.employer_id, i.bill.person_id) for i in items}
    assert 1 <= len(in_arrears) <= payers * 10 // 100 + 2
    assert {i.bill.period for i in items} <= {last - 2, last - 1, last}
    assert any(i.bill.status == BillStatus.OPEN for i in items)
    assert any(i.bill.status == BillStatus.PARTIALLY_PAID for i in items)
    for item in items:
        # 0.05 % a day on what an employer owes, from the day after the due date through
        # today; a flexible worker bears none
        days = (today - item.bill.due_date).days if item.bill.employer_id else 0
        assert (item.days_late, item.late_fee) == (
            days,
            (item.outstanding * D("0.0005") * days).quantize(D("0.01")),
        )


def test_loading_again_adds_nothing(history):
    counts = [
        m.objects.count()
        for m in (ContributionBase, AssessmentRun, ContributionLine, Bill, TaxPayment)
    ]
    load_demo(scale="tiny", log=lambda message: None, history_years=3, until="contributions")
    assert [
        m.objects.count()
        for m in (ContributionBase, AssessmentRun, ContributionLine, Bill, TaxPayment)
    ] == counts
    assert ChangeLogEntry.objects.filter(object_type="contributions.demo").count() == 1
    assert LineKind.REGULAR in set(ContributionLine.objects.values_list("kind", flat=True))
    assert timezone.localdate() >= history.today
