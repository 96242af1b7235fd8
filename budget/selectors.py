"""Reads of budget (基金预算): region-scoped querysets and the figures of the
scorecards, the budget's execution, final accounts and gap-sharing (DESIGN §5.6)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum, Value
from django.db.models.functions import Concat, Substr

from budget import calc
from budget.choices import (
    EXPENDITURE_ITEMS,
    REVENUE_ITEMS,
    BudgetItem,
    BudgetStatus,
    GapPayer,
    Indicator,
    SnapshotStatus,
)
from budget.models import (
    Budget,
    BudgetLine,
    BudgetVersion,
    CollectionTarget,
    GapPayment,
    SnapshotCollection,
    SnapshotLine,
    SnapshotRun,
)
from pension.choices import RegionLevel
from pension.models import Region
from pension.periods import Period
from pension.scope import restrict
from pension.selectors import policy_value

ZERO = Decimal("0")
LEDGER_INDICATORS = (Indicator.REMITTANCE, Indicator.SUBSIDY_ARRIVAL)
WEIGHTS_KEY = "budget.scorecard_weights"
THRESHOLD_KEY = "budget.execution_alert_threshold"
GAP_KEY = "budget.gap_sharing"


# --- the ledger (funds), when it is there -------------------------------------------------


def ledger_actuals():
    """``funds.selectors.actuals_by_item`` (year, month, region_code → rows of
    region_code, item, month, amount), or None while the fund ledger is not there: the
    figures that need it then show as not available."""
    try:
        from funds import selectors as funds_selectors
    except ImportError:  # pragma: no cover - funds always imports
        return None
    return getattr(funds_selectors, "actuals_by_item", None)


# the fund ledger's items (funds.choices.FundItem) in the budget's layout
LEDGER_ITEMS = {
    "contribution_employer": BudgetItem.CONTRIBUTION_INCOME,
    "contribution_individual": BudgetItem.CONTRIBUTION_INCOME,
    "contribution_flexible": BudgetItem.CONTRIBUTION_INCOME,
    "late_fee": BudgetItem.OTHER_INCOME,
    "fiscal_subsidy": BudgetItem.FISCAL_SUBSIDY,
    "central_adjustment": BudgetItem.OTHER_INCOME,
    "interest": BudgetItem.INTEREST_INCOME,
    "transfer_in": BudgetItem.TRANSFER_IN,
    "other_revenue": BudgetItem.OTHER_INCOME,
    "pension": BudgetItem.PENSION_EXPENDITURE,
    "funeral_survivor": BudgetItem.SURVIVOR_EXPENDITURE,
    "refund": BudgetItem.OTHER_EXPENDITURE,
    "account_settlement": BudgetItem.OTHER_EXPENDITURE,
    "transfer_out": BudgetItem.TRANSFER_OUT,
    "other_expenditure": BudgetItem.OTHER_EXPENDITURE,
}


def actuals(*, year: int, month: int | None = None, region_code: str | None = None):
    """The ledger's actuals of the year up to ``month`` (all of it without), in the
    budget's items, as {(city code, item): amount} and {(city code, item, month):
    amount}, or (None, None) without the ledger. Items the budget does not carry
    (the movements between accounts) are left out."""
    reader = ledger_actuals()
    if reader is None:
        return None, None
    by_item: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    by_month: dict[tuple[str, str, int], Decimal] = defaultdict(lambda: ZERO)
    for row in reader(year=year, month=None, region_code=region_code):
        region, ledger_item, row_month, amount = row[0], row[1], int(row[2]), Decimal(row[3])
        item = LEDGER_ITEMS.get(ledger_item)
        if item is None or (month is not None and row_month > month):
            continue
        city = f"{region[:4]}00" if region and not region.endswith("0000") else region
        by_item[(city, item)] += amount
        by_month[(city, item, row_month)] += amount
    return dict(by_item), dict(by_month)


# --- regions ------------------------------------------------------------------------------


def budget_regions(province: Region) -> list[Region]:
    """The cities of a province: the budget's breakdown."""
    return list(
        Region.objects.filter(level=RegionLevel.CITY, code__startswith=province.code[:2]).order_by(
            "code"
        )
    )


