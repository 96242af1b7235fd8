"""The month-end close (月末结算, DESIGN §5.5, operations standard §10.2–§10.5, seed 004
§2(2)): a batch on the kernel engine (``pension.batches``) posting the month's entries
set-based, one county per chunk, the sweep last.

For a county and the month P (its last day D):

- **Revenue** by item: the contribution lines whose bill was paid in full by D
  (``contributions.selectors.paid_lines_in_sql``: employer and individual shares of
  employers' lines, the whole of flexible workers'), and the late fees collected by
  payments made by D (``late_fees_collected_in_sql``), less what earlier closes posted
  of the item: debit the county's tax clearing account, credit its revenue account.
  What is due is staged once per execution for every county not done, in one
  set-based statement (``revenue_stage``, a temporary table of the connection): the
  month's bills and their lines are scanned once, not once per county; each county's
  transaction then posts its entries from the stage.
- **Expenditure** by item and bank: the bank payments paid out whose result came in
  by D (``benefits.selectors.paid_payments_sql``; payroll items are pensions but the
  survivor benefits, payment instructions their purpose), less what earlier closes
  posted: debit the county's expense account, credit the bank's clearing account; and
  per bank the money moved from the county's expenditure account (支出户) to the bank:
  debit the bank's clearing account, credit the expenditure account.
- **Sweep** (归集, after every county): each county income account's balance to its
  city's income account, each city's (and the province's own) to the special account
  (财政专户), balances of entries up to P.
- **Reserve** (周转金): each county's expenditure account balance against
  ``funds.reserve_months`` months of its average expenditure of the last three months;
  counties below are listed on the run (``parameters["reserve_short"]``) as an alert.

Every amount is "due by D less already posted by closes", and each entry has the key
``close:<P>:<county>:<item>[:<bank>]`` (``ON CONFLICT DO NOTHING``): a re-run, a resumed
chunk or a second close posts nothing twice, and what arrives late for a month whose
close ran is posted by the next month's close.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from benefits.selectors import paid_bank_names, paid_payments_sql
from contributions.selectors import late_fees_collected_in_sql, paid_lines_in_sql
from funds.choices import AccountKind, CloseStatus, Counterparty
from funds.ledger import accounting_period_for, fund_account_for, fund_accounts_open
from funds.models import CloseRun
from pension import batches
from pension.choices import RegionLevel, Role
from pension.errors import Conflict, NotPermitted
from pension.models import ChangeAction, Region
from pension.periods import Period
from pension.selectors import policy_value, profile_for_region

# a chunk's commit not waited for on disk: a crash loses at most the last chunks, entries
# and done-mark together, and the resumed run redoes them (the run's last commit waits)
BATCH = batches.register(
    batches.Batch(key="funds.close", model=CloseRun, statuses=CloseStatus, async_commit=True)
)
SOURCE = "funds.closerun"
RESERVE_MONTHS = "funds.reserve_months"
RESERVE_AVERAGE_OVER = 3  # months of expenditure the reserve is measured against

CLOSE_NOT_ALLOWED = _("Only a provincial fund accountant may run the month-end close.")
CLOSE_EXISTS = _("The month-end close of %(period)s has already been run.")
PERIOD_CLOSED = _("The accounting period %(period)s is closed; nothing can be posted into it.")

# payroll items (benefits.choices.PayrollItem) and instruction purposes → fund items
_EXPENDITURE_ITEM_SQL = """
CASE {column}
    WHEN 'survivor_benefit' THEN 'funeral_survivor'
    WHEN 'refund' THEN 'refund'
    WHEN 'account_settlement' THEN 'account_settlement'
    WHEN 'transfer_out' THEN 'transfer_out'
    ELSE 'pension'
