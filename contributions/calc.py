"""Pure contribution arithmetic (缴费计算): bases, lines, bills, late fees, allocation.

Nothing here touches the database or a Django model. Every function takes the policy
values it needs as explicit arguments (the caller looks them up with
``pension.selectors.policy_value`` and passes ``PolicyValue.value`` in) and returns a
frozen dataclass that keeps every input it used, so that a stored result can be
explained later without looking anything up again.

Rules (DESIGN §4, §5.2):

* Amounts and rates are ``Decimal``; a ``float`` anywhere is refused with
  ``TypeError`` (``pension.money.to_decimal``). ``int`` and ``str`` are read exactly.
* Rates are fractions (``0.16``, not ``16``): a rate above 1 is refused.
* Rounding is half-up to the fen, only at these points:

  - the determined base (缴费基数核定) — a component of a determination;
  - each component of a contribution line, separately (employer amount,
    individual amount, account credit);
  - a late fee, once, on the sum over its rate segments.

  Bill and back-payment totals are sums of already rounded lines, never recomputed
  from a total base. Allocation only moves whole fen, so it never rounds.
* Intermediate products are computed in a local decimal context that traps
  ``Inexact``: if a product could not be held exactly, the calculation fails instead
  of rounding silently.

Late-fee day count (滞纳金计息天数): the fee accrues for every calendar day from the
day after ``due`` up to and including ``paid_on``, i.e. ``days = paid_on − due``.
The due day itself is the last day to pay without a fee (the amount is owed —
欠缴 — from the next day, 社会保险法 art. 86), and the day of payment counts.
Due 2025-03-15, paid 2025-04-05: 16 March … 5 April = 21 days.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from pension.money import FEN, round_fen, to_decimal
from pension.periods import Period

__all__ = [
    "Allocation",
    "AllocationLine",
    "BackPayment",
    "BackPaymentLine",
    "BaseBasis",
    "BaseDetermination",
    "BaseRule",
    "Bill",
    "ContributionLine",
    "LateFee",
    "LateFeeSegment",
    "LineKind",
    "OpenBill",
    "Rates",
    "allocate_payment",
    "back_payment",
    "clamp_base",
    "contribution_line",
    "employer_bill",
    "flexible_line",
    "late_fee",
]

ZERO_FEN = Decimal("0.00")


# Helpers ----------------------------------------------------------------------------


def _exact() -> decimal.Context:
    """A context for intermediate arithmetic: wide, and ``Inexact`` is an error."""
    context = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_UP)
    context.traps[decimal.Inexact] = True
    context.traps[decimal.Rounded] = True
    return context


def _decimal(name: str, value: object) -> Decimal:
    """``value`` as a finite Decimal; floats (and bools, other types) raise TypeError."""
    try:
        return to_decimal(value)  # type: ignore[arg-type]
    except TypeError as exc:
        raise TypeError(f"{name}: {exc}") from None
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _amount(name: str, value: object, *, whole_fen: bool = False) -> Decimal:
    """A non-negative amount of money; with ``whole_fen``, no part of a fen."""
    result = _decimal(name, value)
    if result < 0:
        raise ValueError(f"{name} must not be negative: {result}")
    if whole_fen and result != result.quantize(FEN):
        raise ValueError(f"{name} must be a whole number of fen: {result}")
    return result


def _rate(name: str, value: object) -> Decimal:
    """A rate as a fraction between 0 and 1 (``0.16`` for 16 %)."""
    result = _decimal(name, value)
    if not 0 <= result <= 1:
        raise ValueError(f"{name} must be a fraction between 0 and 1 (0.16 for 16 %): {result}")
    return result


def _product(*factors: Decimal | int) -> Decimal:
    """The exact product of ``factors`` (raises if it cannot be held exactly)."""
    with decimal.localcontext(_exact()):
        result = Decimal(1)
        for factor in factors:
            result *= factor
        return result


def _sum(values: Iterable[Decimal]) -> Decimal:
    """The exact sum of already rounded amounts, as fen (``0.00`` when empty)."""
    with decimal.localcontext(_exact()):
        total = sum(values, ZERO_FEN)
    return round_fen(total)  # exact already; only fixes the exponent to two places


def _money(value: Decimal) -> Decimal:
    """An amount that is already whole fen, written with two decimals."""
    return round_fen(value)


# 1. Base determination (缴费基数核定) --------------------------------------------------


class BaseBasis(StrEnum):
    """What the declared wage is."""

    PRIOR_YEAR_AVERAGE = "prior_year_average"  # 上年度月平均工资
    FIRST_MONTH_WAGE = "first_month_wage"  # 新参保人员首月工资
    SELF_DECLARED = "self_declared"  # 灵活就业人员自选基数


class BaseRule(StrEnum):
    """Which rule set the base."""

    BELOW_FLOOR = "below_floor"  # 低于下限, raised to the floor
    ABOVE_CEILING = "above_ceiling"  # 高于上限, cut to the ceiling
    AS_DECLARED = "as_declared"  # within the limits (bounds included)


@dataclass(frozen=True)
class BaseDetermination:
    """A contribution base determination (缴费基数核定) and what it was made from."""

    wage: Decimal
    floor: Decimal
    ceiling: Decimal
    basis: BaseBasis
    rule: BaseRule
    base: Decimal


def clamp_base(
    wage: Decimal,
    *,
    floor: Decimal,
    ceiling: Decimal,
    basis: BaseBasis = BaseBasis.PRIOR_YEAR_AVERAGE,
) -> BaseDetermination:
    """Determine a contribution base (缴费基数核定): ``wage`` clamped to [floor, ceiling].

    ``wage`` is last year's average monthly wage (``basis=PRIOR_YEAR_AVERAGE``), a new
    employee's first month's wage (``FIRST_MONTH_WAGE``) or a flexible worker's chosen
    base (``SELF_DECLARED``). ``floor`` and ``ceiling`` are the year's published limits
    (``contribution.base_floor`` / ``contribution.base_ceiling``). A wage equal to a
    limit is ``AS_DECLARED``. The rule is decided on the wage as given; the base is then
    rounded half-up to the fen (a component of a determination, DESIGN §4).
    """
    wage = _amount("wage", wage)
    floor = _amount("floor", floor)
    ceiling = _amount("ceiling", ceiling)
    basis = BaseBasis(basis)
    if floor > ceiling:
        raise ValueError(f"The base floor {floor} is above the ceiling {ceiling}.")
    if wage < floor:
        rule, chosen = BaseRule.BELOW_FLOOR, floor
    elif wage > ceiling:
        rule, chosen = BaseRule.ABOVE_CEILING, ceiling
    else:
        rule, chosen = BaseRule.AS_DECLARED, wage
    return BaseDetermination(
        wage=wage,
        floor=floor,
        ceiling=ceiling,
        basis=basis,
        rule=rule,
        base=round_fen(chosen),
    )


# 2. Contribution lines (缴费明细) ------------------------------------------------------


class LineKind(StrEnum):
    EMPLOYEE = "employee"  # 单位职工: employer and individual parts
    FLEXIBLE = "flexible"  # 灵活就业人员: the whole amount is the individual's


@dataclass(frozen=True)
class ContributionLine:
    """One person's contribution for one month (缴费明细), each part rounded to the fen.

    ``account_credit`` (个人账户记账额) is not paid on top: it is the part of the
    individual amount credited to the personal account.
    """

    kind: LineKind
    base: Decimal
    employer_rate: Decimal
    individual_rate: Decimal
    account_rate: Decimal
    employer_amount: Decimal  # 单位缴费
    individual_amount: Decimal  # 个人缴费
    account_credit: Decimal  # 个人账户记账额

    @property
    def total(self) -> Decimal:
        """What is paid for the line: employer amount + individual amount."""
        return self.employer_amount + self.individual_amount


def contribution_line(
    base: Decimal,
    *,
    employer_rate: Decimal,
    individual_rate: Decimal,
    account_rate: Decimal,
) -> ContributionLine:
    """An employee's monthly contribution line (单位职工缴费明细).

    employer amount = round_fen(base × employer_rate) (单位缴费),
    individual amount = round_fen(base × individual_rate) (个人缴费),
    account credit = round_fen(base × account_rate) (个人账户记账额),
    each rounded half-up on its own. ``base`` must be whole fen (see ``clamp_base``).
    """
    base = _amount("base", base, whole_fen=True)
    employer_rate = _rate("employer_rate", employer_rate)
    individual_rate = _rate("individual_rate", individual_rate)
    account_rate = _rate("account_rate", account_rate)
    return ContributionLine(
        kind=LineKind.EMPLOYEE,
        base=_money(base),
        employer_rate=employer_rate,
        individual_rate=individual_rate,
        account_rate=account_rate,
        employer_amount=round_fen(_product(base, employer_rate)),
        individual_amount=round_fen(_product(base, individual_rate)),
        account_credit=round_fen(_product(base, account_rate)),
    )


def flexible_line(base: Decimal, *, rate: Decimal, account_rate: Decimal) -> ContributionLine:
    """A flexible worker's monthly contribution line (灵活就业人员缴费).

    The whole amount round_fen(base × rate) is the individual's (``contribution.
    flexible_rate``, 20 %); the employer part is zero; account credit =
    round_fen(base × account_rate) (``contribution.flexible_account_rate``, 8 %).
    """
    base = _amount("base", base, whole_fen=True)
    rate = _rate("rate", rate)
    account_rate = _rate("account_rate", account_rate)
    return ContributionLine(
        kind=LineKind.FLEXIBLE,
        base=_money(base),
        employer_rate=Decimal(0),
        individual_rate=rate,
        account_rate=account_rate,
        employer_amount=ZERO_FEN,
        individual_amount=round_fen(_product(base, rate)),
        account_credit=round_fen(_product(base, account_rate)),
    )


# 3. Employer bill (单位缴费核定单) ------------------------------------------------------


@dataclass(frozen=True)
class Bill:
    """An employer's monthly assessment (核定): its lines and their sums."""

    lines: tuple[ContributionLine, ...]
    base_total: Decimal  # 单位缴费基数 = Σ employees' bases
    employer_total: Decimal
    individual_total: Decimal
    account_total: Decimal

    @property
    def total(self) -> Decimal:
        """What the employer pays: employer total + individual total (withheld)."""
        return self.employer_total + self.individual_total