def user_province(user) -> Region | None:
    region = getattr(user, "region", None)
    if region is None:
        return None
    return Region.objects.get(code=region.province_code)


# --- the snapshot -------------------------------------------------------------------------


def snapshot_runs(user) -> QuerySet[SnapshotRun]:
    return restrict(SnapshotRun.objects.select_related("region", "started_by"), user)


def _taken(province: Region, periods: list[Period]) -> dict[int, int]:
    """{period: run id} of the snapshots taken of ``periods``."""
    return dict(
        SnapshotRun.objects.filter(
            region=province,
            period__in=[p.as_int for p in periods],
            status=SnapshotStatus.CALCULATED,
        ).values_list("period", "pk")
    )


def _key(level: str):
    """The region a county's row counts for: the county, or its city."""
    if level == RegionLevel.CITY:
        return Concat(Substr("region_id", 1, 4), Value("00"))
    return Substr("region_id", 1, 6)


@dataclass
class RegionFigures:
    """A city's or county's figures over some months, from the snapshots."""

    code: str
    name: str = ""
    insured: int = 0  # at the last month
    contributors: int = 0
    retirees: int = 0
    pension_total: Decimal = ZERO
    new_retirees: int = 0  # over the months
    assessed: Decimal = ZERO
    collected: Decimal = ZERO
    structure: dict[str, int] = field(default_factory=dict)  # "male 30": insured + retirees
    target: CollectionTarget | None = None
    ledger: dict[str, Decimal] | None = None  # the ledger's actuals by item (None: no ledger)
    budget: dict[str, Decimal] = field(default_factory=dict)  # the approved budget's items
    rates: dict[str, Decimal | None] = field(default_factory=dict)
    score: Decimal | None = None
    rank: int | None = None

    @property
    def dependency_ratio(self) -> Decimal | None:
        """Contributors per retiree (抚养比)."""
        return calc.ratio(self.contributors, self.retirees)

    @property
    def average_pension(self) -> Decimal | None:
        if not self.retirees:
            return None
        return calc.round_fen(self.pension_total / self.retirees)


def region_figures(
    province: Region, periods: list[Period], *, level: str, prefix: str = ""
) -> dict[str, RegionFigures]:
    """The figures of every city or county (``level``) under ``prefix`` over ``periods``
    (months in order): head counts at the last month with a snapshot, flows summed."""
    taken = _taken(province, periods)
    out: dict[str, RegionFigures] = {}
    regions = Region.objects.filter(level=level, code__startswith=prefix or province.code[:2])
    for region in regions.order_by("code"):
        out[region.code] = RegionFigures(code=region.code, name=region.name)
    if not taken:
        return out
    last = taken[max(taken)]
    lines = SnapshotLine.objects.filter(region__code__startswith=prefix or province.code[:2])
    for row in (
        lines.filter(run_id=last).annotate(key=_key(level)).values("key")
        .annotate(insured=Sum("insured"), contributors=Sum("contributors"),
                  retirees=Sum("retirees"), pension=Sum("pension_total"))
    ):  # fmt: skip
        figures = out.setdefault(row["key"], RegionFigures(code=row["key"]))
        figures.insured, figures.contributors = row["insured"], row["contributors"]
        figures.retirees, figures.pension_total = row["retirees"], row["pension"]
    for row in (
        lines.filter(run_id=last).annotate(key=_key(level)).values("key", "sex", "age_band")
        .annotate(people=Sum("insured") + Sum("retirees"))
    ):  # fmt: skip
        out[row["key"]].structure[f"{row['sex']} {row['age_band']}"] = row["people"]
    for row in (
        lines.filter(run_id__in=taken.values()).annotate(key=_key(level)).values("key")
        .annotate(new=Sum("new_retirees"))
    ):  # fmt: skip
        out[row["key"]].new_retirees = row["new"]
    for row in (
        SnapshotCollection.objects.filter(
            run_id__in=taken.values(), region__code__startswith=prefix or province.code[:2]
        ).annotate(key=_key(level)).values("key")
        .annotate(assessed=Sum("assessed"), collected=Sum("collected"))
    ):  # fmt: skip
        figures = out.setdefault(row["key"], RegionFigures(code=row["key"]))
        figures.assessed, figures.collected = row["assessed"], row["collected"]
    return out


