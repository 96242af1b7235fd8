"""Reads of contributions (基金征缴) that downstream domains use: the lines due to the
personal accounts, and a person's actual bases year by year."""

from datetime import datetime

from django.db import connection

_CREDITABLE_SQL = """
WITH paid_bills AS MATERIALIZED (
    SELECT b.id, b.run_id, b.case_id, b.employer_id, b.person_id, b.due_date, b.status,
           max(p.paid_on) AS paid_on, max(p.received_at) AS received_at
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
SELECT l.id, l.person_id, l.period, l.account_credit, l.account_rate, NULL::date, NULL::date
  FROM contributions_contributionline l
  JOIN enrollment_insuredperson p ON p.id = l.person_id AND p.region_id LIKE %(prefix)s
 WHERE l.posted AND l.account_credit < 0
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
    in full (its run's bill of the same payer, or every bill of its case), or its
    credit is negative (a refund or a lowered base, applied when its case was
    approved, with no bill to pay). ``paid_on`` is the last payment date of the bill,
    ``due_date`` its due day. ``since`` keeps only lines whose bill received money at
    or after that moment, or negative lines written then. The bills are grouped once
    and joined to their lines, not probed line by line. ``region_prefix`` here is the payer's
    region (the bill's; an employee's account is credited where the employer pays;
    a negative credit, which has no bill, by the holder's region)."""
    return _CREDITABLE_SQL, {"prefix": f"{region_prefix}%", "since": since}


def contribution_bases_by_year(
    person_id: int, *, from_year: int, until_period: int | None = None
) -> list[dict]:
    """A person's actual contribution bases year by year from ``from_year``: the months
    that count as contributed and the sum of their monthly bases, over every posted
    line (base corrections and limits adjustments carry the difference of the base,
    refunds its negative, so a month's net base is the sum of its lines; a month whose
    net base is not positive does not count). Used for the pooled-fund share of a
    transfer to another province (国办发〔2009〕66号: 12 % of each year's actual bases
    from 1998, part years by month)."""
    sql = """
        SELECT period / 100 AS year, count(*), sum(net)
          FROM (SELECT period, sum(base) AS net
                  FROM contributions_contributionline
                 WHERE person_id = %s AND posted AND period >= %s AND period <= %s
                 GROUP BY period) months
         WHERE net > 0
         GROUP BY 1 ORDER BY 1
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [person_id, from_year * 100 + 1, until_period or 999912])
        return [{"year": y, "months": m, "bases": b} for y, m, b in cursor.fetchall()]
