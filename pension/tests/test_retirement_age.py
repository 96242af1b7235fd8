"""The statutory retirement age (法定退休年龄) and the minimum contribution months
(最低缴费年限): national rules of the kernel (``pension.policy``), used by contributions
(the shortfall, §7.4.4) and benefits (the determination). Expected figures are worked
out by hand in the comments."""

from __future__ import annotations

from datetime import date

import pytest

from enrollment.choices import OccupationKind, Sex
from pension import policy
from pension.periods import Period
from pension.policy import (
    minimum_contribution_months,
    retirement_delay_months,
    statutory_retirement,
)
from pension.selectors import policy_value

MINIMUM_TABLE = {"base_months": 180, "rise_from_year": 2030, "step_months": 6, "max_months": 240}


def test_the_registration_choices_store_the_values_the_rule_reads():
    assert (Sex.MALE, Sex.FEMALE) == (policy.SEX_MALE, policy.SEX_FEMALE) == ("M", "F")
    assert (OccupationKind.WORKER, OccupationKind.CADRE) == ("worker", "cadre")
    assert policy.retirement_group(Sex.FEMALE, OccupationKind.CADRE) == "female_cadre"
    assert policy.retirement_group(Sex.FEMALE, OccupationKind.WORKER) == "female_worker"
    assert policy.retirement_group(Sex.MALE, OccupationKind.CADRE) == "male"


# --- statutory retirement age and minimum months (pure) ---------------------------


MEN = {"cohort_start": Period(1965, 1), "step": 4, "cap": 36}
WOMEN_CADRES = {"cohort_start": Period(1970, 1), "step": 4, "cap": 36}
WOMEN_WORKERS = {"cohort_start": Period(1975, 1), "step": 2, "cap": 60}


@pytest.mark.parametrize(
    ("birth", "rule", "delay"),
    [
        (Period(1964, 12), MEN, 0),  # m = −1 < 0 → no delay
        (Period(1965, 1), MEN, 1),  # m = 0 → 0 // 4 + 1 = 1
        (Period(1965, 5), MEN, 2),  # m = 4 → 4 // 4 + 1 = 2
        (Period(1965, 4), MEN, 1),  # m = 3 → 3 // 4 + 1 = 1
        (Period(1976, 9), MEN, 36),  # m = 11 × 12 + 8 = 140 → 140 // 4 + 1 = 36 → cap 36
        (Period(1990, 1), MEN, 36),  # m = 300 → 76 → cap 36
        (Period(1969, 12), WOMEN_CADRES, 0),  # m = −1
        (Period(1970, 1), WOMEN_CADRES, 1),  # m = 0 → 1
        (Period(1975, 1), WOMEN_WORKERS, 1),  # m = 0 → 0 // 2 + 1 = 1
        (Period(1975, 3), WOMEN_WORKERS, 2),  # m = 2 → 2 // 2 + 1 = 2
        (Period(1984, 12), WOMEN_WORKERS, 60),  # m = 9 × 12 + 11 = 119 → 60 → cap 60
    ],
)
def test_retirement_delay_months(birth, rule, delay):
    assert retirement_delay_months(birth, **rule) == delay


def test_no_cohort_means_no_delay():
    assert retirement_delay_months(Period(1990, 1), cohort_start=None, step=0, cap=0) == 0


@pytest.mark.parametrize(
    ("year", "months"),
    [
        (2025, 180),
        (2029, 180),  # up to 2029: 180
        (2030, 186),  # 180 + 6 × (2030 − 2030 + 1)
        (2031, 192),  # 180 + 6 × 2
        (2039, 240),  # 180 + 6 × 10 = 240
        (2045, 240),  # 180 + 6 × 16 = 276 → at most 240
    ],
)
def test_minimum_contribution_months(year, months):
    assert minimum_contribution_months(year, MINIMUM_TABLE) == months


@pytest.mark.django_db
def test_the_seeded_parameters_give_the_same_ages_and_minimums(demo_tiny):
    table = policy_value("benefits.retirement_age", on=date(2026, 1, 1)).value
    # a man born 1965-05-20: 60 years + 2 months → 2025-07-20
    man = statutory_retirement(date(1965, 5, 20), sex="M", occupation_kind="worker", table=table)
    assert (man.group, man.base_age, man.delay_months, man.month, man.day) == (
        "male",
        60,
        2,
        Period(2025, 7),
        date(2025, 7, 20),
    )
    # a woman worker born 1975-03-31: 50 years + 2 months → 2025-05-31
    woman = statutory_retirement(date(1975, 3, 31), sex="F", occupation_kind="worker", table=table)
    assert (woman.group, woman.delay_months, woman.day) == ("female_worker", 2, date(2025, 5, 31))
    # a woman cadre born 1972-01-31: m = 24 → 24 // 4 + 1 = 7 months → 55 y 7 m → 2027-08-31
    cadre = statutory_retirement(date(1972, 1, 31), sex="F", occupation_kind="cadre", table=table)
    assert (cadre.group, cadre.delay_months, cadre.day) == ("female_cadre", 7, date(2027, 8, 31))
    # a man born 1964-12-31 (before the cohorts): 60 → 2024-12-31
    early = statutory_retirement(date(1964, 12, 31), sex="M", occupation_kind="worker", table=table)
    assert (early.delay_months, early.day) == (0, date(2024, 12, 31))
    for year, months in ((2029, 180), (2030, 186), (2039, 240)):
        minimum = policy_value("benefits.minimum_contribution_months", on=date(year, 1, 1)).value
        assert minimum_contribution_months(year, minimum) == months
