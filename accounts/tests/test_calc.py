"""Interest and transfer arithmetic, against examples worked by hand (DESIGN §5.3).

Rates: 2024 2.62 %, 2023 3.97 % (the national crediting rates). Monthly product:
interest = (B × r × m + r × Σ aₙ × (m − n + 1)) ÷ 12, rounded half-up to the fen once.
Annual: B × r + C × r × 1.083 ÷ 2.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from accounts import calc

R2024 = D("0.0262")
R2023 = D("0.0397")
TWELVE_400 = [(month, D("400.00")) for month in range(1, 13)]
SCATTERED = [(2, D("500.00")), (7, D("600.00")), (11, D("700.00"))]


def test_months_earned_counts_the_month_itself_to_the_last_month_counted():
    assert [calc.months_earned(n) for n in (1, 6, 12)] == [12, 7, 1]
    assert [calc.months_earned(n, 6) for n in (1, 6, 7)] == [6, 1, 0]
    with pytest.raises(ValueError):
        calc.months_earned(13)


def test_twelve_equal_credits_monthly_product():
    # Σ 400 × (13 − n), n = 1…12 = 400 × 78 = 31 200.00
    # interest = 0.0262 × 31 200 ÷ 12 = 817.44 ÷ 12 = 68.12
    result = calc.year_interest(opening=D("0.00"), entries=TWELVE_400, rate=R2024)
    assert result.weighted == D("31200.00")
    assert result.credits == D("4800.00")
    assert result.interest == D("68.12")
    assert result.closing == D("4868.12")


def test_twelve_equal_credits_annual_method():
    # 4 800 × 0.0262 = 125.76; × 1.083 = 136.19808; ÷ 2 = 68.09904 → 68.10
    result = calc.year_interest(
        opening=D("0.00"), entries=TWELVE_400, rate=R2024, method=calc.ANNUAL
    )
    assert result.interest == D("68.10")
    assert result.method == calc.ANNUAL


def test_credits_in_three_scattered_months_monthly_product():
    # 500 × 11 + 600 × 6 + 700 × 2 = 5 500 + 3 600 + 1 400 = 10 500.00
    # 0.0397 × 10 500 ÷ 12 = 416.85 ÷ 12 = 34.7375 → 34.74
    result = calc.year_interest(opening=D("0.00"), entries=SCATTERED, rate=R2023)
    assert result.weighted == D("10500.00")
    assert result.interest == D("34.74")


def test_credits_in_three_scattered_months_annual_method():
    # 1 800 × 0.0397 = 71.46; × 1.083 = 77.39118; ÷ 2 = 38.69559 → 38.70
    result = calc.year_interest(
        opening=D("0.00"), entries=SCATTERED, rate=R2023, method=calc.ANNUAL
    )
    assert result.interest == D("38.70")


def test_a_carried_balance_earns_the_whole_year_monthly_product():
    # (10 000 × 0.0262 × 12 + 0.0262 × 31 200) ÷ 12 = (3 144 + 817.44) ÷ 12
    # = 3 961.44 ÷ 12 = 330.12
    result = calc.year_interest(opening=D("10000.00"), entries=TWELVE_400, rate=R2024)
    assert result.interest == D("330.12")
    assert result.closing == D("15130.12")  # 10 000 + 4 800 + 330.12


def test_a_carried_balance_annual_method():
    # 10 000 × 0.0262 = 262.00; + 68.09904 = 330.09904 → 330.10
    result = calc.year_interest(
        opening=D("10000.00"), entries=TWELVE_400, rate=R2024, method=calc.ANNUAL
    )
    assert result.interest == D("330.10")


def test_a_retirement_in_june_earns_to_june():
    # opening 10 000, 400 a month January … June, counted to m = 6:
    # Σ 400 × (6 − n + 1) = 400 × (6+5+4+3+2+1) = 400 × 21 = 8 400
    # (10 000 × 0.0262 × 6 + 0.0262 × 8 400) ÷ 12 = (1 572 + 220.08) ÷ 12
    # = 1 792.08 ÷ 12 = 149.34
    result = calc.year_interest(opening=D("10000.00"), entries=TWELVE_400[:6], rate=R2024, months=6)
    assert result.weighted == D("8400.00")
    assert result.interest == D("149.34")


def test_a_part_year_under_the_annual_method_uses_the_monthly_product():
    result = calc.year_interest(
        opening=D("10000.00"), entries=TWELVE_400, rate=R2024, method=calc.ANNUAL, months=6
    )
    assert result.method == calc.MONTHLY_PRODUCT
    assert result.interest == D("149.34")  # the entries of July on are not counted


def test_float_rates_are_refused():
    with pytest.raises(TypeError):
        calc.year_interest(opening=D("0"), entries=[], rate=0.0262)


def test_pooled_share_of_contributions_from_1996_to_2010():
    # 1996-07 … 1997-12 base 600 (before 1998: not counted);
    # 1998 … 2004: 12 × 1 000 = 12 000 a year → × 12 % = 1 440.00, seven years 10 080.00;
    # 2005 … 2009: 12 × 2 000 = 24 000 → 2 880.00, five years 14 400.00;
    # 2010-01 … 06: 6 × 2 500 = 15 000 → 1 800.00.  Total 26 280.00
    years = (
        [
            {"year": 1996, "months": 6, "bases": D("3600")},
            {"year": 1997, "months": 12, "bases": D("7200")},
        ]
        + [{"year": y, "months": 12, "bases": D("12000")} for y in range(1998, 2005)]
        + [{"year": y, "months": 12, "bases": D("24000")} for y in range(2005, 2010)]
        + [{"year": 2010, "months": 6, "bases": D("15000")}]
    )
    lines, total = calc.pooled_transfer(years, ratio=D("0.12"), from_year=1998)
    assert [line.year for line in lines] == list(range(1998, 2011))
    assert lines[0].amount == D("1440.00")
    assert lines[-1].amount == D("1800.00")
    assert total == D("26280.00")


def test_pooled_share_rounds_each_year_to_the_fen():
    # 4 198.37 × 12 % = 503.8044 → 503.80; 1 234.57 × 12 % = 148.1484 → 148.15
    lines, total = calc.pooled_transfer(
        [{"year": 2024, "months": 1, "bases": D("4198.37")},
         {"year": 2025, "months": 1, "bases": D("1234.57")}],
        ratio=D("0.12"), from_year=1998,
    )  # fmt: skip
    assert [line.amount for line in lines] == [D("503.80"), D("148.15")]
    assert total == D("651.95")
