"""Pure pension arithmetic (养老金计发): the determination of a monthly pension and the
survivors' benefits (DESIGN §4, §5.4; operations standard §9.2, §9.5).

Nothing here reads the database. Every policy value comes in as an argument (the
caller looks it up with ``pension.selectors.policy_value`` and passes
``PolicyValue.value`` in, keeping ``PolicyValue.reference`` in ``sources``), and
every function returns a frozen dataclass that keeps the inputs, the intermediates
and the explanation lines, so a stored determination can be shown and checked later
without looking anything up again. The formulas, rounding points and the choices made
where DESIGN is silent are in ``docs/calculations.md``.

Arithmetic is exact: intermediates are ``fractions.Fraction`` built from the
``Decimal`` inputs, so an index is never rounded before use. Rounding, half-up, only
happens at these points:

* the months divisor, to one decimal (to the month, from 2025);
* the contribution years N (and the deemed and actual years), to the profile's
  decimals (Shanxi 4, Jilin 2), before use;
* each component of the pension, to the fen; the total is the sum of the rounded
  components;
* each survivors' benefit, to the fen.

Indices are reported as ``Decimal`` to ``EXACT_PLACES`` decimals for showing and
storing (and the exact ``Fraction`` is kept beside them); the pension is computed from
the exact value.

Explanation lines are ``Line(msgid, params)``: ``msgid`` is the English text marked
with ``gettext_noop`` (so ``make messages`` collects it), with named placeholders, and
``params`` the values already formatted as strings; ``Line.render()`` translates it in
the active language (Chinese on the pages).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext, gettext_noop

from pension.money import FEN, INDEX_DECIMAL_PLACES, to_decimal
from pension.periods import Period
from pension.policy import StatutoryRetirement, minimum_contribution_months, statutory_retirement

__all__ = [
    "DUAL_BASE",
    "EXACT_PLACES",
    "SINGLE_BASE",
    "AverageIndex",
    "Determination",
    "Divisor",
    "Eligibility",
    "ExtraTier",
    "Line",
    "Overpayment",
    "ProfileRules",
    "SurvivorBenefits",
    "YearContribution",
    "YearIndex",
    "age_at",
    "average_index",
    "contribution_years",
    "determine",
    "eligibility",
    "funeral_grant",
    "heirs_account_balance",
    "months_divisor",
    "overpayment_after_death",
    "survivor_benefits",
    "survivors_pension_months",
]

SINGLE_BASE = "single_base"  # (C + C × Z) ÷ 2 × N × 1 %  (Shanxi)
DUAL_BASE = "dual_base"  # (C_local + C_province × Z) ÷ 2 × N × 1 %  (Jilin)
FORMULAS = (SINGLE_BASE, DUAL_BASE)

# Decimals with which exact intermediates (indices) are reported. The pension is
# computed from the exact value; 20 decimals change no amount by a millionth of a fen.
EXACT_PLACES = 20
ONE_PERCENT = Fraction(1, 100)


# Helpers ----------------------------------------------------------------------------


def _decimal(name: str, value: object) -> Decimal:
    """``value`` as a finite Decimal; floats (and bools, other types) raise TypeError."""
    try:
        return to_decimal(value)  # type: ignore[arg-type]
    except TypeError as exc:
        raise TypeError(f"{name}: {exc}") from None
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _amount(
    name: str, value: object, *, whole_fen: bool = False, positive: bool = False
) -> Decimal:
    result = _decimal(name, value)
    if result < 0 or (positive and result == 0):
        raise ValueError(f"{name} must be {'positive' if positive else 'non-negative'}: {result}")
    if whole_fen and result != result.quantize(FEN):
        raise ValueError(f"{name} must be a whole number of fen: {result}")
    return result


def _months(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int number of months, not {type(value).__name__}.")
    if value < 0:
        raise ValueError(f"{name} must not be negative: {value}")
    return value


def _date(name: str, value: object) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"{name} must be a date, not {type(value).__name__}.")
    return value


def round_half_up(value: Fraction, places: int) -> Decimal:
    """The exact ``value`` rounded half-up (away from zero) to ``places`` decimals."""
    scaled = Fraction(value) * 10**places
    units = math.floor(abs(scaled) + Fraction(1, 2))
    return Decimal(-units if scaled < 0 else units).scaleb(-places)


def _fen(value: Fraction) -> Decimal:
    return round_half_up(value, 2)


def _exact(value: Fraction) -> Decimal:
    """An exact quantity reported to ``EXACT_PLACES`` decimals."""
    return round_half_up(value, EXACT_PLACES)


def _show_index(value: Fraction | Decimal) -> str:
    """An index as shown on a page: ``INDEX_DECIMAL_PLACES`` decimals (the calculation
    uses the exact value)."""
    return str(round_half_up(Fraction(value), INDEX_DECIMAL_PLACES))


def _show_rate(value: Decimal | Fraction) -> str:
    """A rate as a percentage: ``0.013`` → ``1.3 %``."""
    percent = Fraction(value) * 100
    text = str(round_half_up(percent, 6)).rstrip("0").rstrip(".")
    return f"{text} %"


def _plain(value: Decimal) -> str:
    """A decimal without exponent notation."""
    return format(value, "f")


@dataclass(frozen=True)
class Line:
    """One line of an explanation: an English msgid with named placeholders and its
    parameters, already formatted. ``render()`` gives it in the active language."""

    msgid: str
    params: Mapping[str, str] = field(default_factory=dict)

    def render(self) -> str:
        return gettext(self.msgid) % dict(self.params)

    def as_json(self) -> list[Any]:
        return [self.msgid, dict(self.params)]


# 1. Age at retirement and the months divisor (计发月数) ----------------------------------


def age_at(birth_date: date, on: date) -> tuple[int, int]:
    """Age on ``on`` in whole years and months, counted from the birth month to the month
    of ``on`` (the day of the month is not counted: the statutory age is reached in the
    birth month, ``pension.policy.statutory_retirement``)."""
    months = Period.from_date(_date("on", on)) - Period.from_date(_date("birth_date", birth_date))
    if months < 0:
        raise ValueError(f"{on} is before the birth date {birth_date}.")
    return divmod(months, 12)


@dataclass(frozen=True)
class Divisor:
    """The months divisor (计发月数) for an age at retirement, and how it was reached."""

    age_years: int
    age_months: int
    to_the_month: bool
    upper: int  # T(Y)
    lower: int  # T(Y + 1)
    value: Decimal
    explanation: tuple[Line, ...]


def _table_months(table: Mapping[str, Any], age: int) -> int:
    by_age = {int(key): int(value) for key, value in table["by_age"].items()}
    if age in by_age:
        return by_age[age]
    if age < min(by_age):
        return int(table["below_min"])
    if age > max(by_age):
        return int(table["above_max"])
    raise ValueError(f"The months divisor table has no row for age {age}.")


def months_divisor(age_years: int, age_months: int, *, table: Mapping[str, Any]) -> Divisor:
    """The months divisor for an age of ``age_years`` years and ``age_months`` months.

    ``table`` is ``benefits.months_divisor`` on the retirement date: ``by_age`` (whole
    age → months: 50 → 195, 55 → 170, 60 → 139 …), ``below_min`` and ``above_max``
    for ages outside it, and ``to_the_month`` (true from 2025-01-01). Whole age:
    T(Y). To the month: T(Y) − (T(Y) − T(Y + 1)) × m ÷ 12, rounded half-up to one
    decimal (60 years 1 month: 139 − 7 × 1 ÷ 12 = 138.4166… → 138.4).
    """
    years = _months("age_years", age_years)
    months = _months("age_months", age_months)
    if months > 11:
        raise ValueError(f"age_months must be 0 to 11: {months}")
    upper = _table_months(table, years)
    lower = _table_months(table, years + 1)
    to_the_month = bool(table.get("to_the_month"))
    if to_the_month:
        value = round_half_up(Fraction(upper) - Fraction(upper - lower) * months / 12, 1)
        explanation = (
            Line(
                gettext_noop(
                    "Months divisor to the month for age %(years)s y %(months)s m: "
                    "%(upper)s − (%(upper)s − %(lower)s) × %(months)s ÷ 12 = %(divisor)s "
                    "(half-up to one decimal)."
                ),
                {
                    "years": str(years),
                    "months": str(months),
                    "upper": str(upper),
                    "lower": str(lower),
                    "divisor": str(value),
                },
            ),
        )
    else:
        value = Decimal(upper)
        explanation = (
            Line(
                gettext_noop("Months divisor for the whole age of %(years)s: %(divisor)s."),
                {"years": str(years), "divisor": str(value)},
            ),
        )
    return Divisor(years, months, to_the_month, upper, lower, value, explanation)


# 2. Average contribution index Z (平均缴费指数) --------------------------------------------


@dataclass(frozen=True)
class YearContribution:
    """A person's contributions in one calendar year: the months contributed and the sum
    of the monthly contribution bases of those months."""

    year: int
    months: int  # 1..12
    base_total: Decimal  # Σ monthly bases of those months
    # months transferred in from another province (国办发〔2009〕66号): Σ of the monthly
    # indices that province recorded; the year's index is then index_total ÷ months,
    # not this province's average wage
    index_total: Decimal | None = None

    def __post_init__(self) -> None:
        if isinstance(self.year, bool) or not isinstance(self.year, int):
            raise TypeError(f"year must be an int, not {type(self.year).__name__}.")
        months = _months(f"months of {self.year}", self.months)
        if not 1 <= months <= 12:
            raise ValueError(f"months of {self.year} must be 1 to 12: {months}")
        base = _amount(f"base_total of {self.year}", self.base_total, whole_fen=True)
        object.__setattr__(self, "base_total", base.quantize(FEN))
        if self.index_total is not None:
            total = _amount(f"index_total of {self.year}", self.index_total, positive=True)
            object.__setattr__(self, "index_total", total)

    @property
    def transferred(self) -> bool:
        return self.index_total is not None


@dataclass(frozen=True)
class YearIndex:
    """One year's contribution index: average monthly base ÷ last year's average wage."""

    year: int
    months: int
    base_total: Decimal
    # the provincial average monthly wage of year − 1; None for months transferred in,
    # whose index the other province recorded
    average_wage: Decimal | None
    index_exact: Fraction

    @property
    def transferred(self) -> bool:
        return self.average_wage is None

    @property
    def average_base(self) -> Fraction:
        return Fraction(self.base_total) / self.months

    @property
    def index(self) -> Decimal:
        return _exact(self.index_exact)


@dataclass(frozen=True)
class AverageIndex:
    """The average contribution index Z and what it averages."""

    years: tuple[YearIndex, ...]  # in year order
    actual_months: int  # Σ months of ``years``
    deemed_months: int
    deemed_index: Decimal
    z_exact: Fraction
    explanation: tuple[Line, ...]

    @property
    def months(self) -> int:
        return self.actual_months + self.deemed_months

    @property
    def z(self) -> Decimal:
        return _exact(self.z_exact)


def average_index(
    contributions: Iterable[YearContribution],
    *,
    average_wages: Mapping[int, Decimal],
    deemed_months: int = 0,
    deemed_index: Decimal = Decimal(1),
) -> AverageIndex:
    """The average contribution index Z (平均缴费指数, 国发〔2005〕38号).

    Each year's index = the person's average monthly base that year (``base_total ÷
    months``) ÷ the provincial average monthly wage of the year before
    (``average_wages[year − 1]``, keyed by the year the wage was earned, i.e. the
    statistics year); Z = Σ(index × months) + deemed index × deemed months, divided by
    all months. Deemed months count with ``deemed_index`` (``benefits.deemed_index``,
    1.0 in both profiles). Exact: nothing is rounded.
    """
    deemed_months = _months("deemed_months", deemed_months)
    deemed_index = _amount("deemed_index", deemed_index)
    items = sorted(contributions, key=lambda item: item.year)
    seen: set[tuple[int, bool]] = set()
    years: list[YearIndex] = []
    lines: list[Line] = []
    for item in items:
        if not isinstance(item, YearContribution):
            raise TypeError(f"Not a YearContribution: {item!r}")
        if (item.year, item.transferred) in seen:
            raise ValueError(f"The year {item.year} appears twice.")
        seen.add((item.year, item.transferred))
        if item.index_total is not None:
            index = Fraction(item.index_total) / item.months
            years.append(YearIndex(item.year, item.months, item.base_total, None, index))
            lines.append(
                Line(
                    gettext_noop(
                        "%(year)s, transferred in from another province: %(months)s months, "
                        "bases %(base_total)s, indices recorded there Σ %(index_total)s ÷ "
                        "%(months)s = index %(index)s."
                    ),
                    {
                        "year": str(item.year),
                        "months": str(item.months),
                        "base_total": str(item.base_total),
                        "index_total": _plain(item.index_total),
                        "index": _show_index(index),
                    },
                )
            )
            continue
        if item.year - 1 not in average_wages:
            raise ValueError(f"No average wage of {item.year - 1} for the index of {item.year}.")
        wage = _amount(
            f"average wage of {item.year - 1}", average_wages[item.year - 1], positive=True
        )
        index = Fraction(item.base_total) / item.months / Fraction(wage)
        year = YearIndex(item.year, item.months, item.base_total, wage, index)
        years.append(year)
        lines.append(
            Line(
                gettext_noop(
                    "%(year)s: %(months)s months, bases %(base_total)s, average monthly base "
                    "%(average_base)s ÷ average wage of %(prior_year)s %(wage)s = index "
                    "%(index)s."
                ),
                {
                    "year": str(item.year),
                    "months": str(item.months),
                    "base_total": str(item.base_total),
                    "average_base": str(_fen(year.average_base)),
                    "prior_year": str(item.year - 1),
                    "wage": _plain(wage),
                    "index": _show_index(index),
                },
            )
        )
    actual = sum(year.months for year in years)
    total = actual + deemed_months
    if total == 0:
        raise ValueError("No contribution months: the average index is undefined.")
    weighted = sum((year.index_exact * year.months for year in years), Fraction(0))
    weighted += Fraction(deemed_index) * deemed_months
    z = weighted / total
    if deemed_months:
        lines.append(
            Line(
                gettext_noop("Deemed contribution: %(months)s months at index %(index)s."),
                {"months": str(deemed_months), "index": _plain(deemed_index)},
            )
        )
    lines.append(
        Line(
            gettext_noop(
                "Average contribution index Z = Σ(index × months) ÷ %(months)s months = "
                "%(z)s (used unrounded)."
            ),
            {"months": str(total), "z": _show_index(z)},
        )
    )
    return AverageIndex(tuple(years), actual, deemed_months, deemed_index, z, tuple(lines))


# 3. Contribution years N (缴费年限) -----------------------------------------------------


def contribution_years(months: int, *, decimals: int) -> Decimal:
    """Months ÷ 12, rounded half-up to ``decimals`` (``benefits.
    contribution_years_decimals``: Shanxi 4, Jilin 2), as the approval sheets show it.
    425 months: 35.4167 (4) or 35.42 (2)."""
    months = _months("months", months)
    if isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0:
        raise ValueError(f"decimals must be a non-negative int: {decimals!r}")
    return round_half_up(Fraction(months, 12), decimals)


# 4. Eligibility (领取条件) ---------------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    """Whether a retirement date and the months contributed meet the conditions."""

    birth_date: date
    retirement_date: date
    statutory: StatutoryRetirement
    earliest: Period  # flexible early retirement, never below the original age
    latest: Period  # flexible late retirement
    minimum_months: int  # by the year of retirement
    contribution_months: int  # actual + deemed
    age_reached: bool
    months_met: bool

    @property
    def eligible(self) -> bool:
        return self.age_reached and self.months_met


def eligibility(
    *,
    birth_date: date,
    sex: str,
    occupation_kind: str,
    retirement_date: date,
    contribution_months: int,
    age_table: Mapping[str, Any],
    minimum_table: Mapping[str, Any],
) -> Eligibility:
    """Check a retirement date against the statutory age (``benefits.retirement_age``,
    with the cohort delay, flexible early retirement up to ``flexible_early_months``
    before it but never before the original age, and late retirement up to
    ``flexible_late_months`` after it) and the minimum contribution months for the
    year of retirement (``benefits.minimum_contribution_months``)."""
    birth_date = _date("birth_date", birth_date)
    retirement_date = _date("retirement_date", retirement_date)
    months = _months("contribution_months", contribution_months)
    statutory = statutory_retirement(
        birth_date, sex=sex, occupation_kind=occupation_kind, table=dict(age_table)
    )
    original = Period(birth_date.year + statutory.base_age, birth_date.month)
    early = int(age_table.get("flexible_early_months") or 0)
    late = int(age_table.get("flexible_late_months") or 0)
    earliest = max(original, statutory.month - early)
    latest = statutory.month + late
    month = Period.from_date(retirement_date)
    minimum = minimum_contribution_months(retirement_date.year, dict(minimum_table))
    return Eligibility(
        birth_date=birth_date,
        retirement_date=retirement_date,
        statutory=statutory,
        earliest=earliest,
        latest=latest,
        minimum_months=minimum,
        contribution_months=months,
        age_reached=earliest <= month <= latest,
        months_met=months >= minimum,
    )


# 5. The determination (待遇核定) ----------------------------------------------------------


@dataclass(frozen=True)
class ExtraTier:
    """A band of total contribution years for the extra pension and its rate per year."""

    from_years: Decimal
    to_years: Decimal | None  # None: no upper end
    rate: Decimal  # per year, as a fraction (0.0015 for 0.15 %)


@dataclass(frozen=True)
class ProfileRules:
    """The province profile's determination rules (policy values as of retirement)."""

    formula: str  # SINGLE_BASE | DUAL_BASE (benefits.basic_pension_formula)
    years_decimals: int  # benefits.contribution_years_decimals
    deemed_index: Decimal  # benefits.deemed_index
    transitional_coefficient: Decimal  # benefits.transitional_coefficient
    transitional_coefficient_long: Decimal | None = None  # … _long
    transitional_long_years: Decimal | None = None  # benefits.transitional_long_years
    extra_threshold_years: Decimal | None = None  # benefits.extra_pension threshold_years
    extra_tiers: tuple[ExtraTier, ...] = ()  # benefits.extra_pension tiers
    sources: tuple[str, ...] = ()  # PolicyValue.reference of each value

    def __post_init__(self) -> None:
        if self.formula not in FORMULAS:
            raise ValueError(f"Unknown basic pension formula: {self.formula!r}")
        if isinstance(self.years_decimals, bool) or not isinstance(self.years_decimals, int):
            raise TypeError("years_decimals must be an int.")
        object.__setattr__(self, "deemed_index", _amount("deemed_index", self.deemed_index))
        object.__setattr__(
            self,
            "transitional_coefficient",
            _amount("transitional_coefficient", self.transitional_coefficient),
        )
        for name in (
            "transitional_coefficient_long",
            "transitional_long_years",
            "extra_threshold_years",
        ):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, _amount(name, getattr(self, name)))
        if (self.transitional_coefficient_long is None) != (self.transitional_long_years is None):
            raise ValueError(
                "Give both transitional_coefficient_long and transitional_long_years, or neither."
            )
        object.__setattr__(self, "extra_tiers", tuple(self.extra_tiers))
        object.__setattr__(self, "sources", tuple(self.sources))

    @classmethod
    def from_policy(cls, values: Mapping[str, Any], *, sources: Sequence[str] = ()) -> ProfileRules:
        """Rules from policy values by key (``{"benefits.deemed_index": Decimal("1.0"), …}``);
        the ``_long`` keys and ``benefits.extra_pension`` may be missing."""
        extra = values.get("benefits.extra_pension") or {}
        threshold = extra.get("threshold_years")
        tiers = tuple(
            ExtraTier(
                from_years=_decimal("tier from", str(tier["from"])),
                to_years=None if tier.get("to") is None else _decimal("tier to", str(tier["to"])),
                rate=_decimal("tier rate", str(tier["rate"])),
            )
            for tier in extra.get("tiers") or ()
        )
        long_coefficient = values.get("benefits.transitional_coefficient_long")
        long_years = values.get("benefits.transitional_long_years")
        return cls(
            formula=values["benefits.basic_pension_formula"],
            years_decimals=int(values["benefits.contribution_years_decimals"]),
            deemed_index=values["benefits.deemed_index"],
            transitional_coefficient=values["benefits.transitional_coefficient"],
            transitional_coefficient_long=long_coefficient,
            transitional_long_years=long_years,
            extra_threshold_years=None
            if threshold is None
            else _decimal("threshold", str(threshold)),
            extra_tiers=tiers if threshold is not None else (),
            sources=tuple(sources),
        )


