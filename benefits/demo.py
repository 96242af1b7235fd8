"""Demo step "benefits": a determination for every retiree and twelve months of payroll.

After the "accounts" step, set-based:

1. **Determinations brought over** (the ledger kept before this system): one current
   determination per retired person of the province, in payment, computed in SQL by
   the formulas of DESIGN §5.4 from synthetic inputs, and marked as such
   (``inputs["demo"]``, and an explanation line saying so):

   - retirement month: the statutory one (DESIGN §4 ages: men 60, women cadres 55,
     women workers 50, with the 2025 delay for later cohorts), capped at last month;
   - actual months: from the first insured month to the retirement month; deemed months
     as registered; N = months ÷ 12 to 4 decimals;
   - Z = 0.60 + 0.08 × (a hash of the id mod 16), so 0.60 … 1.80;
   - C: the Shanxi calculation base of the retirement year where published (2023 6897,
     2024 7111, 2025 7253), earlier years 6897 ÷ 1.06 a year back;
   - balance at retirement = actual months × 8 % × 4 000.00 × (0.60 … 1.44); divisor by
     the whole age at retirement (50 → 195, 55 → 170, 60 → 139, else 139);
   - basic = (C + C × Z) ÷ 2 × N × 1 %, account = balance ÷ divisor, transitional =
     C × Z × deemed years × 1.3 %, each rounded half-up to the fen.

   Each is paid through the month before the payroll history, so the first run pays one
   month (new retirees of the last year are paid their arrears in their first run).
2. **Payroll history**: a live payroll run of the province for each of the twelve months
   before this one, as staff run it: the province's fund accountant starts it, the
   province reviewer approves it; the runs before last month are settled as paid by
   the banks (one result batch per bank; 1 in 1 000 payments of the month before last
   failed, "账户冻结", and is re-issued by last month's run); last month's bank files
   are written and wait for the banks' results.

``ctx.history_years`` = 0 (the tests' tiny province) loads nothing. Work already there
is skipped: determinations when the province has some, a month with a live run.
"""

from __future__ import annotations

from datetime import datetime, time
from time import monotonic

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_noop

from benefits.choices import PaymentStatus, PayrollItem, PayrollRunStatus
from benefits.models import BankResultBatch, PayrollRun, PensionDetermination
from benefits.payroll import bank
from benefits.payroll import runs as payroll
from benefits.payroll.bank import _REISSUE_SQL
from pension.demo import DemoContext, register
from pension.models import StaffUser
from pension.periods import Period

STARTER, APPROVER = "province_accountant", "province_reviewer"
HISTORY_MONTHS = 12
FAILED_ONE_IN = 1000

