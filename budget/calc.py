"""The budget's arithmetic (DESIGN §5.6), pure functions on figures: gap-sharing, the
scorecard's rates and weighted score, the execution alert, the draft from last year's
figures and the five-year projection. Amounts are ``Decimal``; shares of money are
rounded half-up to the fen, the last share taking the remainder so they add up."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from pension.money import round_fen, round_places

ZERO = Decimal("0")
ONE = Decimal("1")
HUNDRED = Decimal("100")

# --- gap-sharing (缺口分担) -----------------------------------------------------------------------


@dataclass(frozen=True)
class GapRules:
    """The ``budget.gap_sharing`` parameter: the pooled surplus's and the governments'
    shares, the split of the governments' share, and whether a region that missed its
    collection target carries its own gap (the Liupanshui rule)."""

    pooled_surplus: Decimal
    government: Decimal
    province: Decimal
    city: Decimal
    county: Decimal
    own_gap_if_target_missed: bool

    @classmethod
    def from_value(cls, value: dict) -> GapRules:
        split = value["government_split"]
        return cls(
            pooled_surplus=Decimal(value["pooled_surplus"]),
            government=Decimal(value["government"]),
            province=Decimal(split["province"]),
            city=Decimal(split["city"]),
            county=Decimal(split["county"]),
            own_gap_if_target_missed=bool(value["own_gap_if_target_missed"]),
        )


@dataclass(frozen=True)
class RegionYear:
    """A region's year: revenue, expenditure and whether it met its collection target."""

    code: str
    revenue: Decimal
    expenditure: Decimal
    target_met: bool = True


@dataclass
class GapShare:
    """Who covers a region's gap (or the total's)."""

    code: str
    revenue: Decimal = ZERO
    expenditure: Decimal = ZERO
    gap: Decimal = ZERO
    target_met: bool = True
    carries_own: bool = False
    pooled_fund: Decimal = ZERO
    province: Decimal = ZERO
    city: Decimal = ZERO
    county: Decimal = ZERO

    @property
    def government(self) -> Decimal:
        return self.province + self.city + self.county


def share_gaps(regions: list[RegionYear], rules: GapRules) -> tuple[list[GapShare], GapShare]:
    """Each region's gap (expenditure above revenue, else 0) and who covers it, and the
    total. A region whose gap is shared: the pooled surplus ``pooled_surplus`` of it,
    the governments the rest, split province / city / county by the configured ratios
    (county takes the remainder). A region that missed its target, under the rule: its
    own city and counties carry all of it, in the ratio of their configured shares."""
    out = []
    total = GapShare(code="")
    for region in regions:
        gap = max(region.expenditure - region.revenue, ZERO)
        share = GapShare(
            code=region.code, revenue=region.revenue, expenditure=region.expenditure, gap=gap,
            target_met=region.target_met,
        )  # fmt: skip
        if gap > 0:
            if not region.target_met and rules.own_gap_if_target_missed:
                share.carries_own = True
                local = rules.city + rules.county
                share.city = round_fen(gap * rules.city / local) if local else gap
                share.county = gap - share.city
            else:
                share.pooled_fund = round_fen(gap * rules.pooled_surplus)
                government = gap - share.pooled_fund
                share.province = round_fen(government * rules.province)
                share.city = round_fen(government * rules.city)
                share.county = government - share.province - share.city
        out.append(share)
        for name in ("revenue", "expenditure", "gap", "pooled_fund", "province", "city", "county"):
            setattr(total, name, getattr(total, name) + getattr(share, name))
    return out, total


# --- scorecards (考核) ----------------------------------------------------------------------------


def ratio(numerator: Decimal | int | None, denominator: Decimal | int | None) -> Decimal | None:
    """``numerator ÷ denominator`` to 4 decimals (half-up), None when not available."""
    if numerator is None or denominator is None or Decimal(denominator) == 0:
        return None
    return round_places(Decimal(numerator) / Decimal(denominator), 4)