# --- scorecards (考核) ----------------------------------------------------------------------


def scorecard_weights(province: Region, on: date) -> tuple[dict[str, Decimal], Any]:
    value = policy_value(WEIGHTS_KEY, on=on, region=province)
    return {k: Decimal(v) for k, v in value.value.items()}, value


def scorecard(
    user, *, year: int, month: int | None = None, level: str = RegionLevel.CITY
) -> tuple[list[RegionFigures], dict[str, Decimal], Any]:
    """The scorecard of every city or county in the user's scope, for a month (``month``)
    or the year up to its last snapshot: the rates, the weighted score out of 100 and
    the rank (1 = best; equal scores share a rank). The remittance and the fiscal
    subsidy need the fund ledger: without it they are not available and the score
    is weighted over the others."""
    province = user_province(user)
    if province is None:
        return [], {}, None
    months = [Period(year, month)] if month else [Period(year, m) for m in range(1, 13)]
    prefix = "" if user.is_superuser else user.region.scope_prefix
    if prefix.startswith(province.code[:2]) and len(prefix) <= 2:
        prefix = ""
    rows = region_figures(province, months, level=level, prefix=prefix)
    targets = {
        t.region_id: t for t in CollectionTarget.objects.filter(year=year, region_id__in=rows)
    }
    by_item, _by_month = actuals(year=year, month=month)
    approved = approved_version(province, year)
    budget_lines = _lines_by(approved) if approved else {}
    weights, reference = scorecard_weights(province, date(year, month or 12, 1))
    # a month is measured against a twelfth of the year's target, a year against all of it
    share = Decimal(1 if month else 12) / Decimal(12)
    for code, figures in rows.items():
        target = figures.target = targets.get(code)
        figures.rates = {
            Indicator.COLLECTION_BUDGET: calc.ratio(
                figures.collected, target.collection_amount * share if target else None
            ),
            Indicator.ENROLLMENT_PLAN: calc.ratio(
                figures.insured, target.insured_target if target else None
            ),
            Indicator.COLLECTION_RATE: calc.ratio(figures.collected, figures.assessed),
            Indicator.CONTRIBUTION_RATE: calc.ratio(figures.contributors, figures.insured),
            Indicator.REMITTANCE: None,
            Indicator.SUBSIDY_ARRIVAL: None,
        }
        if by_item is not None and level == RegionLevel.CITY:
            figures.ledger = {item: amount for (c, item), amount in by_item.items() if c == code}
            income = figures.ledger.get(BudgetItem.CONTRIBUTION_INCOME)
            planned = budget_lines.get((code, BudgetItem.CONTRIBUTION_INCOME))
            figures.rates[Indicator.REMITTANCE] = calc.ratio(
                income, planned * share if planned is not None else None
            )
            subsidy = figures.ledger.get(BudgetItem.FISCAL_SUBSIDY)
            planned = budget_lines.get((code, BudgetItem.FISCAL_SUBSIDY))
            figures.rates[Indicator.SUBSIDY_ARRIVAL] = calc.ratio(
                subsidy, planned * share if planned is not None else None
            )
        figures.score = calc.weighted_score(figures.rates, weights)
    ranked = sorted(
        (r for r in rows.values() if r.score is not None), key=lambda r: r.score, reverse=True
    )
    for position, figures in enumerate(ranked, start=1):
        figures.rank = position if position == 1 or figures.score != ranked[position - 2].score \
            else ranked[position - 2].rank  # fmt: skip
    ordered = ranked + [r for r in rows.values() if r.score is None]
    return ordered, weights, reference


# --- budgets ------------------------------------------------------------------------------


