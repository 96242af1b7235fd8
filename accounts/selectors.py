"""Reads of personal pension accounts (个人账户): region-scoped querysets, balances and
the yearly statement, all derived from the ledger's entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from accounts.choices import EntryKind
from accounts.models import AccountEntry, AccountTransfer, PensionAccount
from pension.periods import Period
from pension.scope import restrict

ZERO = Decimal("0.00")


def pension_accounts(user, action: str = "view") -> QuerySet[PensionAccount]:
    """Accounts the user may see (holders province-wide, as their people: 异地通办)."""
    return restrict(PensionAccount.objects.select_related("person__region"), user, action)


def account_of_person(person) -> PensionAccount | None:
    return PensionAccount.objects.filter(person=person).first()


def account_entries(account: PensionAccount) -> QuerySet[AccountEntry]:
    return AccountEntry.objects.filter(account=account).order_by("value_period", "id")


@dataclass(frozen=True)
class Balance:
    """The balance and its split (累计储存额): up to the last year-end, and this year."""

    total: Decimal
    up_to_last_year_end: Decimal
    this_year: Decimal
    year: int

    @property
    def last_year(self) -> int:
        return self.year - 1


def account_balance_split(account: PensionAccount, *, year: int) -> Balance:
    """Split by the month an entry earns from: before ``year`` or in it (and after)."""
    sums = AccountEntry.objects.filter(account=account).aggregate(
        total=Sum("amount"),
        before=Sum("amount", filter=Q(value_period__lt=Period(year, 1).as_int)),
    )
    total, before = sums["total"] or ZERO, sums["before"] or ZERO
    return Balance(total=total, up_to_last_year_end=before, this_year=total - before, year=year)


@dataclass
class StatementYear:
    """One year of the statement (对账单): opening, what came in and out by kind, the
    interest of the year, closing; the months of contribution credits."""

    year: int
    opening: Decimal = ZERO
    credits: Decimal = ZERO
    interest: Decimal = ZERO
    transfers_in: Decimal = ZERO
    transfers_out: Decimal = ZERO
    settlements: Decimal = ZERO
    reversals: Decimal = ZERO
    migrated: Decimal = ZERO
    credit_months: int = 0
    entries: list[AccountEntry] = field(default_factory=list)

    @property
    def other(self) -> Decimal:
        """Transfers, settlements, reversals and migrated balances, net."""
        return (
            self.transfers_in
            + self.transfers_out
            + self.settlements
            + self.reversals
            + self.migrated
        )

    @property
    def closing(self) -> Decimal:
        return self.opening + self.credits + self.interest + self.other


_BUCKETS = {
    EntryKind.CREDIT: "credits",
    EntryKind.INTEREST: "interest",
    EntryKind.TRANSFER_IN: "transfers_in",
    EntryKind.TRANSFER_OUT: "transfers_out",
    EntryKind.SETTLEMENT: "settlements",
    EntryKind.REVERSAL: "reversals",
    EntryKind.MIGRATED_BALANCE: "migrated",
}


def account_statement(
    account: PensionAccount, *, with_entries: bool = False
) -> list[StatementYear]:
    """The account year by year, from its first entry; a year is the year of the
    month an entry earns from (interest of a year belongs to that year)."""
    rows = (
        AccountEntry.objects.filter(account=account)
        .values("value_period", "kind")
        .annotate(total=Sum("amount"))
        .order_by("value_period")
    )
    years: dict[int, StatementYear] = {}
    credit_months: dict[int, set[int]] = {}
    for row in rows:
        period: Period = Period.parse(row["value_period"])
        year = years.setdefault(period.year, StatementYear(year=period.year))
        bucket = _BUCKETS[row["kind"]]
        setattr(year, bucket, getattr(year, bucket) + row["total"])
        if row["kind"] == EntryKind.CREDIT:
            credit_months.setdefault(period.year, set()).add(period.month)
    if with_entries:
        for entry in account_entries(account).select_related("contribution_line"):
            years[entry.value_period.year].entries.append(entry)
    out: list[StatementYear] = []
    carried = ZERO
    for number in range(min(years, default=0), max(years, default=-1) + 1):
        year = years.get(number, StatementYear(year=number))
        year.opening = carried
        year.credit_months = len(credit_months.get(number, ()))
        carried = year.closing
        out.append(year)
    return out


def account_transfers(account: PensionAccount) -> QuerySet[AccountTransfer]:
    return AccountTransfer.objects.filter(account=account).order_by("-created_at")


def credited_shares_sql(*, period: int, region_prefix: str = "") -> tuple[str, dict]:
    """One row (``amount``): what the personal accounts were credited (记账) for the paid
    lines of ``period`` in the payer's region ``region_prefix`` (the lines of
    ``contributions.selectors.paid_account_shares_sql``), for the control totals: equal
    to the paid shares once the month's crediting ran. Parameters ``prefix``, ``since``,
    ``pa_period``."""
    from contributions.selectors import account_creditable_lines_sql

    lines, params = account_creditable_lines_sql(region_prefix=region_prefix)
    sql = f"""
        SELECT coalesce(sum(e.amount), 0) AS amount
          FROM accounts_accountentry e
         WHERE e.kind = 'credit' AND e.contribution_line_id IN (
             SELECT c.id FROM ({lines}) c
              WHERE c.period = %(pa_period)s AND c.account_credit > 0)
    """
    return sql, {**params, "pa_period": period}