@dataclass(frozen=True)
class Determination:
    """A pension determination (养老金核定): every input, intermediate and component.

    Components are rounded half-up to the fen; ``total`` is their sum.
    """

    # inputs
    birth_date: date
    retirement_date: date
    contributions: tuple[YearContribution, ...]
    average_wages: Mapping[int, Decimal]  # the ones used, by statistics year
    deemed_months: int
    account_balance: Decimal  # personal account balance at retirement
    calculation_base: Decimal  # C_province (计发基数)
    local_calculation_base: Decimal  # C_local (= C_province but under dual_base for Changchun)
    transitional_index_given: Decimal | None
    rules: ProfileRules
    divisor_table: Mapping[str, Any]
    # intermediates
    index: AverageIndex
    divisor: Divisor
    actual_months: int
    contribution_months: int  # actual + deemed
    contribution_years: Decimal  # N, rounded to the profile's decimals
    actual_years: Decimal  # same decimals
    deemed_years: Decimal  # same decimals
    transitional_index_exact: Fraction
    transitional_coefficient: Decimal
    extra_rate: Decimal  # Σ tier years × rate (0 when no extra pension)
    # components
    basic_pension: Decimal  # 基础养老金
    account_pension: Decimal  # 个人账户养老金
    transitional_pension: Decimal  # 过渡性养老金
    extra_pension: Decimal  # 长缴增发 (Jilin)
    total: Decimal
    explanation: tuple[Line, ...]

    @property
    def z(self) -> Decimal:
        """The average contribution index, unrounded (to ``EXACT_PLACES``)."""
        return self.index.z

    @property
    def transitional_index(self) -> Decimal:
        return _exact(self.transitional_index_exact)

    @property
    def sources(self) -> tuple[str, ...]:
        return self.rules.sources

    def as_json(self) -> dict[str, Any]:
        """Everything a stored determination keeps, as JSON-safe values."""
        return {
            "birth_date": self.birth_date.isoformat(),
            "retirement_date": self.retirement_date.isoformat(),
            "age": [self.divisor.age_years, self.divisor.age_months],
            "contributions": [
                {
                    "year": y.year,
                    "months": y.months,
                    "base_total": str(y.base_total),
                    "average_wage": None if y.transferred else _plain(y.average_wage),
                    "index": str(y.index),
                    "transferred": y.transferred,
                }
                for y in self.index.years
            ],
            "deemed_months": self.deemed_months,
            "deemed_index": _plain(self.rules.deemed_index),
            "actual_months": self.actual_months,
            "contribution_months": self.contribution_months,
            "z": str(self.z),
            "contribution_years": str(self.contribution_years),
            "actual_years": str(self.actual_years),
            "deemed_years": str(self.deemed_years),
            "account_balance": str(self.account_balance),
            "divisor": str(self.divisor.value),
            "calculation_base": _plain(self.calculation_base),
            "local_calculation_base": _plain(self.local_calculation_base),
            "formula": self.rules.formula,
            "transitional_index": str(self.transitional_index),
            "transitional_index_given": self.transitional_index_given is not None,
            "transitional_coefficient": _plain(self.transitional_coefficient),
            "extra_rate": _plain(self.extra_rate),
            "basic_pension": str(self.basic_pension),
            "account_pension": str(self.account_pension),
            "transitional_pension": str(self.transitional_pension),
            "extra_pension": str(self.extra_pension),
            "total": str(self.total),
            "sources": list(self.sources),
            "explanation": [line.as_json() for line in self.explanation],
        }


