"""Demo step "contributions": bases, three years of assessments, bills and payments.

What it loads, for the demo province, with set-based SQL only (``INSERT … SELECT``,
one statement per year of bases and one per period of assessment), deterministic
(every choice is a hash of the person or payer id, never a random draw):

- **Bases** (``ContributionBase``) for every year of history and for today's year
  (so that staff can run this year's assessments in the demo): one row per person
  and employer with an employment in force in the year, and one per flexible worker
  or individual business owner who is contributing and insured by the year's end.
  An employee's declared wage is the year's ``contribution.average_wage`` × a factor
  of the person (0.5–2.1, doubled for about one in 128), × ±5 % of the year, rounded
  to the fen, then clamped to the year's floor and ceiling (``rule`` says which);
  basis "first month's wage" when the employment began that year, otherwise "last
  year's average". Flexible contributors choose the floor (60 %), the average wage
  (25 %) or 1.5 × the average wage (15 %). The limits are those known today
  (``bases.year_limits``), kept with their parameter references as a declaration
  keeps them.
- **Assessments**: for every period of the ``ctx.history_years`` calendar years
  before today's year (3 by default, 1 at the province scale: three years there would
  take 1.5–2.3 hours and some 54 GB, docs/benchmarks.md), one live ``AssessmentRun``
  of the province, released to the tax bureau: started by the system, approved by the
  province reviewer, with the rates, the due day and the chunks (counties) a real run
  records. Its lines are what ``contributions.assessment`` would write (the same
  stage: employments in force in the period joined to the year's current base, and
  the flexible contributors; the same ``round(base × rate, 2)``), its bills the sums
  of its lines per employer and per flexible contributor, due on the due day of the
  following month, and its counts and totals the sums over the lines.
- **Payments**: one tax payment (receipt ``DEMO-<bill id>``) allocated to each bill it
  pays, by a behaviour of the payer. The payers of the history's last month, ranked
  by a hash of their id (the employer's, or minus the flexible contributor's): the
  first 3 % (at least one, so the tiny province has arrears too) are in arrears for
  the last 1–3 months of the history (nothing paid), the next 2 % paid only half of
  the last month's bill, the next 5 % pay every bill 5–24 days late with the late fee
  (``contribution.late_fee_daily_rate`` × days, rounded to the fen, as
  ``calc.late_fee`` for one rate; employers only) recorded on the allocation and the
  payment and billed as an open ``LateFeeCharge``; the rest
  pay 0–9 days before the due date. A payment that would fall after today is not
  made (the bill stays open).

Why the tests' tiny province has none of it: ``demo_tiny`` (conftest.py) loads with
``history_years=0``, so every existing test keeps a province without bases,
assessments or payments, assesses periods of its own choosing (2025-03, …) without
meeting a demo run, and stays fast (a test's share of the suite is its own rows).
``load_demo`` (``make run``, ``make bench``) includes the history by default;
``contributions/tests/test_demo.py`` loads the tiny province with it and checks it.

Years whose limits are not on record are skipped with a line in the log (the Shanxi
profile has 2025–2026: only published figures are shipped, docs/calculations.md).
Work already there is skipped: a year that has bases in the province, a period that
has a live run of the province. Foreign keys are checked once per key at the end
(``enrollment.demo._foreign_keys_checked_once``), not row by row at commit: at the
province scale the deferred per-row checks would queue hundreds of millions of
events. Timings: docs/benchmarks.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from time import monotonic
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from contributions import assessment, bases
from contributions.choices import BaseBasis, BaseRule, BillStatus, LineKind, RunStatus
from contributions.models import (
    AssessmentRun,
    Bill,
    ContributionBase,
    ContributionLine,
    PaymentAllocation,
    TaxPayment,
)
from enrollment.choices import PersonStatus
from enrollment.demo import _foreign_keys_checked_once
from pension import changelog
from pension.demo import DemoContext, register
from pension.errors import InvalidInput
from pension.models import ChangeAction, Region, StaffUser
from pension.periods import Period
from pension.selectors import policy_value

AVERAGE_WAGE_KEY = "contribution.average_wage"
LATE_FEE_KEY = "contribution.late_fee_daily_rate"
APPROVER = "province_reviewer"
RECEIPT_PREFIX = "DEMO-"
# payers in arrears, partly paying and late: cumulative percentages (module docstring)
IN_ARREARS_BELOW, PARTLY_PAID_BELOW, LATE_BELOW = 3, 5, 10


@dataclass(frozen=True)
class Loaded:
    bases: int = 0
    runs: int = 0
    lines: int = 0
    bills: int = 0
    payments: int = 0


# --- bases --------------------------------------------------------------------------

_BASE_COLUMNS = """person_id, employer_id, year, declared_wage, basis, base, rule, floor,
    ceiling, provisional, parameters, declared_at, declared_by_id, superseded_by_id"""

# the person's wage factor, 0.45–1.8 (× 2 for one in 128), × ±5 % a year
_EMPLOYEE_WAGE = """round(%(average)s
    * (0.45 + 1.35 * ((hashint8(s.person_id) & 65535)::numeric / 65535))
    * CASE WHEN (hashint8(s.person_id) >> 16) & 127 = 0 THEN 2 ELSE 1 END
    * (0.95 + 0.10 * ((hashint8(s.person_id * 31 + %(year)s) & 1023)::numeric / 1023)), 2)"""

_BASES_SQL = f"""
WITH s AS (
    SELECT e.person_id, e.employer_id, min(e.start_period) AS first_start
      FROM enrollment_employment e
      JOIN enrollment_employer er ON er.id = e.employer_id
     WHERE er.region_id LIKE %(prefix)s
       AND e.start_period <= %(december)s
       AND (e.stop_period IS NULL OR e.stop_period > %(january)s)
     GROUP BY e.person_id, e.employer_id
), employees AS (
    SELECT s.person_id, s.employer_id,
           CASE WHEN s.first_start >= %(january)s THEN %(first_month)s ELSE %(prior_year)s END
             AS basis,
           {_EMPLOYEE_WAGE} AS wage
      FROM s
), flexible AS (
    SELECT p.id AS person_id,
           CASE WHEN (hashint8(p.id) & 1023) < 614 THEN %(floor)s
                WHEN (hashint8(p.id) & 1023) < 870 THEN round(%(average)s, 2)
                ELSE least(round(%(average)s * 1.5, 2), %(ceiling)s) END AS wage
      FROM enrollment_insuredperson p
     WHERE p.region_id LIKE %(prefix)s AND p.category IN %(flexible_categories)s
       AND p.status = %(contributing)s AND p.first_insured_date <= %(year_end)s
)
INSERT INTO contributions_contributionbase ({_BASE_COLUMNS})
SELECT person_id, employer_id, %(year)s, wage, basis,
       least(greatest(wage, %(floor)s), %(ceiling)s),
       CASE WHEN wage < %(floor)s THEN %(below)s WHEN wage > %(ceiling)s THEN %(above)s
            ELSE %(as_declared)s END,
       %(floor)s, %(ceiling)s, %(provisional)s, %(parameters)s::jsonb, now(), NULL::bigint,
       NULL::bigint
  FROM employees