END
"""

# the statement every part posts with: amounts(key, item, reference, debit_account,
# credit_account, amount) → an entry of two legs each, once per key
_POST_SQL = """
WITH {ctes},
entries AS (
    INSERT INTO funds_journalentry (period_id, item, memo, source_type, source_id,
        source_reference, actor_id, api_client_id, idempotency_key, content_hash,
        reverses_id, posted_at)
    SELECT %(period_id)s, a.item, '', %(source)s, %(run)s, a.reference, %(actor)s, NULL,
           a.key, encode(sha256(convert_to(a.key || ':' || a.amount::text, 'UTF8')), 'hex'),
           NULL, now()
      FROM amounts a
     WHERE a.amount <> 0
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id, idempotency_key
)
INSERT INTO funds_journalleg (entry_id, account_id, amount)
SELECT e.id, v.account, v.amount
  FROM entries e
  JOIN amounts a ON a.key = e.idempotency_key
 CROSS JOIN LATERAL (VALUES (a.debit_account, a.amount), (a.credit_account, -a.amount))
       AS v(account, amount)
"""

# what closes posted so far on the county's accounts of ``kind``, by item and reference
_POSTED_SQL = """
SELECT e.item, e.source_reference AS reference, sum(l.amount) AS amount
  FROM funds_journalleg l
  JOIN funds_fundaccount a ON a.id = l.account_id
  JOIN funds_journalentry e ON e.id = l.entry_id
 WHERE a.region_id = %(county)s AND a.kind = '{kind}' AND e.source_type = %(source)s
 GROUP BY e.item, e.source_reference
"""


def _account_sql(kind: str, region: str = "%(county)s", counterparty: str = "") -> str:
    return (
        f"(SELECT id FROM funds_fundaccount WHERE region_id = {region} AND kind = '{kind}'"
        f" AND counterparty = '{counterparty}' AND bank = '')"
    )


# the revenue due by D of every county not done, by item, staged once per execution in
# one set-based pass (the lines of the month's bills are scanned once, not per county):
# columns run, region, item, amount; a late-fee row for every county (0 when none)
REVENUE_STAGE = "pg_temp.funds_close_revenue"


def revenue_stage_sql() -> str:
    lines, _params = paid_lines_in_sql(regions=[], paid_by=None)
    fees, _params = late_fees_collected_in_sql(regions=[], paid_by=None)
    return f"""
CREATE TEMPORARY TABLE funds_close_revenue AS
WITH paid AS ({lines})
SELECT %(run)s::bigint AS run, paid.region_id AS region, v.item, sum(v.amount) AS amount
  FROM paid
 CROSS JOIN LATERAL (VALUES
    (CASE WHEN paid.employer_id IS NULL THEN 'contribution_flexible'
          ELSE 'contribution_employer' END,
     CASE WHEN paid.employer_id IS NULL THEN paid.employer_amount + paid.individual_amount
          ELSE paid.employer_amount END),
    ('contribution_individual',
     CASE WHEN paid.employer_id IS NULL THEN 0 ELSE paid.individual_amount END)
 ) AS v(item, amount)
 GROUP BY paid.region_id, v.item
UNION ALL
SELECT %(run)s::bigint, r.code, 'late_fee', coalesce(sum(f.amount), 0)
  FROM (SELECT DISTINCT unnest(%(regions)s::varchar[])) AS r(code)
  LEFT JOIN ({fees}) f ON f.region_id = r.code
 GROUP BY r.code
"""


def revenue_stage(run: CloseRun, counties: list[str]) -> None:
    """Stage the revenue due of the counties ``counties`` on this connection."""
    batches.build_stage(REVENUE_STAGE, revenue_stage_sql(), {**_params(run), "regions": counties})


def _staged(run: CloseRun, county: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [REVENUE_STAGE])
        if cursor.fetchone()[0] is None:
            return False
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {REVENUE_STAGE} WHERE run = %s AND region = %s)",
            [run.pk, county],
        )
        return cursor.fetchone()[0]


def revenue_ctes() -> str:
    """The county's revenue entries from the stage (``revenue_stage``), less what earlier
    closes posted."""
    return f"""
