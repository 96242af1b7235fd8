"""Reads of contributions (基金征缴) that downstream domains use: the lines due to the
personal accounts, and a person's actual bases year by year."""

from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Sum

from contributions.models import LateFeeCollection
from enrollment.selectors import insured_persons_sql

_CREDITABLE_SQL = f"""
WITH paid_bills AS MATERIALIZED (
    SELECT b.id, b.run_id, b.case_id, b.employer_id, b.person_id, b.due_date, b.status,
           b.kind, b.period, max(p.paid_on) AS paid_on, max(p.received_at) AS received_at
      FROM contributions_bill b
      LEFT JOIN contributions_paymentallocation a ON a.bill_id = b.id
      LEFT JOIN contributions_taxpayment p ON p.id = a.payment_id
     WHERE b.posted AND b.region_id LIKE %(prefix)s
     GROUP BY b.id
), cases AS (
    SELECT case_id, max(due_date) AS due_date, max(paid_on) AS paid_on,
           max(received_at) AS received_at
      FROM paid_bills
     WHERE case_id IS NOT NULL
     GROUP BY case_id
    HAVING bool_and(status = 'paid')
)
SELECT l.id, l.person_id, l.period, l.account_credit, l.account_rate, b.paid_on, b.due_date
  FROM contributions_contributionline l
  JOIN paid_bills b ON b.run_id = l.run_id AND b.employer_id = l.employer_id
 WHERE l.posted AND l.account_credit > 0 AND b.status = 'paid'
   AND (%(since)s::timestamptz IS NULL OR b.received_at >= %(since)s)
UNION ALL
SELECT l.id, l.person_id, l.period, l.account_credit, l.account_rate, b.paid_on, b.due_date
  FROM contributions_contributionline l
  JOIN paid_bills b ON b.run_id = l.run_id AND b.employer_id IS NULL AND b.person_id = l.person_id
 WHERE l.posted AND l.account_credit > 0 AND l.employer_id IS NULL AND b.status = 'paid'
   AND (%(since)s::timestamptz IS NULL OR b.received_at >= %(since)s)
UNION ALL
SELECT l.id, l.person_id, l.period, l.account_credit, l.account_rate, c.paid_on, c.due_date
  FROM contributions_contributionline l
  JOIN cases c ON c.case_id = l.case_id
 WHERE l.posted AND l.account_credit > 0
   AND (%(since)s::timestamptz IS NULL OR c.received_at >= %(since)s)
UNION ALL
SELECT l.id, l.person_id, l.period, l.account_credit, l.account_rate, b.paid_on, b.due_date
  FROM contributions_contributionline l
  JOIN paid_bills b ON b.run_id IS NULL AND b.case_id IS NULL AND b.kind = 'limits_adjustment'
       AND b.period = l.period AND b.employer_id = l.employer_id
 WHERE l.posted AND l.run_id IS NULL AND l.case_id IS NULL AND l.kind = 'limits_adjustment'
   AND l.account_credit > 0 AND b.status = 'paid'
   AND (%(since)s::timestamptz IS NULL OR b.received_at >= %(since)s)
UNION ALL
SELECT l.id, l.person_id, l.period, l.account_credit, l.account_rate, b.paid_on, b.due_date
  FROM contributions_contributionline l
  JOIN paid_bills b ON b.run_id IS NULL AND b.case_id IS NULL AND b.kind = 'limits_adjustment'
       AND b.period = l.period AND b.employer_id IS NULL AND b.person_id = l.person_id
 WHERE l.posted AND l.run_id IS NULL AND l.case_id IS NULL AND l.kind = 'limits_adjustment'
   AND l.employer_id IS NULL AND l.account_credit > 0 AND b.status = 'paid'
   AND (%(since)s::timestamptz IS NULL OR b.received_at >= %(since)s)
UNION ALL
SELECT l.id, l.person_id, l.period, l.account_credit, l.account_rate, NULL::date, NULL::date
  FROM contributions_contributionline l
  JOIN {insured_persons_sql()} p ON p.id = l.person_id AND p.region_id LIKE %(prefix)s
 WHERE l.posted AND l.account_credit < 0
   AND (%(since)s::timestamptz IS NULL OR l.created_at >= %(since)s)
UNION ALL
SELECT l.id, l.person_id, l.period, l.account_credit, l.account_rate, NULL::date, NULL::date
  FROM contributions_contributionline l
  JOIN {insured_persons_sql()} p ON p.id = l.person_id AND p.region_id LIKE %(prefix)s
 WHERE l.posted AND l.run_id IS NULL AND l.case_id IS NULL AND l.kind = 'limits_adjustment'
   AND l.account_credit > 0
   AND NOT EXISTS (SELECT 1 FROM contributions_bill nb
                    WHERE nb.run_id IS NULL AND nb.case_id IS NULL AND nb.posted
                      AND nb.kind = 'limits_adjustment' AND nb.period = l.period
                      AND (CASE WHEN l.employer_id IS NULL
                                THEN nb.employer_id IS NULL AND nb.person_id = l.person_id
                                ELSE nb.employer_id = l.employer_id END))
   AND (%(since)s::timestamptz IS NULL OR l.created_at >= %(since)s)
"""