UNION ALL
SELECT person_id, NULL::bigint, %(year)s, wage, %(self_declared)s, wage, %(as_declared)s,
       %(floor)s, %(ceiling)s, %(provisional)s, %(parameters)s::jsonb, now(), NULL::bigint,
       NULL::bigint
  FROM flexible
"""


def _load_bases(ctx: DemoContext, province: Region, year: int) -> int:
    limits = bases.year_limits(year, region=province, as_of=ctx.today)
    average = policy_value(AVERAGE_WAGE_KEY, on=date(year, 1, 1), region=province)
    parameters = {**limits.parameters(), "average_wage": average.reference, "demo": True}
    with connection.cursor() as cursor:
        cursor.execute(
            _BASES_SQL,
            {
                "prefix": province.scope_prefix + "%",
                "year": year,
                "january": year * 100 + 1,
                "december": year * 100 + 12,
                "year_end": date(year, 12, 31),
                "average": Decimal(str(average.value)),
                "floor": limits.floor_value,
                "ceiling": limits.ceiling_value,
                "provisional": limits.provisional,
                "parameters": json.dumps(parameters),
                "first_month": str(BaseBasis.FIRST_MONTH_WAGE),
                "prior_year": str(BaseBasis.PRIOR_YEAR_AVERAGE),
                "self_declared": str(BaseBasis.SELF_DECLARED),
                "below": str(BaseRule.BELOW_FLOOR),
                "above": str(BaseRule.ABOVE_CEILING),
                "as_declared": str(BaseRule.AS_DECLARED),
                "flexible_categories": tuple(str(c) for c in assessment.FLEXIBLE_CATEGORIES),
                "contributing": str(PersonStatus.CONTRIBUTING),
            },
        )
        return cursor.rowcount


# --- one period: run, lines, bills, payments, allocations ---------------------------

_LINE_COLUMNS = """run_id, case_id, posted, period, person_id, employer_id, kind, base_record_id,
    base, employer_rate, individual_rate, account_rate,
    employer_amount, individual_amount, account_credit, adjusts_id, created_at"""
_BILL_COLUMNS = """run_id, case_id, posted, period, kind, employer_id, person_id, line_count,
    employer_amount, individual_amount, total, due_date, paid_amount, status, created_at,
    region_id"""
_PAYMENT_COLUMNS = """receipt_number, employer_id, person_id, amount, paid_on, periods,
    unallocated, late_fee, late_fee_paid, api_client_id, received_at, region_id"""

# h: a payer's hash (employer id, or minus the flexible contributor's id), ≥ 0
_PAYER_HASH = "(hashint8(coalesce(employer_id, -person_id)) & 2147483647)"

# The payers who do not pay on time: of the payers of the history's last month (the
# employers with a based employee then, the flexible contributors with a base that
# year), ranked by their hash, the first 3 % (at least one) are in arrears, the next
# 2 % partly paid and the next 5 % late; the rest ("on_time") are not listed.
PAYERS = "pg_temp.demo_payer"
_PAYERS_SQL = f"""
CREATE TEMPORARY TABLE demo_payer AS
WITH payers AS (
    SELECT DISTINCT e.employer_id AS payer
      FROM enrollment_employment e
      JOIN enrollment_employer er ON er.id = e.employer_id
      JOIN contributions_contributionbase b
        ON b.person_id = e.person_id AND b.employer_id = e.employer_id
       AND b.year = %(year)s AND b.superseded_by_id IS NULL
     WHERE er.region_id LIKE %(prefix)s
       AND e.start_period <= %(period)s
       AND (e.stop_period IS NULL OR e.stop_period > %(period)s)
    UNION
    SELECT -b.person_id
      FROM contributions_contributionbase b
      JOIN enrollment_insuredperson p ON p.id = b.person_id
     WHERE b.employer_id IS NULL AND b.year = %(year)s AND b.superseded_by_id IS NULL
       AND p.region_id LIKE %(prefix)s
), ranked AS (
    -- employers and flexible workers ranked apart, so that each kind has its share of
    -- arrears, part payers and late payers (a late fee is an employer's only)
    SELECT payer, row_number() OVER (PARTITION BY payer > 0 ORDER BY hashint8(payer), payer) AS rn,
           count(*) OVER (PARTITION BY payer > 0) AS n
      FROM payers
)
SELECT payer,
       CASE WHEN rn <= ceil(n * {IN_ARREARS_BELOW / 100}) THEN 'arrears'
            WHEN rn <= ceil(n * {PARTLY_PAID_BELOW / 100}) THEN 'partly'
            ELSE 'late' END AS behaviour
  FROM ranked
 WHERE rn <= ceil(n * {LATE_BELOW / 100})
"""


def _rank_payers(province: Region, last: Period) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PAYERS}")
        cursor.execute(
            _PAYERS_SQL,
            {"year": last.year, "period": last.as_int, "prefix": province.scope_prefix + "%"},
        )
        cursor.execute(f"CREATE UNIQUE INDEX ON {PAYERS} (payer)")
        cursor.execute(f"ANALYZE {PAYERS}")


_PERIOD_SQL = f"""
WITH stage AS (
    SELECT e.person_id, e.employer_id, er.region_id AS region, b.id AS base_id, b.base,
           %(employer_rate)s::numeric AS er, %(individual_rate)s::numeric AS ir,
           %(account_rate)s::numeric AS ar
      FROM enrollment_employment e
      JOIN enrollment_employer er ON er.id = e.employer_id
      JOIN contributions_contributionbase b
        ON b.person_id = e.person_id AND b.employer_id = e.employer_id
       AND b.year = %(year)s AND b.superseded_by_id IS NULL
     WHERE er.region_id LIKE %(prefix)s
       AND e.start_period <= %(period)s
       AND (e.stop_period IS NULL OR e.stop_period > %(period)s)
    UNION ALL
    SELECT p.id, NULL::bigint, p.region_id, b.id, b.base,
           0::numeric, %(flexible_rate)s::numeric, %(flexible_account_rate)s::numeric
      FROM enrollment_insuredperson p
      JOIN contributions_contributionbase b
        ON b.person_id = p.id AND b.employer_id IS NULL
       AND b.year = %(year)s AND b.superseded_by_id IS NULL
     WHERE p.region_id LIKE %(prefix)s AND p.category IN %(flexible_categories)s
       AND p.status = %(contributing)s AND p.first_insured_date <= %(period_end)s
), cand AS MATERIALIZED (
    SELECT person_id, employer_id, region, base_id, base, er, ir, ar,
           round(base * er, 2) AS employer_amount, round(base * ir, 2) AS individual_amount,
           round(base * ar, 2) AS account_credit
      FROM stage
), lines AS (
    INSERT INTO contributions_contributionline ({_LINE_COLUMNS})
    SELECT %(run)s, NULL, true, %(period)s, person_id, employer_id, %(kind)s, base_id, base,
           er, ir, ar, employer_amount, individual_amount, account_credit, NULL, %(at)s
      FROM cand
     ORDER BY person_id
    RETURNING 1
), sums AS (
    SELECT employer_id, CASE WHEN employer_id IS NULL THEN person_id END AS person_id,
           min(region) AS region, count(*) AS line_count,
           sum(employer_amount) AS employer_amount, sum(individual_amount) AS individual_amount
      FROM cand
     GROUP BY 1, 2
), hashed AS (
    SELECT s.*, s.employer_amount + s.individual_amount AS total, {_PAYER_HASH} AS h,
           coalesce(d.behaviour, 'on_time') AS behaviour
      FROM sums s
      LEFT JOIN {PAYERS} d ON d.payer = coalesce(s.employer_id, -s.person_id)
), planned AS (
    SELECT hashed.*,
           CASE WHEN behaviour = 'arrears' AND %(months_from_end)s < 1 + (h / 100) %% 3
                     THEN 0::numeric
                WHEN behaviour = 'partly' AND %(months_from_end)s = 0
                     THEN round(total / 2, 2)
                ELSE total END AS pay,
           CASE WHEN behaviour = 'arrears' THEN %(due)s::date
                WHEN behaviour = 'partly' THEN %(due)s::date - 2
                WHEN behaviour = 'late' THEN %(due)s::date + 5 + (h / 300) %% 20
                ELSE %(due)s::date - ((h / 6000 + %(period)s) %% 10)::int END AS paid_on
      FROM hashed
), plan AS (
    SELECT planned.*,
           CASE WHEN paid_on > %(today)s THEN 0::numeric ELSE pay END AS paid
      FROM planned
), bills AS (
    INSERT INTO contributions_bill ({_BILL_COLUMNS})
    SELECT %(run)s, NULL, true, %(period)s, %(kind)s, employer_id, person_id, line_count,
           employer_amount, individual_amount, total, %(due)s, paid,
           CASE WHEN paid = 0 THEN %(open)s WHEN paid < total THEN %(partly)s
                ELSE %(paid_status)s END,
           %(at)s, region
      FROM plan
     ORDER BY region, employer_id, person_id
    RETURNING id, employer_id, person_id, paid_amount
), pays AS (
    INSERT INTO contributions_taxpayment ({_PAYMENT_COLUMNS})
    SELECT %(receipt_prefix)s || b.id, b.employer_id, b.person_id, b.paid_amount, p.paid_on,
           %(periods)s::jsonb, 0,
           CASE WHEN p.paid_on > %(due)s::date AND b.employer_id IS NOT NULL
                THEN round(b.paid_amount * %(late_rate)s * (p.paid_on - %(due)s::date), 2)
                ELSE 0 END, 0,
           NULL, ((p.paid_on + 1) + time '09:30') AT TIME ZONE %(tz)s, p.region
      FROM bills b
      JOIN plan p ON coalesce(p.employer_id, -p.person_id)
                   = coalesce(b.employer_id, -b.person_id)
     WHERE b.paid_amount > 0
    RETURNING id, receipt_number, amount, late_fee, paid_on, employer_id, region_id
), allocations AS (
    INSERT INTO contributions_paymentallocation (payment_id, bill_id, amount, late_fee)
    SELECT p.id, b.id, p.amount, p.late_fee
      FROM pays p JOIN bills b ON p.receipt_number = %(receipt_prefix)s || b.id
    RETURNING 1
), late_fees AS (
    INSERT INTO contributions_latefeecharge
        (bill_id, payment_id, employer_id, principal, due_date, counted_to, days, amount,
         paid_amount, status, inputs, created_at, region_id)
    SELECT b.id, p.id, p.employer_id, p.amount, %(due)s::date, p.paid_on,
           p.paid_on - %(due)s::date, p.late_fee, 0, %(open)s,
           jsonb_build_object('paid_on', p.paid_on, 'demo', true), %(at)s, p.region_id
      FROM pays p JOIN bills b ON p.receipt_number = %(receipt_prefix)s || b.id
     WHERE p.late_fee > 0
    RETURNING 1
)
SELECT (SELECT count(*) FROM lines),
       (SELECT count(*) FROM bills),
       (SELECT count(*) FROM allocations),
       coalesce(sum(base), 0), coalesce(sum(employer_amount), 0),
       coalesce(sum(individual_amount), 0), coalesce(sum(account_credit), 0),
       (SELECT coalesce(json_agg(json_build_array(region, n) ORDER BY region), '[]')
          FROM (SELECT region, count(*) AS n FROM cand GROUP BY region) r)
  FROM cand
"""

_RUN_SQL = """
INSERT INTO contributions_assessmentrun (
    period, region_id, dry_run, status, total_count, processed_count, line_count, bill_count,
    total_base, total_employer, total_individual, total_account, parameters, error,
    started_by_id, approved_by_id, created_at, started_at, finished_at, approved_at)
VALUES (%(period)s, %(region)s, false, %(status)s, 0, 0, 0, 0, 0, 0, 0, 0, %(parameters)s,
        '', NULL, %(approver)s, %(created)s, %(created)s, %(finished)s, %(approved)s)
RETURNING id
"""


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _run_parameters(period: Period, province: Region) -> dict[str, Any]:
    """What a run of ``period`` records of its rates and due day (as ``assessment``)."""
    on = period.first_day
    rates = {}
    for name, key in assessment.RATE_KEYS.items():
        value = policy_value(key, on=on, region=province)
        rates[name] = {"value": str(value.value), "reference": value.reference}
    due_day = policy_value(assessment.DUE_DAY_KEY, on=on, region=province)
    due = assessment.due_date_for(period, int(due_day.value))
    return {
        "year": period.year,
        "rates": rates,
        "payment_due_day": {"value": due_day.value, "reference": due_day.reference},
        "due_date": due.isoformat(),
        "missing_base": {"count": 0, "person_ids": []},
        "flexible_without_base": {"count": 0, "person_ids": []},
        "demo": True,
    }


def _late_rate(due: date, province: Region) -> Decimal:
    """The daily late-fee rate of the days after ``due`` (one rate over the 25 days a
    demo payer is late at most; a rate change inside them is refused)."""
    first = policy_value(LATE_FEE_KEY, on=due + timedelta(days=1), region=province)
    last = policy_value(LATE_FEE_KEY, on=due + timedelta(days=25), region=province)
    if first.parameter_id != last.parameter_id:
        raise ValueError(f"the late-fee rate changes within 25 days of {due}")
    return Decimal(str(first.value))


def _load_period(
    ctx: DemoContext, province: Region, period: Period, months_from_end: int, approver: int | None
) -> Loaded:
    parameters = _run_parameters(period, province)
    due = date.fromisoformat(parameters["due_date"])
    created = _at(period.first_day, 2)
    finished = _at(period.first_day, 2, 20)
    with connection.cursor() as cursor:
        cursor.execute(
            _RUN_SQL,
            {
                "period": period.as_int,
                "region": province.code,
                "status": str(RunStatus.RELEASED),
                "parameters": json.dumps(parameters),
                "approver": approver,
                "created": created,
                "finished": finished,
                "approved": _at(period.first_day + timedelta(days=2), 10),
            },
        )
        run_id = cursor.fetchone()[0]
        rates = {name: Decimal(value["value"]) for name, value in parameters["rates"].items()}
        cursor.execute(
            _PERIOD_SQL,
            {
                **rates,
                "run": run_id,
                "period": period.as_int,
                "year": period.year,
                "period_end": period.last_day,
                "prefix": province.scope_prefix + "%",
                "flexible_categories": tuple(str(c) for c in assessment.FLEXIBLE_CATEGORIES),
                "contributing": str(PersonStatus.CONTRIBUTING),
                "kind": str(LineKind.REGULAR),
                "at": finished,
                "due": due,
                "today": ctx.today,
                "months_from_end": months_from_end,
                "open": str(BillStatus.OPEN),
                "partly": str(BillStatus.PARTIALLY_PAID),
                "paid_status": str(BillStatus.PAID),
                "receipt_prefix": RECEIPT_PREFIX,
                "periods": json.dumps([str(period)]),
                "late_rate": _late_rate(due, province),
                "tz": settings.TIME_ZONE,
            },
        )
        lines, bills, payments, base, employer, individual, account, chunks = cursor.fetchone()
    if isinstance(chunks, str):
        chunks = json.loads(chunks)
    AssessmentRun.objects.filter(pk=run_id).update(
        total_count=lines,
        processed_count=lines,
        line_count=lines,
        bill_count=bills,
        total_base=base,
        total_employer=employer,
        total_individual=individual,
        total_account=account,
        parameters={
            **parameters,
            "chunks": chunks,
            "chunks_done": [code for code, _count in chunks],
        },
    )
    return Loaded(runs=1, lines=lines, bills=bills, payments=payments)


# --- the step ---------------------------------------------------------------------


def _years_with_limits(ctx: DemoContext, province: Region, years: list[int]) -> list[int]:
    kept = []
    for year in years:
        try:
            bases.year_limits(year, region=province, as_of=ctx.today)
            policy_value(AVERAGE_WAGE_KEY, on=date(year, 1, 1), region=province)
        except (InvalidInput, ValidationError) as error:  # no limits on record
            ctx.log(f"demo: contributions of {year} skipped ({error})")
            continue
        kept.append(year)
    return kept


def _analyze(*tables: str) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def load(ctx: DemoContext) -> None:
    """The demo step (see the module docstring)."""
    if ctx.history_years <= 0:
        return
    province = Region.objects.get(code=ctx.province_code)
    prefix = province.scope_prefix
    history = _years_with_limits(
        ctx, province, list(range(ctx.today.year - ctx.history_years, ctx.today.year))
    )
    base_years = [*history, *_years_with_limits(ctx, province, [ctx.today.year])]
    last = Period(history[-1], 12) if history else None
    approver = StaffUser.objects.filter(username=APPROVER).values_list("pk", flat=True).first()
    done = Loaded()
    with _foreign_keys_checked_once(
        (ContributionBase, AssessmentRun, ContributionLine, Bill, TaxPayment, PaymentAllocation)
    ):
        # the registers (and then the bases) were written in this transaction: without
        # statistics the planner would probe them row by row
        _analyze("enrollment_employer", "enrollment_insuredperson", "enrollment_employment")
        for year in base_years:
            if ContributionBase.objects.filter(
                year=year, person__region__code__startswith=prefix
            ).exists():
                ctx.log(f"demo: contribution bases of {year} already loaded")
                continue
            n = _load_bases(ctx, province, year)
            done = replace(done, bases=done.bases + n)
            ctx.log(f"demo: {n} contribution bases of {year}")
        _analyze(ContributionBase._meta.db_table)
        if history:
            _rank_payers(province, last)
        for year in history:
            for period in Period.range(Period(year, 1), Period(year, 12)):
                if (
                    AssessmentRun.objects.filter(
                        period=period, dry_run=False, region__code__startswith=prefix
                    )
                    .exclude(status__in=[RunStatus.FAILED, RunStatus.CLOSED])
                    .exists()
                ):
                    ctx.log(f"demo: assessment of {period} already there")
                    continue
                started = monotonic()
                got = _load_period(ctx, province, period, last - period, approver)
                done = replace(
                    done,
                    runs=done.runs + got.runs,
                    lines=done.lines + got.lines,
                    bills=done.bills + got.bills,
                    payments=done.payments + got.payments,
                )
                ctx.log(
                    f"demo: {period}: {got.lines} lines, {got.bills} bills, "
                    f"{got.payments} payments ({monotonic() - started:.1f} s)"
                )
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {PAYERS}")
    if done == Loaded():
        return
    changelog.record(
        actor=None,
        action=ChangeAction.CREATE,
        object_type="contributions.demo",
        object_id=ctx.scale,
        reason=(
            f"demo data: {done.bases} bases, {done.runs} assessment runs, {done.lines} lines, "
            f"{done.bills} bills, {done.payments} payments"
        ),
    )


register("contributions", load)