due AS (
    SELECT s.item, s.amount FROM {REVENUE_STAGE} s
     WHERE s.run = %(run)s::bigint AND s.region = %(county)s
),
posted AS ({_POSTED_SQL.format(kind=AccountKind.REVENUE)}),
amounts AS (
    SELECT 'close:' || %(period)s || ':' || %(county)s || ':' || d.item AS key, d.item,
           '' AS reference,
           {_account_sql(AccountKind.CLEARING, counterparty=Counterparty.TAX)} AS debit_account,
           {_account_sql(AccountKind.REVENUE)} AS credit_account,
           d.amount + coalesce(p.amount, 0) AS amount  -- revenue legs are credits
      FROM due d LEFT JOIN posted p ON p.item = d.item
)"""


def expenditure_ctes() -> str:
    payments, _params = paid_payments_sql(region="", paid_before=None)
    return f"""
paid AS ({payments}),
due AS (
    SELECT {_EXPENDITURE_ITEM_SQL.format(column="paid.item")} AS item,
           paid.bank_name AS reference, sum(paid.amount) AS amount
      FROM paid GROUP BY 1, 2
),
posted AS ({_POSTED_SQL.format(kind=AccountKind.EXPENSE)}),
by_item AS (
    SELECT d.item, d.reference, d.amount - coalesce(p.amount, 0) AS amount
      FROM due d LEFT JOIN posted p ON p.item = d.item AND p.reference = d.reference
),
banks AS (
    SELECT a.bank, a.id FROM funds_fundaccount a
     WHERE a.kind = 'clearing' AND a.counterparty = 'bank' AND a.region_id = %(province)s
),
amounts AS (
    SELECT 'close:' || %(period)s || ':' || %(county)s || ':' || b.item || ':' || b.reference
               AS key,
           b.item, b.reference,
           {_account_sql(AccountKind.EXPENSE)} AS debit_account,
           k.id AS credit_account, b.amount
      FROM by_item b JOIN banks k ON k.bank = b.reference
    UNION ALL
    SELECT 'close:' || %(period)s || ':' || %(county)s || ':bank_settlement:' || b.reference,
           'bank_settlement', b.reference, k.id,
           {_account_sql(AccountKind.EXPENDITURE)}, sum(b.amount)
      FROM by_item b JOIN banks k ON k.bank = b.reference
     GROUP BY b.reference, k.id
)"""


def sweep_ctes(level: str) -> str:
    """The income accounts of ``level`` with a positive balance (entries up to P) → the
    city's income account (a county's) or the special account (a city's, the
    province's)."""
    target = (
        "(SELECT t.id FROM funds_fundaccount t WHERE t.region_id = r.parent_id"
        " AND t.kind = 'income' AND t.counterparty = '' AND t.bank = '')"
        if level == RegionLevel.COUNTY
        else _account_sql(AccountKind.SPECIAL, region="%(province)s")
    )
    return f"""
balances AS (
    SELECT a.id, a.region_id, r.parent_id, sum(l.amount) AS balance
      FROM funds_fundaccount a
      JOIN pension_region r ON r.code = a.region_id
      JOIN funds_journalleg l ON l.account_id = a.id
      JOIN funds_journalentry e ON e.id = l.entry_id
      JOIN funds_accountingperiod p ON p.id = e.period_id
     WHERE a.kind = 'income' AND r.level = '{level}' AND p.period <= %(period)s
     GROUP BY a.id, a.region_id, r.parent_id
    HAVING sum(l.amount) > 0
),
amounts AS (
    SELECT 'close:' || %(period)s || ':sweep:' || b.region_id AS key, 'sweep' AS item,
           b.region_id AS reference, {target.replace("r.parent_id", "b.parent_id")}
               AS debit_account,
           b.id AS credit_account, b.balance AS amount
      FROM balances b
)"""


# --- the run --------------------------------------------------------------------------------


def _may_run(actor) -> bool:
    region = getattr(actor, "region", None)
    return bool(
        actor.is_superuser
        or (
            actor.has_role(Role.FUND_ACCOUNTANT)
            and region is not None
            and region.level == RegionLevel.PROVINCE
        )
    )


def close_run_create(*, actor, period: Period | int | str) -> CloseRun:
    """A provincial fund accountant (None: the beat) creates the month's close run."""
    period = Period.parse(period)
    starter = actor if actor is not None and getattr(actor, "pk", None) else None
    if starter is not None and not _may_run(starter):
        raise NotPermitted(CLOSE_NOT_ALLOWED, code="close_not_permitted")
    province = profile_for_region(getattr(starter, "region", None)).province
    with transaction.atomic():
        if not accounting_period_for(period).is_open:
            raise Conflict(PERIOD_CLOSED, code="period_closed", params={"period": period})
        if CloseRun.objects.filter(period=period, dry_run=False).exists():
            raise Conflict(CLOSE_EXISTS, code="close_exists", params={"period": period})
        run = CloseRun(period=period, region=province, started_by=starter)
        run.full_clean()
        run.save()
        batches.log(starter, run, None, action=ChangeAction.CREATE)
    return run


def close_run(*, actor, period: Period | int | str) -> CloseRun:
    """Create the close run of ``period`` and execute it here (call outside
    ``transaction.atomic``: a transaction per chunk)."""
    run = close_run_create(actor=actor, period=period)
    return close_run_execute(run.pk)


def close_run_execute(run_id: int) -> CloseRun:
    """Execute (or resume) a close run: a chunk per county, then the sweep."""
    return batches.execute(
        BATCH,
        run_id,
        plan=_plan,
        stage=lambda run, keys: revenue_stage(run, [key for key in keys if key != "sweep"]),
        cleanup=lambda: batches.drop_table(REVENUE_STAGE),
        chunk=_chunk,
        totals=_totals,
        status=CloseStatus.POSTED,
        reason="posted",
    )


def _month_end(period: Period) -> date:
    return date(period.year, period.month, calendar.monthrange(period.year, period.month)[1])


def _params(run: CloseRun, county: str = "") -> dict[str, Any]:
    period = Period.parse(run.period)
    end = _month_end(period)
    next_month = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))
    return {
        "period": period.as_int,
        "period_id": accounting_period_for(period).pk,
        "county": county,
        "region": county,
        "province": run.region_id,
        "paid_by": end,
        "paid_before": next_month,
        "source": SOURCE,
        "run": str(run.pk),
        "actor": run.started_by_id,
    }


