"""Fund revenue and expenditure reports (基金收支报表, DESIGN §5.5, operations standard
§10.2–§10.5): the monthly revenue and expenditure statement (基金收支月报) of a county, a
city (with its counties) or the province (consolidated), its Excel workbook, and the
figures of the funds dashboards (revenue and expenditure by month, balances and months
of reserve, plan against actual). Selectors only: nothing here writes.

The figures are the ledger's: revenue is the credits less debits on the nominal revenue
accounts (基金收入科目) of the regions under the region's code, expenditure the debits
less credits on the expense accounts, each by the item of the entry and the month of
its period. A reversal lowers the figure of its own period. Transfers between the
fund's accounts (sweeps, disbursements, tax transfers, bank settlements) touch no
nominal account, so a city's or the province's consolidation adds its regions' figures
with nothing counted twice. "Bank balance" is the sum of the legs on the money
accounts (income, expenditure, special) up to the month's end.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext as _g
from openpyxl import Workbook

from funds.choices import EXPENDITURE_ITEMS, MONEY_KINDS, REVENUE_ITEMS, AccountKind, FundItem
from pension.choices import RegionLevel
from pension.exports import safe_xlsx_row
from pension.models import Region
from pension.periods import Period
from pension.scope import region_allows
from pension.selectors import policy_value

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
RESERVE_MONTHS = "funds.reserve_months"
RESERVE_AVERAGE_OVER = 3  # the month-end close measures the reserve the same way
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# the statement's order of items (operations standard §10.2, §10.3.1)
REVENUE_ORDER = (
    FundItem.CONTRIBUTION_EMPLOYER,
    FundItem.CONTRIBUTION_INDIVIDUAL,
    FundItem.CONTRIBUTION_FLEXIBLE,
    FundItem.LATE_FEE,
    FundItem.FISCAL_SUBSIDY,
    FundItem.CENTRAL_ADJUSTMENT,
    FundItem.INTEREST,
    FundItem.TRANSFER_IN,
    FundItem.OTHER_REVENUE,
)
EXPENDITURE_ORDER = (
    FundItem.PENSION,
    FundItem.FUNERAL_SURVIVOR,
    FundItem.REFUND,
    FundItem.ACCOUNT_SETTLEMENT,
    FundItem.TRANSFER_OUT,
    FundItem.OTHER_EXPENDITURE,
)
assert set(REVENUE_ORDER) == REVENUE_ITEMS and set(EXPENDITURE_ORDER) == EXPENDITURE_ITEMS


@dataclass
class StatementRow:
    """One line of the statement: an item, a subtotal or the surplus; the month, the
    year to date and the same of the year before, and the change of the year to date
    against last year's in per cent (None when last year's is zero)."""

    key: str
    label: str
    kind: str  # "revenue", "expenditure", "total_revenue", "total_expenditure", "surplus"
    month: Decimal = ZERO
    year_to_date: Decimal = ZERO
    prior_month: Decimal = ZERO
    prior_year_to_date: Decimal = ZERO

    @property
    def change(self) -> Decimal | None:
        if not self.prior_year_to_date:
            return None
        ratio = (self.year_to_date - self.prior_year_to_date) * 100 / self.prior_year_to_date
        return ratio.quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def is_total(self) -> bool:
        return self.kind not in ("revenue", "expenditure")


@dataclass
class RegionTotals:
    """A region below the statement's (a city of the province, a county of a city):
    its revenue, expenditure and surplus of the month and of the year to date."""

    region: Region
    revenue_month: Decimal = ZERO
    expenditure_month: Decimal = ZERO
    revenue_ytd: Decimal = ZERO
    expenditure_ytd: Decimal = ZERO
    # the statement's region's own accounts (本级: a city's, the province's own)
    own_level: bool = False

    @property
    def surplus_month(self) -> Decimal:
        return self.revenue_month - self.expenditure_month

    @property
    def surplus_ytd(self) -> Decimal:
        return self.revenue_ytd - self.expenditure_ytd


@dataclass
class Statement:
    """The monthly revenue and expenditure statement (基金收支月报) of a region."""

    region: Region
    period: Period
    rows: list[StatementRow]
    bank_balance: Decimal
    prior_bank_balance: Decimal
    regions: list[RegionTotals] = field(default_factory=list)

    def row(self, key: str) -> StatementRow:
        return next(r for r in self.rows if r.key == key)


_ACTUALS_SQL = """
SELECT {group} AS region, e.item, p.period,
       sum(CASE WHEN a.kind = 'revenue' THEN -l.amount ELSE l.amount END) AS amount,
       a.kind
  FROM funds_journalleg l
  JOIN funds_fundaccount a ON a.id = l.account_id
  JOIN funds_journalentry e ON e.id = l.entry_id
  JOIN funds_accountingperiod p ON p.id = e.period_id
 WHERE a.kind IN ('revenue', 'expense') AND a.region_id LIKE %(prefix)s
   AND ((p.period BETWEEN %(first)s AND %(last)s)
        OR (p.period BETWEEN %(prior_first)s AND %(prior_last)s))
 GROUP BY 1, e.item, p.period, a.kind