def account_creditable_lines_sql(
    *, region_prefix: str = "", since: datetime | None = None
) -> tuple[str, dict]:
    """Posted lines whose account credit (8 %) is due to the personal account
    (DESIGN §5.3: arrears are credited when paid), as one set-based SQL statement
    (columns id, person_id, period, account_credit, account_rate, paid_on, due_date) and
    its parameters, for batches to embed.

    A line is due when it has a non-zero account credit and either its bill is paid
    in full (its run's bill of the same payer, or every bill of its case, or for a
    limits adjustment the payer's limits-adjustment bill of that month), or it has no
    bill to pay: its credit is negative (a refund or a lowered base, applied when its
    case was approved), or it is a positive limits adjustment of a month whose net
    difference for its payer was not positive (not billed, ``bases``). ``paid_on`` is
    the last payment date of the bill, ``due_date`` its due day. ``since`` keeps only
    lines whose bill received money at or after that moment, or lines without a bill
    written then. The bills are grouped once
    and joined to their lines, not probed line by line. ``region_prefix`` here is the payer's
    region (the bill's; an employee's account is credited where the employer pays;
    a negative credit, which has no bill, by the holder's region)."""
    return _CREDITABLE_SQL, {"prefix": f"{region_prefix}%", "since": since}


# A contribution line "counts as paid" (实缴, DESIGN §5.2) when it is posted and
# settled: an assessment line when the bill of its run and payer is paid in full and the
# run is live and released to the tax bureau; a case line (back-payment, correction,
# refund, top-up) when every bill of its case is paid in full (a case with no bill —
# a correction downwards, a refund — is settled when it is approved, the only time its
# lines are written); a limits adjustment when its payer's bill of that kind and period
# is paid in full, or there is none (a net difference that was not positive). A partly
# paid bill counts for nobody: the amount paid cannot be attributed to employees.
# ``l`` is the line's alias.
PAID_LINE_SQL = """
l.posted AND (
  (l.run_id IS NOT NULL AND EXISTS (
     SELECT 1 FROM contributions_bill pb
       JOIN contributions_assessmentrun pr ON pr.id = pb.run_id
      WHERE pb.run_id = l.run_id AND pb.posted AND pb.status = 'paid'
        AND NOT pr.dry_run AND pr.status IN ('released', 'closed')
        AND (CASE WHEN l.employer_id IS NULL THEN pb.employer_id IS NULL
                                                  AND pb.person_id = l.person_id
                  ELSE pb.employer_id = l.employer_id END)))
  OR (l.case_id IS NOT NULL AND NOT EXISTS (
     SELECT 1 FROM contributions_bill pb
      WHERE pb.case_id = l.case_id AND pb.posted AND pb.status <> 'paid'))
  OR (l.run_id IS NULL AND l.case_id IS NULL AND l.kind = 'limits_adjustment'
      AND NOT EXISTS (
     SELECT 1 FROM contributions_bill pb
      WHERE pb.run_id IS NULL AND pb.case_id IS NULL AND pb.posted
        AND pb.kind = 'limits_adjustment' AND pb.period = l.period AND pb.status <> 'paid'
        AND (CASE WHEN l.employer_id IS NULL THEN pb.employer_id IS NULL
                                                  AND pb.person_id = l.person_id
                  ELSE pb.employer_id = l.employer_id END)))
)
"""