def _plan(run: CloseRun) -> list[list[Any]]:
    """Open the accounts the close posts to (every region's standard accounts, each
    bank's clearing account), then the chunks: every county, then the sweep."""
    regions = list(Region.objects.filter(code__startswith=run.region.scope_prefix))
    fund_accounts_open(actor=run.started_by, regions=regions)
    banks = paid_bank_names()
    for bank in banks:
        fund_account_for(
            region=run.region, kind=AccountKind.CLEARING, counterparty=Counterparty.BANK,
            bank=bank, actor=run.started_by,
        )  # fmt: skip
    counties = sorted(r.code for r in regions if r.level == RegionLevel.COUNTY)
    return [*([code, 1] for code in counties), ["sweep", 1]]


def _execute(ctes: str, params: dict) -> int:
    with connection.cursor() as cursor:
        cursor.execute(_POST_SQL.format(ctes=ctes), params)
        return cursor.rowcount


def _chunk(run: CloseRun, key: str, weight: int) -> dict[str, Any]:
    if key == "sweep":
        params = _params(run)
        legs = _execute(sweep_ctes(RegionLevel.COUNTY), params)
        legs += _execute(sweep_ctes(RegionLevel.CITY), params)
        legs += _execute(sweep_ctes(RegionLevel.PROVINCE), params)
    else:
        if not _staged(run, key):  # a chunk executed on its own (a redelivered task)
            revenue_stage(run, [key])
        params = _params(run, key)
        legs = _execute(revenue_ctes(), params) + _execute(expenditure_ctes(), params)
    return {"entry_count": F("entry_count") + legs // 2}


_TOTALS_SQL = """
SELECT coalesce(sum(-l.amount) FILTER (WHERE a.kind = 'revenue'), 0),
       coalesce(sum(l.amount) FILTER (WHERE a.kind = 'expense'), 0),
       coalesce(sum(l.amount) FILTER (WHERE a.kind = 'special' AND e.item = 'sweep'), 0),
       count(DISTINCT e.id)
  FROM funds_journalentry e
  JOIN funds_journalleg l ON l.entry_id = e.id
  JOIN funds_fundaccount a ON a.id = l.account_id
 WHERE e.source_type = %s AND e.source_id = %s
"""

_RESERVE_SQL = """
WITH balance AS (
    SELECT a.region_id, sum(l.amount) AS amount
      FROM funds_fundaccount a
      JOIN funds_journalleg l ON l.account_id = a.id
      JOIN funds_journalentry e ON e.id = l.entry_id
      JOIN funds_accountingperiod p ON p.id = e.period_id
     WHERE a.kind = 'expenditure' AND a.region_id LIKE %(prefix)s AND p.period <= %(period)s
     GROUP BY a.region_id
), spent AS (
    SELECT a.region_id, sum(l.amount) / %(months)s AS monthly
      FROM funds_fundaccount a
      JOIN funds_journalleg l ON l.account_id = a.id
      JOIN funds_journalentry e ON e.id = l.entry_id
      JOIN funds_accountingperiod p ON p.id = e.period_id
     WHERE a.kind = 'expense' AND a.region_id LIKE %(prefix)s
       AND p.period > %(first)s AND p.period <= %(period)s
     GROUP BY a.region_id
)
SELECT s.region_id, coalesce(b.amount, 0), round(s.monthly * %(reserve)s, 2)
  FROM spent s LEFT JOIN balance b ON b.region_id = s.region_id
 WHERE s.monthly > 0 AND coalesce(b.amount, 0) < s.monthly * %(reserve)s
 ORDER BY s.region_id
"""


def _totals(run: CloseRun) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_TOTALS_SQL, [SOURCE, str(run.pk)])
        revenue, expenditure, swept, entries = cursor.fetchone()
    run.revenue_total, run.expenditure_total, run.sweep_total = revenue, expenditure, swept
    run.entry_count = entries
    period = Period.parse(run.period)
    try:
        reserve = policy_value(RESERVE_MONTHS, on=_month_end(period), region=run.region)
    except Exception:  # no value in force: no alert, said on the run
        run.parameters = {**run.parameters, "reserve_months": None, "reserve_short": []}
        run.reserve_alerts = 0
        return
    first = period - RESERVE_AVERAGE_OVER
    with connection.cursor() as cursor:
        cursor.execute(
            _RESERVE_SQL,
            {
                "prefix": f"{run.region.scope_prefix}%",
                "period": period.as_int,
                "first": first.as_int,
                "months": RESERVE_AVERAGE_OVER,
                "reserve": Decimal(str(reserve.value)),
            },
        )
        short = [
            {"region": region, "balance": str(balance), "needed": str(needed)}
            for region, balance, needed in cursor.fetchall()
        ]
    run.parameters = {
        **run.parameters,
        "reserve_months": str(reserve.value),
        "reserve_reference": f"{RESERVE_MONTHS}#{reserve.parameter_id}v{reserve.version}",
        "reserve_short": short,
    }
    run.reserve_alerts = len(short)


def close_run_start(*, actor, period: Period | int | str) -> CloseRun:
    """Create the month's close run and queue it for the worker (on commit)."""
    from funds import tasks

    with transaction.atomic():
        run = close_run_create(actor=actor, period=period)
        return batches.start(BATCH, actor=actor, run=run, task=tasks.close_run_execute)