def budget_list(user) -> QuerySet[Budget]:
    return restrict(Budget.objects.select_related("region"), user)


def version_list(user, budget: Budget) -> QuerySet[BudgetVersion]:
    return restrict(
        BudgetVersion.objects.filter(budget=budget).select_related(
            "drafted_by", "hrss_by", "finance_by", "approved_by"
        ),
        user,
    ).order_by("number")


def version_get(user, pk: int) -> BudgetVersion:
    return restrict(
        BudgetVersion.objects.select_related("budget__region", "drafted_by", "hrss_by",
                                             "finance_by", "approved_by"),
        user,
    ).get(pk=pk)  # fmt: skip


def approved_version(province: Region, year: int) -> BudgetVersion | None:
    return BudgetVersion.objects.filter(
        budget__region=province, budget__year=year, status=BudgetStatus.APPROVED
    ).first()


def _lines_by(version: BudgetVersion) -> dict[tuple[str, str], Decimal]:
    return {(line.region_id, line.item): line.amount for line in version.lines.all()}


@dataclass
class Table:
    """A budget laid out: one row per item (revenue then expenditure, with totals), one
    column per city and the province's total."""

    regions: list[Region]
    rows: list[dict]


def layout(amounts: dict[tuple[str, str], Decimal], regions: list[Region]) -> Table:
    """Items × cities with totals, in the budget's layout (revenue, expenditure,
    surplus)."""
    rows = []

    def add(label, items, css=""):
        values = [sum((amounts.get((r.code, i), ZERO) for i in items), ZERO) for r in regions]
        rows.append({"label": label, "item": items[0] if len(items) == 1 else "",
                     "values": values, "total": sum(values, ZERO), "css": css})  # fmt: skip

    for item in REVENUE_ITEMS:
        add(BudgetItem(item).label, [item])
    add(_label("Total revenue"), list(REVENUE_ITEMS), "total")
    for item in EXPENDITURE_ITEMS:
        add(BudgetItem(item).label, [item])
    add(_label("Total expenditure"), list(EXPENDITURE_ITEMS), "total")
    revenue, expenditure = rows[len(REVENUE_ITEMS)], rows[-1]
    surplus = [a - b for a, b in zip(revenue["values"], expenditure["values"], strict=True)]
    rows.append({"label": _label("Surplus of the year"), "item": "", "values": surplus,
                 "total": sum(surplus, ZERO), "css": "total"})  # fmt: skip
    return Table(regions=regions, rows=rows)


def _label(text: str):
    from django.utils.translation import gettext

    return gettext(text)


def version_table(version: BudgetVersion) -> Table:
    return layout(_lines_by(version), budget_regions(version.budget.region))


def compare(versions: list[BudgetVersion]) -> list[dict]:
    """Versions side by side: one row per item with each version's province total."""
    by_version = []
    for version in versions:
        totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for line in version.lines.all():
            totals[line.item] += line.amount
        by_version.append(totals)
    rows = []
    for item in (*REVENUE_ITEMS, *EXPENDITURE_ITEMS):
        values = [totals.get(item, ZERO) for totals in by_version]
        rows.append({"label": BudgetItem(item).label, "values": values,
                     "differs": len(set(values)) > 1})  # fmt: skip
    return rows


# --- the draft's figures ------------------------------------------------------------------