def employer_bill(lines: Iterable[ContributionLine]) -> Bill:
    """An employer's assessment (单位缴费核定): totals are sums of the rounded lines.

    Never recomputed from the total base: round(Σ base × rate) can differ from
    Σ round(base × rate) by some fen, and the lines are what people are credited with.
    Flexible workers' lines are refused (they have no employer).
    """
    kept = tuple(lines)
    for line in kept:
        if not isinstance(line, ContributionLine):
            raise TypeError(f"Not a ContributionLine: {line!r}")
        if line.kind != LineKind.EMPLOYEE:
            raise ValueError("A flexible worker's line does not belong on an employer's bill.")
    return Bill(
        lines=kept,
        base_total=_sum(line.base for line in kept),
        employer_total=_sum(line.employer_amount for line in kept),
        individual_total=_sum(line.individual_amount for line in kept),
        account_total=_sum(line.account_credit for line in kept),
    )


# 4. Late fee (滞纳金) ------------------------------------------------------------------


@dataclass(frozen=True)
class LateFeeSegment:
    """Consecutive days at one daily rate: amount = principal × rate × days, unrounded."""

    first_day: date
    last_day: date  # included
    days: int
    rate: Decimal
    rate_effective_from: date
    amount: Decimal  # not rounded


@dataclass(frozen=True)
class LateFee:
    """A late fee (滞纳金) and how it was reached."""

    principal: Decimal
    due: date
    paid_on: date
    daily_rates: tuple[tuple[date, Decimal], ...]  # as given, sorted by date
    segments: tuple[LateFeeSegment, ...]
    days: int  # paid_on − due, or 0 when paid on time
    unrounded: Decimal  # Σ segment amounts
    fee: Decimal  # round_fen(unrounded)