def _extra_rate(rules: ProfileRules, years: Decimal) -> tuple[Decimal, list[Line]]:
    """Σ over the tiers of (total years inside the tier) × the tier's rate (exact: both
    are short decimals)."""
    rate = Decimal(0)
    lines: list[Line] = []
    for tier in rules.extra_tiers:
        top = years if tier.to_years is None else min(years, tier.to_years)
        inside = top - tier.from_years
        if inside <= 0:
            continue
        rate += inside * tier.rate
        params = {
            "from": _plain(tier.from_years),
            "years": _plain(inside.quantize(years)),  # with N's decimals
            "rate": _show_rate(tier.rate),
        }
        if tier.to_years is None:
            msgid = gettext_noop(
                "Extra pension, years above %(from)s: %(years)s years × %(rate)s a year."
            )
        else:
            params["to"] = _plain(tier.to_years)
            msgid = gettext_noop(
                "Extra pension, years %(from)s to %(to)s: %(years)s years × %(rate)s a year."
            )
        lines.append(Line(msgid, params))
    return rate, lines


def determine(
    *,
    birth_date: date,
    retirement_date: date,
    contributions: Iterable[YearContribution],
    average_wages: Mapping[int, Decimal],
    deemed_months: int,
    account_balance: Decimal,
    calculation_base: Decimal,
    local_calculation_base: Decimal | None = None,
    rules: ProfileRules,
    divisor_table: Mapping[str, Any],
    transitional_index: Decimal | None = None,
) -> Determination:
    """Determine the monthly pension (养老金核定, DESIGN §5.4).

    * basic pension = (C_local + C_province × Z) ÷ 2 × N × 1 %; under ``single_base``
      (Shanxi) C_local = C_province = C; under ``dual_base`` (Jilin) C_local is
      ``local_calculation_base`` (Changchun's own base) or, when not given, C_province;
    * Z from ``average_index`` (deemed months at the profile's deemed index), exact;
    * N = (actual + deemed months) ÷ 12 rounded to the profile's decimals;
    * personal account pension = ``account_balance`` ÷ the months divisor for the age
      at retirement (``months_divisor`` with ``divisor_table``);
    * transitional pension = C_province × transitional index × deemed years ×
      coefficient; the transitional index is ``transitional_index`` where the records
      give one, otherwise Z; the coefficient is ``transitional_coefficient_long`` where
      actual years exceed ``transitional_long_years`` (Jilin 1.4 % above 20), else
      ``transitional_coefficient`` (Shanxi 1.3 %, Jilin 1.2 %);
    * extra pension (Jilin 长缴增发) where actual years exceed the threshold:
      (C_local + C_province × Z) ÷ 2 × Σ(total years in each band × the band's rate);
    * each component rounded half-up to the fen; total = Σ components.
    """
    birth_date = _date("birth_date", birth_date)
    retirement_date = _date("retirement_date", retirement_date)
    if not isinstance(rules, ProfileRules):
        raise TypeError(f"rules must be ProfileRules, not {type(rules).__name__}.")
    kept = tuple(sorted(contributions, key=lambda item: getattr(item, "year", 0)))
    deemed_months = _months("deemed_months", deemed_months)
    balance = _amount("account_balance", account_balance, whole_fen=True)
    c_province = _amount("calculation_base", calculation_base, positive=True)
    if rules.formula == SINGLE_BASE:
        if (
            local_calculation_base is not None
            and _decimal("local", local_calculation_base) != c_province
        ):
            raise ValueError(
                "The single-base formula has one calculation base; no local base applies."
            )
        c_local = c_province
    elif local_calculation_base is None:
        c_local = c_province
    else:
        c_local = _amount("local_calculation_base", local_calculation_base, positive=True)
    given = (
        None if transitional_index is None else _amount("transitional_index", transitional_index)
    )

    years_of_age, months_of_age = age_at(birth_date, retirement_date)
    lines: list[Line] = [
        Line(
            gettext_noop("Born %(birth)s, retiring %(retirement)s: age %(years)s y %(months)s m."),
            {
                "birth": birth_date.isoformat(),
                "retirement": retirement_date.isoformat(),
                "years": str(years_of_age),
                "months": str(months_of_age),
            },
        )
    ]
    divisor = months_divisor(years_of_age, months_of_age, table=divisor_table)
    index = average_index(
        kept,
        average_wages=average_wages,
        deemed_months=deemed_months,
        deemed_index=rules.deemed_index,
    )
    lines.extend(index.explanation)
    z = index.z_exact

    decimals = rules.years_decimals
    months = index.months
    n = contribution_years(months, decimals=decimals)
    actual_years = contribution_years(index.actual_months, decimals=decimals)
    deemed_years = contribution_years(deemed_months, decimals=decimals)
    lines.append(
        Line(
            gettext_noop(
                "Contribution years N = (%(actual)s actual + %(deemed)s deemed months) ÷ 12 = "
                "%(years)s (%(decimals)s decimals)."
            ),
            {
                "actual": str(index.actual_months),
                "deemed": str(deemed_months),
                "years": str(n),
                "decimals": str(decimals),
            },
        )
    )

    # basic pension (基础养老金)
    pair = (Fraction(c_local) + Fraction(c_province) * z) / 2
    basic = _fen(pair * Fraction(n) * ONE_PERCENT)
    if rules.formula == SINGLE_BASE:
        lines.append(
            Line(
                gettext_noop(
                    "Basic pension = (%(base)s + %(base)s × %(z)s) ÷ 2 × %(years)s × 1 %% = "
                    "%(amount)s."
                ),
                {
                    "base": _plain(c_province),
                    "z": _show_index(z),
                    "years": str(n),
                    "amount": str(basic),
                },
            )
        )
    else:
        lines.append(
            Line(
                gettext_noop(
                    "Basic pension = (%(local)s + %(province)s × %(z)s) ÷ 2 × %(years)s × 1 %% = "
                    "%(amount)s."
                ),
                {
                    "local": _plain(c_local),
                    "province": _plain(c_province),
                    "z": _show_index(z),
                    "years": str(n),
                    "amount": str(basic),
                },
            )
        )

    # personal account pension (个人账户养老金)
    lines.extend(divisor.explanation)
    account = _fen(Fraction(balance) / Fraction(divisor.value))
    lines.append(
        Line(
            gettext_noop(
                "Personal account pension = balance %(balance)s ÷ %(divisor)s = %(amount)s."
            ),
            {"balance": str(balance), "divisor": str(divisor.value), "amount": str(account)},
        )
    )

    # transitional pension (过渡性养老金)
    actual_exact = Fraction(index.actual_months, 12)  # compared unrounded
    long_years = rules.transitional_long_years
    long = long_years is not None and actual_exact > Fraction(long_years)
    coefficient = rules.transitional_coefficient_long if long else rules.transitional_coefficient
    assert coefficient is not None
    transitional_index_exact = z if given is None else Fraction(given)
    transitional = _fen(
        Fraction(c_province)
        * transitional_index_exact
        * Fraction(deemed_years)
        * Fraction(coefficient)
    )
    if deemed_months:
        lines.append(
            Line(
                gettext_noop(
                    "Transitional pension = %(base)s × %(index)s × %(years)s deemed years × "
                    "%(coefficient)s = %(amount)s."
                ),
                {
                    "base": _plain(c_province),
                    "index": _show_index(transitional_index_exact),
                    "years": str(deemed_years),
                    "coefficient": _show_rate(coefficient),
                    "amount": str(transitional),
                },
            )
        )
        if given is not None:
            lines.append(
                Line(gettext_noop("The transitional index is taken from the records."), {})
            )
        else:
            lines.append(
                Line(
                    gettext_noop("The records give no transitional index: it is taken equal to Z."),
                    {},
                )
            )
    else:
        lines.append(Line(gettext_noop("No deemed years: no transitional pension."), {}))

    # extra pension (长缴增发)
    extra_rate = Decimal(0)
    extra = Decimal("0.00")
    threshold = rules.extra_threshold_years
    if threshold is not None and rules.extra_tiers:
        if actual_exact > Fraction(threshold):
            extra_rate, tier_lines = _extra_rate(rules, n)
            extra = _fen(pair * Fraction(extra_rate))
            lines.extend(tier_lines)
            lines.append(
                Line(
                    gettext_noop(
                        "Extra pension = (%(local)s + %(province)s × %(z)s) ÷ 2 × %(rate)s = "
                        "%(amount)s."
                    ),
                    {
                        "local": _plain(c_local),
                        "province": _plain(c_province),
                        "z": _show_index(z),
                        "rate": _show_rate(extra_rate),
                        "amount": str(extra),
                    },
                )
            )
        else:
            lines.append(
                Line(
                    gettext_noop(
                        "Actual contribution years %(years)s do not exceed %(threshold)s: "
                        "no extra pension."
                    ),
                    {"years": str(actual_years), "threshold": _plain(threshold)},
                )
            )

    total = basic + account + transitional + extra
    lines.append(
        Line(
            gettext_noop(
                "Monthly pension = %(basic)s + %(account)s + %(transitional)s + %(extra)s = "
                "%(total)s."
            ),
            {
                "basic": str(basic),
                "account": str(account),
                "transitional": str(transitional),
                "extra": str(extra),
                "total": str(total),
            },
        )
    )
    wages_used = {year.year - 1: year.average_wage for year in index.years if not year.transferred}
    return Determination(
        birth_date=birth_date,
        retirement_date=retirement_date,
        contributions=kept,
        average_wages=wages_used,
        deemed_months=deemed_months,
        account_balance=balance,
        calculation_base=c_province,
        local_calculation_base=c_local,
        transitional_index_given=given,
        rules=rules,
        divisor_table=divisor_table,
        index=index,
        divisor=divisor,
        actual_months=index.actual_months,
        contribution_months=months,
        contribution_years=n,
        actual_years=actual_years,
        deemed_years=deemed_years,
        transitional_index_exact=transitional_index_exact,
        transitional_coefficient=coefficient,
        extra_rate=extra_rate,
        basic_pension=basic,
        account_pension=account,
        transitional_pension=transitional,
        extra_pension=extra,
        total=total,
        explanation=tuple(lines),
    )