def draft_amounts(
    *, province: Region, year: int, forecast: calc.Forecast
) -> tuple[dict[tuple[str, str], Decimal], dict]:
    """The draft's lines by city from last year's snapshots (assessed, retirees, average
    pension, the 50–59 age band for the new retirees: a tenth of it a year) and the
    ledger's other items of last year, with the assumptions that made them."""
    last = [Period(year - 1, m) for m in range(1, 13)]
    figures = region_figures(province, last, level=RegionLevel.CITY)
    by_item, _ = actuals(year=year - 1)
    amounts: dict[tuple[str, str], Decimal] = {}
    cities = {}
    for code, f in figures.items():
        retiring = sum(n for k, n in f.structure.items() if k.endswith(" 50")) // 10
        other = {}
        if by_item is not None:
            for (city, item), amount in by_item.items():
                if (
                    city == code
                    and item in BudgetItem.values
                    and item not in (BudgetItem.CONTRIBUTION_INCOME, BudgetItem.PENSION_EXPENDITURE)
                ):
                    other[item] = max(amount, ZERO)
        base = calc.CityBase(
            code=code, assessed=f.assessed, retirees=f.retirees,
            average_pension=f.average_pension or ZERO, retiring_next_year=retiring, other=other,
        )  # fmt: skip
        for item, amount in calc.draft_city(base, forecast).items():
            amounts[(code, item)] = amount
        cities[code] = {"assessed": str(f.assessed), "retirees": f.retirees,
                        "average_pension": str(base.average_pension),
                        "retiring_next_year": retiring}  # fmt: skip
    assumptions = {
        "forecast": forecast.as_dict(),
        "base_year": year - 1,
        "snapshots": len(_taken(province, last)),
        "ledger": by_item is not None,
        "cities": cities,
    }
    return amounts, assumptions


def projection(version: BudgetVersion, *, opening_balance: Decimal | None = None):
    """Five years of the pooled fund from the version's totals and its forecast (the
    retirees grow by the new retirees of the draft ÷ the retirees)."""
    forecast_values = version.assumptions.get("forecast")
    if not forecast_values:
        return []
    forecast = calc.Forecast(**{k: Decimal(v) for k, v in forecast_values.items()})
    lines = _lines_by(version)
    income = sum((a for (_, i), a in lines.items() if i in REVENUE_ITEMS), ZERO)
    expenditure = sum((a for (_, i), a in lines.items() if i in EXPENDITURE_ITEMS), ZERO)
    contributions = sum(
        (a for (_, i), a in lines.items() if i == BudgetItem.CONTRIBUTION_INCOME), ZERO
    )
    cities = version.assumptions.get("cities", {})
    retirees = sum(c["retirees"] for c in cities.values())
    retiring = sum(c["retiring_next_year"] for c in cities.values())
    growth = calc.ratio(retiring, retirees) or ZERO
    return calc.project(
        year=version.budget.year, income=income, expenditure=expenditure,
        opening_balance=opening_balance or ZERO,
        contribution_share=(contributions / income) if income else ZERO,
        forecast=forecast, retiree_growth=growth,
    )  # fmt: skip


# --- execution and final accounts (预算执行, 决算) ----------------------------------------------


def execution(user, *, year: int, month: int) -> dict | None:
    """The approved budget against the ledger up to ``month``: by item and city, the
    budget, the actual, the share executed, the share of the year elapsed, and an
    alert where they differ by the threshold or more. None without an approved budget;
    ``ledger`` False while the fund ledger is not there."""
    province = user_province(user)
    version = approved_version(province, year) if province else None
    if version is None:
        return None
    threshold = policy_value(THRESHOLD_KEY, on=date(year, month, 1), region=province)
    budget = _lines_by(version)
    by_item, by_month = actuals(year=year, month=month)
    rows = []
    for (code, item), planned in sorted(budget.items()):
        actual = by_item.get((code, item), ZERO) if by_item is not None else None
        share, elapsed, alert = (None, None, False)
        if actual is not None:
            share, elapsed, alert = calc.execution_alert(
                actual=actual, budget=planned, elapsed_months=month,
                threshold=Decimal(threshold.value),
            )  # fmt: skip
        rows.append({"region": code, "item": item, "label": BudgetItem(item).label,
                     "budget": planned, "actual": actual, "share": share,
                     "elapsed": elapsed, "alert": alert})  # fmt: skip
    monthly = []
    if by_month is not None:
        for m in range(1, month + 1):
            monthly.append((m, sum((a for (c, i, mm), a in by_month.items()
                                    if mm == m and i in REVENUE_ITEMS), ZERO),
                            sum((a for (c, i, mm), a in by_month.items()
                                 if mm == m and i in EXPENDITURE_ITEMS), ZERO)))  # fmt: skip
    return {"version": version, "rows": rows, "ledger": by_item is not None,
            "threshold": threshold, "monthly": monthly}  # fmt: skip


