"""The batches of personal accounts (DESIGN §2.3, §5.3): monthly crediting (每月记账)
and annual interest (年度结息). Set-based SQL (crediting in one statement for the
province, interest in chunks of account ids, one transaction each), resumable,
idempotent by unique constraints.

- **Crediting** (``crediting_run_*``): every line of ``contributions.selectors.
  account_creditable_lines_sql`` (paid in full, or a negative credit of an approved case)
  not credited yet becomes a credit entry of its account (the account is opened when
  missing), idempotent by the source line (``accountentry_credit_once_per_line``). Its
  ``value_period`` (the month it earns from) is the contribution month when the bill
  was paid by its due date, the month of payment when paid late, the run's month for a
  negative credit, and never a month of a year whose interest is already posted. A
  sealed account that receives a credit is open again. A closed account receives
  nothing (counted in the run as ``closed_skipped``). The run posts without approval:
  it books what the tax bureau collected on approved assessments.
- **Interest** (``interest_run_*``): a run per province and year. It computes an
  ``InterestLine`` for every open or sealed account (opening = the closing of the last
  posted run of the year before, or the sum of the entries before the year; the
  year's entries by month; the interest by the profile's method), then, once approved
  by a second person, posts the difference between that interest and what is already
  posted for the year as one entry per account (``accountentry_once_per_run``). A dry
  run computes the same lines and is never posted. A year without an announced rate
  uses the last known one (``rate_provisional``); when the year's rate is entered, a
  new run of the same year (a true-up) posts only the difference. A true-up is
  refused once the next year has a posted run.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, DecimalField, F, Max, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from accounts.choices import RunKind, RunStatus
from accounts.models import AccountEntry, AccountRun, InterestLine
from accounts.services import YearRate, interest_method_for, interest_rate_for, rate_rule
from contributions.selectors import account_creditable_lines_sql
from pension import batches, changelog
from pension.batches import RunLock
from pension.choices import RegionLevel
from pension.errors import Conflict, InvalidInput
from pension.models import ChangeAction, Region
from pension.periods import Period
from pension.scope import restrict, runs_covering

ERROR_OUTSIDE_REGION = batches.ERROR_OUTSIDE_REGION
ERROR_NOT_PROVINCE = _("Account batches run for a whole province; choose the province.")
ERROR_LIVE_INTEREST = _(
    "The interest of %(year)s at this rate is run already (run %(run)s); nothing was changed."
)
ERROR_NEXT_YEAR_POSTED = _(
    "The interest of %(next)s is posted already; %(year)s can no longer be trued up."
)
ERROR_PREVIOUS_YEAR_OPEN = _(
    "The interest of %(year)s is not posted yet; post it before the interest of %(next)s."
)
ERROR_FUTURE_YEAR = _("The year %(year)s has not ended yet.")
ERROR_DRY_RUN_POST = _("A dry run is never posted.")

LIVE = (RunStatus.RUNNING, RunStatus.CALCULATED, RunStatus.APPROVED, RunStatus.POSTING)
# interest_run_approve(queue_posting=False): the demo loader posts in its own transaction
_QUEUE_POSTING: ContextVar[bool] = ContextVar("queue_posting", default=True)


def _interest_approved(actor, run: AccountRun) -> dict[str, Any]:
    """An approved interest run is posted on a worker (``accounts.tasks.interest_run_post``)."""
    from accounts import tasks

    if _QUEUE_POSTING.get():
        pk = run.pk
        transaction.on_commit(lambda: tasks.interest_run_post.delay(pk))
    return {"reason": "approved"}


# The batch on the engine (pension.batches): both kinds share the lock namespace (a
# run id is one of either kind); interest runs are approved, crediting posts at once.
BATCH = batches.register(
    batches.Batch(
        key="accounts.run",
        model=AccountRun,
        statuses=RunStatus,
        approval=batches.BatchApproval(
            operation="accounts.interest_run_approve",
            label=_("Approval of an interest run"),
            apply=_interest_approved,
        ),
    )
)
ACCOUNT_RUN = BATCH.lock_space


def _wrong_status(run: AccountRun, action: str) -> Conflict:
    return batches.wrong_status(BATCH, run, action)


def _locked(run: AccountRun | int) -> AccountRun:
    return batches.locked(BATCH, run)


def _log(actor, run: AccountRun, before: str | None, *, action=ChangeAction.UPDATE, reason=""):
    batches.log(actor, run, before, action=action, reason=reason)


def _province(region: Region | str) -> Region:
    region = region if isinstance(region, Region) else Region.objects.get(code=region)
    if region.level != RegionLevel.PROVINCE:
        raise InvalidInput(ERROR_NOT_PROVINCE, code="not_province")
    return region


INTEREST_CHUNK_ACCOUNTS = 200_000  # accounts per transaction of an interest run


def _interest_chunks(region: Region, size: int) -> list[list[int]]:
    """The chunks of an interest run: ranges of ``size`` account ids covering the
    province's accounts (open and sealed ones earn the year; drawing and closed ones
    are trued up for a year they left in)."""
    with connection.cursor() as cursor:
        # every status: drawing and closed accounts are trued up for the year they left
        cursor.execute(
            "SELECT min(id), max(id) FROM accounts_pensionaccount WHERE province_id = %s",
            [region.code],
        )
        low, high = cursor.fetchone()
    if low is None:
        return []
    return [[f"{start}-{min(start + size - 1, high)}", 1] for start in range(low, high + 1, size)]


def _may_prepare(actor, region: Region) -> None:
    batches.may_prepare(actor, region.code)


def _start(actor, run: AccountRun, task) -> AccountRun:
    run = _locked(run)
    _may_prepare(actor, run.region)
    return batches.start(
        BATCH, actor=actor, run=run, task=task, refuse=lambda r: bool(r.parameters.get("discarded"))
    )


# --- monthly crediting -----------------------------------------------------------------


@transaction.atomic
def crediting_run_create(
    *, actor, region: Region | str, period: Period | str | int | None = None
) -> AccountRun:
    """A draft crediting run for the province, crediting in ``period`` (this month)."""
    region = _province(region)
    _may_prepare(actor, region)
    period = Period.parse(period) if period is not None else Period.from_date(timezone.localdate())
    run = AccountRun(
        kind=RunKind.CREDITING, period=period, region=region, started_by=actor, parameters={}
    )
    run.full_clean(exclude=["parameters"], validate_constraints=False)
    run.save()
    _log(actor, run, None, action=ChangeAction.CREATE)
    return run


def crediting_run_start(*, actor, run: AccountRun) -> AccountRun:
    from accounts import tasks

    with transaction.atomic():
        return _start(actor, run, tasks.crediting_run_execute)


def _last_posted_interest_year(region: Region) -> int | None:
    return AccountRun.objects.filter(
        kind=RunKind.INTEREST, region=region, dry_run=False, status=RunStatus.POSTED
    ).aggregate(year=Max("year"))["year"]


def open_value_period(region: Region | None = None) -> Period:
    """The first month an entry may earn from: after the last year whose interest is
    posted (for the default profile's province when ``region`` is None)."""
    from pension.selectors import profile_for_region

    region = region or profile_for_region(None).province
    last = _last_posted_interest_year(region)
    return Period(last + 1, 1) if last else Period(1950, 1)


def _crediting_since(run: AccountRun) -> datetime | None:
    """Lines whose bills received money before the last posted crediting run began
    were looked at by it; the first run looks at everything."""
    previous = (
        AccountRun.objects.filter(
            kind=RunKind.CREDITING, region=run.region, status=RunStatus.POSTED, dry_run=False
        )
        .exclude(pk=run.pk)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    return previous


_OPEN_SQL = """
INSERT INTO accounts_pensionaccount (person_id, province_id, status, opened_period, opened_at,
                                     status_changed_at, status_reason)
SELECT l.person_id, %(province)s, 'open', min(l.period), now(), NULL, ''
  FROM ({lines}) l
 WHERE NOT EXISTS (SELECT 1 FROM accounts_pensionaccount a WHERE a.person_id = l.person_id)
 GROUP BY l.person_id
ON CONFLICT (person_id) DO NOTHING
"""

# why crediting reopens a sealed account (a msgid: the account page translates it)
REOPENED_REASON = gettext_noop("contributions resumed")
_CREDIT_SQL = """
WITH src AS MATERIALIZED (
    SELECT l.id, l.person_id, l.period, l.account_credit, l.account_rate, a.id AS account_id,
           a.status AS account_status,
           CASE WHEN l.account_credit < 0 THEN %(run_period)s
                WHEN l.paid_on > l.due_date
                     THEN (extract(year FROM l.paid_on) * 100 + extract(month FROM l.paid_on))::int
                ELSE l.period END AS value_period
      FROM ({lines}) l
      JOIN accounts_pensionaccount a ON a.person_id = l.person_id
     WHERE NOT EXISTS (SELECT 1 FROM accounts_accountentry e
                        WHERE e.contribution_line_id = l.id AND e.kind = 'credit')
), ins AS (
    INSERT INTO accounts_accountentry (account_id, kind, period, value_period, amount,
                                       interest_year, contribution_line_id, case_id, run_id,
                                       reverses_id, rule, created_at)
    SELECT s.account_id, 'credit', s.period, greatest(s.value_period, %(open_from)s),
           s.account_credit, NULL, s.id, NULL, %(run)s, NULL,
           'account_rate ' || s.account_rate::text, now()
      FROM src s
     WHERE s.account_status <> 'closed'
    ON CONFLICT DO NOTHING
    RETURNING account_id, amount
), reopened AS (
    UPDATE accounts_pensionaccount a
       SET status = 'open', status_changed_at = now(), status_reason = %(reopened_reason)s
     WHERE a.status = 'sealed' AND a.id IN (SELECT account_id FROM ins WHERE amount > 0)
    RETURNING 1
)
SELECT (SELECT count(*) FROM ins), (SELECT coalesce(sum(amount), 0) FROM ins),
       (SELECT count(DISTINCT account_id) FROM ins), (SELECT count(*) FROM reopened),
       (SELECT count(*) FROM src WHERE account_status = 'closed')
"""


def _credit_chunk(run: AccountRun, prefix: str, *, since, open_from: int) -> dict[str, Any]:
    sql, params = account_creditable_lines_sql(region_prefix=prefix, since=since)
    params = {**params, "province": run.region_id, "run_period": run.period.as_int,
              "open_from": open_from, "run": run.pk,
              "reopened_reason": REOPENED_REASON}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(_OPEN_SQL.format(lines=sql), params)
        opened = cursor.rowcount
        cursor.execute(_CREDIT_SQL.format(lines=sql), params)
        entries, amount, accounts, reopened, closed = cursor.fetchone()
    # the run's figures move in the chunk's own transaction: a chunk redone after a
    # crash writes nothing and adds nothing
    counts = dict(run.parameters.get("counts", {}))
    for key, value in (("opened", opened), ("reopened", reopened), ("closed_skipped", closed)):
        counts[key] = counts.get(key, 0) + value
    run.parameters["counts"] = counts
    return {
        "entry_count": F("entry_count") + entries,
        "total_amount": F("total_amount") + amount,
        "account_count": F("account_count") + accounts,
    }


def _crediting_plan(run: AccountRun) -> list[list[Any]]:
    """One chunk: the province (the statement groups the paid bills once; a crash
    re-runs it, and what was credited is not credited again)."""
    last_year = _last_posted_interest_year(run.region)
    since = _crediting_since(run)
    counties = [run.region.scope_prefix]
    run.parameters = {
        **run.parameters,
        "counties": counties,
        "open_from": Period(last_year + 1, 1).as_int if last_year else 0,
        "since": since.isoformat() if since else None,
    }
    return [[county, 1] for county in counties]


def _crediting_chunk(run: AccountRun, county: str, weight: int) -> dict[str, Any]:
    since = run.parameters["since"]
    since = datetime.fromisoformat(since) if since else None
    return _credit_chunk(run, county, since=since, open_from=run.parameters["open_from"])


def crediting_run_execute(run_id: int) -> AccountRun:
    """Credit (or resume crediting) on the batch engine; see the module docstring."""
    return batches.execute(
        BATCH,
        run_id,
        plan=_crediting_plan,
        chunk=_crediting_chunk,
        status=RunStatus.POSTED,
        reason=gettext_noop("posted"),
    )


def monthly_crediting(*, today=None) -> AccountRun | None:
    """Beat, on the 5th: seal the accounts of holders whose contributions stopped,
    then a crediting run for the default profile's province, created and started by
    the system. Nothing when one is running already."""
    from accounts.services import pension_accounts_seal_interrupted
    from pension.selectors import profile_for_region

    province = profile_for_region(None).province
    pension_accounts_seal_interrupted(actor=None)
    with transaction.atomic():
        if AccountRun.objects.filter(
            kind=RunKind.CREDITING, region=province, status=RunStatus.RUNNING
        ).exists():
            return None
        period = Period.from_date(today or timezone.localdate())
        run = crediting_run_create(actor=None, region=province, period=period)
        return crediting_run_start(actor=None, run=run)


# --- annual interest --------------------------------------------------------------------


def _live_interest(region: Region, year: int) -> QuerySet[AccountRun]:
    return AccountRun.objects.filter(
        kind=RunKind.INTEREST, region=region, year=year, dry_run=False
    ).exclude(status=RunStatus.FAILED)


@transaction.atomic
def interest_run_create(
    *,
    actor,
    region: Region | str,
    year: int,
    dry_run: bool = False,
    today=None,
    chunk_accounts: int = INTEREST_CHUNK_ACCOUNTS,
) -> AccountRun:
    """A draft interest run of ``year`` for the province, with the year's rate (or the
    last known one, provisionally) and the profile's method fixed now; it will work in
    chunks of ``chunk_accounts`` account ids."""
    region = _province(region)
    _may_prepare(actor, region)
    today = today or timezone.localdate()
    if year >= today.year:
        raise InvalidInput(ERROR_FUTURE_YEAR, code="year_not_ended", params={"year": year})
    rate = interest_rate_for(year, region)
    method = interest_method_for(year, region)
    if not dry_run:
        if _live_interest(region, year + 1).filter(status=RunStatus.POSTED).exists():
            raise Conflict(
                ERROR_NEXT_YEAR_POSTED,
                code="next_year_posted",
                params={"year": year, "next": year + 1},
            )
        earlier = AccountRun.objects.filter(
            kind=RunKind.INTEREST, region=region, dry_run=False, year__lt=year
        )
        if earlier.exists() and not earlier.filter(year=year - 1, status=RunStatus.POSTED).exists():
            raise Conflict(
                ERROR_PREVIOUS_YEAR_OPEN,
                code="previous_year_open",
                params={"year": year - 1, "next": year},
            )
        other = _live_interest(region, year).filter(rate_parameter_id=rate.parameter_id).first()
        if other is not None:
            raise Conflict(
                ERROR_LIVE_INTEREST, code="live_run_exists", params={"year": year, "run": other.pk}
            )
    run = AccountRun(
        kind=RunKind.INTEREST,
        year=year,
        region=region,
        dry_run=dry_run,
        rate=rate.rate,
        rate_provisional=rate.provisional,
        rate_parameter_id=rate.parameter_id,
        method=method,
        started_by=actor,
        parameters={
            "rate": {"value": str(rate.rate), "reference": rate.reference},
            "chunk_accounts": chunk_accounts,
        },
    )
    run.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError:
        raise Conflict(
            ERROR_LIVE_INTEREST, code="live_run_exists", params={"year": year, "run": ""}
        ) from None
    _log(actor, run, None, action=ChangeAction.CREATE)
    return run


def interest_run_start(*, actor, run: AccountRun) -> AccountRun:
    """Start (or resume) the calculation; an approved run whose posting failed is
    posted again instead."""
    from accounts import tasks

    with transaction.atomic():
        locked = _locked(run)
        if locked.status == RunStatus.FAILED and locked.approved_by_id is not None:
            _may_prepare(actor, locked.region)
            pk = locked.pk
            transaction.on_commit(lambda: tasks.interest_run_post.delay(pk))
            return locked
        return _start(actor, locked, tasks.interest_run_execute)


_INTEREST_SQL = """
WITH acc AS MATERIALIZED (
    SELECT a.id
      FROM accounts_pensionaccount a
     WHERE a.province_id = %(province)s AND a.status IN ('open', 'sealed')
       AND a.id BETWEEN %(low)s AND %(high)s
), prev AS MATERIALIZED (
    SELECT l.account_id, l.closing
      FROM accounts_interestline l
     WHERE l.run_id = %(prev_run)s AND l.account_id BETWEEN %(low)s AND %(high)s
), before AS (
    SELECT e.account_id, sum(e.amount) AS total
      FROM accounts_accountentry e
     WHERE e.account_id BETWEEN %(low)s AND %(high)s AND e.value_period < %(first)s
       AND NOT EXISTS (SELECT 1 FROM prev WHERE prev.account_id = e.account_id)
     GROUP BY e.account_id
), yr AS (
    SELECT e.account_id,
           coalesce(sum(e.amount) FILTER (WHERE e.kind <> 'interest'), 0) AS credits,
           coalesce(sum(e.amount * (13 - e.value_period %% 100))
                    FILTER (WHERE e.kind <> 'interest'), 0) AS weighted,
           coalesce(sum(e.amount) FILTER (WHERE e.kind = 'interest'
                                            AND e.interest_year = %(year)s), 0) AS already
      FROM accounts_accountentry e
     WHERE e.account_id BETWEEN %(low)s AND %(high)s
       AND e.value_period BETWEEN %(first)s AND %(last)s
     GROUP BY e.account_id
), computed AS (
    SELECT acc.id AS account_id, o.opening, coalesce(yr.credits, 0) AS credits,
           coalesce(yr.weighted, 0) AS weighted, coalesce(yr.already, 0) AS already,
           round(CASE WHEN %(method)s = 'annual'
                      THEN (o.opening * %(rate)s * 2
                            + coalesce(yr.credits, 0) * %(rate)s * 1.083) / 2
                      ELSE (o.opening * %(rate)s * 12 + %(rate)s * coalesce(yr.weighted, 0)) / 12
                 END, 2) AS interest
      FROM acc
      LEFT JOIN prev ON prev.account_id = acc.id
      LEFT JOIN before ON before.account_id = acc.id
      LEFT JOIN yr ON yr.account_id = acc.id
     CROSS JOIN LATERAL (SELECT coalesce(prev.closing, before.total, 0) AS opening) o
     WHERE prev.account_id IS NOT NULL OR before.account_id IS NOT NULL
        OR yr.account_id IS NOT NULL
), ins AS (
    INSERT INTO accounts_interestline (run_id, account_id, opening, credits, weighted, interest,
                                       already_posted, posted_amount, closing, months, true_up)
    SELECT %(run)s, account_id, opening, credits, weighted, interest, already,
           interest - already, opening + credits + interest, 12, false
      FROM computed
    ON CONFLICT (run_id, account_id) DO NOTHING
    RETURNING posted_amount
)
SELECT count(*), coalesce(sum(posted_amount), 0), count(*) FILTER (WHERE posted_amount <> 0)
  FROM ins
"""


# The true-up (DESIGN §5.3): a holder who left during the year (retirement, death,
# settlement, transfer out) had the interest to the month of leaving posted then
# (``accounts.services.account_interest_until``: no run, ``interest_year`` the year,
# ``period`` the year's month m it counted to), at the rate known then. Those accounts
# (drawing or closed) get a line of their own: the interest of the year to month m at
# the run's rate, by the monthly product (m months on the opening, m − n + 1 months on an
# entry of month n; the annual method for a whole year only, as calc.year_interest), on
# the entries up to month m other than interest and the payout itself (the settlement
# or transfer-out entry, written after the interest); posted = that − what the year has
# posted already.
_TRUE_UP_SQL = """
WITH leaving AS MATERIALIZED (
    SELECT a.id AS account_id, max(e.period) %% 100 AS months
      FROM accounts_pensionaccount a
      JOIN accounts_accountentry e ON e.account_id = a.id
           AND e.value_period BETWEEN %(first)s AND %(last)s
     WHERE a.province_id = %(province)s AND a.status IN ('drawing', 'closed')
       AND a.id BETWEEN %(low)s AND %(high)s
       AND e.kind = 'interest' AND e.run_id IS NULL AND e.interest_year = %(year)s
     GROUP BY a.id
), prev AS MATERIALIZED (
    SELECT l.account_id, l.closing
      FROM accounts_interestline l JOIN leaving lv ON lv.account_id = l.account_id
     WHERE l.run_id = %(prev_run)s
), before AS (
    SELECT e.account_id, sum(e.amount) AS total
      FROM accounts_accountentry e JOIN leaving lv ON lv.account_id = e.account_id
     WHERE e.value_period < %(first)s
       AND NOT EXISTS (SELECT 1 FROM prev WHERE prev.account_id = e.account_id)
     GROUP BY e.account_id
), yr AS (
    SELECT e.account_id,
           coalesce(sum(e.amount) FILTER (WHERE e.kind NOT IN %(not_credits)s
                                            AND e.value_period %% 100 <= lv.months), 0)
               AS credits,
           coalesce(sum(e.amount * (lv.months - e.value_period %% 100 + 1))
                    FILTER (WHERE e.kind NOT IN %(not_credits)s
                              AND e.value_period %% 100 <= lv.months), 0) AS weighted,
           coalesce(sum(e.amount) FILTER (WHERE e.kind = 'interest'
                                            AND e.interest_year = %(year)s), 0) AS already
      FROM accounts_accountentry e JOIN leaving lv ON lv.account_id = e.account_id
     WHERE e.value_period BETWEEN %(first)s AND %(last)s
     GROUP BY e.account_id
), computed AS (
    SELECT lv.account_id, lv.months, o.opening, coalesce(yr.credits, 0) AS credits,
           coalesce(yr.weighted, 0) AS weighted, coalesce(yr.already, 0) AS already,
           round(CASE WHEN %(method)s = 'annual' AND lv.months = 12
                      THEN (o.opening * %(rate)s * 2
                            + coalesce(yr.credits, 0) * %(rate)s * 1.083) / 2
                      ELSE (o.opening * %(rate)s * lv.months
                            + %(rate)s * coalesce(yr.weighted, 0)) / 12
                 END, 2) AS interest
      FROM leaving lv
      LEFT JOIN prev ON prev.account_id = lv.account_id
      LEFT JOIN before ON before.account_id = lv.account_id
      LEFT JOIN yr ON yr.account_id = lv.account_id
     CROSS JOIN LATERAL (SELECT coalesce(prev.closing, before.total, 0) AS opening) o
), ins AS (
    INSERT INTO accounts_interestline (run_id, account_id, opening, credits, weighted, interest,
                                       already_posted, posted_amount, closing, months, true_up)
    SELECT %(run)s, account_id, opening, credits, weighted, interest, already,
           interest - already, opening + credits + interest, months, true
      FROM computed
    ON CONFLICT (run_id, account_id) DO NOTHING
    RETURNING posted_amount
)
SELECT count(*), coalesce(sum(posted_amount), 0), count(*) FILTER (WHERE posted_amount <> 0)
  FROM ins
"""
# entries that are not credits of the year for the true-up: interest, and the payout
PAYOUT_KINDS = ("settlement", "transfer_out")
NOT_CREDITS = ("interest", *PAYOUT_KINDS)


def _previous_run_id(run: AccountRun) -> int | None:
    previous = (
        AccountRun.objects.filter(
            kind=RunKind.INTEREST,
            region=run.region,
            year=run.year - 1,
            dry_run=False,
            status=RunStatus.POSTED,
        )
        .order_by("-approved_at", "-pk")
        .first()
    )
    return previous.pk if previous else None


def _interest_chunk(run: AccountRun, key: str, weight: int) -> dict[str, Any]:
    """One range of account ids (``key``: "low-high"), in the chunk's transaction."""
    low, high = (int(bound) for bound in key.split("-"))
    params = {
        "province": run.region_id,
        "low": low,
        "high": high,
        "prev_run": run.parameters["previous_run"],
        "first": Period(run.year, 1).as_int,
        "last": Period(run.year, 12).as_int,
        "year": run.year,
        "method": run.method,
        "rate": run.rate,
        "run": run.pk,
    }
    with connection.cursor() as cursor:
        cursor.execute(_INTEREST_SQL, params)
        lines, amount, entries = cursor.fetchone()
        cursor.execute(_TRUE_UP_SQL, {**params, "not_credits": NOT_CREDITS})
        true_ups, true_up_amount, true_up_entries = cursor.fetchone()
    lines, amount, entries = lines + true_ups, amount + true_up_amount, entries + true_up_entries
    if true_ups:
        run.parameters["true_up_lines"] = run.parameters.get("true_up_lines", 0) + true_ups
    return {
        "account_count": F("account_count") + lines,
        "entry_count": F("entry_count") + entries,
        "total_amount": F("total_amount") + amount,
    }


def _interest_plan(run: AccountRun) -> list[list[Any]]:
    """Ranges of account ids, and the run of the year before to open from."""
    run.parameters = {**run.parameters, "previous_run": _previous_run_id(run)}
    return _interest_chunks(
        run.region, run.parameters.get("chunk_accounts", INTEREST_CHUNK_ACCOUNTS)
    )


def interest_run_execute(run_id: int) -> AccountRun:
    """Compute (or resume computing) the interest lines chunk by chunk on the batch
    engine; the run is then calculated and waits for approval (its approval request
    is in the work queue; a dry run stays calculated)."""
    return batches.execute(
        BATCH, run_id, prepare=_interest_legacy_plan, plan=_interest_plan, chunk=_interest_chunk
    )


def _interest_legacy_plan(run: AccountRun) -> None:
    """A run planned before the engine kept its chunks as ``[low, high]``: as
    ``["low-high", 1]`` (the done-marks were already "low-high")."""
    chunks = run.parameters.get("chunks")
    if chunks and isinstance(chunks[0][0], int):
        run.parameters["chunks"] = [[f"{low}-{high}", 1] for low, high in chunks]


def interest_rate_watch(*, today=None) -> list[AccountRun]:
    """Beat, daily: when a year that has ended has a rate no interest run has used
    yet (the year's rate was just entered, or a year-end came with the last known
    rate), a dry run of that year is created and started by the system for the
    default profile's province, so staff find it calculated, compare and start the
    live run (or the true-up)."""
    from pension.selectors import profile_for_region

    today = today or timezone.localdate()
    province = profile_for_region(None).province
    started = []
    for year in (today.year - 2, today.year - 1):
        try:
            rate = interest_rate_for(year, province)
        except InvalidInput:
            continue
        used = AccountRun.objects.filter(
            kind=RunKind.INTEREST, region=province, year=year, rate_parameter_id=rate.parameter_id
        )
        if used.exists():
            continue
        if (
            year == today.year - 2
            and not AccountRun.objects.filter(
                kind=RunKind.INTEREST, region=province, year=year, dry_run=False
            ).exists()
        ):
            continue  # an old year nobody ran: not the watcher's business
        with transaction.atomic():
            run = interest_run_create(actor=None, region=province, year=year, dry_run=True)
            started.append(interest_run_start(actor=None, run=run))
    return started


@transaction.atomic
def interest_run_approve(*, actor, run: AccountRun, queue_posting: bool = True) -> AccountRun:
    """A reviewer, not the starter, approves a calculated live run; posting follows
    on a worker (``accounts.tasks.interest_run_post``), unless ``queue_posting`` is
    false (the demo loader posts in its own transaction)."""
    run = _locked(run)
    if run.dry_run or run.status != RunStatus.CALCULATED:
        raise _wrong_status(run, "approved")
    token = _QUEUE_POSTING.set(queue_posting)
    try:
        return batches.approve(BATCH, actor=actor, run=run)
    finally:
        _QUEUE_POSTING.reset(token)


_POST_SQL = """
INSERT INTO accounts_accountentry (account_id, kind, period, value_period, amount, interest_year,
                                   contribution_line_id, case_id, run_id, reverses_id, rule,
                                   created_at)
SELECT l.account_id, 'interest', p.period, p.period, l.posted_amount, %(year)s, NULL, NULL,
       l.run_id, NULL, CASE WHEN l.true_up THEN %(rule)s || ' true-up to ' || p.period
                            ELSE %(rule)s END, now()
  FROM accounts_interestline l
 CROSS JOIN LATERAL (SELECT CASE WHEN l.true_up THEN %(year)s * 100 + l.months
                                 ELSE %(last)s END AS period) p
 WHERE l.run_id = %(run)s AND l.posted_amount <> 0
ON CONFLICT DO NOTHING
"""

# A settled, transferred or deceased holder's account whose balance went out (a payout
# entry of a case, and that case's payment instruction): a positive true-up goes out
# the same way, by a new instruction to the same payee (purpose, region, person, bank
# and account copied; source ``interest_true_up:<run>:<account>``, once) and a payout
# entry of the run, so the closed account is back at zero. A negative one stays on the
# ledger: the closed account's balance below zero is what the payee received too much
# (see ``_TRUE_UP_SUMMARY_SQL``).
_TRUE_UP_PAYOUT_SQL = """
WITH todo AS MATERIALIZED (
    SELECT DISTINCT ON (l.account_id)
           l.account_id, l.posted_amount, p.kind AS payout_kind, p.case_id, i.id AS first_id,
           i.purpose, i.region_id, i.content_type_id, i.object_id, i.payee_name, i.bank_name,
           i.bank_account
      FROM accounts_interestline l
      JOIN accounts_pensionaccount a ON a.id = l.account_id AND a.status = 'closed'
      JOIN accounts_accountentry p ON p.account_id = l.account_id AND p.kind IN %(payout)s
           AND p.run_id IS NULL AND p.case_id IS NOT NULL
      JOIN pension_paymentinstruction i ON i.case_id = p.case_id
           AND left(i.source, 17) <> 'interest_true_up:'
     WHERE l.run_id = %(run)s AND l.true_up AND l.posted_amount > 0
     ORDER BY l.account_id, p.id, i.id
), instructed AS (
    INSERT INTO pension_paymentinstruction (purpose, source, region_id, content_type_id,
                                            object_id, payee_name, bank_name, bank_account,
                                            amount, status, failure_reason, details, case_id,
                                            created_by_id, created_at, result_at)
    SELECT t.purpose, 'interest_true_up:' || %(run)s || ':' || t.account_id, t.region_id,
           t.content_type_id, t.object_id, t.payee_name, t.bank_name, t.bank_account,
           t.posted_amount, 'open', '',
           jsonb_build_object('interest_run', %(run)s, 'year', %(year)s,
                              'account', t.account_id, 'rate', %(rate)s::text,
                              'interest_difference', t.posted_amount::text,
                              'first_instruction', t.first_id),
           t.case_id, NULL, now(), NULL
      FROM todo t
    ON CONFLICT (source) DO NOTHING
    RETURNING amount
), paid_out AS (
    INSERT INTO accounts_accountentry (account_id, kind, period, value_period, amount,
                                       interest_year, contribution_line_id, case_id, run_id,
                                       reverses_id, rule, created_at)
    SELECT t.account_id, t.payout_kind, %(last)s, %(last)s, -t.posted_amount, NULL, NULL,
           t.case_id, %(run)s, NULL, 'interest true-up ' || %(year)s || ' paid out', now()
      FROM todo t
    ON CONFLICT DO NOTHING
    RETURNING amount
)
SELECT (SELECT count(*) FROM instructed), (SELECT coalesce(sum(amount), 0) FROM instructed),
       (SELECT count(*) FROM paid_out)
"""

# what the true-up left to settle otherwise: closed accounts paid out whose balance is
# now below zero (paid too much: to recover from the payee) or above it (no instruction
# to copy the payee from: held until a case pays it)
_TRUE_UP_SUMMARY_SQL = """
SELECT count(*) FILTER (WHERE b.balance < 0),
       coalesce(sum(-b.balance) FILTER (WHERE b.balance < 0), 0),
       count(*) FILTER (WHERE b.balance > 0),
       coalesce(sum(b.balance) FILTER (WHERE b.balance > 0), 0)
  FROM accounts_interestline l
  JOIN accounts_pensionaccount a ON a.id = l.account_id AND a.status = 'closed'
 CROSS JOIN LATERAL (SELECT coalesce(sum(e.amount), 0) AS balance
                       FROM accounts_accountentry e WHERE e.account_id = l.account_id) b
 WHERE l.run_id = %(run)s AND l.true_up AND l.posted_amount <> 0
   AND EXISTS (SELECT 1 FROM accounts_accountentry p
                WHERE p.account_id = l.account_id AND p.kind IN %(payout)s AND p.run_id IS NULL)
"""


def interest_run_post(run_id: int) -> AccountRun:
    """Post an approved run's interest: one entry per account with a difference to
    post, in one statement; a re-delivered task posts nothing twice."""
    with RunLock(BATCH.lock_space, run_id) as mine:
        if not mine:
            return AccountRun.objects.get(pk=run_id)
        with transaction.atomic():
            run = _locked(run_id)
            if run.dry_run:
                raise Conflict(ERROR_DRY_RUN_POST, code="dry_run")
            if run.status not in (RunStatus.APPROVED, RunStatus.POSTING, RunStatus.FAILED):
                return run
            if run.status == RunStatus.FAILED and run.approved_by_id is None:
                return run
            before = run.status
            run.status = RunStatus.POSTING
            run.save(update_fields=["status"])
            _log(None, run, before, reason=gettext_noop("posting"))
        try:
            rule = rate_rule(_stored_rate(run), run.method)
            with transaction.atomic():
                params = {
                    "last": Period(run.year, 12).as_int,
                    "year": run.year,
                    "rule": rule,
                    "run": run.pk,
                    "rate": run.rate,
                    "payout": PAYOUT_KINDS,
                }
                with connection.cursor() as cursor:
                    cursor.execute(_POST_SQL, params)
                    cursor.execute(_TRUE_UP_PAYOUT_SQL, params)
                    instructed, instructed_amount, _paid_out = cursor.fetchone()
                    cursor.execute(_TRUE_UP_SUMMARY_SQL, params)
                    recover, recover_amount, held, held_amount = cursor.fetchone()
                summary = {
                    "instructions": instructed,
                    "instructed_amount": str(instructed_amount),
                    "to_recover": recover,
                    "to_recover_amount": str(recover_amount),
                    "held": held,
                    "held_amount": str(held_amount),
                }
                if instructed:
                    changelog.record(
                        actor=None,
                        action=ChangeAction.CREATE,
                        object_type="pension.paymentinstruction",
                        object_repr=f"interest true-up {run.year} (run {run.pk})",
                        after=summary,
                        reason=gettext_noop("interest true-up paid out"),
                    )

                def totals(locked: AccountRun) -> None:
                    if locked.parameters.get("true_up_lines"):
                        locked.parameters = {**locked.parameters, "true_up": summary}

                posted = batches.finish(
                    BATCH,
                    run,
                    totals=totals,
                    status=RunStatus.POSTED,
                    reason=gettext_noop("posted"),
                )
        except Exception as exc:
            batches.fail(BATCH, run_id, exc, (RunStatus.RUNNING, RunStatus.POSTING))
            raise
    for listener in _POSTED_LISTENERS:
        listener(posted)
    return posted


# Downstream domains that act on a posted interest run register here (from their
# ``AppConfig.ready``): benefits redetermines the account pension of a retiree whose
# balance at retirement the true-up changed. Called after the posting committed.
_POSTED_LISTENERS: list[Callable[[AccountRun], None]] = []


def on_interest_posted(listener: Callable[[AccountRun], None]) -> None:
    """Register ``listener(run)``, called once a live interest run is posted."""
    if listener not in _POSTED_LISTENERS:
        _POSTED_LISTENERS.append(listener)


def true_up_lines(run: AccountRun | int, *, status: str | None = None) -> QuerySet[InterestLine]:
    """The true-up lines of an interest run (holders who left during the year) with a
    difference posted, optionally of accounts in ``status`` (drawing: retirees)."""
    pk = run.pk if isinstance(run, AccountRun) else run
    lines = InterestLine.objects.filter(run_id=pk, true_up=True).exclude(posted_amount=0)
    if status is not None:
        lines = lines.filter(account__status=status)
    return lines.select_related("account", "run").order_by("account_id")


def _stored_rate(run: AccountRun) -> YearRate:
    return YearRate(
        year=run.year,
        rate=run.rate,
        provisional=run.rate_provisional,
        parameter_id=run.rate_parameter_id,
        reference=run.parameters.get("rate", {}).get("reference", ""),
    )


@transaction.atomic
def interest_run_discard(*, actor, run: AccountRun) -> AccountRun:
    """Discard a run that was not approved (a dry run, or a live run found wrong):
    its lines stay for the record, it is marked failed with the reason."""
    run = _locked(run)
    _may_prepare(actor, run.region)
    if run.status not in batches.DISCARDABLE:
        raise _wrong_status(run, "discarded")
    batches.approval_request_close(BATCH, run, actor=actor, reason=gettext_noop("discarded"))
    before = run.status
    run.status = RunStatus.FAILED
    run.error = "discarded"
    run.parameters = {**run.parameters, "discarded": True}
    run.save(update_fields=["status", "error", "parameters"])
    _log(actor, run, before, reason=gettext_noop("discarded"))
    return run


# --- reads -------------------------------------------------------------------------------


def account_runs(user) -> QuerySet[AccountRun]:
    return restrict(AccountRun.objects.select_related("region", "started_by", "approved_by"), user)


def account_run_get(user, pk: int) -> AccountRun:
    return account_runs(user).get(pk=pk)


def previous_interest_run(run: AccountRun) -> AccountRun | None:
    """The last posted interest run of the year before, to compare the totals with."""
    pk = _previous_run_id(run) if run.year else None
    return AccountRun.objects.filter(pk=pk).first() if pk else None


def account_runs_covering(user) -> QuerySet[AccountRun]:
    """The runs ``user`` may read: their region's and below, and those of the regions
    above theirs (the province's crediting and interest), which cover their region's
    accounts too; of those they see their region's part only
    (``pension.scope.run_part_of``)."""
    return runs_covering(
        AccountRun.objects.select_related("region", "started_by", "approved_by"), user
    )


def run_lines(run: AccountRun, *, prefix: str | None = None) -> QuerySet[InterestLine]:
    """The interest lines of ``run``; of the accounts of the region ``prefix`` only when
    given (the account holder's region)."""
    lines = run.interest_lines.select_related("account__person").order_by("account_id")
    if prefix:
        lines = lines.filter(account__person__region__code__startswith=prefix)
    return lines


_ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=16, decimal_places=2))


def account_run_part(run: AccountRun, prefix: str) -> dict[str, Any]:
    """The part of ``run`` for the accounts of the region ``prefix``: the accounts, the
    entries and their total (an interest run: its lines, the interest of the year and
    what it posts; a crediting run: the entries it posted)."""
    if run.kind == RunKind.INTEREST:
        return run_lines(run, prefix=prefix).aggregate(
            accounts=Count("id"),
            interest=Coalesce(Sum("interest"), _ZERO),
            total=Coalesce(Sum("posted_amount"), _ZERO),
        )
    return AccountEntry.objects.filter(
        run=run, account__person__region__code__startswith=prefix
    ).aggregate(
        accounts=Count("account_id", distinct=True),
        entries=Count("id"),
        total=Coalesce(Sum("amount"), _ZERO),
    )
