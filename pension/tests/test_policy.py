"""Which policy value applied on date D in region R (DESIGN §4)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from pension import services
from pension.models import PolicyParameter
from pension.policy import typed_value
from pension.selectors import policy_value

pytestmark = pytest.mark.django_db


def test_national_rate_switches_on_its_effective_date(demo_tiny):
    # 国办发〔2019〕13号: employer rate 20 % until 2019-04-30, 16 % from 2019-05-01
    assert policy_value("contribution.employer_rate", on=date(2019, 4, 30)).value == Decimal("0.20")
    assert policy_value("contribution.employer_rate", on=date(2019, 5, 1)).value == Decimal("0.16")


def test_profile_values_follow_the_regions_province(demo_tiny):
    # Taiyuan's Xiaodian district is Shanxi: 4 decimals; a Changchun district is Jilin: 2
    assert (
        policy_value(
            "benefits.contribution_years_decimals", on=date(2025, 1, 1), region="140105"
        ).value
        == 4
    )
    assert (
        policy_value(
            "benefits.contribution_years_decimals", on=date(2025, 1, 1), region="220102"
        ).value
        == 2
    )
    # no region: the default profile (Shanxi)
    assert policy_value("benefits.transitional_coefficient", on=date(2025, 1, 1)).value == Decimal(
        "0.013"
    )


def test_a_citys_own_value_wins_in_the_city_and_below(demo_tiny):
    on = date(2025, 6, 1)
    # Changchun (220100) has its own 2025 base 7978.25; its district 南关区 inherits it
    changchun = policy_value("benefits.calculation_base", on=on, region="220102")
    assert changchun.value == Decimal("7978.25")
    assert changchun.region_code == "220100"
    # Jilin city (220200) has none: the provincial 7322.08
    assert policy_value("benefits.calculation_base", on=on, region="220202").value == Decimal(
        "7322.08"
    )
    # before Changchun's first own value (2023) the provincial one applies
    assert policy_value(
        "benefits.calculation_base", on=date(2022, 6, 1), region="220102"
    ).value == Decimal("6384.83")


def test_as_of_ignores_values_published_later(demo_tiny):
    on = date(2026, 3, 1)  # Shanxi's 2026 limits were published in August 2026
    assert policy_value("contribution.base_floor", on=on, region="140105").value == Decimal("4244")
    provisional = policy_value(
        "contribution.base_floor", on=on, region="140105", as_of=date(2026, 5, 1)
    )
    assert provisional.value == Decimal("4198")
    assert provisional.effective_from == date(2025, 1, 1)


def test_a_revision_is_a_new_version_and_the_old_one_stays(demo_tiny, staff):
    original = PolicyParameter.objects.get(
        key="benefits.calculation_base", profile="shanxi", effective_from=date(2025, 1, 1)
    )
    revised = services.policy_parameter_revise(
        actor=staff["admin"], parameter=original, value="7260", notes="corrected"
    )
    assert revised.version == 2
    value = policy_value("benefits.calculation_base", on=date(2025, 7, 1), region="140105")
    assert (value.value, value.version, value.parameter_id) == (Decimal("7260"), 2, revised.pk)
    assert value.reference == f"benefits.calculation_base@{revised.pk}.v2"
    original.refresh_from_db()
    assert original.value == "7253"  # untouched


def test_no_value_in_force_is_a_clear_error(demo_tiny):
    with pytest.raises(ValidationError) as excinfo:
        policy_value("accounts.interest_rate", on=date(2015, 6, 1))
    assert excinfo.value.code == "parameter_missing"
    with pytest.raises(ValidationError) as excinfo:
        policy_value("no.such.key", on=date(2025, 1, 1))
    assert excinfo.value.code == "unknown_parameter"


def test_values_never_pass_through_float():
    with pytest.raises(ValidationError):
        typed_value("decimal", 0.16)
    assert typed_value("decimal", "0.16") == Decimal("0.16")


def test_every_seeded_value_fits_its_kind(demo_tiny):
    for row in PolicyParameter.objects.all():
        from pension.policy import spec_for

        spec = spec_for(row.key)
        typed_value(spec.kind, row.value)
        if spec.scope == "national":
            assert row.profile_id is None, row
        else:
            assert row.profile_id is not None, row


def test_interest_rates_and_divisor_table_as_design_gives_them(demo_tiny):
    rate = policy_value("accounts.interest_rate", on=date(2023, 12, 31))
    assert rate.value == Decimal("0.0397")
    divisor = policy_value("benefits.months_divisor", on=date(2025, 2, 1)).value
    assert divisor["by_age"]["60"] == 139 and divisor["by_age"]["50"] == 195
    assert divisor["to_the_month"] is True
    assert (
        policy_value("benefits.months_divisor", on=date(2024, 12, 31)).value["to_the_month"]
        is False
    )