def late_fee(
    principal: Decimal,
    *,
    due: date,
    paid_on: date,
    daily_rates: Sequence[tuple[date, Decimal]],
) -> LateFee:
    """The late fee (滞纳金) on ``principal`` paid late.

    Day count: every calendar day from ``due + 1`` through ``paid_on`` (both included),
    so ``days = paid_on − due``; zero when paid on or before the due day. Each day
    bears the rate in force on it: ``daily_rates`` lists ``(effective_from, rate)``
    (``contribution.late_fee_daily_rate``: 0.2 % from 1999-01-22, 0.05 % from
    2011-07-01, 社会保险法 art. 86 按日加收万分之五). Days are summed per rate segment and
    fee = round_fen(Σ principal × rate × days_in_segment), rounded once at the end.
    A day before the first ``effective_from`` has no rate: ``ValueError``.
    """
    principal = _amount("principal", principal, whole_fen=True)
    for name, day in (("due", due), ("paid_on", paid_on)):
        if not isinstance(day, date) or isinstance(day, datetime):
            raise TypeError(f"{name} must be a date, not {type(day).__name__}.")
    rates: list[tuple[date, Decimal]] = []
    for item in daily_rates:
        effective_from, rate = item
        if not isinstance(effective_from, date) or isinstance(effective_from, datetime):
            raise TypeError(f"effective_from must be a date: {effective_from!r}")
        rates.append((effective_from, _rate(f"daily rate from {effective_from}", rate)))
    rates.sort(key=lambda pair: pair[0])
    starts = [start for start, _ in rates]
    if len(set(starts)) != len(starts):
        raise ValueError("Two daily late-fee rates take effect on the same day.")

    segments: list[LateFeeSegment] = []
    if paid_on > due:
        first, last = due + timedelta(days=1), paid_on
        if not rates or first < rates[0][0]:
            raise ValueError(f"No daily late-fee rate is in force on {first}.")
        for index, (start, rate) in enumerate(rates):
            end = rates[index + 1][0] - timedelta(days=1) if index + 1 < len(rates) else last
            seg_first, seg_last = max(first, start), min(last, end)
            if seg_first > seg_last:
                continue
            days = (seg_last - seg_first).days + 1
            segments.append(
                LateFeeSegment(
                    first_day=seg_first,
                    last_day=seg_last,
                    days=days,
                    rate=rate,
                    rate_effective_from=start,
                    amount=_product(principal, rate, days),
                )
            )
    with decimal.localcontext(_exact()):
        unrounded = sum((segment.amount for segment in segments), Decimal(0))
    total_days = sum(segment.days for segment in segments)
    return LateFee(
        principal=_money(principal),
        due=due,
        paid_on=paid_on,
        daily_rates=tuple(rates),
        segments=tuple(segments),
        days=total_days,
        unrounded=unrounded,
        fee=round_fen(unrounded),
    )


