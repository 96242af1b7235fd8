"""Tests for the pure contribution arithmetic (``contributions.calc``).

No database. Every expected value is worked out by hand in the comment next to it,
from the formula, never by calling the code under test.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

import pytest

from contributions.calc import (
    BaseBasis,
    BaseRule,
    LineKind,
    OpenBill,
    Rates,
    allocate_payment,
    back_payment,
    clamp_base,
    contribution_line,
    employer_bill,
    flexible_line,
    late_fee,
)
from pension.periods import Period

# Shanxi 2025 (DESIGN §4): average wage 6997, limits 4198–20991.
FLOOR = D("4198")
CEILING = D("20991")

# National rates (DESIGN §4).
EMPLOYER = D("0.16")
INDIVIDUAL = D("0.08")
ACCOUNT = D("0.08")

LATE_RATES = [(date(1999, 1, 22), D("0.002")), (date(2011, 7, 1), D("0.0005"))]


# 1. clamp_base (缴费基数核定) ----------------------------------------------------------


def test_clamp_below_floor():
    # 3500.00 < 4198 → raised to the floor: 4198.00
    result = clamp_base(D("3500.00"), floor=FLOOR, ceiling=CEILING)
    assert result.base == D("4198.00")
    assert str(result.base) == "4198.00"
    assert result.rule is BaseRule.BELOW_FLOOR
    # inputs kept
    assert (result.wage, result.floor, result.ceiling) == (D("3500.00"), FLOOR, CEILING)
    assert result.basis is BaseBasis.PRIOR_YEAR_AVERAGE


def test_clamp_above_ceiling():
    # 25000.00 > 20991 → cut to the ceiling: 20991.00
    result = clamp_base(D("25000.00"), floor=FLOOR, ceiling=CEILING)
    assert result.base == D("20991.00")
    assert str(result.base) == "20991.00"
    assert result.rule is BaseRule.ABOVE_CEILING


def test_clamp_within_limits_keeps_wage_and_basis():
    # 4198 ≤ 6000.00 ≤ 20991 → as declared: 6000.00
    result = clamp_base(
        D("6000.00"), floor=FLOOR, ceiling=CEILING, basis=BaseBasis.FIRST_MONTH_WAGE
    )
    assert result.base == D("6000.00")
    assert result.rule is BaseRule.AS_DECLARED
    assert result.basis is BaseBasis.FIRST_MONTH_WAGE


def test_clamp_on_the_limits_is_as_declared():
    # a wage exactly at a limit is inside [floor, ceiling]: no rule had to apply
    assert clamp_base(D("4198.00"), floor=FLOOR, ceiling=CEILING).rule is BaseRule.AS_DECLARED
    assert clamp_base(D("20991.00"), floor=FLOOR, ceiling=CEILING).rule is BaseRule.AS_DECLARED


def test_clamp_rounds_a_sub_fen_wage_half_up():
    # an average of 70 000.10 / 12 months = 5833.341666… → base 5833.34
    result = clamp_base(D("70000.10") / 12, floor=FLOOR, ceiling=CEILING)
    assert result.base == D("5833.34")
    # 5000.005 → exact half → up: 5000.01
    assert clamp_base(D("5000.005"), floor=FLOOR, ceiling=CEILING).base == D("5000.01")


def test_clamp_jilin_floor_with_a_decimal():
    # Jilin 2025 limits 4393.2–21966, not rounded to the yuan: 4000 → 4393.20
    result = clamp_base(D("4000.00"), floor=D("4393.2"), ceiling=D("21966"))
    assert result.base == D("4393.20")
    assert result.rule is BaseRule.BELOW_FLOOR


def test_clamp_refuses_floor_above_ceiling_and_negative_wage():
    with pytest.raises(ValueError):
        clamp_base(D("5000"), floor=D("6000"), ceiling=D("5000"))
    with pytest.raises(ValueError):
        clamp_base(D("-1.00"), floor=FLOOR, ceiling=CEILING)


# 2. contribution_line / flexible_line (缴费明细) -----------------------------------


def test_line_at_shanxi_floor():
    # 4198.00 × 0.16 = 671.68 exactly; 4198.00 × 0.08 = 335.84 exactly
    line = contribution_line(
        D("4198.00"), employer_rate=EMPLOYER, individual_rate=INDIVIDUAL, account_rate=ACCOUNT
    )
    assert line.kind is LineKind.EMPLOYEE
    assert line.employer_amount == D("671.68")
    assert line.individual_amount == D("335.84")
    assert line.account_credit == D("335.84")
    # paid = 671.68 + 335.84 = 1007.52
    assert line.total == D("1007.52")
    # inputs kept
    assert (line.base, line.employer_rate, line.individual_rate, line.account_rate) == (
        D("4198.00"),
        EMPLOYER,
        INDIVIDUAL,
        ACCOUNT,
    )


def test_line_rounds_each_component_separately():
    # 6666.67 × 0.16 = 1066.6672 → 1066.67 (0.0072 ≥ 0.005: up)
    # 6666.67 × 0.08 =  533.3336 →  533.33 (0.0036 < 0.005: down)
    line = contribution_line(
        D("6666.67"), employer_rate=EMPLOYER, individual_rate=INDIVIDUAL, account_rate=ACCOUNT
    )
    assert line.employer_amount == D("1066.67")
    assert line.individual_amount == D("533.33")
    assert line.account_credit == D("533.33")


def test_line_rounds_down_below_half():
    # 3333.13 × 0.16 = 533.3008 → 533.30
    # 3333.13 × 0.08 = 266.6504 → 266.65
    line = contribution_line(
        D("3333.13"), employer_rate=EMPLOYER, individual_rate=INDIVIDUAL, account_rate=ACCOUNT
    )
    assert line.employer_amount == D("533.30")
    assert line.individual_amount == D("266.65")


def test_line_exact_half_fen_rounds_up():
    # With the current rates no two-decimal base ever gives an exact half fen:
    # base = n/100, base × 0.08 = 8n/10 000, a half fen needs 8n ≡ 50 (mod 100),
    # but 8n ≡ 0 (mod 4) and 50 ≡ 2 (mod 4); likewise 16n and 20n.
    # A 5 % individual rate (the late 1990s' rising individual rate) does:
    # 1000.10 × 0.05 = 50.0050 → half-up 50.01 (half-even would give 50.00).
    # 1000.10 × 0.16 = 160.016 → 160.02; 1000.10 × 0.03 = 30.003 → 30.00
    line = contribution_line(
        D("1000.10"), employer_rate=EMPLOYER, individual_rate=D("0.05"), account_rate=D("0.03")
    )
    assert line.individual_amount == D("50.01")
    assert line.employer_amount == D("160.02")
    assert line.account_credit == D("30.00")


def test_flexible_line():
    # 4198.00 × 0.20 = 839.60, all the individual's; account 4198.00 × 0.08 = 335.84
    line = flexible_line(D("4198.00"), rate=D("0.20"), account_rate=D("0.08"))
    assert line.kind is LineKind.FLEXIBLE
    assert line.employer_amount == D("0.00")
    assert line.individual_amount == D("839.60")
    assert line.account_credit == D("335.84")
    assert line.total == D("839.60")
    # 6666.67 × 0.20 = 1333.334 → 1333.33; × 0.08 = 533.3336 → 533.33
    line = flexible_line(D("6666.67"), rate=D("0.20"), account_rate=D("0.08"))
    assert line.individual_amount == D("1333.33")
    assert line.account_credit == D("533.33")


def test_line_refuses_sub_fen_base_and_percent_rates():
    with pytest.raises(ValueError):
        contribution_line(
            D("5000.005"), employer_rate=EMPLOYER, individual_rate=INDIVIDUAL, account_rate=ACCOUNT
        )
    with pytest.raises(ValueError):  # 16 instead of 0.16
        contribution_line(
            D("5000.00"), employer_rate=D("16"), individual_rate=INDIVIDUAL, account_rate=ACCOUNT
        )


# 3. employer_bill ------------------------------------------------------------------


def test_bill_is_the_sum_of_rounded_lines_not_the_rounded_total():
    # Bases chosen so that every product loses a little to rounding:
    #   5000.03 × 0.16 =  800.0048 →  800.00     5000.03 × 0.08 = 400.0024 → 400.00
    #   6000.03 × 0.16 =  960.0048 →  960.00     6000.03 × 0.08 = 480.0024 → 480.00
    #   7000.28 × 0.16 = 1120.0448 → 1120.04     7000.28 × 0.08 = 560.0224 → 560.02
    # Σ base = 5000.03 + 6000.03 + 7000.28 = 18000.34
    # employer:   Σ rounded = 800.00 + 960.00 + 1120.04 = 2880.04
    #             round(18000.34 × 0.16 = 2880.0544) = 2880.05  ≠ 2880.04
    # individual: Σ rounded = 400.00 + 480.00 + 560.02 = 1440.02
    #             round(18000.34 × 0.08 = 1440.0272) = 1440.03  ≠ 1440.02
    lines = [
        contribution_line(
            D(base), employer_rate=EMPLOYER, individual_rate=INDIVIDUAL, account_rate=ACCOUNT
        )
        for base in ("5000.03", "6000.03", "7000.28")
    ]
    bill = employer_bill(lines)
    assert bill.base_total == D("18000.34")
    assert bill.employer_total == D("2880.04")
    assert bill.individual_total == D("1440.02")
    assert bill.account_total == D("1440.02")
    # paid = 2880.04 + 1440.02 = 4320.06
    assert bill.total == D("4320.06")
    assert bill.lines == tuple(lines)


def test_empty_bill_and_flexible_lines_refused():
    bill = employer_bill([])
    assert (bill.base_total, bill.employer_total, bill.total) == (D("0"), D("0"), D("0"))
    assert str(bill.employer_total) == "0.00"
    with pytest.raises(ValueError):
        employer_bill([flexible_line(D("4198.00"), rate=D("0.20"), account_rate=D("0.08"))])


# 4. late_fee (滞纳金) ------------------------------------------------------------------
# Convention: days = paid_on − due, i.e. from the day after the due day through the
# payment day, both included.


def test_late_fee_across_a_month_end():
    # due 2025-03-15, paid 2025-04-05: 16–31 March = 16 days, 1–5 April = 5 days → 21
    # 10 000.00 × 0.0005 × 21 = 105.00
    fee = late_fee(
        D("10000.00"), due=date(2025, 3, 15), paid_on=date(2025, 4, 5), daily_rates=LATE_RATES
    )
    assert fee.days == 21
    assert fee.fee == D("105.00")
    assert len(fee.segments) == 1
    segment = fee.segments[0]
    assert (segment.first_day, segment.last_day, segment.days) == (
        date(2025, 3, 16),
        date(2025, 4, 5),
        21,
    )
    assert segment.rate == D("0.0005")
    assert segment.rate_effective_from == date(2011, 7, 1)
    assert segment.amount == D("105")
    # inputs kept
    assert fee.principal == D("10000.00")
    assert fee.daily_rates == tuple(LATE_RATES)


def test_late_fee_across_2011_07_01():
    # due 2011-06-25, paid 2011-07-12
    #   26–30 June  =  5 days at 0.002  → 10 000.00 × 0.002  ×  5 = 100.00
    #   1–12 July   = 12 days at 0.0005 → 10 000.00 × 0.0005 × 12 =  60.00
    # 17 days, fee 160.00
    fee = late_fee(
        D("10000.00"), due=date(2011, 6, 25), paid_on=date(2011, 7, 12), daily_rates=LATE_RATES
    )
    assert fee.days == 17
    assert [(s.first_day, s.last_day, s.days, s.rate) for s in fee.segments] == [
        (date(2011, 6, 26), date(2011, 6, 30), 5, D("0.002")),
        (date(2011, 7, 1), date(2011, 7, 12), 12, D("0.0005")),
    ]
    assert [s.amount for s in fee.segments] == [D("100"), D("60")]
    assert fee.fee == D("160.00")


def test_late_fee_rounds_once_at_the_end():
    # due 2011-06-28, paid 2011-07-08, principal 1000.64
    #   29–30 June = 2 days: 1000.64 × 0.002  × 2 = 4.00256
    #   1–8 July   = 8 days: 1000.64 × 0.0005 × 8 = 4.00256
    # Σ = 8.00512 → 8.01 (rounding each segment first would give 4.00 + 4.00 = 8.00)
    fee = late_fee(
        D("1000.64"), due=date(2011, 6, 28), paid_on=date(2011, 7, 8), daily_rates=LATE_RATES
    )
    assert fee.days == 10
    assert [s.amount for s in fee.segments] == [D("4.00256"), D("4.00256")]
    assert fee.unrounded == D("8.00512")
    assert fee.fee == D("8.01")


def test_late_fee_exact_half_rounds_up():
    # due 2025-01-15, paid 2025-01-25: 16–25 January = 10 days
    # 301.00 × 0.0005 × 10 = 1.505 → half-up 1.51 (half-even would give 1.50)
    fee = late_fee(
        D("301.00"), due=date(2025, 1, 15), paid_on=date(2025, 1, 25), daily_rates=LATE_RATES
    )
    assert fee.days == 10
    assert fee.unrounded == D("1.505")
    assert fee.fee == D("1.51")


def test_late_fee_day_count_edges():
    # paid the day after the due day: 1 day → 10 000.00 × 0.0005 × 1 = 5.00
    fee = late_fee(
        D("10000.00"), due=date(2025, 3, 15), paid_on=date(2025, 3, 16), daily_rates=LATE_RATES
    )
    assert (fee.days, fee.fee) == (1, D("5.00"))
    # leap year: due 2024-02-28, paid 2024-03-01 → 29 Feb, 1 Mar = 2 days → 10.00
    fee = late_fee(
        D("10000.00"), due=date(2024, 2, 28), paid_on=date(2024, 3, 1), daily_rates=LATE_RATES
    )
    assert (fee.days, fee.fee) == (2, D("10.00"))


def test_late_fee_zero_when_paid_on_or_before_due():
    for paid_on in (date(2025, 3, 15), date(2025, 3, 1)):
        fee = late_fee(
            D("10000.00"), due=date(2025, 3, 15), paid_on=paid_on, daily_rates=LATE_RATES
        )
        assert fee.days == 0
        assert fee.segments == ()
        assert fee.fee == D("0.00")
        assert str(fee.fee) == "0.00"


def test_late_fee_unsorted_rates_and_missing_rate():
    # the rates may come in any order: same result as test_late_fee_across_2011_07_01
    fee = late_fee(
        D("10000.00"),
        due=date(2011, 6, 25),
        paid_on=date(2011, 7, 12),
        daily_rates=list(reversed(LATE_RATES)),
    )
    assert fee.fee == D("160.00")
    # a day before the first rate took effect (1999-01-22) has no rate
    with pytest.raises(ValueError):
        late_fee(
            D("100.00"), due=date(1999, 1, 1), paid_on=date(1999, 1, 30), daily_rates=LATE_RATES
        )
    with pytest.raises(ValueError):
        late_fee(D("100.00"), due=date(2025, 1, 1), paid_on=date(2025, 1, 2), daily_rates=[])
    with pytest.raises(TypeError):
        late_fee(
            D("100.00"),
            due=datetime(2025, 1, 1),
            paid_on=date(2025, 1, 2),
            daily_rates=LATE_RATES,
        )


# 5. allocate_payment ---------------------------------------------------------------


def _three_open() -> list[OpenBill]:
    return [
        OpenBill(Period(2025, 1), D("1000.00")),
        OpenBill(Period(2025, 2), D("1000.00")),
        OpenBill(Period(2025, 3), D("1000.00")),
    ]


def test_partial_payment_oldest_first():
    # 2500.00: 2025-01 takes 1000.00 (1500.00 left), 2025-02 takes 1000.00 (500.00
    # left), 2025-03 takes 500.00; outstanding 0.00 / 0.00 / 500.00; no overpayment
    result = allocate_payment(D("2500.00"), open_bills=_three_open())
    assert [line.period for line in result.lines] == [
        Period(2025, 1),
        Period(2025, 2),
        Period(2025, 3),
    ]
    assert [line.allocated for line in result.lines] == [D("1000.00"), D("1000.00"), D("500.00")]
    assert [line.outstanding_after for line in result.lines] == [
        D("0.00"),
        D("0.00"),
        D("500.00"),
    ]
    assert result.overpayment == D("0.00")
    assert result.allocated_total == D("2500.00")
    assert result.outstanding_total == D("500.00")


def test_overpayment_held_as_credit():
    # 3200.00 − 3 × 1000.00 = 200.00 over; every period fully paid
    result = allocate_payment(D("3200.00"), open_bills=_three_open())
    assert [line.allocated for line in result.lines] == [D("1000.00")] * 3
    assert [line.outstanding_after for line in result.lines] == [D("0.00")] * 3
    assert result.overpayment == D("200.00")


def test_allocation_sorts_by_period_and_never_exceeds_outstanding():
    # given newest first; 2024-12 owes 300.50, 2025-01 owes 0.00, 2025-02 owes 800.00
    # pay 700.00: 2024-12 takes 300.50 (399.50 left), 2025-01 takes 0.00,
    # 2025-02 takes 399.50 → outstanding 0.00 / 0.00 / 400.50
    bills = [
        OpenBill(Period(2025, 2), D("800.00")),
        OpenBill(Period(2025, 1), D("0.00")),
        OpenBill(Period(2024, 12), D("300.50")),
    ]
    result = allocate_payment(D("700.00"), open_bills=bills)
    assert [(line.period, line.allocated, line.outstanding_after) for line in result.lines] == [
        (Period(2024, 12), D("300.50"), D("0.00")),
        (Period(2025, 1), D("0.00"), D("0.00")),
        (Period(2025, 2), D("399.50"), D("400.50")),
    ]
    assert [bill.period for bill in result.open_bills] == [
        Period(2024, 12),
        Period(2025, 1),
        Period(2025, 2),
    ]


def test_allocation_with_nothing_open_and_bad_input():
    # no open periods: all of 500.00 is credit
    assert allocate_payment(D("500.00"), open_bills=[]).overpayment == D("500.00")
    with pytest.raises(ValueError):  # same period twice
        allocate_payment(
            D("1.00"),
            open_bills=[OpenBill(Period(2025, 1), D("1")), OpenBill(Period(2025, 1), D("2"))],
        )
    with pytest.raises(ValueError):  # part of a fen
        allocate_payment(D("1.005"), open_bills=_three_open())
    with pytest.raises(ValueError):
        allocate_payment(D("-1.00"), open_bills=_three_open())


# 6. back_payment (补缴) ----------------------------------------------------------------


def _national_rates(period: Period) -> Rates:
    # employer 20 % up to 2019-04, 16 % from 2019-05 (国办发〔2019〕13号)
    employer = D("0.20") if period < Period(2019, 5) else D("0.16")
    return Rates(employer_rate=employer, individual_rate=D("0.08"), account_rate=D("0.08"))


def test_back_payment_across_the_2019_05_rate_change():
    # base 5000.00 for 2019-03 … 2019-06
    #   employer: 03 5000 × 0.20 = 1000.00, 04 1000.00, 05 5000 × 0.16 = 800.00, 06 800.00
    #             total 1000 + 1000 + 800 + 800 = 3600.00
    #   individual: 5000 × 0.08 = 400.00 each → 4 × 400.00 = 1600.00 (account the same)
    #   base total 4 × 5000.00 = 20000.00; paid 3600.00 + 1600.00 = 5200.00
    periods = list(Period.range("2019-03", "2019-06"))
    result = back_payment([(p, D("5000.00")) for p in periods], rates_for=_national_rates)
    assert [item.period for item in result.lines] == periods
    assert [item.line.employer_amount for item in result.lines] == [
        D("1000.00"),
        D("1000.00"),
        D("800.00"),
        D("800.00"),
    ]
    assert [item.rates.employer_rate for item in result.lines] == [
        D("0.20"),
        D("0.20"),
        D("0.16"),
        D("0.16"),
    ]
    assert [item.line.individual_amount for item in result.lines] == [D("400.00")] * 4
    assert result.employer_total == D("3600.00")
    assert result.individual_total == D("1600.00")
    assert result.account_total == D("1600.00")
    assert result.base_total == D("20000.00")
    assert result.total == D("5200.00")


def test_back_payment_totals_are_sums_of_rounded_lines():
    # 2019-04 at 6666.67: 6666.67 × 0.20 = 1333.334 → 1333.33; × 0.08 = 533.3336 → 533.33
    # 2019-05 at 6666.67: 6666.67 × 0.16 = 1066.6672 → 1066.67; × 0.08 → 533.33
    # employer 1333.33 + 1066.67 = 2400.00; individual 533.33 × 2 = 1066.66
    # (not round(13333.34 × 0.08 = 1066.6672) = 1066.67)
    # given newest first: lines still come out oldest first
    result = back_payment(
        [(Period(2019, 5), D("6666.67")), (Period(2019, 4), D("6666.67"))],
        rates_for=_national_rates,
    )
    assert [item.period for item in result.lines] == [Period(2019, 4), Period(2019, 5)]
    assert result.employer_total == D("2400.00")
    assert result.individual_total == D("1066.66")


def test_back_payment_keeps_rate_sources_and_refuses_duplicates():
    def rates_for(period: Period) -> Rates:
        return Rates(
            employer_rate=D("0.16"),
            individual_rate=D("0.08"),
            account_rate=D("0.08"),
            sources=("contribution.employer_rate@2.v1",),
        )

    result = back_payment([(Period(2020, 1), D("5000.00"))], rates_for=rates_for)
    assert result.lines[0].rates.sources == ("contribution.employer_rate@2.v1",)
    with pytest.raises(ValueError):
        back_payment(
            [(Period(2020, 1), D("5000.00")), (Period(2020, 1), D("5000.00"))],
            rates_for=rates_for,
        )


# Floats are refused everywhere ------------------------------------------------------


def test_floats_refused():
    with pytest.raises(TypeError):
        clamp_base(3500.0, floor=FLOOR, ceiling=CEILING)
    with pytest.raises(TypeError):
        clamp_base(D("3500"), floor=4198.0, ceiling=CEILING)
    with pytest.raises(TypeError):
        contribution_line(
            D("5000.00"), employer_rate=0.16, individual_rate=INDIVIDUAL, account_rate=ACCOUNT
        )
    with pytest.raises(TypeError):
        contribution_line(
            5000.0, employer_rate=EMPLOYER, individual_rate=INDIVIDUAL, account_rate=ACCOUNT
        )
    with pytest.raises(TypeError):
        flexible_line(D("5000.00"), rate=0.2, account_rate=ACCOUNT)
    with pytest.raises(TypeError):
        late_fee(10000.0, due=date(2025, 3, 15), paid_on=date(2025, 4, 5), daily_rates=LATE_RATES)
    with pytest.raises(TypeError):
        late_fee(
            D("10000.00"),
            due=date(2025, 3, 15),
            paid_on=date(2025, 4, 5),
            daily_rates=[(date(2011, 7, 1), 0.0005)],
        )
    with pytest.raises(TypeError):
        allocate_payment(2500.0, open_bills=_three_open())
    with pytest.raises(TypeError):
        OpenBill(Period(2025, 1), 1000.0)
    with pytest.raises(TypeError):
        Rates(employer_rate=0.16, individual_rate=D("0.08"), account_rate=D("0.08"))
    with pytest.raises(TypeError):
        back_payment([(Period(2019, 3), 5000.0)], rates_for=_national_rates)


def test_ints_and_strings_are_read_exactly():
    # "4198" and 4198 are exact; 4198 × 0.16 = 671.68
    line = contribution_line(
        4198, employer_rate="0.16", individual_rate="0.08", account_rate="0.08"
    )
    assert line.employer_amount == D("671.68")
    assert isinstance(line.employer_rate, D)


def test_results_are_frozen():
    line = contribution_line(
        D("4198.00"), employer_rate=EMPLOYER, individual_rate=INDIVIDUAL, account_rate=ACCOUNT
    )
    with pytest.raises(AttributeError):
        line.base = D("1")  # type: ignore[misc]