# kinds of line that make a month count as contributed
CONTRIBUTED_KINDS = ("regular", "back_payment", "top_up")


def paid_months(person_id: int, *, until: int | None = None) -> int:
    """Months contributed and paid (实缴月数): distinct periods up to ``until`` (YYYYMM)
    of paid (``PAID_LINE_SQL``) regular, back-payment and top-up lines of any payer,
    a refunded line not counted; transferred-in months (``TransferredHistory``) are
    added. Deemed months are not included. This is what the minimum-months check, the
    shortfall and the survivors' months count (DESIGN §5.2)."""
    sql = f"""
        SELECT count(*) FROM (
            SELECT l.period FROM contributions_contributionline l
             WHERE l.person_id = %(person)s AND l.period <= %(until)s
               AND l.kind IN %(kinds)s AND {PAID_LINE_SQL}
               AND NOT EXISTS (SELECT 1 FROM contributions_contributionline r
                                WHERE r.adjusts_id = l.id AND r.posted AND r.kind = 'refund')
            UNION
            SELECT period FROM contributions_transferredmonth
             WHERE person_id = %(person)s AND period <= %(until)s
        ) months
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql, {"person": person_id, "until": until or 999912, "kinds": CONTRIBUTED_KINDS}
        )
        return int(cursor.fetchone()[0])


def contribution_bases_by_year(
    person_id: int,
    *,
    from_year: int,
    until_period: int | None = None,
    transferred: bool = False,
) -> list[dict]:
    """A person's actual contribution bases year by year from ``from_year``: the months
    that count as contributed and paid and the sum of their monthly bases, over every
    paid line (``PAID_LINE_SQL``: base corrections and limits adjustments carry the
    difference of the base, refunds its negative, so a month's net base is the sum of
    its paid lines; a month whose net base is not positive does not count; lines of an
    unpaid or partly paid bill, or of a run not released, never count).

    Used for the pooled-fund share of a transfer to another province (国办发〔2009〕66号:
    12 % of each year's actual bases from 1998, part years by month; this province's
    months only) and, with ``transferred=True``, for the determination, where the
    months transferred in from another province (``TransferredHistory``) are rows of
    their own: ``{"year", "months", "bases", "index"}`` with the index recorded by that
    province (the local rows carry no index: it is computed from this province's
    average wage)."""
    sql = f"""
        SELECT period / 100 AS year, count(*), sum(net)
          FROM (SELECT l.period, sum(l.base) AS net
                  FROM contributions_contributionline l
                 WHERE l.person_id = %s AND l.period >= %s AND l.period <= %s
                   AND {PAID_LINE_SQL}
                 GROUP BY l.period) months
         WHERE net > 0
         GROUP BY 1 ORDER BY 1
    """
    first, last = from_year * 100 + 1, until_period or 999912
    with connection.cursor() as cursor:
        cursor.execute(sql, [person_id, first, last])
        rows = [{"year": y, "months": m, "bases": b} for y, m, b in cursor.fetchall()]
        if transferred:
            cursor.execute(
                """
                SELECT period / 100, count(*), sum(base), sum(contribution_index)
                  FROM contributions_transferredmonth
                 WHERE person_id = %s AND period >= %s AND period <= %s
                 GROUP BY 1 ORDER BY 1
                """,
                [person_id, first, last],
            )
            for y, m, b, index_sum in cursor.fetchall():
                rows.append({"year": y, "months": m, "bases": b, "index_sum": index_sum})
            rows.sort(key=lambda row: (row["year"], "index_sum" in row))
    return rows


def paid_line_ids(person_id: int) -> set[int]:
    """Ids of the person's posted lines that count as paid (``PAID_LINE_SQL``), for
    the person page to show paid and unpaid months apart."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT l.id FROM contributions_contributionline l "
            f"WHERE l.person_id = %s AND {PAID_LINE_SQL}",
            [person_id],
        )
        return {row[0] for row in cursor.fetchall()}


