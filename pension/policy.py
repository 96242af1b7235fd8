"""The registry of policy parameters (统一政策参数): every key the system knows, with
its kind, its scope and its label. Values are data (``PolicyParameter`` rows, seeded
from ``pension/data/policy_parameters.json``); this module only says what they mean.

Decimals are stored as strings inside the JSON value, so nothing passes through float.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from pension.choices import ParameterKind as K
from pension.periods import Period

NATIONAL = "national"
PROFILE = "profile"

# The ``source`` of a shipped value that is not a published figure (工作值): only the
# operational settings below may carry it (a due day, the reserve months, approval
# thresholds, the gap-sharing split), never a wage, base, limit, rate or income. Every
# other shipped value names the published document it comes from
# (``pension/tests/test_policy.py`` checks both; docs/calculations.md lists what is
# shipped and what was not found).
WORKING_VALUE_SOURCE = "工作值（非公布数字）"
WORKING_VALUE_KEYS = frozenset(
    {
        "contribution.payment_due_day",
        "funds.reserve_months",
        "funds.plan_tolerance",
        "approvals.amount_thresholds",
        "approvals.batch_amount_thresholds",
        "budget.gap_sharing",
        "budget.scorecard_weights",
        "budget.execution_alert_threshold",
        "payroll.recent_account_change_days",
    }
)


@dataclass(frozen=True)
class ParameterSpec:
    key: str
    kind: str
    scope: str  # NATIONAL: one value for the country, PROFILE: per province profile
    label: Any
    yearly: bool = False  # a value per year; ``reference_year`` names the year


SPECS: dict[str, ParameterSpec] = {
    spec.key: spec
    for spec in [
        # contributions (DESIGN §4, §5.2)
        ParameterSpec(
            "contribution.employer_rate", K.DECIMAL, NATIONAL, _("Employer contribution rate")
        ),
        ParameterSpec(
            "contribution.individual_rate", K.DECIMAL, NATIONAL, _("Individual contribution rate")
        ),
        ParameterSpec(
            "contribution.account_rate", K.DECIMAL, NATIONAL, _("Personal account crediting rate")
        ),
        ParameterSpec(
            "contribution.flexible_rate",
            K.DECIMAL,
            NATIONAL,
            _("Flexible worker contribution rate"),
        ),
        ParameterSpec(
            "contribution.flexible_account_rate",
            K.DECIMAL,
            NATIONAL,
            _("Flexible worker crediting rate"),
        ),
        ParameterSpec("contribution.base_floor_ratio", K.DECIMAL, NATIONAL, _("Base floor ratio")),
        ParameterSpec(
            "contribution.base_ceiling_ratio", K.DECIMAL, NATIONAL, _("Base ceiling ratio")
        ),
        ParameterSpec(
            "contribution.late_fee_daily_rate", K.DECIMAL, NATIONAL, _("Daily late-fee rate")
        ),
        ParameterSpec(
            "contribution.average_wage",
            K.DECIMAL,
            PROFILE,
            _("Average monthly wage of urban employees"),
            True,
        ),
        ParameterSpec(
            "contribution.base_floor", K.DECIMAL, PROFILE, _("Contribution base floor"), True
        ),
        ParameterSpec(
            "contribution.base_ceiling", K.DECIMAL, PROFILE, _("Contribution base ceiling"), True
        ),
        ParameterSpec("contribution.payment_due_day", K.INTEGER, PROFILE, _("Payment due day")),
        # personal accounts (DESIGN §5.3)
        ParameterSpec("accounts.start_month", K.TEXT, PROFILE, _("Month personal accounts began")),
        ParameterSpec(
            "accounts.interest_rate", K.DECIMAL, NATIONAL, _("Crediting interest rate"), True
        ),
        ParameterSpec("accounts.interest_method", K.TEXT, PROFILE, _("Interest method")),
        ParameterSpec(
            "accounts.transfer_pooled_ratio",
            K.DECIMAL,
            NATIONAL,
            _("Pooled-fund share on transfer out of the province"),
        ),
        ParameterSpec(
            "accounts.transfer_pooled_from_year",
            K.INTEGER,
            NATIONAL,
            _("First year of the pooled-fund share"),
        ),
        # benefits (DESIGN §4, §5.4)
        ParameterSpec(
            "benefits.calculation_base", K.DECIMAL, PROFILE, _("Pension calculation base"), True
        ),
        ParameterSpec("benefits.months_divisor", K.TABLE, NATIONAL, _("Months divisor")),
        ParameterSpec("benefits.retirement_age", K.TABLE, NATIONAL, _("Statutory retirement age")),
        ParameterSpec(
            "benefits.minimum_contribution_months",
            K.TABLE,
            NATIONAL,
            _("Minimum contribution months"),
        ),
        ParameterSpec(
            "benefits.contribution_years_decimals",
            K.INTEGER,
            PROFILE,
            _("Decimals of contribution years"),
        ),
        ParameterSpec(
            "benefits.basic_pension_formula", K.TEXT, PROFILE, _("Basic pension formula")
        ),
        ParameterSpec("benefits.deemed_index", K.DECIMAL, PROFILE, _("Deemed contribution index")),
        ParameterSpec(
            "benefits.transitional_coefficient", K.DECIMAL, PROFILE, _("Transitional coefficient")
        ),
        ParameterSpec(
            "benefits.transitional_coefficient_long",
            K.DECIMAL,
            PROFILE,
            _("Transitional coefficient for long contributors"),
        ),
        ParameterSpec(
            "benefits.transitional_long_years",
            K.DECIMAL,
            PROFILE,
            _("Long-contribution threshold in years"),
        ),
        ParameterSpec(
            "benefits.extra_pension", K.TABLE, PROFILE, _("Extra pension for long contribution")
        ),
        ParameterSpec(
            "survivors.funeral_grant_months", K.DECIMAL, NATIONAL, _("Funeral grant months")
        ),
        ParameterSpec(
            "survivors.pension_months", K.TABLE, NATIONAL, _("Survivors' pension months")
        ),
        ParameterSpec(
            "survivors.disposable_income",
            K.DECIMAL,
            PROFILE,
            _("Urban per-capita monthly disposable income"),
            True,
        ),
        ParameterSpec(
            "payroll.recent_account_change_days",
            K.INTEGER,
            PROFILE,
            _("Days a changed bank account needs the payroll reviewer's confirmation"),
        ),
        ParameterSpec(
            "certification.interval_months",
            K.INTEGER,
            NATIONAL,
            _("Certification interval in months"),
        ),
        # funds and budget (DESIGN §5.5, §5.6)
        ParameterSpec(
            "funds.disbursement_day", K.INTEGER, PROFILE, _("Provincial disbursement day")
        ),
        ParameterSpec(
            "funds.spending_plan_due_day", K.INTEGER, PROFILE, _("Spending plan due day")
        ),
        ParameterSpec(
            "funds.city_plan_due_day", K.INTEGER, PROFILE, _("City spending plan due day")
        ),
        ParameterSpec(
            "funds.plan_tolerance",
            K.DECIMAL,
            PROFILE,
            _("Spending plan tolerance against the payroll projection"),
        ),
        ParameterSpec("funds.reserve_months", K.DECIMAL, PROFILE, _("Reserve months")),
        ParameterSpec("budget.gap_sharing", K.TABLE, PROFILE, _("Gap-sharing ratios")),
        ParameterSpec(
            "budget.scorecard_weights", K.TABLE, PROFILE, _("Weights of the scorecard indicators")
        ),
        ParameterSpec(
            "budget.execution_alert_threshold",
            K.DECIMAL,
            PROFILE,
            _("Budget execution alert threshold"),
        ),
        ParameterSpec(
            "approvals.amount_thresholds", K.TABLE, PROFILE, _("Approval amount thresholds")
        ),
        ParameterSpec(
            "approvals.batch_amount_thresholds",
            K.TABLE,
            PROFILE,
            _("Approval amount thresholds of batch runs"),
        ),
    ]
}


def spec_for(key: str) -> ParameterSpec:
    try:
        return SPECS[key]
    except KeyError:
        raise ValidationError(
            _("Unknown policy parameter: %(key)s"), code="unknown_parameter", params={"key": key}
        ) from None


def typed_value(kind: str, raw: Any) -> Any:
    """The stored JSON value as the kind says: Decimal, int, str or a table (dict)."""
    try:
        if kind == K.DECIMAL:
            if isinstance(raw, float):
                raise TypeError("float")
            return Decimal(str(raw))
        if kind == K.INTEGER:
            if isinstance(raw, bool) or not isinstance(raw, int | str):
                raise TypeError("integer")
            return int(raw)
        if kind == K.TEXT:
            if not isinstance(raw, str):
                raise TypeError("text")
            return raw
        if kind == K.TABLE:
            if not isinstance(raw, dict | list):
                raise TypeError("table")
            return raw
    except (InvalidOperation, TypeError, ValueError):
        pass
    raise ValidationError(
        _("The value does not fit the parameter's kind (%(kind)s): %(value)s"),
        code="bad_value",
        params={"kind": kind, "value": raw},
    )


@dataclass(frozen=True)
class PolicyValue:
    """A parameter value as it applied, with what a calculation must keep to explain it."""

    key: str
    value: Any
    parameter_id: int
    version: int
    effective_from: date
    profile: str | None
    region_code: str | None
    # the year a yearly figure describes (an average wage, an income): a calculation
    # that needs a given year's figure checks it, rather than take an older one
    reference_year: int | None = None

    @property
    def reference(self) -> str:
        """How a result cites this value: ``key@id.vVersion``."""
        return f"{self.key}@{self.parameter_id}.v{self.version}"


# --- the statutory retirement age and the minimum contribution months ----------------
# National rules (NPC Standing Committee decision of 2024-09-13, DESIGN §4), used by
# contributions (the retirement-age shortfall, §7.4.4) and by benefits (the retirement
# determination). The ages, cohorts and steps are data (``benefits.retirement_age``,
# ``benefits.minimum_contribution_months``); the rule that reads them is here.

# the values ``enrollment.choices.Sex`` and ``OccupationKind`` store (they use these)
SEX_MALE = "M"
SEX_FEMALE = "F"
OCCUPATION_WORKER = "worker"
OCCUPATION_CADRE = "cadre"


def retirement_delay_months(
    birth: Period | date, *, cohort_start: Period | None, step: int, cap: int
) -> int:
    """Months by which the statutory retirement age (法定退休年龄) is delayed (2024-09-13
    decision).

    m = months from the cohort's first birth month to ``birth``;
    delay = 0 when m < 0 (or no cohort), else min(cap, m // step + 1).
    """
    if cohort_start is None or step <= 0:
        return 0
    # counted on (year, month), not as Periods: a birth month is no contribution month
    # and may be long before 1950, the earliest Period
    months = (birth.year - cohort_start.year) * 12 + birth.month - cohort_start.month
    if months < 0:
        return 0
    return min(cap, months // step + 1)


@dataclass(frozen=True)
class StatutoryRetirement:
    """When a person reaches statutory retirement age (法定退休年龄)."""

    group: str  # male | female_cadre | female_worker
    base_age: int  # years
    delay_months: int
    month: Period  # the month the statutory age is reached
    day: date


def retirement_group(sex: str, occupation_kind: str) -> str:
    """The row of ``benefits.retirement_age`` for a person: male, female_cadre or
    female_worker."""
    if sex == SEX_MALE:
        return "male"
    return "female_cadre" if occupation_kind == OCCUPATION_CADRE else "female_worker"


def statutory_retirement(
    birth_date: date, *, sex: str, occupation_kind: str, table: dict[str, Any]
) -> StatutoryRetirement:
    """The statutory retirement age and date (法定退休年龄) from ``benefits.retirement_age``.

    Age = base age (men 60, women cadres 55, women workers 50) + the cohort's delay;
    the date is the birth date that many years and months later (the last day of the
    month when the birth day does not exist in it).
    """
    group = retirement_group(sex, occupation_kind)
    rule = table[group]
    start = rule.get("cohort_start")
    delay = retirement_delay_months(
        birth_date,
        cohort_start=Period.parse(start) if start else None,
        step=int(rule.get("step_months") or 0),
        cap=int(rule.get("cap_months") or 0),
    )
    base_age = int(rule["base_age"])
    month = Period(birth_date.year + base_age, birth_date.month) + delay
    day = date(month.year, month.month, min(birth_date.day, month.last_day.day))
    return StatutoryRetirement(group, base_age, delay, month, day)


def minimum_contribution_months(year: int, table: dict[str, Any]) -> int:
    """Minimum contribution months (最低缴费年限) for retiring in ``year`` (``benefits.
    minimum_contribution_months``): base months, and from ``rise_from_year`` on
    ``step_months`` more a year, at most ``max_months`` (180 up to 2029, 186 in 2030 …
    240 from 2039)."""
    base = int(table["base_months"])
    rise_from = table.get("rise_from_year")
    if rise_from is None or year < int(rise_from):
        return base
    rise = int(table.get("step_months") or 0) * (year - int(rise_from) + 1)
    return min(int(table.get("max_months") or base), base + rise)
