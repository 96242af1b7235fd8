"""Demo step "accounts": personal accounts with balances brought over, the credits of
the contribution history and the interest of its years.

After the "contributions" step (three years of assessments and payments), with
set-based SQL and the batches themselves:

1. **Balances brought over** (``migrated_balance``, the ledger kept before this
   system): every insured person first insured before the history's first year gets
   an account opened in the month first insured, with one entry at the December
   before the history: months insured until then × 8 % × a monthly base of 4 000.00 ×
   a factor of the person (0.60 … 1.44, from a hash of the id), rounded to the fen.
   Retired holders' accounts are drawing, interrupted ones sealed, the deceased,
   transferred-out and terminated get none.
2. **Credits**: one crediting run of the province, as the monthly beat makes it,
   credits every paid line of the history (the late ones earning from the month
   paid; arrears stay uncredited until paid).
3. **Interest**: a live interest run per history year, oldest first, started by the
   province's fund accountant, approved by the province reviewer and posted (the
   years without an announced rate provisionally, at the last one).

``ctx.history_years`` = 0 (the tests' tiny province) loads nothing. Work already there
is skipped: balances when the province has accounts, a year with a live interest run.
"""

from __future__ import annotations

from time import monotonic

from django.db import connection

from accounts import runs
from accounts.choices import RunKind, RunStatus
from accounts.models import AccountEntry, AccountRun, PensionAccount
from enrollment.demo import _foreign_keys_checked_once
from pension.demo import DemoContext, register
from pension.models import StaffUser
from pension.periods import Period

STARTER, APPROVER = "province_accountant", "province_reviewer"

_OPEN_SQL = """
INSERT INTO accounts_pensionaccount (person_id, province_id, status, opened_period, opened_at,
                                     status_changed_at, status_reason)
SELECT p.id, %(province)s,
       CASE p.status WHEN 'retired' THEN 'drawing' WHEN 'interrupted' THEN 'sealed'
            ELSE 'open' END,
       (extract(year FROM p.first_insured_date) * 100
        + extract(month FROM p.first_insured_date))::int,
       now(), NULL, '演示：历史余额迁移（合成数据）'
  FROM enrollment_insuredperson p
 WHERE p.region_id LIKE %(prefix)s
   AND p.first_insured_date < %(start)s
   AND p.status IN ('contributing', 'interrupted', 'retired')
ON CONFLICT (person_id) DO NOTHING
"""
_BROUGHT_SQL = """
INSERT INTO accounts_accountentry (account_id, kind, period, value_period, amount, interest_year,
    contribution_line_id, case_id, run_id, reverses_id, rule, created_at)
SELECT a.id, 'migrated_balance', %(before)s, %(before)s,
       round(((%(start_year)s - 1 - a.opened_period / 100) * 12
              + (12 - a.opened_period %% 100) + 1) * 0.08 * 4000
             * (0.60 + (hashint4(a.person_id::int) & 7) * 0.12), 2),
       NULL, NULL, NULL, NULL, NULL, '演示：历史余额迁移（合成数据）', now()
  FROM accounts_pensionaccount a
 WHERE a.province_id = %(province)s
"""


def load(ctx: DemoContext) -> None:
    """The demo step (see the module docstring)."""
    if ctx.history_years <= 0:
        return
    province = ctx.province_code
    years = list(range(ctx.today.year - ctx.history_years, ctx.today.year))
    start = Period(years[0], 1)
    with _foreign_keys_checked_once((PensionAccount, AccountEntry, AccountRun)):
        if not PensionAccount.objects.filter(province_id=province).exists():
            t = monotonic()
            with connection.cursor() as cursor:
                cursor.execute(
                    _OPEN_SQL,
                    {"province": province, "prefix": f"{province[:2]}%", "start": start.first_day},
                )
                opened = cursor.rowcount
                cursor.execute(
                    _BROUGHT_SQL,
                    {
                        "province": province,
                        "before": start.prev().as_int,
                        "start_year": years[0],
                    },
                )
                cursor.execute("ANALYZE accounts_pensionaccount")
                cursor.execute("ANALYZE accounts_accountentry")
            ctx.log(f"demo: {opened} accounts with balances brought over ({monotonic() - t:.1f} s)")
        starter = StaffUser.objects.get(username=STARTER)
        checker = StaffUser.objects.get(username=APPROVER)
        if not AccountRun.objects.filter(kind=RunKind.CREDITING, region_id=province).exists():
            t = monotonic()
            with connection.cursor() as cursor:  # written in this transaction: no statistics yet
                cursor.execute(
                    "ANALYZE contributions_contributionline, contributions_bill, "
                    "contributions_paymentallocation, contributions_taxpayment"
                )
            run = runs.crediting_run_create(
                actor=starter, region=province, period=Period(ctx.today.year, 1)
            )
            run = runs.crediting_run_execute(run.pk)
            ctx.log(
                f"demo: crediting, {run.entry_count} credits on {run.account_count} accounts "
                f"({monotonic() - t:.1f} s)"
            )
        for year in years:
            if (
                AccountRun.objects.filter(kind=RunKind.INTEREST, region_id=province, year=year)
                .exclude(status=RunStatus.FAILED)
                .exists()
            ):
                continue
            t = monotonic()
            run = runs.interest_run_create(
                actor=starter, region=province, year=year, today=ctx.today
            )
            run = runs.interest_run_execute(run.pk)
            runs.interest_run_approve(actor=checker, run=run, queue_posting=False)
            run = runs.interest_run_post(run.pk)
            flag = " (provisional)" if run.rate_provisional else ""
            ctx.log(
                f"demo: interest {year} at {run.rate}{flag}, {run.account_count} accounts "
                f"({monotonic() - t:.1f} s)"
            )


register("accounts", load)