def late_fee_collected(*, region_prefix: str = "", paid_from=None, paid_to=None):
    """Late-fee money collected (滞纳金收入), apart from contributions, by region: the
    ``LateFeeCollection`` rows of payments whose paid-on date lies in [``paid_from``,
    ``paid_to``], summed per region (``{"region_id": …, "amount": …}``). The fund
    ledger posts it as its own revenue item (DESIGN §5.2, §5.5)."""
    rows = LateFeeCollection.objects.filter(region__code__startswith=region_prefix)
    if paid_from is not None:
        rows = rows.filter(payment__paid_on__gte=paid_from)
    if paid_to is not None:
        rows = rows.filter(payment__paid_on__lte=paid_to)
    return list(rows.values("region_id").annotate(amount=Sum("amount")).order_by("region_id"))


# Contribution lines paid by a day (实缴, for the fund ledger's month-end close): lines of
# a payer's bill of an assessment run, or of every bill of a case, paid in full, the last
# payment on or before ``%(paid_by)s``, the bill lying in region ``%(region)s``. Columns:
# region_id, employer_id (NULL for a flexible worker), employer_amount, individual_amount.
# Lines with no bill (a refund, a correction downwards) are not revenue: a refund goes out
# as a payment instruction (expenditure).
def _paid_by(bills_in: str, *, cases_by: str = "case_id") -> str:
    """The statement with the bills ``bills_in``; ``cases_by`` groups a case's bills (by
    county too when the statement covers several, as each county's statement would)."""
    return f"""
WITH bills AS MATERIALIZED (
    SELECT b.id, b.run_id, b.case_id, b.employer_id, b.person_id, b.region_id, b.status,
           max(p.paid_on) AS paid_on
      FROM contributions_bill b
      LEFT JOIN contributions_paymentallocation a ON a.bill_id = b.id
      LEFT JOIN contributions_taxpayment p ON p.id = a.payment_id
     WHERE b.posted AND {bills_in} AND (b.run_id IS NOT NULL OR b.case_id IS NOT NULL)
     GROUP BY b.id
), cases AS (
    SELECT case_id, max(region_id) AS region_id
      FROM bills WHERE case_id IS NOT NULL
     GROUP BY {cases_by}
    HAVING bool_and(status = 'paid') AND max(paid_on) <= %(paid_by)s
)
SELECT b.region_id, l.employer_id, l.employer_amount, l.individual_amount
  FROM contributions_contributionline l
  JOIN bills b ON b.run_id = l.run_id AND b.employer_id = l.employer_id
 WHERE l.posted AND b.status = 'paid' AND b.paid_on <= %(paid_by)s
UNION ALL
SELECT b.region_id, l.employer_id, l.employer_amount, l.individual_amount
  FROM contributions_contributionline l
  JOIN bills b ON b.run_id = l.run_id AND b.employer_id IS NULL AND b.person_id = l.person_id
 WHERE l.posted AND l.employer_id IS NULL AND b.status = 'paid' AND b.paid_on <= %(paid_by)s
UNION ALL
SELECT c.region_id, l.employer_id, l.employer_amount, l.individual_amount
  FROM contributions_contributionline l
  JOIN cases c ON c.case_id = l.case_id
 WHERE l.posted
"""