# month ordinals (year × 12 + month − 1) in SQL
_BIRTH = "(extract(year FROM p.birth_date)::int * 12 + extract(month FROM p.birth_date)::int - 1)"
_DETERMINATIONS_SQL = f"""
WITH base AS (
    SELECT p.id AS person_id, p.region_id, p.agency_id, p.deemed_months, p.birth_date,
           {_BIRTH} AS birth_ord,
           coalesce(extract(year FROM p.first_insured_date)::int * 12
                    + extract(month FROM p.first_insured_date)::int - 1, {_BIRTH} + 240)
               AS insured_ord,
           CASE WHEN p.sex = 'M' THEN 720 + CASE
                    WHEN {_BIRTH} < 1965 * 12 THEN 0
                    ELSE least(36, ({_BIRTH} - 1965 * 12) / 4 + 1) END
                WHEN p.occupation_kind = 'cadre' THEN 660 + CASE
                    WHEN {_BIRTH} < 1970 * 12 THEN 0
                    ELSE least(36, ({_BIRTH} - 1970 * 12) / 4 + 1) END
                ELSE 600 + CASE
                    WHEN {_BIRTH} < 1975 * 12 THEN 0
                    ELSE least(60, ({_BIRTH} - 1975 * 12) / 2 + 1) END
           END AS age_months,
           0.60 + 0.08 * (hashint4(p.id::int) & 15) AS z,
           0.60 + 0.12 * ((hashint4(p.id::int) >> 4) & 7) AS factor
      FROM enrollment_insuredperson p
     WHERE p.region_id LIKE %(prefix)s AND p.status = 'retired'
), retired AS (
    SELECT b.*, least(b.birth_ord + b.age_months, %(last_ord)s) AS retire_ord
      FROM base b
), figures AS (
    SELECT r.*,
           greatest(r.retire_ord - least(r.insured_ord, r.retire_ord), 1) AS actual_months,
           (r.retire_ord - r.birth_ord) / 12 AS age,
           CASE WHEN r.retire_ord / 12 >= 2025 THEN 7253.00
                WHEN r.retire_ord / 12 = 2024 THEN 7111.00
                WHEN r.retire_ord / 12 = 2023 THEN 6897.00
                ELSE round(6897.00 / power(1.06, 2023 - r.retire_ord / 12)::numeric, 2) END AS c
      FROM retired r
), components AS (
    SELECT f.*,
           round((f.actual_months + f.deemed_months) / 12.0, 4) AS n,
           round(f.deemed_months / 12.0, 4) AS deemed_years,
           round(f.actual_months * 0.08 * 4000 * f.factor, 2) AS balance,
           CASE f.age WHEN 50 THEN 195.0 WHEN 55 THEN 170.0 ELSE 139.0 END AS divisor
      FROM figures f
), amounts AS (
    SELECT c.*,
           round((c.c + c.c * c.z) / 2 * c.n * 0.01, 2) AS basic,
           round(c.balance / c.divisor, 2) AS account,
           round(c.c * c.z * c.deemed_years * 0.013, 2) AS transitional,
           ((c.retire_ord / 12) * 100 + c.retire_ord %% 12 + 1) AS retirement_month
      FROM components c
)
INSERT INTO benefits_pensiondetermination (
    person_id, region_id, agency_id, case_id, kind, status, retirement_date, retirement_month,
    statutory_date, public_notice_date, actual_months, deemed_months, contribution_years,
    average_index, transitional_index, divisor, account_balance, calculation_base,
    local_calculation_base, calculation_base_year, provisional, basic_pension,
    account_pension, transitional_pension, extra_pension, total, inputs, parameters,
    determined_by_id, created_at, settlement, superseded_by_id, paid_through, stop_month)
SELECT a.person_id, a.region_id, a.agency_id, NULL, 'statutory', 'in_payment',
       make_date(a.retire_ord / 12, a.retire_ord %% 12 + 1, 1), a.retirement_month,
       make_date(a.retire_ord / 12, a.retire_ord %% 12 + 1, 1), NULL,
       a.actual_months, a.deemed_months, a.n, a.z, a.z, a.divisor, a.balance, a.c, a.c,
       a.retire_ord / 12, false, a.basic, a.account, a.transitional, 0,
       a.basic + a.account + a.transitional,
       jsonb_build_object(
           'demo', true, 'z', a.z::text, 'contribution_years', a.n::text,
           'deemed_years', a.deemed_years::text, 'divisor', a.divisor::text,
           'explanation', jsonb_build_array(
               jsonb_build_array(%(demo_line)s, '{{}}'::jsonb),
               jsonb_build_array(%(basic_line)s, jsonb_build_object(
                   'base', a.c::text, 'z', a.z::text, 'years', a.n::text,
                   'amount', a.basic::text)),
               jsonb_build_array(%(account_line)s, jsonb_build_object(
                   'balance', a.balance::text, 'divisor', a.divisor::text,
                   'amount', a.account::text)),
               jsonb_build_array(%(transitional_line)s, jsonb_build_object(
                   'base', a.c::text, 'index', a.z::text, 'years', a.deemed_years::text,
                   'coefficient', '1.3 %%', 'amount', a.transitional::text)),
               jsonb_build_array(%(total_line)s, jsonb_build_object(
                   'basic', a.basic::text, 'account', a.account::text,
                   'transitional', a.transitional::text, 'extra', '0.00',
                   'total', (a.basic + a.account + a.transitional)::text)))),
       '[]'::jsonb, NULL, now(), '{{}}'::jsonb, NULL,
       CASE WHEN a.retirement_month < %(paid_through)s THEN %(paid_through)s END, NULL
  FROM amounts a
"""

DEMO_LINE = gettext_noop(
    "Brought over from the ledger kept before this system (demo data, synthetic inputs)."
)
BASIC_LINE = "Basic pension = (%(base)s + %(base)s × %(z)s) ÷ 2 × %(years)s × 1 %% = %(amount)s."
ACCOUNT_LINE = "Personal account pension = balance %(balance)s ÷ %(divisor)s = %(amount)s."
TRANSITIONAL_LINE = (
    "Transitional pension = %(base)s × %(index)s × %(years)s deemed years × "
    "%(coefficient)s = %(amount)s."
)
TOTAL_LINE = "Monthly pension = %(basic)s + %(account)s + %(transitional)s + %(extra)s = %(total)s."


def _determinations(ctx: DemoContext, first_month: Period) -> int:
    last = Period.from_date(ctx.today).prev()
    with connection.cursor() as cursor:
        cursor.execute(
            _DETERMINATIONS_SQL,
            {
                "prefix": ctx.province_code[:2] + "%",
                "last_ord": last.year * 12 + last.month - 1,
                "paid_through": first_month.prev().as_int,
                "demo_line": DEMO_LINE,
                "basic_line": BASIC_LINE,
                "account_line": ACCOUNT_LINE,
                "transitional_line": TRANSITIONAL_LINE,
                "total_line": TOTAL_LINE,
            },
        )
        count = cursor.rowcount
        cursor.execute("ANALYZE benefits_pensiondetermination")
    return count


