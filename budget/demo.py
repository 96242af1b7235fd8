"""Demo step "budget": month-end snapshots, this year's budget
through the chain, next year's draft, collection targets and a gap payment, so that
every budget page shows figures.

After the "benefits" step (payroll history) and only with history
(``ctx.history_years`` > 0; the tests' tiny province without history gets nothing):

1. The budget's actuals are the fund ledger's, posted by the "funds" step's month-end
   closes (January of last year to the month before last).
2. **Month-end snapshots** (``budget.snapshot``) of every month of last year (the
   draft's base) and of last month (the scorecard's month), taken by the system.
3. **This year's budget** drafted by the province's budget officer from last year's
   snapshots and actuals with the forecast parameters below (demo values, not
   published figures), then through the chain: the officer submits, the province's
   agency head (HR/SS) and finance officer review, the government approves. **Next
   year's** draft is computed and left as a draft, to be edited.
4. **Collection targets** of each city and each county with people: last year's
   collections × 1.05 (× 1.5 for the second city, so that it misses its target and
   carries its own gap), rounded up to the thousand; enrollment plans: the insured
   of last month × 1.02, rounded up.
5. **A gap payment**: the provincial government's share of the largest gap of last
   year, when there is one, paid half on 15 January.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_CEILING, Decimal

from budget import calc, selectors, services, snapshot
from budget.choices import GapPayer
from budget.models import Budget, SnapshotRun
from pension.choices import RegionLevel
from pension.demo import DemoContext, register
from pension.models import Region, StaffUser
from pension.periods import Period

# demo forecast parameters (rates), for the officer to change: not published figures
FORECAST = calc.Forecast(
    insured_growth=Decimal("0.02"),
    contributor_growth=Decimal("0.02"),
    wage_growth=Decimal("0.05"),
    collection_rate=Decimal("0.95"),
    adjustment_rate=Decimal("0.02"),
)
CHAIN = [
    ("submit", "province_budget"),
    ("review_hrss", "province_head"),
    ("review_finance", "province_finance"),
    ("approve", "province_government"),
]


def _snapshots(ctx: DemoContext, province: Region, months: list[Period]) -> None:
    taken = set(SnapshotRun.objects.filter(region=province).values_list("period", flat=True))
    for month in months:
        if month.as_int in taken or month in taken:
            continue
        run = SnapshotRun.objects.create(period=month, region=province)
        snapshot.snapshot_run_execute(run.pk)
    ctx.log(f"demo: {len(months)} month-end snapshots")


def _thousands(amount: Decimal) -> Decimal:
    return (amount / 1000).to_integral_value(rounding=ROUND_CEILING) * 1000


def _targets(ctx: DemoContext, province: Region, officer, last_month: Period) -> None:
    year = ctx.today.year
    last_year = [Period(year - 1, m) for m in range(1, 13)]
    cities = selectors.region_figures(province, last_year, level=RegionLevel.CITY)
    counties = selectors.region_figures(province, last_year, level=RegionLevel.COUNTY)
    now = selectors.region_figures(province, [last_month], level=RegionLevel.COUNTY)
    second_city = sorted(cities)[1] if len(cities) > 1 else ""
    for code, figures in [*cities.items(), *counties.items()]:
        if not figures.collected and not (code in now and now[code].insured):
            continue
        factor = Decimal("1.5") if code == second_city else Decimal("1.05")
        insured = now[code].insured if code in now else figures.insured
        for target_year in (year - 1, year):
            services.collection_target_set(
                actor=officer, year=target_year, region_code=code,
                collection_amount=_thousands(figures.collected * factor),
                insured_target=int((Decimal(insured) * Decimal("1.02")).to_integral_value(
                    rounding=ROUND_CEILING)),
            )  # fmt: skip


def load(ctx: DemoContext) -> None:
    """The demo step (see the module docstring)."""
    if ctx.history_years <= 0:
        return
    province = Region.objects.get(code=ctx.province_code)
    if Budget.objects.filter(region=province).exists():
        return
    year = ctx.today.year
    this_month = Period.from_date(ctx.today)
    last_month = this_month.prev()
    _snapshots(ctx, province, [*[Period(year - 1, m) for m in range(1, 13)], last_month])
    officer = StaffUser.objects.get(username="province_budget")
    _targets(ctx, province, officer, last_month)
    version = services.budget_draft_create(
        actor=officer, year=year, forecast=FORECAST, note="演示：由上年快照和实际数测算"
    )
    for step, username in CHAIN:
        version = services.budget_version_step(
            actor=StaffUser.objects.get(username=username), version_id=version.pk, step=step
        )
    services.budget_draft_create(
        actor=officer, year=year + 1, forecast=FORECAST, note="演示：下年草案"
    )
    statement = selectors.gap_statement(officer, year=year - 1)
    if statement:
        gaps = [s["share"] for s in statement["statement"] if s["share"].province > 0]
        if gaps:
            largest = max(gaps, key=lambda share: share.gap)
            services.gap_payment_record(
                actor=officer, year=year - 1, region_code=largest.code,
                payer=GapPayer.PROVINCE, amount=(largest.province / 2).quantize(Decimal("0.01")),
                paid_on=date(year, 1, 15),
            )  # fmt: skip
    ctx.log(f"demo: budget {year} approved (version {version.number}), {year + 1} drafted")


register("budget", load)
