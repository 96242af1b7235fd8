"""Tests for the pure pension arithmetic (``benefits.determination.calc``).

No database. Every expected value is worked out by hand from the formulas of DESIGN §4
and §5.4, with the arithmetic in the comment next to it; none is recomputed with the
code under test. Figures are written ``1 234.56`` in comments, ``"1234.56"`` in code.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D
from fractions import Fraction
from pathlib import Path

import pytest
from django.utils import translation

from benefits.determination.calc import (
    ExtraTier,
    Line,
    ProfileRules,
    YearContribution,
    age_at,
    average_index,
    contribution_years,
    determine,
    eligibility,
    funeral_grant,
    heirs_account_balance,
    months_divisor,
    overpayment_after_death,
    survivor_benefits,
    survivors_pension_months,
)
from enrollment.choices import OccupationKind, Sex
from pension.periods import Period
from pension.policy import statutory_retirement


@pytest.fixture(autouse=True)
def english():
    """Explanation lines are compared in English (the msgids); the Chinese catalogue
    renders them on the pages (benefits/tests/test_retirement.py)."""
    with translation.override("en"):
        yield


# Policy tables as DESIGN §4 states them ----------------------------------------------

BY_AGE = {
    "40": 233, "41": 230, "42": 226, "43": 223, "44": 220, "45": 216, "46": 212,
    "47": 208, "48": 204, "49": 199, "50": 195, "51": 190, "52": 185, "53": 180,
    "54": 175, "55": 170, "56": 164, "57": 158, "58": 152, "59": 145, "60": 139,
    "61": 132, "62": 125, "63": 117, "64": 109, "65": 101, "66": 93, "67": 84,
    "68": 75, "69": 65, "70": 56,
}  # fmt: skip
WHOLE_AGE = {"by_age": BY_AGE, "below_min": 233, "above_max": 56, "to_the_month": False}
TO_THE_MONTH = {**WHOLE_AGE, "to_the_month": True}  # from 2025-01-01

RETIREMENT_AGE = {  # from 2025-01-01
    "male": {"base_age": 60, "cohort_start": "1965-01", "step_months": 4, "cap_months": 36},
    "female_cadre": {
        "base_age": 55,
        "cohort_start": "1970-01",
        "step_months": 4,
        "cap_months": 36,
    },
    "female_worker": {
        "base_age": 50,
        "cohort_start": "1975-01",
        "step_months": 2,
        "cap_months": 60,
    },
    "flexible_early_months": 36,
    "flexible_late_months": 36,
}
MINIMUM_MONTHS = {"base_months": 180, "rise_from_year": 2030, "step_months": 6, "max_months": 240}
SURVIVOR_MONTHS = {"base_months": 9, "base_years": 15, "per_extra_year": 1, "max_months": 24}

SHANXI = ProfileRules(
    formula="single_base",
    years_decimals=4,
    deemed_index=D("1.0"),
    transitional_coefficient=D("0.013"),
)
JILIN = ProfileRules(
    formula="dual_base",
    years_decimals=2,
    deemed_index=D("1.0"),
    transitional_coefficient=D("0.012"),
    transitional_coefficient_long=D("0.014"),
    transitional_long_years=D("20"),
    extra_threshold_years=D("20"),
    extra_tiers=(
        ExtraTier(D("20"), D("25"), D("0.0015")),
        ExtraTier(D("25"), D("30"), D("0.0020")),
        ExtraTier(D("30"), None, D("0.0025")),
    ),
)

# Calculation bases (DESIGN §4)
SHANXI_2024 = D("7111")
SHANXI_2025 = D("7253")
JILIN_2024 = D("7178.5")
JILIN_2025 = D("7322.08")
CHANGCHUN_2025 = D("7978.25")


def span(first: str, last: str, monthly_base: str) -> list[YearContribution]:
    """The same monthly base every month from ``first`` to ``last``, by calendar year."""
    months: dict[int, int] = {}
    for period in Period.range(first, last):
        months[period.year] = months.get(period.year, 0) + 1
    return [YearContribution(year, n, D(monthly_base) * n) for year, n in months.items()]


def flat(first_year: int, last_year: int, wage: str) -> dict[int, D]:
    """The same provincial average monthly wage in every year from first to last."""
    return {year: D(wage) for year in range(first_year, last_year + 1)}


def rendered(result) -> list[str]:
    return [line.render() for line in result.explanation]


# 1. Months divisor --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("years", "months", "table", "expected"),
    [
        # 139 − (139 − 132) × 1 ÷ 12 = 139 − 0.5833… = 138.4166… → 138.4 (DESIGN §4)
        (60, 1, TO_THE_MONTH, "138.4"),
        # 195 − (195 − 190) × 1 ÷ 12 = 195 − 0.4166… = 194.5833… → 194.6 (DESIGN §4)
        (50, 1, TO_THE_MONTH, "194.6"),
        # 139 − 7 × 4 ÷ 12 = 139 − 2.3333… = 136.6666… → 136.7
        (60, 4, TO_THE_MONTH, "136.7"),
        # 195 − 5 × 7 ÷ 12 = 195 − 2.9166… = 192.0833… → 192.1
        (50, 7, TO_THE_MONTH, "192.1"),
        # 170 − (170 − 164) × 7 ÷ 12 = 170 − 3.5 = 166.5
        (55, 7, TO_THE_MONTH, "166.5"),
        # 132 − (132 − 125) × 6 ÷ 12 = 132 − 3.5 = 128.5
        (61, 6, TO_THE_MONTH, "128.5"),
        # whole years to the month: 117 − 8 × 0 ÷ 12 = 117.0
        (63, 0, TO_THE_MONTH, "117.0"),
        # 70 and above: T(70) = 56, T(71) = above_max 56 → 56.0
        (70, 6, TO_THE_MONTH, "56.0"),
        # below 40: T(39) = below_min 233, T(40) = 233 → 233.0
        (39, 11, TO_THE_MONTH, "233.0"),
        # 59 years 11 months: 145 − (145 − 139) × 11 ÷ 12 = 145 − 5.5 = 139.5
        (59, 11, TO_THE_MONTH, "139.5"),
        # before 2025 the whole age counts: 60 years 4 months → T(60) = 139
        (60, 4, WHOLE_AGE, "139"),
        (55, 11, WHOLE_AGE, "170"),
    ],
)
def test_months_divisor(years, months, table, expected):
    result = months_divisor(years, months, table=table)
    assert result.value == D(expected)
    assert str(result.value) == expected
    assert (result.age_years, result.age_months) == (years, months)


def test_months_divisor_keeps_its_terms_and_explains():
    result = months_divisor(60, 4, table=TO_THE_MONTH)
    assert (result.upper, result.lower, result.to_the_month) == (139, 132, True)
    (line,) = result.explanation
    assert line.params["divisor"] == "136.7"
    assert "139 − (139 − 132) × 4 ÷ 12 = 136.7" in line.render()


def test_months_divisor_refuses_a_thirteenth_month():
    with pytest.raises(ValueError):
        months_divisor(60, 12, table=TO_THE_MONTH)


def test_age_at_counts_months_from_the_birth_month():
    # born 1966-03-15, retiring 2026-07-15: 2026-07 − 1966-03 = 724 months = 60 y 4 m
    assert age_at(date(1966, 3, 15), date(2026, 7, 15)) == (60, 4)
    # the day does not count: born on the 31st, 2025-02-01 is already 60 y 1 m
    assert age_at(date(1965, 1, 31), date(2025, 2, 1)) == (60, 1)


# 2. Statutory retirement: the delay vectors (the kernel rule, pension.policy) ---------


@pytest.mark.parametrize(
    ("birth", "sex", "kind", "delay", "month"),
    [
        # men, cohort 1965-01, step 4, cap 36
        # 1964-12: m = −1 < 0 → no delay, 60 in 2024-12
        (date(1964, 12, 10), Sex.MALE, OccupationKind.WORKER, 0, "2024-12"),
        # 1965-01: m = 0 → ⌊0/4⌋ + 1 = 1 → 60 y 1 m: 2025-02
        (date(1965, 1, 10), Sex.MALE, OccupationKind.WORKER, 1, "2025-02"),
        # 1965-05: m = 4 → ⌊4/4⌋ + 1 = 2 → 2025-07
        (date(1965, 5, 10), Sex.MALE, OccupationKind.WORKER, 2, "2025-07"),
        # 1966-03: m = 14 → ⌊14/4⌋ + 1 = 4 → 2026-07
        (date(1966, 3, 15), Sex.MALE, OccupationKind.WORKER, 4, "2026-07"),
        # 1976-09: m = 11 × 12 + 8 = 140 → ⌊140/4⌋ + 1 = 36 (= cap) → 63: 2039-09
        (date(1976, 9, 30), Sex.MALE, OccupationKind.WORKER, 36, "2039-09"),
        # women workers at 50, cohort 1975-01, step 2, cap 60
        # 1975-01: m = 0 → 1 → 2025-02
        (date(1975, 1, 5), Sex.FEMALE, OccupationKind.WORKER, 1, "2025-02"),
        # 1975-03: m = 2 → ⌊2/2⌋ + 1 = 2 → 2025-05
        (date(1975, 3, 5), Sex.FEMALE, OccupationKind.WORKER, 2, "2025-05"),
        # 1976-02: m = 13 → ⌊13/2⌋ + 1 = 7 → 50 y 7 m: 2026-09
        (date(1976, 2, 10), Sex.FEMALE, OccupationKind.WORKER, 7, "2026-09"),
        # 1984-12: m = 9 × 12 + 11 = 119 → ⌊119/2⌋ + 1 = 60 (= cap) → 55: 2039-12
        (date(1984, 12, 5), Sex.FEMALE, OccupationKind.WORKER, 60, "2039-12"),
        # women cadres at 55, cohort 1970-01: 1969-05 is before it → 55 in 2024-05
        (date(1969, 5, 1), Sex.FEMALE, OccupationKind.CADRE, 0, "2024-05"),
        # 1976-01: m = 72 → ⌊72/4⌋ + 1 = 19 → 55 y + 19 m = 56 y 7 m: 2032-08
        (date(1976, 1, 1), Sex.FEMALE, OccupationKind.CADRE, 19, "2032-08"),
        # born before 1950 (no contribution month exists then): no delay, 60 in 2000-03
        (date(1940, 3, 2), Sex.MALE, OccupationKind.WORKER, 0, "2000-03"),
        # a woman worker born 1949-12: 50 in 1999-12
        (date(1949, 12, 31), Sex.FEMALE, OccupationKind.WORKER, 0, "1999-12"),
    ],
)
def test_statutory_retirement_delay_vectors(birth, sex, kind, delay, month):
    result = statutory_retirement(birth, sex=sex, occupation_kind=kind, table=RETIREMENT_AGE)
    assert result.delay_months == delay
    assert str(result.month) == month
    assert result.day == date(int(month[:4]), int(month[5:]), birth.day)


def test_eligibility_delayed_man_and_the_early_limit():
    # born 1966-03-15: statutory 2026-07 (60 y 4 m); early retirement down to
    # max(60 y = 2026-03, 2026-07 − 36 = 2023-07) = 2026-03; late up to 2029-07.
    # Retiring 2026: minimum 180 months (the rise starts in 2030).
    result = eligibility(
        birth_date=date(1966, 3, 15),
        sex=Sex.MALE,
        occupation_kind=OccupationKind.WORKER,
        retirement_date=date(2026, 7, 15),
        contribution_months=342,
        age_table=RETIREMENT_AGE,
        minimum_table=MINIMUM_MONTHS,
    )
    assert (str(result.earliest), str(result.latest)) == ("2026-03", "2029-07")
    assert result.minimum_months == 180
    assert result.eligible
    too_early = eligibility(
        birth_date=date(1966, 3, 15),
        sex=Sex.MALE,
        occupation_kind=OccupationKind.WORKER,
        retirement_date=date(2026, 2, 15),
        contribution_months=342,
        age_table=RETIREMENT_AGE,
        minimum_table=MINIMUM_MONTHS,
    )
    assert not too_early.age_reached and not too_early.eligible


def test_eligibility_minimum_months_by_year_of_retirement():
    # woman worker born 1984-12: statutory 2039-12 (55); 2039: 180 + 6 × 10 = 240 months
    result = eligibility(
        birth_date=date(1984, 12, 5),
        sex=Sex.FEMALE,
        occupation_kind=OccupationKind.WORKER,
        retirement_date=date(2039, 12, 5),
        contribution_months=239,
        age_table=RETIREMENT_AGE,
        minimum_table=MINIMUM_MONTHS,
    )
    assert result.minimum_months == 240
    assert result.age_reached and not result.months_met and not result.eligible


# 3. Average index and contribution years -----------------------------------------------


def test_average_index_uses_the_wage_of_the_year_before():
    # 2011: base 1000 × 12 ÷ 12 = 1000 ÷ wage of 2010 (1000) = 1.0 — not ÷ 2011's 5000
    # 2012: 7500 ÷ wage of 2011 (5000) = 1.5
    # Z = (1.0 × 12 + 1.5 × 6) ÷ 18 = 21 ÷ 18 = 1.1666…
    wages = {2010: D("1000"), 2011: D("5000")}
    result = average_index(
        span("2011-01", "2011-12", "1000") + span("2012-01", "2012-06", "7500"),
        average_wages=wages,
    )
    assert [y.index for y in result.years] == [D("1"), D("1.5")]
    assert result.z_exact == Fraction(7, 6)
    assert str(result.z) == "1.16666666666666666667"


def test_average_index_weights_deemed_months_and_stays_exact():
    # 2010: 4000 × 3 = 12 000 over 3 months: 4000 ÷ 6000 = 0.6666…
    # deemed 9 months at 1.0: Z = (0.6666… × 3 + 9) ÷ 12 = 11 ÷ 12 = 0.91666…
    result = average_index(
        [YearContribution(2010, 3, D("12000"))],
        average_wages={2009: D("6000")},
        deemed_months=9,
        deemed_index=D("1.0"),
    )
    assert result.z_exact == Fraction(11, 12)
    assert str(result.z) == "0.91666666666666666667"
    assert (result.actual_months, result.deemed_months, result.months) == (3, 9, 12)


def test_average_index_refuses_a_missing_wage():
    with pytest.raises(ValueError, match="No average wage of 2009"):
        average_index([YearContribution(2010, 12, D("48000"))], average_wages={})


@pytest.mark.parametrize(
    ("months", "decimals", "expected"),
    [
        (425, 4, "35.4167"),  # 35.41666… half-up to 4 decimals
        (425, 2, "35.42"),
        (290, 4, "24.1667"),
        (239, 2, "19.92"),  # 19.91666…
        (146, 2, "12.17"),  # 12.1666…
        (342, 4, "28.5000"),
        (408, 2, "34.00"),
    ],
)
def test_contribution_years(months, decimals, expected):
    assert str(contribution_years(months, decimals=decimals)) == expected


# 4. Worked determinations ---------------------------------------------------------------


def test_shanxi_man_at_60_in_2024():
    # Born 1964-03-10, retiring 2024-03-10: 60 y 0 m; 2024 → whole-age divisor 139.
    # 2000-01…2011-12: 144 months at 1000 ÷ wage of the year before 1000 = 1.0
    # 2012-01…2024-02: 146 months at 7500 ÷ 5000 = 1.5
    # Z = (144 × 1.0 + 146 × 1.5) ÷ 290 = (144 + 219) ÷ 290 = 363/290 = 1.2517241379…
    # N = 290 ÷ 12 = 24.1666… → 24.1667
    # basic = (7111 + 7111 × 363/290) ÷ 2 × 24.1667 × 1 %
    #       = 7111 × 653/580 × 0.241667 = 8 005.970689… × 0.241667 = 1 934.787252… → 1 934.79
    # account = 98 765.43 ÷ 139 = 710.542661… → 710.54
    # total = 1 934.79 + 710.54 = 2 645.33
    result = determine(
        birth_date=date(1964, 3, 10),
        retirement_date=date(2024, 3, 10),
        contributions=span("2000-01", "2011-12", "1000") + span("2012-01", "2024-02", "7500"),
        average_wages={**flat(1999, 2010, "1000"), **flat(2011, 2023, "5000")},
        deemed_months=0,
        account_balance=D("98765.43"),
        calculation_base=SHANXI_2024,
        rules=SHANXI,
        divisor_table=WHOLE_AGE,
    )
    assert result.index.z_exact == Fraction(363, 290)
    assert str(result.z) == "1.25172413793103448276"
    assert result.contribution_months == 290
    assert result.contribution_years == D("24.1667")
    assert result.divisor.value == D("139")
    assert result.basic_pension == D("1934.79")
    assert result.account_pension == D("710.54")
    assert result.transitional_pension == D("0.00")
    assert result.extra_pension == D("0.00")
    assert result.total == D("2645.33")
    assert str(result.total) == "2645.33"


def test_shanxi_woman_worker_at_50_in_2024():
    # Born 1974-11-05, retiring 2024-11-05: 50 y 0 m, before the 1975-01 cohort; divisor 195.
    # 2004-01…2024-10: 250 months at 3000 ÷ 4000 = 0.75 → Z = 0.75
    # N = 250 ÷ 12 = 20.8333… → 20.8333
    # basic = (7111 + 7111 × 0.75) ÷ 2 × 20.8333 % = 6 222.125 × 0.208333
    #       = 1 296.273967625 → 1 296.27
    # account = 45 678.90 ÷ 195 = 234.250769… → 234.25
    # total = 1 296.27 + 234.25 = 1 530.52
    result = determine(
        birth_date=date(1974, 11, 5),
        retirement_date=date(2024, 11, 5),
        contributions=span("2004-01", "2024-10", "3000"),
        average_wages=flat(2003, 2023, "4000"),
        deemed_months=0,
        account_balance=D("45678.90"),
        calculation_base=SHANXI_2024,
        rules=SHANXI,
        divisor_table=WHOLE_AGE,
    )
    assert result.z == D("0.75")
    assert result.contribution_years == D("20.8333")
    assert result.divisor.value == D("195")
    assert (result.basic_pension, result.account_pension) == (D("1296.27"), D("234.25"))
    assert result.total == D("1530.52")


def test_jilin_woman_cadre_at_55_outside_changchun():
    # Born 1969-08-20, retiring 2024-08-20: 55 y 0 m (before the 1970-01 cohort); divisor 170.
    # Outside Changchun C_local = C_province = 7178.5 (2024).
    # 2004-09…2024-07: 239 months at 6000 ÷ 5000 = 1.2 → Z = 1.2
    # N = 239 ÷ 12 = 19.9166… → 19.92 (Jilin: 2 decimals)
    # basic = (7178.5 + 7178.5 × 1.2) ÷ 2 × 19.92 % = 7 896.35 × 0.1992 = 1 572.95292 → 1 572.95
    # account = 60 000.00 ÷ 170 = 352.941176… → 352.94
    # actual years 19.92 do not exceed 20: no extra pension; total = 1 925.89
    result = determine(
        birth_date=date(1969, 8, 20),
        retirement_date=date(2024, 8, 20),
        contributions=span("2004-09", "2024-07", "6000"),
        average_wages=flat(2003, 2023, "5000"),
        deemed_months=0,
        account_balance=D("60000.00"),
        calculation_base=JILIN_2024,
        rules=JILIN,
        divisor_table=WHOLE_AGE,
    )
    assert result.local_calculation_base == JILIN_2024
    assert result.contribution_years == D("19.92")
    assert result.basic_pension == D("1572.95")
    assert result.account_pension == D("352.94")
    assert result.extra_pension == D("0.00")
    assert result.extra_rate == D("0")
    assert result.total == D("1925.89")
    assert "no extra pension" in rendered(result)[-2]


def test_shanxi_man_born_1966_delayed_to_60_years_4_months():
    # Born 1966-03-15: delay ⌊14/4⌋ + 1 = 4 months → retiring 2026-07-15 at 60 y 4 m.
    # Divisor to the month: 139 − (139 − 132) × 4 ÷ 12 = 136.6666… → 136.7
    # C = 7253 (the latest published base, as a provisional determination uses it).
    # 1998-01…2013-12: 192 months at 2000 ÷ 2500 = 0.8
    # 2014-01…2026-06: 150 months at 9000 ÷ 7200 = 1.25
    # Z = (192 × 0.8 + 150 × 1.25) ÷ 342 = (153.6 + 187.5) ÷ 342 = 341.1/342 = 0.99736842…
    # N = 342 ÷ 12 = 28.5000
    # basic = 7253 × (1 + 341.1/342) ÷ 2 × 0.285 = 7253 × 683.1/342 × 0.1425
    #       = 7253 × 683.1 ÷ 2400 = 4 954 524.3 ÷ 2400 = 2 064.385125 → 2 064.39
    # account = 150 000.00 ÷ 136.7 = 1 097.293343… → 1 097.29
    # total = 2 064.39 + 1 097.29 = 3 161.68
    result = determine(
        birth_date=date(1966, 3, 15),
        retirement_date=date(2026, 7, 15),
        contributions=span("1998-01", "2013-12", "2000") + span("2014-01", "2026-06", "9000"),
        average_wages={**flat(1997, 2012, "2500"), **flat(2013, 2025, "7200")},
        deemed_months=0,
        account_balance=D("150000.00"),
        calculation_base=SHANXI_2025,
        rules=SHANXI,
        divisor_table=TO_THE_MONTH,
    )
    assert (result.divisor.age_years, result.divisor.age_months) == (60, 4)
    assert result.divisor.value == D("136.7")
    assert result.index.z_exact == Fraction(3411, 3420)
    assert result.contribution_years == D("28.5000")
    assert result.basic_pension == D("2064.39")
    assert result.account_pension == D("1097.29")
    assert result.total == D("3161.68")


def test_shanxi_man_born_1976_retiring_at_63():
    # Born 1976-09-30: delay 36 (cap) → 63 y 0 m on 2039-09-30; divisor 117 − 8 × 0 ÷ 12 = 117.0
    # 2000-01…2039-08: 476 months at 5000 ÷ 4000 = 1.25 → Z = 1.25
    # N = 476 ÷ 12 = 39.6666… → 39.6667; C = 12 000 (a base as given for 2039)
    # basic = (12 000 + 15 000) ÷ 2 × 39.6667 % = 13 500 × 0.396667 = 5 355.0045 → 5 355.00
    # account = 300 000.00 ÷ 117.0 = 2 564.102564… → 2 564.10
    # total = 7 919.10
    result = determine(
        birth_date=date(1976, 9, 30),
        retirement_date=date(2039, 9, 30),
        contributions=span("2000-01", "2039-08", "5000"),
        average_wages=flat(1999, 2038, "4000"),
        deemed_months=0,
        account_balance=D("300000.00"),
        calculation_base=D("12000"),
        rules=SHANXI,
        divisor_table=TO_THE_MONTH,
    )
    assert result.divisor.value == D("117.0")
    assert result.contribution_years == D("39.6667")
    assert result.basic_pension == D("5355.00")
    assert result.account_pension == D("2564.10")
    assert result.total == D("7919.10")


def test_shanxi_deemed_years_with_a_transitional_index_from_the_records():
    # Born 1965-01-20: delay 1 → retiring 2025-02-20 at 60 y 1 m; divisor 138.4.
    # First work 1985-01: deemed 1985-01…1997-06 = 150 months (Shanxi accounts from 1997-07).
    # 1997-07…2009-12: 150 months at 600 ÷ 500 = 1.2
    # 2010-01…2025-01: 181 months at 4000 ÷ 5000 = 0.8
    # Z = (150 × 1.2 + 181 × 0.8 + 150 × 1.0) ÷ 481 = (180 + 144.8 + 150) ÷ 481
    #   = 474.8/481 = 0.98711018…
    # N = 481 ÷ 12 = 40.0833… → 40.0833; deemed years = 150 ÷ 12 = 12.5000
    # basic = 7253 × (955.8/481) ÷ 2 × 0.400833 = 6 932 417.4 ÷ 962 × 0.400833
    #       = 7 206.255093… × 0.400833 = 2 888.504848… → 2 888.50
    # transitional (index 1.1 from the records) = 7253 × 1.1 × 12.5 × 1.3 %
    #       = 7253 × 0.17875 = 1 296.47375 → 1 296.47
    # account = 120 000.00 ÷ 138.4 = 867.052023… → 867.05
    # total = 2 888.50 + 867.05 + 1 296.47 = 5 052.02
    result = determine(
        birth_date=date(1965, 1, 20),
        retirement_date=date(2025, 2, 20),
        contributions=span("1997-07", "2009-12", "600") + span("2010-01", "2025-01", "4000"),
        average_wages={**flat(1996, 2008, "500"), **flat(2009, 2024, "5000")},
        deemed_months=150,
        account_balance=D("120000.00"),
        calculation_base=SHANXI_2025,
        rules=SHANXI,
        divisor_table=TO_THE_MONTH,
        transitional_index=D("1.1"),
    )
    assert result.index.z_exact == Fraction(4748, 4810)
    assert (result.actual_months, result.deemed_months) == (331, 150)
    assert result.contribution_years == D("40.0833")
    assert result.deemed_years == D("12.5000")
    assert result.divisor.value == D("138.4")
    assert result.basic_pension == D("2888.50")
    assert result.transitional_index == D("1.1")
    assert result.transitional_coefficient == D("0.013")
    assert result.transitional_pension == D("1296.47")
    assert result.account_pension == D("867.05")
    assert result.total == D("5052.02")


def test_shanxi_woman_cadre_at_55_transitional_index_equal_to_z():
    # Born 1969-05-01, retiring 2024-05-01: 55 y 0 m; 2024 → divisor 170.
    # First work 1988-05: deemed 1988-05…1997-06 = 110 months.
    # 1997-07…2024-04: 322 months at 900 ÷ 1000 = 0.9
    # Z = (322 × 0.9 + 110 × 1.0) ÷ 432 = (289.8 + 110) ÷ 432 = 399.8/432 = 0.92546296…
    # N = 432 ÷ 12 = 36.0000; deemed years = 110 ÷ 12 = 9.1666… → 9.1667
    # basic = 7111 × (831.8/432) ÷ 2 × 0.36 = 7111 × 831.8 ÷ 2400 = 5 914 929.8 ÷ 2400
    #       = 2 464.554083… → 2 464.55
    # transitional (index = Z) = 7111 × 399.8/432 × 9.1667 × 1.3 %
    #       = 2 842 977.8 ÷ 432 × 0.1191671 = 6 580.967129… × 0.1191671 = 784.234768… → 784.23
    # account = 70 000.00 ÷ 170 = 411.764705… → 411.76
    # total = 2 464.55 + 411.76 + 784.23 = 3 660.54
    result = determine(
        birth_date=date(1969, 5, 1),
        retirement_date=date(2024, 5, 1),
        contributions=span("1997-07", "2024-04", "900"),
        average_wages=flat(1996, 2023, "1000"),
        deemed_months=110,
        account_balance=D("70000.00"),
        calculation_base=SHANXI_2024,
        rules=SHANXI,
        divisor_table=WHOLE_AGE,
    )
    assert result.transitional_index_given is None
    assert result.transitional_index_exact == Fraction(3998, 4320)
    assert result.deemed_years == D("9.1667")
    assert result.basic_pension == D("2464.55")
    assert result.transitional_pension == D("784.23")
    assert result.account_pension == D("411.76")
    assert result.total == D("3660.54")


def test_jilin_deemed_years_actual_not_above_20_and_a_half_fen():
    # Born 1964-07-01, retiring 2024-07-01: 60 y 0 m; divisor 139. Outside Changchun: 7178.5.
    # Deemed 1980-07…1995-06 = 180 months (Jilin accounts from 1995-07).
    # 1995-07…2004-06: 108 months at 500 ÷ 1000 = 0.5
    # 2014-07…2024-06: 120 months at 7000 ÷ 5600 = 1.25
    # Z = (54 + 150 + 180) ÷ 408 = 384/408 = 16/17 = 0.94117647…
    # N = 408 ÷ 12 = 34.00; actual 228 months = 19.00 years, not above 20 → 1.2 %, no extra
    # basic = 7178.5 × (33/17) ÷ 2 × 0.34 = 7178.5 × 0.33 = 2 368.905 → 2 368.91 (half-up)
    # transitional = 7178.5 × 16/17 × 15.00 × 1.2 % = 20 674.08 ÷ 17 = 1 216.122352… → 1 216.12
    # account = 30 000.00 ÷ 139 = 215.827338… → 215.83
    # total = 2 368.91 + 215.83 + 1 216.12 = 3 800.86
    result = determine(
        birth_date=date(1964, 7, 1),
        retirement_date=date(2024, 7, 1),
        contributions=span("1995-07", "2004-06", "500") + span("2014-07", "2024-06", "7000"),
        average_wages={**flat(1994, 2003, "1000"), **flat(2013, 2023, "5600")},
        deemed_months=180,
        account_balance=D("30000.00"),
        calculation_base=JILIN_2024,
        rules=JILIN,
        divisor_table=WHOLE_AGE,
    )
    assert result.index.z_exact == Fraction(16, 17)
    assert (result.contribution_years, result.actual_years, result.deemed_years) == (
        D("34.00"),
        D("19.00"),
        D("15.00"),
    )
    assert result.basic_pension == D("2368.91")
    assert result.transitional_coefficient == D("0.012")
    assert result.transitional_pension == D("1216.12")
    assert result.account_pension == D("215.83")
    assert result.extra_pension == D("0.00")
    assert result.total == D("3800.86")


def test_jilin_changchun_deemed_years_long_coefficient_and_extra_pension():
    # Born 1965-04-08: delay ⌊3/4⌋ + 1 = 1 → retiring 2025-05-08 at 60 y 1 m; divisor 138.4.
    # Changchun: C_local 7978.25, C_province 7322.08 (2025).
    # Deemed 1983-05…1995-06 = 146 months.
    # 1995-07…2005-12: 126 months at 700 ÷ 1000 = 0.7
    # 2006-01…2025-04: 232 months at 10 000 ÷ 8000 = 1.25
    # Z = (88.2 + 290 + 146) ÷ 504 = 524.2/504 = 1.04007936…
    # N = 504 ÷ 12 = 42.00; actual 358 months = 29.83 > 20 → 1.4 % and the extra pension
    # deemed years = 146 ÷ 12 = 12.1666… → 12.17
    # (C_local + C_province × Z) ÷ 2 = (7978.25 + 3 838 234.336 ÷ 504) ÷ 2
    #       = (7978.25 + 7 615.544317…) ÷ 2 = 7 796.897158…
    # basic = 7 796.897158… × 42 % = 3 274.696806… → 3 274.70
    # extra rate = 5 × 0.15 % + 5 × 0.20 % + 12 × 0.25 % = 0.75 % + 1 % + 3 % = 4.75 %
    # extra = 7 796.897158… × 0.0475 = 370.352615… → 370.35
    # transitional (index = Z, provincial base) = 7 615.544317… × 12.17 × 1.4 %
    #       = 7 615.544317… × 0.17038 = 1 297.536440… → 1 297.54
    # account = 200 000.00 ÷ 138.4 = 1 445.086705… → 1 445.09
    # total = 3 274.70 + 1 445.09 + 1 297.54 + 370.35 = 6 387.68
    result = determine(
        birth_date=date(1965, 4, 8),
        retirement_date=date(2025, 5, 8),
        contributions=span("1995-07", "2005-12", "700") + span("2006-01", "2025-04", "10000"),
        average_wages={**flat(1994, 2004, "1000"), **flat(2005, 2024, "8000")},
        deemed_months=146,
        account_balance=D("200000.00"),
        calculation_base=JILIN_2025,
        local_calculation_base=CHANGCHUN_2025,
        rules=JILIN,
        divisor_table=TO_THE_MONTH,
    )
    assert result.index.z_exact == Fraction(5242, 5040)
    assert (result.contribution_years, result.actual_years, result.deemed_years) == (
        D("42.00"),
        D("29.83"),
        D("12.17"),
    )
    assert result.basic_pension == D("3274.70")
    assert result.extra_rate == D("0.0475")
    assert result.extra_pension == D("370.35")
    assert result.transitional_coefficient == D("0.014")
    assert result.transitional_pension == D("1297.54")
    assert result.account_pension == D("1445.09")
    assert result.total == D("6387.68")
    text = rendered(result)
    assert "Extra pension, years above 30: 12.00 years × 0.25 % a year." in text
    assert "The records give no transitional index: it is taken equal to Z." in text
    assert (
        "Transitional pension = 7322.08 × 1.04007937 × 12.17 deemed years × 1.4 % = 1297.54."
    ) in text


def test_jilin_changchun_woman_worker_born_1976_with_extra_pension():
    # Born 1976-02-10: delay ⌊13/2⌋ + 1 = 7 → retiring 2026-09-10 at 50 y 7 m.
    # Divisor 195 − (195 − 190) × 7 ÷ 12 = 192.0833… → 192.1
    # Changchun, the 2025 bases as given: C_local 7978.25, C_province 7322.08.
    # 1996-09…2010-12: 172 months at 1500 ÷ 2000 = 0.75
    # 2011-01…2026-08: 188 months at 9000 ÷ 6000 = 1.5
    # Z = (129 + 282) ÷ 360 = 411/360 = 1.141666…; N = 30.00 = actual years > 20
    # (7978.25 + 7322.08 × 411/360) ÷ 2 = (7978.25 + 3 009 374.88 ÷ 360) ÷ 2
    #       = (7978.25 + 8 359.374666…) ÷ 2 = 8 168.812333…
    # basic = 8 168.812333… × 30 % = 2 450.6437 → 2 450.64
    # extra rate = 5 × 0.15 % + 5 × 0.20 % = 1.75 %; extra = 8 168.812333… × 0.0175
    #       = 142.954215… → 142.95
    # account = 88 888.88 ÷ 192.1 = 462.721915… → 462.72
    # total = 2 450.64 + 462.72 + 142.95 = 3 056.31
    result = determine(
        birth_date=date(1976, 2, 10),
        retirement_date=date(2026, 9, 10),
        contributions=span("1996-09", "2010-12", "1500") + span("2011-01", "2026-08", "9000"),
        average_wages={**flat(1995, 2009, "2000"), **flat(2010, 2025, "6000")},
        deemed_months=0,
        account_balance=D("88888.88"),
        calculation_base=JILIN_2025,
        local_calculation_base=CHANGCHUN_2025,
        rules=JILIN,
        divisor_table=TO_THE_MONTH,
    )
    assert result.divisor.value == D("192.1")
    assert result.index.z_exact == Fraction(411, 360)
    assert result.contribution_years == D("30.00")
    assert result.basic_pension == D("2450.64")
    assert result.extra_rate == D("0.0175")
    assert result.extra_pension == D("142.95")
    assert result.account_pension == D("462.72")
    assert result.transitional_pension == D("0.00")
    assert result.total == D("3056.31")


def test_jilin_extra_pension_counts_part_years_in_a_band():
    # Born 1965-02-03: delay ⌊1/4⌋ + 1 = 1 → retiring 2025-03-03 at 60 y 1 m; divisor 138.4.
    # Outside Changchun: C_local = C_province = 7322.08.
    # 1997-09…2025-02: 330 months at 5000 ÷ 5000 = 1.0 → Z = 1; N = 27.50 (actual, > 20)
    # basic = (7322.08 + 7322.08 × 1) ÷ 2 × 27.50 % = 7322.08 × 0.275 = 2 013.572 → 2 013.57
    # extra rate = 5 × 0.15 % + 2.5 × 0.20 % = 0.75 % + 0.5 % = 1.25 %
    # extra = 7322.08 × 0.0125 = 91.526 → 91.53
    # account = 100 000.00 ÷ 138.4 = 722.543352… → 722.54
    # total = 2 013.57 + 722.54 + 91.53 = 2 827.64
    result = determine(
        birth_date=date(1965, 2, 3),
        retirement_date=date(2025, 3, 3),
        contributions=span("1997-09", "2025-02", "5000"),
        average_wages=flat(1996, 2024, "5000"),
        deemed_months=0,
        account_balance=D("100000.00"),
        calculation_base=JILIN_2025,
        rules=JILIN,
        divisor_table=TO_THE_MONTH,
    )
    assert result.contribution_years == D("27.50")
    assert result.basic_pension == D("2013.57")
    assert result.extra_rate == D("0.0125")
    assert result.extra_pension == D("91.53")
    assert result.account_pension == D("722.54")
    assert result.total == D("2827.64")


def test_determination_explains_itself_line_by_line():
    # The Jilin Changchun case above: one line per year, Z, N, each component, total.
    result = determine(
        birth_date=date(1976, 2, 10),
        retirement_date=date(2026, 9, 10),
        contributions=span("1996-09", "2010-12", "1500") + span("2011-01", "2026-08", "9000"),
        average_wages={**flat(1995, 2009, "2000"), **flat(2010, 2025, "6000")},
        deemed_months=0,
        account_balance=D("88888.88"),
        calculation_base=JILIN_2025,
        local_calculation_base=CHANGCHUN_2025,
        rules=JILIN,
        divisor_table=TO_THE_MONTH,
    )
    assert all(isinstance(line, Line) for line in result.explanation)
    text = rendered(result)
    assert text[0] == "Born 1976-02-10, retiring 2026-09-10: age 50 y 7 m."
    assert text[1] == (
        "1996: 4 months, bases 6000.00, average monthly base 1500.00 ÷ average wage of "
        "1995 2000 = index 0.75000000."
    )
    assert "Basic pension = (7978.25 + 7322.08 × 1.14166667) ÷ 2 × 30.00 × 1 % = 2450.64." in text
    assert "Extra pension = (7978.25 + 7322.08 × 1.14166667) ÷ 2 × 1.75 % = 142.95." in text
    assert "Extra pension, years 20 to 25: 5.00 years × 0.15 % a year." in text
    assert "Extra pension, years 25 to 30: 5.00 years × 0.2 % a year." in text
    assert text[-1] == "Monthly pension = 2450.64 + 462.72 + 0.00 + 142.95 = 3056.31."
    # stored form: msgid and params, JSON-safe
    stored = json.loads(json.dumps(result.as_json()))
    assert stored["total"] == "3056.31"
    assert stored["z"] == "1.14166666666666666667"
    assert stored["divisor"] == "192.1"
    assert stored["explanation"][-1][1]["total"] == "3056.31"


def test_single_base_refuses_a_different_local_base():
    with pytest.raises(ValueError):
        determine(
            birth_date=date(1964, 3, 10),
            retirement_date=date(2024, 3, 10),
            contributions=span("2000-01", "2000-12", "1000"),
            average_wages=flat(1999, 1999, "1000"),
            deemed_months=0,
            account_balance=D("0.00"),
            calculation_base=SHANXI_2024,
            local_calculation_base=D("8000"),
            rules=SHANXI,
            divisor_table=WHOLE_AGE,
        )


def test_floats_are_refused():
    with pytest.raises(TypeError):
        determine(
            birth_date=date(1964, 3, 10),
            retirement_date=date(2024, 3, 10),
            contributions=span("2000-01", "2000-12", "1000"),
            average_wages=flat(1999, 1999, "1000"),
            deemed_months=0,
            account_balance=1000.0,
            calculation_base=SHANXI_2024,
            rules=SHANXI,
            divisor_table=WHOLE_AGE,
        )


def test_rules_from_the_seed_parameters():
    # the shipped seed rows give the same rules as the literals above
    seed = json.loads(
        (Path(__file__).resolve().parents[2] / "pension/data/policy_parameters.json").read_text(
            encoding="utf-8"
        )
    )

    def values(profile):
        rows = {}
        for row in seed["parameters"]:
            if (
                row["profile"] in (profile, None)
                and row["region"] is None
                and row["key"].startswith("benefits.")
            ):
                rows[row["key"]] = row["value"]  # later rows (by date) win
        decimal_keys = (
            "benefits.deemed_index",
            "benefits.transitional_coefficient",
            "benefits.transitional_coefficient_long",
            "benefits.transitional_long_years",
        )
        return {k: (D(v) if k in decimal_keys else v) for k, v in rows.items()}

    shanxi = ProfileRules.from_policy(values("shanxi"))
    jilin = ProfileRules.from_policy(values("jilin"))
    assert shanxi == SHANXI
    assert jilin == JILIN
    assert values("jilin")["benefits.months_divisor"] == TO_THE_MONTH


# 5. Survivors and overpayment -------------------------------------------------------------


@pytest.mark.parametrize(
    ("months", "expected"),
    [
        (100, 9),  # under 15 years
        (180, 9),  # 15 years
        (191, 9),  # 15 years 11 months: no whole further year
        (192, 10),  # 16 years: 9 + 1
        (300, 19),  # 25 years: 9 + 10
        (360, 24),  # 30 years: 9 + 15 = 24 (the cap)
        (400, 24),  # 33 y 4 m: 9 + 18 = 27 → at most 24
    ],
)
def test_survivors_pension_months(months, expected):
    assert survivors_pension_months(months, table=SURVIVOR_MONTHS) == expected


def test_funeral_grant():
    # 2 × 3 456.78 = 6 913.56
    assert funeral_grant(D("3456.78")) == D("6913.56")
    # 2 × 3 456.785 = 6 913.57 (already a whole fen)
    assert funeral_grant(D("3456.785"), months=D("2")) == D("6913.57")


def test_heirs_account_balance():
    # 50 000.00 − 12 × 361.27 (= 4 335.24) = 45 664.76
    assert heirs_account_balance(D("50000.00"), D("4335.24")) == D("45664.76")
    # paid more than the balance: never below zero
    assert heirs_account_balance(D("10000.00"), D("12000.00")) == D("0.00")


def test_survivor_benefits_of_a_retiree():
    # income 3 456.78; 25 contribution years = 300 months → 9 + 10 = 19 months
    # funeral grant = 2 × 3 456.78 = 6 913.56
    # survivors' pension = 19 × 3 456.78 = 65 678.82
    # account to heirs = 50 000.00 − 4 335.24 = 45 664.76
    # total = 6 913.56 + 65 678.82 + 45 664.76 = 118 257.14
    result = survivor_benefits(
        death_date=date(2025, 3, 15),
        disposable_income=D("3456.78"),
        contribution_months=300,
        funeral_grant_months=D("2"),
        pension_months_table=SURVIVOR_MONTHS,
        balance_at_retirement=D("50000.00"),
        account_pension_paid=D("4335.24"),
    )
    assert result.funeral_grant == D("6913.56")
    assert result.pension_months == 19
    assert result.survivors_pension == D("65678.82")
    assert result.account_to_heirs == D("45664.76")
    assert result.total == D("118257.14")
    assert len(result.explanation) == 3


def test_survivor_benefits_of_an_insured_person_not_retired():
    # 10 years = 120 months → 9 months; 9 × 3 000.00 = 27 000.00; no account line here
    result = survivor_benefits(
        death_date=date(2025, 3, 15),
        disposable_income=D("3000.00"),
        contribution_months=120,
        funeral_grant_months=D("2"),
        pension_months_table=SURVIVOR_MONTHS,
    )
    assert (result.funeral_grant, result.survivors_pension) == (D("6000.00"), D("27000.00"))
    assert result.account_to_heirs is None
    assert result.total == D("33000.00")


def test_overpayment_after_death():
    # died 2025-03-15: March is still owed; April, May, June paid 3 800.86 each are overpaid
    # 3 × 3 800.86 = 11 402.58; a June arrears line of 50.00 adds to June: 11 452.58
    payments = [(Period(2025, m), D("3800.86")) for m in range(2, 7)] + [
        (Period(2025, 6), D("50.00"))
    ]
    result = overpayment_after_death(date(2025, 3, 15), payments)
    assert str(result.last_due) == "2025-03"
    assert [str(p) for p, _ in result.periods] == ["2025-04", "2025-05", "2025-06"]
    assert result.periods[-1][1] == D("3850.86")
    assert result.total == D("11452.58")


def test_no_overpayment_when_payment_stopped_in_time():
    result = overpayment_after_death(date(2025, 3, 31), [(Period(2025, 3), D("3800.86"))])
    assert result.periods == ()
    assert result.total == D("0.00")