def _settle_as_paid(run: PayrollRun, *, fail_some: bool) -> None:
    """The banks' results of a demo month, set-based: every payment paid, or 1 in
    ``FAILED_ONE_IN`` failed (re-issued next month). One result batch per bank."""
    with connection.cursor() as cursor:
        banks = list(
            run.payments.filter(status=PaymentStatus.PENDING)
            .order_by("bank_name")
            .values_list("bank_name", flat=True)
            .distinct()
        )
        for number, name in enumerate(banks, start=1):
            batch = BankResultBatch.objects.create(
                bank_batch_id=f"DEMO-{run.period}-{run.pk}-{number}",
                run=run,
                bank_name=name,
                api_client="demo",
            )
            # the bank's results came in the payroll's own month (the 15th), as the
            # month-end close of that month reads them
            received = timezone.make_aware(
                datetime.combine(Period.parse(run.period).first_day.replace(day=15), time(12))
            )
            BankResultBatch.objects.filter(pk=batch.pk).update(received_at=received)
            cursor.execute(
                """
                UPDATE benefits_payrollpayment
                   SET status = CASE WHEN %(fail)s AND id %% %(one_in)s = 0
                                     THEN %(failed)s ELSE %(paid)s END,
                       failure_reason = CASE WHEN %(fail)s AND id %% %(one_in)s = 0
                                             THEN '账户冻结' ELSE '' END,
                       result_batch_id = %(batch)s
                 WHERE run_id = %(run)s AND bank_name = %(bank)s AND status = %(pending)s
                """,
                {
                    "fail": fail_some,
                    "one_in": FAILED_ONE_IN,
                    "failed": str(PaymentStatus.FAILED),
                    "paid": str(PaymentStatus.PAID),
                    "batch": batch.pk,
                    "run": run.pk,
                    "bank": name,
                    "pending": str(PaymentStatus.PENDING),
                },
            )
            cursor.execute(
                _REISSUE_SQL,
                {
                    "run": run.pk,
                    "batch": batch.pk,
                    "failed": str(PaymentStatus.FAILED),
                    "reissue": str(PayrollItem.REISSUE),
                    "reason": "Re-issue of a payment the bank could not make",
                    "actor": None,
                },
            )
            cursor.execute(
                """
                UPDATE benefits_bankresultbatch b SET
                    paid_count = s.paid, paid_amount = s.paid_amount,
                    failed_count = s.failed, failed_amount = s.failed_amount,
                    result = jsonb_build_object('demo', true, 'paid', s.paid,
                                                'failed', s.failed)
                  FROM (SELECT count(*) FILTER (WHERE status = 'paid') AS paid,
                               coalesce(sum(amount) FILTER (WHERE status = 'paid'), 0)
                                   AS paid_amount,
                               count(*) FILTER (WHERE status = 'failed') AS failed,
                               coalesce(sum(amount) FILTER (WHERE status = 'failed'), 0)
                                   AS failed_amount
                          FROM benefits_payrollpayment
                         WHERE run_id = %(run)s AND result_batch_id = %(batch)s) s
                 WHERE b.id = %(batch)s
                """,
                {"batch": batch.pk, "run": run.pk},
            )
    run.status = PayrollRunStatus.CLOSED
    run.save(update_fields=["status"])


def load(ctx: DemoContext) -> None:
    """The demo step (see the module docstring)."""
    if ctx.history_years <= 0:
        return
    province = ctx.province_code
    this_month = Period.from_date(ctx.today)
    months = [this_month - k for k in range(HISTORY_MONTHS, 0, -1)]
    if not PensionDetermination.objects.filter(region__code__startswith=province[:2]).exists():
        t = monotonic()
        count = _determinations(ctx, months[0])
        ctx.log(f"demo: {count} determinations brought over ({monotonic() - t:.1f} s)")
    starter = StaffUser.objects.get(username=STARTER)
    checker = StaffUser.objects.get(username=APPROVER)
    for month in months:
        if PayrollRun.objects.filter(period=month, region_id=province, dry_run=False).exists():
            continue
        t = monotonic()
        run = payroll.payroll_run_create(actor=starter, period=month, region=province)
        run = payroll.payroll_run_execute(run.pk)
        run = payroll.payroll_run_approve(actor=checker, run=run)
        if month == months[-1]:
            bank.payroll_run_export(actor=starter, run=run)
        else:
            _settle_as_paid(run, fail_some=month == months[-2])
        ctx.log(
            f"demo: payroll {month}, {run.payment_count} payments, {run.total_amount} "
            f"({monotonic() - t:.1f} s)"
        )


register("benefits", load)