# 5. Payment allocation (到账分配) ------------------------------------------------------


@dataclass(frozen=True)
class OpenBill:
    """What is still owed for one period."""

    period: Period
    outstanding: Decimal

    def __post_init__(self) -> None:
        if not isinstance(self.period, Period):
            raise TypeError(f"period must be a Period, not {type(self.period).__name__}.")
        amount = _amount(f"outstanding for {self.period}", self.outstanding, whole_fen=True)
        object.__setattr__(self, "outstanding", _money(amount))


@dataclass(frozen=True)
class AllocationLine:
    period: Period
    outstanding_before: Decimal
    allocated: Decimal
    outstanding_after: Decimal


@dataclass(frozen=True)
class Allocation:
    """A payment spread over open periods, oldest first (部分缴费按期次先后冲抵)."""

    amount: Decimal
    open_bills: tuple[OpenBill, ...]  # in period order
    lines: tuple[AllocationLine, ...]  # one per open bill, in period order
    overpayment: Decimal  # 溢缴, held as credit

    @property
    def allocated_total(self) -> Decimal:
        return _sum(line.allocated for line in self.lines)

    @property
    def outstanding_total(self) -> Decimal:
        return _sum(line.outstanding_after for line in self.lines)


def allocate_payment(amount: Decimal, *, open_bills: Iterable[OpenBill]) -> Allocation:
    """Allocate a payment (到账金额) to open periods, oldest period first.

    Each period receives at most what it still owes; what is left after the newest
    period is an overpayment, held as credit. Amounts must be whole fen, so nothing is
    rounded. Two open bills for the same period are refused.
    """
    amount = _money(_amount("amount", amount, whole_fen=True))
    bills = sorted(open_bills, key=lambda bill: bill.period)
    for bill in bills:
        if not isinstance(bill, OpenBill):
            raise TypeError(f"Not an OpenBill: {bill!r}")
    periods = [bill.period for bill in bills]
    if len(set(periods)) != len(periods):
        raise ValueError("Two open bills are for the same period.")
    remaining = amount
    lines: list[AllocationLine] = []
    for bill in bills:
        allocated = min(remaining, bill.outstanding)
        remaining -= allocated
        lines.append(
            AllocationLine(
                period=bill.period,
                outstanding_before=bill.outstanding,
                allocated=_money(allocated),
                outstanding_after=_money(bill.outstanding - allocated),
            )
        )
    return Allocation(
        amount=amount,
        open_bills=tuple(bills),
        lines=tuple(lines),
        overpayment=_money(remaining),
    )