def final_accounts(user, *, year: int) -> Table | None:
    """The year's final accounts (决算) from the ledger, in the budget's layout; None
    while the fund ledger is not there."""
    province = user_province(user)
    by_item, _ = actuals(year=year)
    if province is None or by_item is None:
        return None
    return layout(by_item, budget_regions(province))


# --- gap-sharing (缺口分担) -------------------------------------------------------------------


def gap_rules(province: Region, year: int):
    value = policy_value(GAP_KEY, on=date(year, 12, 31), region=province)
    return calc.GapRules.from_value(value.value), value


def gap_statement(user, *, year: int) -> dict | None:
    """Each city's gap of the year (from the ledger's revenue and expenditure), who
    covers it by the gap-sharing rule (a city short of its collection target carries
    its own), and what each payer has paid. None while the ledger is not there."""
    province = user_province(user)
    by_item, _ = actuals(year=year)
    if province is None or by_item is None:
        return None
    rules, reference = gap_rules(province, year)
    periods = [Period(year, m) for m in range(1, 13)]
    figures = region_figures(province, periods, level=RegionLevel.CITY)
    targets = {t.region_id: t for t in CollectionTarget.objects.filter(year=year)}
    regions = []
    for city in budget_regions(province):
        revenue = sum((a for (c, i), a in by_item.items() if c == city.code
                       and i in REVENUE_ITEMS), ZERO)  # fmt: skip
        expenditure = sum((a for (c, i), a in by_item.items() if c == city.code
                           and i in EXPENDITURE_ITEMS), ZERO)  # fmt: skip
        target = targets.get(city.code)
        collected = figures[city.code].collected if city.code in figures else ZERO
        met = target is None or collected >= target.collection_amount
        regions.append(calc.RegionYear(city.code, revenue, expenditure, met))
    shares, total = calc.share_gaps(regions, rules)
    paid: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for row in (
        GapPayment.objects.filter(year=year).values("region_id", "payer")
        .annotate(amount=Sum("amount"))
    ):  # fmt: skip
        paid[(row["region_id"], row["payer"])] = row["amount"]
    names = {r.code: r.name for r in budget_regions(province)}
    statement = []
    for share in shares:
        owed = {GapPayer.POOLED_FUND: share.pooled_fund, GapPayer.PROVINCE: share.province,
                GapPayer.CITY: share.city, GapPayer.COUNTY: share.county}  # fmt: skip
        statement.append({
            "share": share, "name": names.get(share.code, share.code),
            "lines": [{"payer": GapPayer(p).label, "owed": owed[p], "paid": paid[(share.code, p)],
                       "outstanding": owed[p] - paid[(share.code, p)]} for p in GapPayer.values],
        })  # fmt: skip
    return {"rules": rules, "reference": reference, "statement": statement, "total": total}


def gap_payments(user) -> QuerySet[GapPayment]:
    return restrict(GapPayment.objects.select_related("region", "recorded_by"), user)


def collection_targets(user, *, year: int) -> QuerySet[CollectionTarget]:
    return restrict(CollectionTarget.objects.filter(year=year).select_related("region"), user)


def budget_lines(version: BudgetVersion) -> QuerySet[BudgetLine]:
    return version.lines.select_related("region")


# --- what a user sees of the province's budget (DESIGN §1: the region and above) ------------


def visible_cities(user) -> list[Region]:
    """The cities whose budget figures the user sees: every city for the province's
    staff, their own city for a city's; none for a county's (the budget is by city: a
    county's own figures are its scorecard and its target)."""
    province = user_province(user)
    if province is None:
        return []
    cities = budget_regions(province)
    if user.is_superuser or user.region.level == RegionLevel.PROVINCE:
        return cities
    return [c for c in cities if c.code.startswith(user.region.scope_prefix)]


def sees_province_totals(user) -> bool:
    return bool(user.is_superuser or (user.region and user.region.level == RegionLevel.PROVINCE))