"""

_BALANCE_SQL = """
SELECT coalesce(sum(l.amount) FILTER (WHERE p.period <= %(last)s), 0),
       coalesce(sum(l.amount) FILTER (WHERE p.period <= %(prior_last)s), 0)
  FROM funds_journalleg l
  JOIN funds_fundaccount a ON a.id = l.account_id
  JOIN funds_journalentry e ON e.id = l.entry_id
  JOIN funds_accountingperiod p ON p.id = e.period_id
 WHERE a.kind IN ('income', 'expenditure', 'special') AND a.region_id LIKE %(prefix)s
   AND p.period <= %(last)s
"""


def _label(item: str) -> str:
    return str(FundItem(item).label)


def _bucket(item: str, kind: str) -> str:
    """The statement line of an entry's item on a nominal account of ``kind``."""
    if kind == AccountKind.REVENUE:
        return item if item in REVENUE_ITEMS else FundItem.OTHER_REVENUE
    return item if item in EXPENDITURE_ITEMS else FundItem.OTHER_EXPENDITURE


def children_of(region: Region) -> list[Region]:
    """The regions one level below (a province's cities, a city's counties)."""
    if region.level == RegionLevel.COUNTY:
        return []
    return list(Region.objects.filter(parent=region).order_by("code"))


def revenue_expenditure_statement(*, region: Region, period: Period | int | str) -> Statement:
    """The statement of ``region`` for ``period``: the month, the year to date (January
    to the month), the same month and months of the year before; the regions one level
    below with their totals; the bank balance at the month's end."""
    period = Period.parse(period)
    prior = Period(period.year - 1, period.month)
    prefix = region.scope_prefix
    children = children_of(region)
    params = {
        "prefix": f"{prefix}%",
        "first": Period(period.year, 1).as_int,
        "last": period.as_int,
        "prior_first": Period(prior.year, 1).as_int,
        "prior_last": prior.as_int,
    }
    length = len(children[0].scope_prefix) if children else len(prefix)
    group = f"left(a.region_id, {length})"
    with connection.cursor() as cursor:
        cursor.execute(_ACTUALS_SQL.format(group=group), params)
        facts = cursor.fetchall()
        cursor.execute(_BALANCE_SQL, params)
        balance, prior_balance = cursor.fetchone()

    rows = {item: StatementRow(item.value, _label(item), "revenue") for item in REVENUE_ORDER} | {
        item: StatementRow(item.value, _label(item), "expenditure") for item in EXPENDITURE_ORDER
    }
    by_child: dict[str, RegionTotals] = {c.scope_prefix: RegionTotals(c) for c in children}
    if children:
        by_child[region.code[:length]] = RegionTotals(region, own_level=True)
    for child_prefix, item, month, amount, kind in facts:
        row = rows[FundItem(_bucket(item, kind))]
        this_year = month >= params["first"]
        if this_year:
            row.year_to_date += amount
            if month == params["last"]:
                row.month += amount
        else:
            row.prior_year_to_date += amount
            if month == params["prior_last"]:
                row.prior_month += amount
        totals = by_child.get(child_prefix)
        if totals is not None and this_year:
            side = "revenue" if kind == AccountKind.REVENUE else "expenditure"
            setattr(totals, f"{side}_ytd", getattr(totals, f"{side}_ytd") + amount)
            if month == params["last"]:
                setattr(totals, f"{side}_month", getattr(totals, f"{side}_month") + amount)

    revenue = [rows[i] for i in REVENUE_ORDER]
    expenditure = [rows[i] for i in EXPENDITURE_ORDER]
    total_revenue = _sum_row("total_revenue", _g("Total fund revenue"), revenue)
    total_expenditure = _sum_row("total_expenditure", _g("Total fund expenditure"), expenditure)
    surplus = StatementRow(
        "surplus",
        _g("Surplus of the period"),
        "surplus",
        total_revenue.month - total_expenditure.month,
        total_revenue.year_to_date - total_expenditure.year_to_date,
        total_revenue.prior_month - total_expenditure.prior_month,
        total_revenue.prior_year_to_date - total_expenditure.prior_year_to_date,
    )
    return Statement(
        region=region,
        period=period,
        rows=[*revenue, total_revenue, *expenditure, total_expenditure, surplus],
        bank_balance=balance,
        prior_bank_balance=prior_balance,
        regions=list(by_child.values()),
    )


