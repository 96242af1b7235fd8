"""Reads of fund revenue and expenditure (基金收支): region-scoped querysets and figures.

Amounts of the ledger are signed: a debit positive, a credit negative. An account's
balance is the sum of its legs (``account_balances``); the ledger as a whole sums to
zero (``ledger_total``). Revenue and expenditure (actuals) are the legs on the nominal
revenue and expense accounts, by the region of the account, the item of the entry and
the month of its period (``actuals_by_item``), revenue shown positive.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from funds.choices import AccountKind
from funds.models import FundAccount, JournalEntry, JournalLeg
from pension.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS
from pension.periods import Period
from pension.scope import restrict, user_prefix

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=MONEY_MAX_DIGITS + 4, decimal_places=MONEY_DECIMAL_PLACES)


def account_balances(
    *, region_code: str | None = None, up_to: Period | int | str | None = None
) -> dict[int, Decimal]:
    """{account id: balance (debits − credits)} of every account with legs, of the
    accounts of regions under ``region_code``, up to the period ``up_to`` included."""
    sql = [
        "SELECT l.account_id, sum(l.amount) FROM funds_journalleg l",
        "JOIN funds_fundaccount a ON a.id = l.account_id",
        "JOIN funds_journalentry e ON e.id = l.entry_id",
        "JOIN funds_accountingperiod p ON p.id = e.period_id WHERE true",
    ]
    params: list = []
    if region_code:
        sql.append("AND a.region_id LIKE %s")
        params.append(f"{region_code}%")
    if up_to is not None:
        sql.append("AND p.period <= %s")
        params.append(Period.parse(up_to).as_int)
    sql.append("GROUP BY l.account_id")
    with connection.cursor() as cursor:
        cursor.execute(" ".join(sql), params)
        return dict(cursor.fetchall())


def ledger_total() -> Decimal:
    """The sum of every leg: zero in a ledger that balances."""
    total = JournalLeg.objects.aggregate(total=Sum("amount"))["total"]
    return total if total is not None else ZERO


def actuals_by_item(
    *, year: int, month: int | None = None, region_code: str | None = None
) -> list[tuple[str, str, int, Decimal]]:
    """Revenue and expenditure of ``year`` (or of one month) as (region code, item,
    month, amount) rows, ordered by region, item and month; revenue and expenditure
    both positive (a reversal lowers them). Regions under ``region_code`` only (a
    prefix of division codes). For budget execution and the statements."""
    start = year * 100 + (month or 1)
    end = year * 100 + (month or 12)
    sql = """
        SELECT a.region_id, e.item, p.period %% 100 AS month,
               sum(CASE WHEN a.kind = %s THEN -l.amount ELSE l.amount END) AS amount
        FROM funds_journalleg l
        JOIN funds_fundaccount a ON a.id = l.account_id
        JOIN funds_journalentry e ON e.id = l.entry_id
        JOIN funds_accountingperiod p ON p.id = e.period_id
        WHERE a.kind IN (%s, %s) AND p.period BETWEEN %s AND %s AND a.region_id LIKE %s
        GROUP BY a.region_id, e.item, p.period
        HAVING sum(l.amount) <> 0
        ORDER BY a.region_id, e.item, p.period
    """
    params = [
        AccountKind.REVENUE,
        AccountKind.REVENUE,
        AccountKind.EXPENSE,
        start,
        end,
        f"{region_code or ''}%",
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(r, item, int(m), amount) for r, item, m, amount in cursor.fetchall()]


def account_list(*, user, filters: dict | None = None) -> QuerySet[FundAccount]:
    """The fund accounts the user may see, each with its ``balance`` (debits − credits)."""
    balance = (
        JournalLeg.objects.filter(account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    queryset = restrict(FundAccount.objects.select_related("region"), user, "view").annotate(
        balance=Coalesce(Subquery(balance, output_field=_MONEY), Value(ZERO), output_field=_MONEY)
    )
    return queryset.filter(**(filters or {}))


def entry_list(*, user, filters: dict | None = None) -> QuerySet[JournalEntry]:
    """Journal entries the user may see: those with a leg on an account of their region
    or below (a province user sees all), newest first."""
    queryset = JournalEntry.objects.select_related("period", "actor", "api_client")
    prefix = user_prefix(user, FundAccount, "view")
    if prefix is None:
        return queryset.none()
    if prefix:
        queryset = queryset.filter(
            pk__in=JournalLeg.objects.filter(account__region__code__startswith=prefix).values(
                "entry_id"
            )
        )
    return queryset.filter(**(filters or {})).order_by("-id")


def entry_detail(*, user, pk: int) -> JournalEntry | None:
    """One entry the user may see, with its legs (``entry.leg_rows``) in order; None
    when it does not exist or lies outside the user's region."""
    entry = entry_list(user=user).filter(pk=pk).first()
    if entry is None:
        return None
    entry.leg_rows = list(entry.legs.select_related("account__region").order_by("id"))
    entry.reversed_by = JournalEntry.objects.filter(reverses=entry).first()
    return entry


def entry_totals(entries) -> None:
    """Set ``total`` (the sum of the debits) on each entry of a page, in one query."""
    ids = [e.pk for e in entries]
    totals = dict(
        JournalLeg.objects.filter(entry_id__in=ids, amount__gt=0)
        .values("entry_id")
        .annotate(total=Sum("amount"))
        .values_list("entry_id", "total")
    )
    for entry in entries:
        entry.total = totals.get(entry.pk, ZERO)


def period_list() -> QuerySet:
    """Accounting periods, newest first, each with its number of entries."""
    from django.db.models import Count

    from funds.models import AccountingPeriod

    return (
        AccountingPeriod.objects.select_related("closed_by")
        .annotate(entry_count=Count("entries"))
        .order_by("-period")  # Meta.ordering does not apply to a GROUP BY query
    )


def close_run_list(*, user) -> QuerySet:
    """Month-end closes the user may see (they are the province's: a county's user
    sees them too, as the close posts into every county)."""
    from funds.models import CloseRun

    if user_prefix(user, FundAccount, "view") is None:
        return CloseRun.objects.none()
    return CloseRun.objects.select_related("region", "started_by").order_by("-period", "-id")


def accounts_for_prefix(prefix: str) -> QuerySet[FundAccount]:
    """Fund accounts of the regions under ``prefix`` (an API client's region), each with
    its ``balance``."""
    balance = (
        JournalLeg.objects.filter(account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        FundAccount.objects.select_related("region")
        .filter(region__code__startswith=prefix)
        .annotate(
            balance=Coalesce(
                Subquery(balance, output_field=_MONEY), Value(ZERO), output_field=_MONEY
            )
        )
    )


def entries_for_prefix(prefix: str) -> QuerySet[JournalEntry]:
    """Journal entries with a leg in the regions under ``prefix``, with their legs."""
    legs = JournalLeg.objects.filter(account__region__code__startswith=prefix)
    return (
        JournalEntry.objects.select_related("period")
        .filter(pk__in=legs.values("entry_id"))
        .prefetch_related("legs__account")
    )