def budget_versions(user) -> QuerySet[BudgetVersion]:
    """Every version of the user's province's budgets, newest year first (a city's
    staff see them with their own city's lines only)."""
    province = user_province(user)
    if province is None:
        return BudgetVersion.objects.none()
    return (
        BudgetVersion.objects.filter(budget__region=province)
        .select_related("budget", "drafted_by", "hrss_by", "finance_by", "approved_by")
        .order_by("-budget__year", "-number")
    )


def budget_version(user, pk: int) -> BudgetVersion | None:
    return budget_versions(user).filter(pk=pk).first()


def _visible(table: Table, cities: list[Region]) -> Table:
    """``table`` with only the columns of ``cities`` (the total is theirs)."""
    keep = {c.code for c in cities}
    index = [i for i, r in enumerate(table.regions) if r.code in keep]
    rows = []
    for row in table.rows:
        values = [row["values"][i] for i in index]
        rows.append({**row, "values": values, "total": sum(values, ZERO)})
    return Table(regions=[table.regions[i] for i in index], rows=rows)


def version_table_for(user, version: BudgetVersion) -> Table:
    """The version laid out (items × cities) with the cities the user sees."""
    return _visible(version_table(version), visible_cities(user))


def compare_for(user, versions: list[BudgetVersion]) -> list[dict]:
    """Versions side by side, each value the sum over the cities the user sees; with the
    difference of the last from the first."""
    codes = {c.code for c in visible_cities(user)}
    rows = []
    totals = [defaultdict(lambda: ZERO) for _ in versions]
    for n, version in enumerate(versions):
        for line in version.lines.all():
            if line.region_id in codes:
                totals[n][line.item] += line.amount
    for item in (*REVENUE_ITEMS, *EXPENDITURE_ITEMS):
        values = [t.get(item, ZERO) for t in totals]
        rows.append({"label": BudgetItem(item).label, "item": item, "values": values,
                     "change": values[-1] - values[0] if values else ZERO,
                     "differs": len(set(values)) > 1})  # fmt: skip
    for label, items in (
        (_label("Total revenue"), REVENUE_ITEMS),
        (_label("Total expenditure"), EXPENDITURE_ITEMS),
    ):
        values = [sum((t.get(i, ZERO) for i in items), ZERO) for t in totals]
        rows.append({"label": label, "item": "", "values": values, "css": "total",
                     "change": values[-1] - values[0] if values else ZERO,
                     "differs": len(set(values)) > 1})  # fmt: skip
    return rows


def opening_balance(province: Region, year: int) -> Decimal | None:
    """The pooled fund's accumulated surplus at the end of ``year − 1`` from the
    ledger: revenue less expenditure of every period up to then (revenue accounts
    are credited, expense accounts debited: −Σ their balances). None without it."""
    try:
        from funds import selectors as funds_selectors
        from funds.choices import AccountKind
        from funds.models import FundAccount
    except ImportError:  # pragma: no cover - funds always imports
        return None
    balances = funds_selectors.account_balances(
        region_code=province.code[:2], up_to=Period(year - 1, 12)
    )
    nominal = set(
        FundAccount.objects.filter(
            pk__in=list(balances), kind__in=(AccountKind.REVENUE, AccountKind.EXPENSE)
        ).values_list("pk", flat=True)
    )
    return -sum((amount for pk, amount in balances.items() if pk in nominal), ZERO)


def projection_for(version: BudgetVersion) -> tuple[list, Decimal | None]:
    """The version's five-year projection from the ledger's opening balance."""
    balance = opening_balance(version.budget.region, version.budget.year)
    return projection(version, opening_balance=balance), balance