def _sum_row(key: str, label: str, rows: list[StatementRow]) -> StatementRow:
    return StatementRow(
        key,
        label,
        key,
        sum((r.month for r in rows), ZERO),
        sum((r.year_to_date for r in rows), ZERO),
        sum((r.prior_month for r in rows), ZERO),
        sum((r.prior_year_to_date for r in rows), ZERO),
    )


# --- what a user may see ----------------------------------------------------------------


def statement_regions(user) -> list[Region]:
    """The regions whose statement the user may open: theirs and those below (a
    province user: the province and its cities and counties)."""
    region = getattr(user, "region", None)
    if region is None and not user.is_superuser:
        return []
    prefix = region.scope_prefix if region is not None else ""
    queryset = Region.objects.filter(code__startswith=prefix).order_by("code")
    return [r for r in queryset if region_allows(user, r.code, "view")]


def statement_region_for(user, code: str | None) -> Region | None:
    """The region ``code`` when the user may see it (default: the user's own); None
    otherwise."""
    own = getattr(user, "region", None)
    if not code:
        return own
    region = Region.objects.filter(pk=code).first()
    if region is None or not region_allows(user, region.code, "view"):
        return None
    return region


def statement_region_for_prefix(prefix: str, code: str) -> Region | None:
    """The region ``code`` when it lies under ``prefix`` (an API client's region)."""
    if not code.startswith(prefix):
        return None
    return Region.objects.filter(pk=code).first()


def latest_period(*, today) -> Period:
    """The month a statement opens on by default: the last closed accounting period,
    else the month before today's."""
    from funds.choices import PeriodStatus
    from funds.models import AccountingPeriod

    closed = (
        AccountingPeriod.objects.filter(status=PeriodStatus.CLOSED)
        .order_by("-period")
        .values_list("period", flat=True)
        .first()
    )
    return Period.parse(closed) if closed is not None else Period.from_date(today) - 1


def latest_plan_period(region: Region) -> Period | None:
    """The latest month planned in ``region`` or below (a plan past the draft)."""
    from funds.choices import PlanStatus
    from funds.models import SpendingPlan

    period = (
        SpendingPlan.objects.filter(region__code__startswith=region.scope_prefix)
        .exclude(status=PlanStatus.DRAFT)
        .order_by("-period")
        .values_list("period", flat=True)
        .first()
    )
    return Period.parse(period) if period is not None else None


# --- the workbook -----------------------------------------------------------------------