# 6. Back-payment (补缴) ----------------------------------------------------------------


@dataclass(frozen=True)
class Rates:
    """The contribution rates in force in one month, with where they came from.

    ``sources`` may hold the ``PolicyValue.reference`` of each rate, so a stored
    back-payment can cite the parameter versions it used.
    """

    employer_rate: Decimal
    individual_rate: Decimal
    account_rate: Decimal
    sources: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        for name in ("employer_rate", "individual_rate", "account_rate"):
            object.__setattr__(self, name, _rate(name, getattr(self, name)))
        object.__setattr__(self, "sources", tuple(self.sources))


@dataclass(frozen=True)
class BackPaymentLine:
    period: Period
    rates: Rates
    line: ContributionLine


@dataclass(frozen=True)
class BackPayment:
    """A back-payment (补缴): a line per period at that period's rates, and the sums."""

    lines: tuple[BackPaymentLine, ...]  # in period order
    base_total: Decimal
    employer_total: Decimal
    individual_total: Decimal
    account_total: Decimal

    @property
    def total(self) -> Decimal:
        return self.employer_total + self.individual_total


def back_payment(
    periods_and_bases: Iterable[tuple[Period, Decimal]],
    *,
    rates_for: Callable[[Period], Rates],
) -> BackPayment:
    """A back-payment (补缴) for past periods, each at the rates in force in its month.

    ``rates_for(period)`` returns that month's employer, individual and account rates
    (e.g. the employer rate is 20 % up to 2019-04 and 16 % from 2019-05). Each line is a
    ``contribution_line`` (rounded per component); totals are sums of the lines. Lines
    come out in period order; the same period twice is refused. Late fees on the
    back-payment are a separate ``late_fee`` per period.
    """
    items = sorted(periods_and_bases, key=lambda item: item[0])
    periods = [period for period, _ in items]
    for period in periods:
        if not isinstance(period, Period):
            raise TypeError(f"Not a Period: {period!r}")
    if len(set(periods)) != len(periods):
        raise ValueError("The same period appears twice in a back-payment.")
    lines: list[BackPaymentLine] = []
    for period, base in items:
        rates = rates_for(period)
        if not isinstance(rates, Rates):
            raise TypeError(f"rates_for({period}) returned {rates!r}, not Rates.")
        line = contribution_line(
            _amount(f"base for {period}", base, whole_fen=True),
            employer_rate=rates.employer_rate,
            individual_rate=rates.individual_rate,
            account_rate=rates.account_rate,
        )
        lines.append(BackPaymentLine(period=period, rates=rates, line=line))
    return BackPayment(
        lines=tuple(lines),
        base_total=_sum(item.line.base for item in lines),
        employer_total=_sum(item.line.employer_amount for item in lines),
        individual_total=_sum(item.line.individual_amount for item in lines),
        account_total=_sum(item.line.account_credit for item in lines),
    )