_PAID_BY_SQL = _paid_by("b.region_id = %(region)s")


def paid_lines_sql(*, region: str, paid_by) -> tuple[str, dict]:
    """Contribution lines of region ``region``'s bills paid in full by the day
    ``paid_by`` (columns region_id, employer_id, employer_amount, individual_amount), as
    one SQL statement and its parameters for the fund ledger's month-end close to embed
    (revenue by item: employer, individual, flexible workers). The bills of a county are
    grouped once and joined to their lines."""
    return _PAID_BY_SQL, {"region": region, "paid_by": paid_by}


def paid_lines_in_sql(*, regions: list[str], paid_by) -> tuple[str, dict]:
    """``paid_lines_sql`` of the counties ``regions`` at once, one set-based statement
    (the month-end close stages it once for all its counties rather than scanning the
    lines again per county): the bills of those counties grouped once and joined to
    their lines; column ``region_id`` says whose. Parameters ``regions``, ``paid_by``."""
    sql = _paid_by("b.region_id = ANY(%(regions)s::varchar[])", cases_by="case_id, region_id")
    return sql, {
        "regions": regions,
        "paid_by": paid_by,
    }


def late_fees_collected_sql(*, region: str, paid_by) -> tuple[str, dict]:
    """Late-fee money collected (滞纳金收入) in region ``region`` by payments made on or
    before ``paid_by``, one row (region_id, amount), for the month-end close to embed."""
    return (
        """
        SELECT c.region_id, c.amount
          FROM contributions_latefeecollection c
          JOIN contributions_taxpayment p ON p.id = c.payment_id
         WHERE c.region_id = %(region)s AND p.paid_on <= %(paid_by)s
        """,
        {"region": region, "paid_by": paid_by},
    )


def late_fees_collected_in_sql(*, regions: list[str], paid_by) -> tuple[str, dict]:
    """``late_fees_collected_sql`` of the counties ``regions`` at once (rows region_id,
    amount). Parameters ``regions``, ``paid_by``."""
    return (
        """
        SELECT c.region_id, c.amount
          FROM contributions_latefeecollection c
          JOIN contributions_taxpayment p ON p.id = c.payment_id
         WHERE c.region_id = ANY(%(regions)s::varchar[]) AND p.paid_on <= %(paid_by)s
        """,
        {"regions": regions, "paid_by": paid_by},
    )


def assessment_region_totals(run) -> list[tuple[str, Decimal, Decimal]]:
    """The run's employer and individual amounts per region one level below the run's
    (a province's run by city, a city's by county; a county's run is its county), in
    region-code order, for the chart of the run page: (region name, employer amount,
    individual amount)."""
    from contributions.models import ContributionLine
    from pension.models import Region

    width = {"province": 4, "city": 6}.get(run.region.level, 6)
    sums: dict[str, list[Decimal]] = {}
    rows = (
        ContributionLine.objects.filter(run=run)
        .values("person__region_id")
        .annotate(employer=Sum("employer_amount"), individual=Sum("individual_amount"))
    )
    for row in rows:
        code = row["person__region_id"][:width].ljust(6, "0")
        pair = sums.setdefault(code, [Decimal("0.00"), Decimal("0.00")])
        pair[0] += row["employer"] or 0
        pair[1] += row["individual"] or 0
    names = dict(Region.objects.filter(code__in=sums).values_list("code", "name"))
    return [(names.get(code, code), *sums[code]) for code in sorted(sums)]


def month_contributors_sql(*, period: int) -> tuple[str, dict]:
    """The people with a live (posted) regular contribution line of ``period`` (YYYYMM),
    one row each (column ``person_id``), as an SQL fragment for set-based batches
    downstream (the month-end snapshot counts them as contributors, 缴费人数);
    parameter ``contributors_period``."""
    sql = """
        SELECT DISTINCT l.person_id
          FROM contributions_contributionline l
         WHERE l.posted AND l.kind = 'regular' AND l.period = %(contributors_period)s
    """
    return sql, {"contributors_period": period}


