"""Test data of benefits: retirees with a determination written directly (the
retirement tests cover how a determination comes about)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from accounts.tests.factories import make_person
from benefits.choices import DeterminationStatus, RetirementKind
from benefits.models import PensionDetermination
from enrollment.choices import PersonStatus
from pension.models import Agency
from pension.periods import Period


def retiree(
    agency: Agency,
    *,
    basic: str = "1500.00",
    account: str = "800.00",
    transitional: str = "900.00",
    retired: str = "2026-05",
    paid_through: str | None = None,
    status: str = DeterminationStatus.IN_PAYMENT,
    bank_name: str = "中国工商银行",
    bank_account: str | None = None,
    region: str | None = None,
    born: date = date(1966, 4, 10),
    name: str | None = None,
) -> PensionDetermination:
    """A retired person of ``agency`` and their current determination: the components
    given (total = their sum), retired in month ``retired`` (paid from the month after),
    paid through ``paid_through`` (None: never paid)."""
    extra = {"name": name} if name else {}
    person = make_person(
        agency,
        born=born,
        region=region,
        status=PersonStatus.RETIRED,
        bank_name=bank_name,
        **extra,
    )
    person.bank_account = bank_account if bank_account is not None else f"6222{person.pk:012d}"
    person.save(update_fields=["bank_account"])
    month = Period.parse(retired)
    total = D(basic) + D(account) + D(transitional)
    return PensionDetermination.objects.create(
        person=person,
        region_id=person.region_id,
        agency=agency,
        kind=RetirementKind.STATUTORY,
        status=status,
        retirement_date=month.first_day,
        retirement_month=month,
        statutory_date=month.first_day,
        actual_months=300,
        deemed_months=60,
        contribution_years=D("30.0000"),
        average_index=D("1"),
        transitional_index=D("1"),
        divisor=D("139.0"),
        account_balance=D(account) * 139,
        calculation_base=D("7111.00"),
        local_calculation_base=D("7111.00"),
        calculation_base_year=month.year,
        basic_pension=D(basic),
        account_pension=D(account),
        transitional_pension=D(transitional),
        extra_pension=D("0.00"),
        total=total,
        paid_through=Period.parse(paid_through) if paid_through else None,
    )


# Average wages the tests enter for years whose published figure is not shipped
# (pension/data/policy_parameters.json has Shanxi's from 2024, in force 2025, on): test
# values, round numbers chosen so the indices come out exact, never published figures.
TEST_AVERAGE_WAGES = {2022: "6848", 2023: "6922"}


def enter_test_average_wages(wages: dict[int, str] = TEST_AVERAGE_WAGES) -> None:
    """Enter ``contribution.average_wage`` of each statistics year (in force from the
    next January) in the Shanxi profile, as the province would, marked as test values."""
    from pension.models import PolicyParameter, PolicyProfile

    shanxi = PolicyProfile.objects.get(code="shanxi")
    for year, value in wages.items():
        PolicyParameter.objects.create(
            key="contribution.average_wage",
            profile=shanxi,
            effective_from=date(year + 1, 1, 1),
            value=value,
            reference_year=year,
            source="test value (not a published figure)",
        )