def weighted_score(rates: dict[str, Decimal | None], weights: dict[str, Decimal]) -> Decimal | None:
    """The weighted score out of 100: Σ weight × min(rate, 1) over the indicators that
    are available, divided by the sum of their weights (2 decimals, half-up)."""
    used = {k: w for k, w in weights.items() if rates.get(k) is not None and w > 0}
    total_weight = sum(used.values(), ZERO)
    if not total_weight:
        return None
    points = sum((w * min(rates[k], ONE) for k, w in used.items()), ZERO)
    return round_places(points / total_weight * HUNDRED, 2)


# --- execution (预算执行) -------------------------------------------------------------------------


def execution_alert(
    *, actual: Decimal, budget: Decimal, elapsed_months: int, threshold: Decimal
) -> tuple[Decimal | None, Decimal, bool]:
    """(execution share, elapsed share, alert): the share of the year's budget executed,
    the share of the year elapsed (months ÷ 12), and whether they differ by the
    threshold or more (an alert at the threshold, none below it)."""
    elapsed = Decimal(elapsed_months) / Decimal(12)
    if not budget:
        return None, round_places(elapsed, 4), False
    share = actual / budget
    return round_places(share, 4), round_places(elapsed, 4), abs(share - elapsed) >= threshold


# --- the draft and the projection (预算草案, 基金预测) ------------------------------------------


@dataclass(frozen=True)
class Forecast:
    """The forecast parameters of a draft (预测参数), as rates (0.05 = 5 %)."""

    insured_growth: Decimal
    contributor_growth: Decimal
    wage_growth: Decimal
    collection_rate: Decimal
    adjustment_rate: Decimal

    def as_dict(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class CityBase:
    """A city's figures of last year that the draft starts from."""

    code: str
    assessed: Decimal  # the year's assessed contributions
    retirees: int  # at the year's end
    average_pension: Decimal  # monthly, at the year's end
    retiring_next_year: int  # from the age structure
    other: dict[str, Decimal] = field(default_factory=dict)  # the ledger's other items


def draft_city(base: CityBase, forecast: Forecast) -> dict[str, Decimal]:
    """A city's draft items: contribution income = last year's assessed × (1 +
    contributor growth) × (1 + wage growth) × collection rate; pension expenditure =
    (retirees × 12 + new retirees × 6, half a year on average) × average pension × (1 +
    adjustment rate); the ledger's other items as last year's."""
    income = round_fen(
        base.assessed * (ONE + forecast.contributor_growth) * (ONE + forecast.wage_growth)
        * forecast.collection_rate
    )  # fmt: skip
    pension = round_fen(
        (Decimal(base.retirees) * 12 + Decimal(base.retiring_next_year) * 6)
        * base.average_pension * (ONE + forecast.adjustment_rate)
    )  # fmt: skip
    return {**base.other, "contribution_income": income, "pension_expenditure": pension}


@dataclass(frozen=True)
class ProjectionYear:
    year: int
    income: Decimal
    expenditure: Decimal
    balance: Decimal
    reserve_months: Decimal | None


def project(
    *, year: int, income: Decimal, expenditure: Decimal, opening_balance: Decimal,
    contribution_share: Decimal, forecast: Forecast, retiree_growth: Decimal, years: int = 5,
) -> list[ProjectionYear]:  # fmt: skip
    """Five years of the pooled fund from the budget year: contribution income (its
    ``contribution_share`` of income) grows with contributors and wages, the rest of
    income stays; expenditure grows with retirees and the adjustment rate; the balance
    carries over; months of reserve = balance ÷ (expenditure ÷ 12)."""
    out = []
    balance = opening_balance
    contributions = income * contribution_share
    other = income - contributions
    for offset in range(years):
        if offset:
            contributions *= (ONE + forecast.contributor_growth) * (ONE + forecast.wage_growth)
            expenditure *= (ONE + retiree_growth) * (ONE + forecast.adjustment_rate)
        year_income = round_fen(contributions + other)
        year_expenditure = round_fen(expenditure)
        balance = balance + year_income - year_expenditure
        months = round_places(balance / (year_expenditure / 12), 1) if year_expenditure else None
        out.append(ProjectionYear(year + offset, year_income, year_expenditure, balance, months))
    return out
