"""The month-end snapshot (月末快照, DESIGN §5.6) on the kernel's batch engine: insured,
contributors and retirees by county, age band and sex, and assessed and collected by
county, written set-based (``INSERT … SELECT``) from the upstream selectors' SQL
fragments (``enrollment.selectors.insured_people_sql``,
``contributions.selectors.month_contributors_sql`` / ``month_bills_sql``,
``benefits.selectors.retirees_in_payment_sql``), one county per chunk.

Definitions (what the scorecards read):

- *insured* (参保职工): people whose status is contributing or interrupted;
- *contributors* (缴费人数): insured people with a live regular contribution line of
  the month;
- *retirees* (离退休人数): people whose current determination is in payment, and
  *new retirees* those of them whose retirement month is the month;
- *pension total*: the monthly pensions of the retirees in payment;
- *age band*: ten-year bands of the age at the month's end (80: 80 and over);
- *assessed / collected* (应缴/实缴): the live bills of the month and what is paid of
  them when the snapshot is taken.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from benefits.selectors import retirees_in_payment_sql
from budget.choices import SnapshotStatus
from budget.models import SnapshotRun
from contributions.selectors import month_bills_sql, month_contributors_sql
from enrollment.selectors import insured_people_sql
from pension import batches
from pension.errors import Conflict
from pension.models import Region
from pension.periods import Period

# a county's commit is not waited for on disk (``async_commit``, as the month-end close):
# a crash loses at most the last counties, their lines and done-marks together, and the
# resumed run redoes them; the run's last commit (calculated) is waited for
BATCH = batches.register(
    batches.Batch(
        key="budget.snapshot", model=SnapshotRun, statuses=SnapshotStatus, async_commit=True
    )
)
INSURED_STATUSES = ("contributing", "interrupted")
ERROR_TAKEN = _("The snapshot of %(period)s is already taken.")


def _people_sql(run: SnapshotRun, county: str) -> tuple[str, dict[str, Any]]:
    people, p1 = insured_people_sql(region_prefix=county)
    contributors, p2 = month_contributors_sql(period=run.period.as_int)
    retirees, p3 = retirees_in_payment_sql()
    sql = f"""
        INSERT INTO budget_snapshotline
               (run_id, period, region_id, age_band, sex, insured, contributors, retirees,
                new_retirees, pension_total)
        SELECT %(run)s, %(period)s, p.region_id,
               LEAST(FLOOR(date_part('year', age(%(month_end)s::date, p.birth_date)) / 10) * 10,
                     80)::smallint AS age_band,
               p.sex,
               count(*) FILTER (WHERE p.status IN %(insured_statuses)s),
               count(*) FILTER (WHERE p.status IN %(insured_statuses)s
                                  AND c.person_id IS NOT NULL),
               count(r.person_id),
               count(r.person_id) FILTER (WHERE r.retirement_month = %(period)s),
               coalesce(sum(r.total), 0)
          FROM ({people}) p
          LEFT JOIN ({contributors}) c ON c.person_id = p.person_id
          LEFT JOIN ({retirees}) r ON r.person_id = p.person_id
         WHERE p.status IN %(insured_statuses)s OR r.person_id IS NOT NULL
         GROUP BY p.region_id, 4, p.sex
        ON CONFLICT DO NOTHING
    """
    params = {
        **p1, **p2, **p3,
        "run": run.pk,
        "period": run.period.as_int,
        "month_end": run.period.last_day,
        "insured_statuses": INSURED_STATUSES,
    }  # fmt: skip
    return sql, params


def _bills_sql(run: SnapshotRun, county: str) -> tuple[str, dict[str, Any]]:
    bills, params = month_bills_sql(period=run.period.as_int, region_prefix=county)
    sql = f"""
        INSERT INTO budget_snapshotcollection (run_id, period, region_id, assessed, collected)
        SELECT %(run)s, %(period)s, b.region_id, b.assessed, b.collected
          FROM ({bills}) b
        ON CONFLICT DO NOTHING
    """
    return sql, {**params, "run": run.pk, "period": run.period.as_int}


def _plan(run: SnapshotRun) -> list[list[Any]]:
    """The province's counties with their head counts (a county with bills and nobody
    registered still gets its chunk)."""
    prefix = run.region.scope_prefix
    people, params = insured_people_sql(region_prefix=prefix)
    bills, p2 = month_bills_sql(period=run.period.as_int, region_prefix=prefix)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT region_id, max(weight)::int FROM (
                SELECT p.region_id, count(*) AS weight FROM ({people}) p GROUP BY 1
                UNION ALL
                SELECT b.region_id, 1 FROM ({bills}) b
            ) x GROUP BY 1 ORDER BY 1
            """,
            {**params, **p2},
        )
        return [[code, weight] for code, weight in cursor.fetchall()]


def _chunk(run: SnapshotRun, county: str, weight: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(*_people_sql(run, county))
        cursor.execute(*_bills_sql(run, county))


def _totals(run: SnapshotRun) -> None:
    sums = run.lines.aggregate(
        insured=Sum("insured"), contributors=Sum("contributors"), retirees=Sum("retirees")
    )
    run.insured_count = sums["insured"] or 0
    run.contributor_count = sums["contributors"] or 0
    run.retiree_count = sums["retirees"] or 0


def snapshot_run_execute(run_id: int) -> SnapshotRun:
    """Execute (or resume) a snapshot run (the task calls this)."""
    return batches.execute(BATCH, run_id, plan=_plan, chunk=_chunk, totals=_totals)


@transaction.atomic
def snapshot_take(
    *, actor, period: Period, province: Region | None = None, checked: bool = False
) -> SnapshotRun:
    """Take the snapshot of ``period`` for the province (the actor's, or ``province``
    for the system): the run is created and started, its worker writes the lines.
    Refused when the month's snapshot was already taken (a failed one is resumed).
    ``checked``: the caller has checked the actor's right instead of the budget
    preparer's (the statistics ledger's run-now, ``audit.statistics.ledger_take``)."""
    from budget import tasks

    if province is None:
        province = Region.objects.get(code=actor.region.province_code)
    if not checked:
        batches.may_prepare(actor, province.code)
    run = SnapshotRun.objects.select_for_update().filter(period=period, region=province).first()
    if run is not None and run.status not in batches.STARTABLE:
        raise Conflict(ERROR_TAKEN, code="snapshot_taken", params={"period": str(period)})
    if run is None:
        run = SnapshotRun.objects.create(period=period, region=province, started_by=actor)
        batches.log(actor, run, None, reason="created")
    return batches.start(BATCH, actor=actor, run=run, task=tasks.snapshot_run_execute)