def statement_workbook(statement: Statement) -> bytes:
    """The statement as an .xlsx workbook (through ``pension.exports``): the statement
    sheet, and a sheet of the regions below when there are."""
    workbook = Workbook(write_only=True)
    with translation.override("zh-hans"):
        sheet = workbook.create_sheet(title="基金收支月报")
        header = [
            [_g("Fund revenue and expenditure statement")],
            [_g("Region"), statement.region.name, statement.region.code],
            [_g("Month"), str(statement.period), _g("Unit: yuan")],
            [
                _g("Statement item"),
                _g("This month"),
                _g("Year to date"),
                _g("Same month last year"),
                _g("Last year to date"),
                _g("Change on last year, per cent"),
            ],
        ]
        for values in header:
            sheet.append(safe_xlsx_row(sheet, values))
        for row in statement.rows:
            values = [
                row.label,
                row.month,
                row.year_to_date,
                row.prior_month,
                row.prior_year_to_date,
                row.change,
            ]
            sheet.append(safe_xlsx_row(sheet, values))
        sheet.append(
            safe_xlsx_row(
                sheet,
                [
                    _g("Bank balance at the month's end"),
                    statement.bank_balance,
                    None,
                    statement.prior_bank_balance,
                ],
            )
        )
        if statement.regions:
            below = workbook.create_sheet(title="分地区")
            below.append(
                safe_xlsx_row(
                    below,
                    [
                        _g("Region code"),
                        _g("Region"),
                        _g("Revenue this month"),
                        _g("Expenditure this month"),
                        _g("Surplus this month"),
                        _g("Revenue year to date"),
                        _g("Expenditure year to date"),
                        _g("Surplus year to date"),
                    ],
                )
            )
            for totals in statement.regions:
                below.append(
                    safe_xlsx_row(
                        below,
                        [
                            totals.region.code,
                            totals.region.name,
                            totals.revenue_month,
                            totals.expenditure_month,
                            totals.surplus_month,
                            totals.revenue_ytd,
                            totals.expenditure_ytd,
                            totals.surplus_ytd,
                        ],
                    )
                )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- the dashboards' figures ----------------------------------------------------------------


_MONTHLY_SQL = """
SELECT p.period,
       coalesce(sum(-l.amount) FILTER (WHERE a.kind = 'revenue'), 0),
       coalesce(sum(l.amount) FILTER (WHERE a.kind = 'expense'), 0)
  FROM funds_journalleg l
  JOIN funds_fundaccount a ON a.id = l.account_id
  JOIN funds_journalentry e ON e.id = l.entry_id
  JOIN funds_accountingperiod p ON p.id = e.period_id
 WHERE a.kind IN ('revenue', 'expense') AND a.region_id LIKE %(prefix)s
   AND p.period BETWEEN %(first)s AND %(last)s
 GROUP BY p.period
"""

_BALANCES_SQL = """
SELECT {group} AS region, a.kind, p.period, sum(l.amount)
  FROM funds_journalleg l
  JOIN funds_fundaccount a ON a.id = l.account_id
  JOIN funds_journalentry e ON e.id = l.entry_id
  JOIN funds_accountingperiod p ON p.id = e.period_id
 WHERE a.kind IN ('income', 'expenditure', 'special', 'expense')
   AND a.region_id LIKE %(prefix)s AND p.period <= %(last)s
 GROUP BY 1, a.kind, p.period
"""


@dataclass
class MonthFigures:
    """A month of a region: revenue, expenditure, and at its end the bank balance and
    the expenditure accounts' balance."""

    period: Period
    revenue: Decimal = ZERO
    expenditure: Decimal = ZERO
    bank_balance: Decimal = ZERO
    expenditure_account: Decimal = ZERO


def monthly_figures(*, region: Region, until: Period, months: int = 12) -> list[MonthFigures]:
    """The last ``months`` months to ``until`` of the region (its regions below
    included): revenue, expenditure, bank balance and expenditure-account balance at
    each month's end."""
    first = until - (months - 1)
    params = {"prefix": f"{region.scope_prefix}%", "first": first.as_int, "last": until.as_int}
    out = {m.as_int: MonthFigures(m) for m in Period.range(first, until)}
    with connection.cursor() as cursor:
        cursor.execute(_MONTHLY_SQL, params)
        for month, revenue, expenditure in cursor.fetchall():
            out[month].revenue, out[month].expenditure = revenue, expenditure
        cursor.execute(_BALANCES_SQL.format(group="''"), params)
        moves = cursor.fetchall()
    for figures in out.values():
        end = figures.period.as_int
        figures.bank_balance = sum(
            (a for _r, kind, p, a in moves if p <= end and kind in MONEY_KINDS), ZERO
        )
        figures.expenditure_account = sum(
            (a for _r, kind, p, a in moves if p <= end and kind == AccountKind.EXPENDITURE), ZERO
        )
    return list(out.values())