def month_bills_sql(*, period: int, region_prefix: str = "") -> tuple[str, dict]:
    """What was assessed and what was collected of ``period`` by the payer's county
    (columns ``region_id, assessed, collected``): the live bills' totals and paid
    amounts as they stand, for the snapshot's collection rate (征缴率 = collected ÷
    assessed); parameters ``bills_period``, ``bills_prefix``."""
    sql = """
        SELECT b.region_id, sum(b.total) AS assessed, sum(b.paid_amount) AS collected
          FROM contributions_bill b
         WHERE b.posted AND b.period = %(bills_period)s AND b.region_id LIKE %(bills_prefix)s
         GROUP BY b.region_id
    """
    return sql, {"bills_period": period, "bills_prefix": f"{region_prefix}%"}


# --- control totals through the chain (funds' control-totals page, DESIGN §5.5) -----------


def month_bill_control_sql(*, period: int, region_prefix: str = "") -> tuple[str, dict]:
    """One row for the control totals of ``period`` in the region ``region_prefix``:
    ``assessed`` (the live bills' totals), ``paid`` (what payments allocated to them,
    late fees apart), ``outstanding`` (what the bills not paid in full still lack) and
    ``bills``; assessed = paid + outstanding when every allocation is on its bill.
    Parameters ``cb_period``, ``cb_prefix``."""
    sql = """
        SELECT coalesce(sum(b.total), 0) AS assessed,
               coalesce(sum(a.allocated), 0) AS paid,
               coalesce(sum(b.total - b.paid_amount) FILTER (WHERE b.status <> 'paid'), 0)
                   AS outstanding,
               count(*) AS bills
          FROM contributions_bill b
          LEFT JOIN LATERAL (SELECT sum(x.amount) AS allocated
                               FROM contributions_paymentallocation x
                              WHERE x.bill_id = b.id) a ON true
         WHERE b.posted AND b.period = %(cb_period)s AND b.region_id LIKE %(cb_prefix)s
    """
    return sql, {"cb_period": period, "cb_prefix": f"{region_prefix}%"}


def paid_account_shares_sql(*, period: int, region_prefix: str = "") -> tuple[str, dict]:
    """One row (``amount``): the personal-account shares (8 %) of ``period``'s lines
    whose contributions are paid (``account_creditable_lines_sql``, credits only), what
    the personal accounts should have been credited. Parameters ``prefix``, ``since``,
    ``pa_period``."""
    lines, params = account_creditable_lines_sql(region_prefix=region_prefix)
    sql = f"""
        SELECT coalesce(sum(c.account_credit), 0) AS amount
          FROM ({lines}) c
         WHERE c.period = %(pa_period)s AND c.account_credit > 0
    """
    return sql, {**params, "pa_period": period}


def paid_totals_sql(*, region_prefix: str = "", paid_by) -> tuple[str, dict]:
    """One row (``contributions``, ``late_fees``): the contribution lines of the bills in
    the region ``region_prefix`` paid in full by the day ``paid_by`` (what the month-end
    close posts as revenue, ``paid_lines_sql`` for a region and its counties) and the
    late fees collected by then. Parameters ``pt_prefix``, ``paid_by``."""
    lines = _PAID_BY_SQL.replace("b.region_id = %(region)s", "b.region_id LIKE %(pt_prefix)s")
    sql = f"""
        SELECT (SELECT coalesce(sum(p.employer_amount + p.individual_amount), 0)
                  FROM ({lines}) p) AS contributions,
               (SELECT coalesce(sum(c.amount), 0)
                  FROM contributions_latefeecollection c
                  JOIN contributions_taxpayment t ON t.id = c.payment_id
                 WHERE c.region_id LIKE %(pt_prefix)s AND t.paid_on <= %(paid_by)s) AS late_fees
    """
    return sql, {"pt_prefix": f"{region_prefix}%", "paid_by": paid_by}
