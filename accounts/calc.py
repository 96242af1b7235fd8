"""Pure arithmetic of personal pension accounts (个人账户): interest and the transfer
amount. No database; every function takes its inputs and returns them with the result.

Interest (DESIGN §5.3, 劳办发〔1997〕116号), with r the year's crediting rate:

- monthly product (月积数法), the default: interest = B × r × m ÷ 12 + r ÷ 12 ×
  Σ aₙ × (m − n + 1) over the year's entries aₙ of month n ≤ m, where B is the balance
  at the last year-end and m the months of the year counted (12 for a whole year, so
  an entry of month n earns 13 − n months; the month of leaving for a holder who
  retires, dies or moves mid-year). Computed as (B × r × m + r × Σ) ÷ 12.
- annual (年度计算法), for a profile that chooses it: interest = B × r + C × r ×
  1.083 ÷ 2 with C the year's net entries; a part year uses the monthly product (the
  annual method defines no part-year rule).
- the interest is rounded half-up to the fen once, per account and year.

Transfer to another province (国办发〔2009〕66号): the balance moves, and from the
pooled fund 12 % of the actual contribution bases of each year from 1998, part years
by month (the sum of the monthly bases the year actually has); each year's amount is
rounded half-up to the fen and the pooled amount is the sum of the rounded years.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from pension.money import round_fen, to_decimal

MONTHLY_PRODUCT = "monthly_product"
ANNUAL = "annual"
ANNUAL_FACTOR = Decimal("1.083")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class YearInterest:
    """The interest of one account for one year, with its inputs."""

    opening: Decimal
    credits: Decimal  # the year's entries other than interest, net
    weighted: Decimal  # Σ amount × months earned
    months: int
    rate: Decimal
    method: str
    interest: Decimal

    @property
    def closing(self) -> Decimal:
        return self.opening + self.credits + self.interest


def months_earned(month: int, months: int = 12) -> int:
    """Months an entry of ``month`` earns in a year counted to ``months``: m − n + 1."""
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} is not 1 to 12")
    return max(0, months - month + 1)


def year_interest(
    *,
    opening: Decimal,
    entries: Iterable[tuple[int, Decimal]],
    rate: Decimal,
    method: str = MONTHLY_PRODUCT,
    months: int = 12,
) -> YearInterest:
    """Interest of a year on ``opening`` (balance at the last year-end) and ``entries``
    ((month, amount) pairs of the year, interest excluded), counted to ``months``."""
    if method not in (MONTHLY_PRODUCT, ANNUAL):
        raise ValueError(f"unknown interest method {method!r}")
    if not 1 <= months <= 12:
        raise ValueError(f"months {months} is not 1 to 12")
    opening = to_decimal(opening)
    rate = to_decimal(rate)
    counted = [(month, to_decimal(amount)) for month, amount in entries if month <= months]
    credits = sum((amount for _, amount in counted), ZERO)
    weighted = sum((amount * months_earned(month, months) for month, amount in counted), ZERO)
    if method == ANNUAL and months == 12:
        interest = round_fen((opening * rate * 2 + credits * rate * ANNUAL_FACTOR) / 2)
    else:
        interest = round_fen((opening * rate * months + rate * weighted) / 12)
    return YearInterest(
        opening=opening,
        credits=credits,
        weighted=weighted,
        months=months,
        rate=rate,
        method=method if months == 12 else MONTHLY_PRODUCT,
        interest=interest,
    )


@dataclass(frozen=True)
class PooledYear:
    """One year of the pooled-fund share of a transfer out."""

    year: int
    months: int
    bases: Decimal  # the sum of the year's actual monthly bases
    amount: Decimal  # bases × ratio, rounded to the fen


def pooled_transfer(
    years: Iterable[dict], *, ratio: Decimal, from_year: int
) -> tuple[list[PooledYear], Decimal]:
    """The pooled-fund share year by year (``years``: dicts of year, months, bases) and
    its total; years before ``from_year`` do not count."""
    ratio = to_decimal(ratio)
    lines = [
        PooledYear(
            year=int(row["year"]),
            months=int(row["months"]),
            bases=to_decimal(row["bases"]),
            amount=round_fen(to_decimal(row["bases"]) * ratio),
        )
        for row in years
        if int(row["year"]) >= from_year
    ]
    return lines, sum((line.amount for line in lines), ZERO)