# 6. Survivors (遗属待遇) ------------------------------------------------------------------


def funeral_grant(disposable_income: Decimal, *, months: Decimal = Decimal(2)) -> Decimal:
    """Funeral grant (丧葬补助金) = ``months`` (``survivors.funeral_grant_months``, 2) ×
    last year's urban per-capita monthly disposable income, to the fen."""
    income = _amount("disposable_income", disposable_income)
    return _fen(Fraction(income) * Fraction(_amount("months", months)))


def survivors_pension_months(contribution_months: int, *, table: Mapping[str, Any]) -> int:
    """Months of the survivors' pension (抚恤金计发月数) by contribution years, deemed
    included (``survivors.pension_months``): ``base_months`` (9) up to ``base_years``
    (15) years, ``per_extra_year`` (1) more for each whole further year, at most
    ``max_months`` (24). A part of a year does not count: 15 years 11 months → 9."""
    months = _months("contribution_months", contribution_months)
    base_months = int(table["base_months"])
    extra_years = max(0, (months - int(table["base_years"]) * 12) // 12)
    return min(int(table["max_months"]), base_months + int(table["per_extra_year"]) * extra_years)


def heirs_account_balance(balance_at_retirement: Decimal, account_pension_paid: Decimal) -> Decimal:
    """A retiree's personal account balance to the heirs: the balance at retirement less
    the account pension already paid, never below zero."""
    balance = _amount("balance_at_retirement", balance_at_retirement, whole_fen=True)
    paid = _amount("account_pension_paid", account_pension_paid, whole_fen=True)
    return _fen(Fraction(max(balance - paid, Decimal(0))))


@dataclass(frozen=True)
class SurvivorBenefits:
    """The survivors' benefits (遗属待遇) on a death, with the inputs."""

    death_date: date
    disposable_income: Decimal  # last year's urban per-capita monthly disposable income
    funeral_grant_months: Decimal
    contribution_months: int  # actual + deemed
    pension_months: int
    balance_at_retirement: Decimal | None  # None: not a retiree
    account_pension_paid: Decimal | None
    funeral_grant: Decimal  # 丧葬补助金
    survivors_pension: Decimal  # 抚恤金
    account_to_heirs: Decimal | None  # 个人账户余额 (retiree)
    sources: tuple[str, ...]
    explanation: tuple[Line, ...]

    @property
    def total(self) -> Decimal:
        return (
            self.funeral_grant + self.survivors_pension + (self.account_to_heirs or Decimal("0.00"))
        )


def survivor_benefits(
    *,
    death_date: date,
    disposable_income: Decimal,
    contribution_months: int,
    funeral_grant_months: Decimal,
    pension_months_table: Mapping[str, Any],
    balance_at_retirement: Decimal | None = None,
    account_pension_paid: Decimal | None = None,
    sources: Sequence[str] = (),
) -> SurvivorBenefits:
    """Funeral grant, survivors' pension and (for a retiree) the account balance to the
    heirs (人社部发〔2021〕18号, DESIGN §4, §5.4). ``disposable_income`` is the
    province's urban per-capita monthly disposable income of the year before the death
    (``survivors.disposable_income``)."""
    death_date = _date("death_date", death_date)
    income = _amount("disposable_income", disposable_income)
    grant_months = _amount("funeral_grant_months", funeral_grant_months)
    grant = funeral_grant(income, months=grant_months)
    months = survivors_pension_months(contribution_months, table=pension_months_table)
    pension = _fen(Fraction(income) * months)
    lines = [
        Line(
            gettext_noop("Funeral grant = %(months)s × %(income)s = %(amount)s."),
            {"months": _plain(grant_months), "income": _plain(income), "amount": str(grant)},
        ),
        Line(
            gettext_noop(
                "Survivors' pension: %(contribution)s contribution months give %(months)s "
                "months; %(months)s × %(income)s = %(amount)s."
            ),
            {
                "contribution": str(contribution_months),
                "months": str(months),
                "income": _plain(income),
                "amount": str(pension),
            },
        ),
    ]
    to_heirs = None
    if balance_at_retirement is not None:
        paid = account_pension_paid if account_pension_paid is not None else Decimal(0)
        to_heirs = heirs_account_balance(balance_at_retirement, paid)
        lines.append(
            Line(
                gettext_noop(
                    "Account balance to the heirs = %(balance)s − %(paid)s paid, not below zero "
                    "= %(amount)s."
                ),
                {
                    "balance": str(_fen(Fraction(balance_at_retirement))),
                    "paid": str(_fen(Fraction(paid))),
                    "amount": str(to_heirs),
                },
            )
        )
    elif account_pension_paid is not None:
        raise ValueError("account_pension_paid needs balance_at_retirement.")
    return SurvivorBenefits(
        death_date=death_date,
        disposable_income=income,
        funeral_grant_months=grant_months,
        contribution_months=contribution_months,
        pension_months=months,
        balance_at_retirement=None
        if balance_at_retirement is None
        else _amount("balance_at_retirement", balance_at_retirement),
        account_pension_paid=None
        if balance_at_retirement is None
        else _amount("account_pension_paid", account_pension_paid or Decimal(0)),
        funeral_grant=grant,
        survivors_pension=pension,
        account_to_heirs=to_heirs,
        sources=tuple(sources),
        explanation=tuple(lines),
    )


# 7. Overpayment after death (死亡后多发) ------------------------------------------------


@dataclass(frozen=True)
class Overpayment:
    """Pension paid for months after the month of death (pension stops from the next
    month): those months and their sum."""

    death_date: date
    last_due: Period  # the month of death: the last month owed
    periods: tuple[tuple[Period, Decimal], ...]  # the months paid after it, in order
    total: Decimal


def overpayment_after_death(
    death_date: date, payments: Iterable[tuple[Period, Decimal]]
) -> Overpayment:
    """What was paid for months after the month of death. ``payments`` are
    ``(period, amount)`` of the pension paid per month (several lines of a month are
    added up)."""
    death_date = _date("death_date", death_date)
    last_due = Period.from_date(death_date)
    by_period: dict[Period, Decimal] = {}
    for period, amount in payments:
        if not isinstance(period, Period):
            raise TypeError(f"Not a Period: {period!r}")
        value = _decimal(f"amount for {period}", amount)
        if period > last_due:
            by_period[period] = by_period.get(period, Decimal("0.00")) + value
    periods = tuple(sorted((p, _fen(Fraction(a))) for p, a in by_period.items()))
    total = _fen(Fraction(sum((a for _, a in periods), Decimal(0))))
    return Overpayment(death_date, last_due, periods, total)