def execution_for(user, *, year: int, month: int, region: str = "", item: str = "") -> dict | None:
    """``execution`` with the rows of the cities the user sees (and of ``region`` /
    ``item`` when given), their totals, and the monthly actuals of those cities against
    a twelfth of their budget a month."""
    result = execution(user, year=year, month=month)
    if result is None:
        return None
    codes = {c.code for c in visible_cities(user)}
    names = {c.code: c.name for c in visible_cities(user)}
    rows = [
        {**r, "name": names.get(r["region"], r["region"])}
        for r in result["rows"]
        if r["region"] in codes
        and (not region or r["region"] == region)
        and (not item or r["item"] == item)
    ]
    chosen = {r["region"] for r in rows}
    _by_item, by_month = actuals(year=year, month=month)
    monthly = []
    budget_revenue = sum((r["budget"] for r in rows if r["item"] in REVENUE_ITEMS), ZERO)
    budget_expenditure = sum((r["budget"] for r in rows if r["item"] in EXPENDITURE_ITEMS), ZERO)
    items = {r["item"] for r in rows}
    for m in range(1, month + 1):
        revenue = expenditure = ZERO
        for (code, it, mm), amount in (by_month or {}).items():
            if mm != m or code not in chosen or it not in items:
                continue
            if it in REVENUE_ITEMS:
                revenue += amount
            elif it in EXPENDITURE_ITEMS:
                expenditure += amount
        monthly.append({
            "month": m, "revenue": revenue, "expenditure": expenditure,
            "budget_revenue": calc.round_fen(budget_revenue / 12),
            "budget_expenditure": calc.round_fen(budget_expenditure / 12),
        })  # fmt: skip
    return {**result, "rows": rows, "monthly": monthly,
            "alerts": sum(1 for r in rows if r["alert"])}  # fmt: skip


def final_accounts_for(user, *, year: int) -> dict | None:
    """The year's final accounts (决算) in the budget's layout, the cities the user
    sees, beside the approved budget's same cells."""
    table = final_accounts(user, year=year)
    if table is None:
        return None
    cities = visible_cities(user)
    province = user_province(user)
    approved = approved_version(province, year) if province else None
    return {
        "table": _visible(table, cities),
        "budget": version_table_for(user, approved) if approved else None,
        "version": approved,
    }


def gap_statement_for(user, *, year: int) -> dict | None:
    """``gap_statement`` with the cities the user sees; the province's total only for
    the province's staff."""
    result = gap_statement(user, year=year)
    if result is None:
        return None
    codes = {c.code for c in visible_cities(user)}
    statement = [s for s in result["statement"] if s["share"].code in codes]
    return {**result, "statement": statement,
            "total": result["total"] if sees_province_totals(user) else None}  # fmt: skip


def target_regions(user) -> list[Region]:
    """The cities and counties a user may set a target for (their region and below)."""
    province = user_province(user)
    if province is None:
        return []
    prefix = "" if user.is_superuser else user.region.scope_prefix
    return list(
        Region.objects.filter(
            level__in=(RegionLevel.CITY, RegionLevel.COUNTY),
            code__startswith=prefix or province.code[:2],
        ).order_by("code")
    )


def target_list(user) -> QuerySet[CollectionTarget]:
    """Collection targets of the user's region and below, every year."""
    return restrict(CollectionTarget.objects.select_related("region", "set_by"), user)


# --- what an external system reads (the API, scope budget.read) -----------------------------


def versions_for_prefix(prefix: str) -> QuerySet[BudgetVersion]:
    """The versions of the budget of the province a system's region lies in."""
    return BudgetVersion.objects.filter(budget__region__code__startswith=prefix[:2]).select_related(
        "budget"
    )


def lines_for_prefix(prefix: str) -> QuerySet[BudgetLine]:
    """Budget lines of the cities within a system's region (a province's: every city)."""
    return BudgetLine.objects.filter(
        version__budget__region__code__startswith=prefix[:2], region__code__startswith=prefix
    ).select_related("version__budget", "region")


def targets_for_prefix(prefix: str) -> QuerySet[CollectionTarget]:
    return CollectionTarget.objects.filter(region__code__startswith=prefix).select_related("region")


def gap_payments_for_prefix(prefix: str) -> QuerySet[GapPayment]:
    return GapPayment.objects.filter(region__code__startswith=prefix).select_related("region")