@dataclass
class Reserve:
    """The revolving reserve (周转金) of a region at a month's end: its expenditure
    accounts' balance against its average monthly expenditure of the last three months;
    ``months`` = balance ÷ average (to 0.01, half up; None when nothing was spent);
    ``required`` = ``funds.reserve_months`` (None when no value is in force)."""

    region: Region
    balance: Decimal
    monthly_expenditure: Decimal
    required: Decimal | None
    reference: str

    @property
    def months(self) -> Decimal | None:
        if not self.monthly_expenditure:
            return None
        return (self.balance / self.monthly_expenditure).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def short(self) -> bool:
        months = self.months
        return self.required is not None and months is not None and months < self.required


def reserve_of(*, regions: list[Region], at: Period, parent: Region) -> list[Reserve]:
    """The reserve of each of ``regions`` (all under ``parent``) at the end of ``at``."""
    try:
        value = policy_value(RESERVE_MONTHS, on=at.last_day, region=parent)
        required = Decimal(str(value.value))
        reference = f"{RESERVE_MONTHS}#{value.parameter_id}v{value.version}"
    except ValidationError:
        required, reference = None, ""
    first = at - RESERVE_AVERAGE_OVER
    params = {"prefix": f"{parent.scope_prefix}%", "last": at.as_int}
    with connection.cursor() as cursor:
        cursor.execute(_BALANCES_SQL.format(group="a.region_id"), params)
        moves = cursor.fetchall()
    balance: dict[str, Decimal] = defaultdict(lambda: ZERO)
    spent: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for code, kind, month, amount in moves:
        for region in regions:  # a region's figures include the regions below it
            if not code.startswith(region.scope_prefix):
                continue
            if kind == AccountKind.EXPENDITURE:
                balance[region.scope_prefix] += amount
            elif kind == AccountKind.EXPENSE and month > first.as_int:
                spent[region.scope_prefix] += amount
    return [
        Reserve(
            region=r,
            balance=balance[r.scope_prefix],
            monthly_expenditure=(spent[r.scope_prefix] / RESERVE_AVERAGE_OVER).quantize(
                CENT, rounding=ROUND_HALF_UP
            ),
            required=required,
            reference=reference,
        )
        for r in regions
    ]


@dataclass
class PlanActual:
    """A region's spending plan for a month against what was disbursed to it and what
    it spent (the ledger's expenditure of the month, its regions below included)."""

    region: Region
    planned: Decimal = ZERO
    disbursed: Decimal = ZERO
    spent: Decimal = ZERO


def plan_vs_actual_by_region(*, regions: list[Region], period: Period) -> list[PlanActual]:
    """For each of ``regions``: its plan for ``period`` (any plan past the draft),
    its paid disbursement and its expenditure of the month."""
    from funds.choices import DisbursementStatus, PlanStatus
    from funds.models import Disbursement, SpendingPlan

    codes = [r.code for r in regions]
    planned = dict(
        SpendingPlan.objects.filter(region_id__in=codes, period=period)
        .exclude(status=PlanStatus.DRAFT)
        .values_list("region_id", "total_amount")
    )
    disbursed = dict(
        Disbursement.objects.filter(
            region_id__in=codes, plan__period=period, status=DisbursementStatus.PAID
        ).values_list("region_id", "amount")
    )
    out = []
    for region in regions:
        figures = monthly_figures(region=region, until=period, months=1)[0]
        out.append(
            PlanActual(
                region=region,
                planned=planned.get(region.code, ZERO),
                disbursed=disbursed.get(region.code, ZERO),
                spent=figures.expenditure,
            )
        )
    return out
