"""Which policy value applied on date D in region R (DESIGN §4); what is shipped and
where each shipped value comes from (issue 12)."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from pension import services
from pension.models import PolicyParameter
from pension.policy import WORKING_VALUE_KEYS, WORKING_VALUE_SOURCE, typed_value
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


def _shipped() -> list[dict]:
    from pension.demo import DATA_DIR

    data = json.loads((DATA_DIR / "policy_parameters.json").read_text(encoding="utf-8"))
    return data["parameters"]


def test_every_shipped_value_names_its_source():
    # the hard rule of issue 12: a shipped value comes from a published source that its
    # record names; the only exception is an operational setting marked as a working
    # value (工作值), never a wage, base, limit, rate or income
    shipped = _shipped()
    assert len(shipped) > 50
    for row in shipped:
        where = f"{row['profile']} {row['key']} {row['effective_from']}"
        assert isinstance(row["source"], str) and row["source"].strip(), where
        if row["source"] == WORKING_VALUE_SOURCE:
            assert row["key"] in WORKING_VALUE_KEYS, where
            assert "working value" in row["notes"], where
        else:
            for marker in ("工作值", "未核实", "working value", "extrapolat", "projected"):
                assert marker not in row["source"], where
                assert marker not in row["notes"], where


def test_no_figure_is_shipped_without_a_published_source():
    # the Shanxi 2023 and 2024 average wages and limits were projected working values:
    # they are gone, and nothing before the published 2025 figures is in force
    figures = {"contribution.average_wage", "contribution.base_floor", "contribution.base_ceiling"}
    shanxi = sorted(
        (row["effective_from"], row["key"])
        for row in _shipped()
        if row["profile"] == "shanxi" and row["key"] in figures
    )
    assert shanxi[0][0] == "2025-01-01"
    assert all(row["key"] not in WORKING_VALUE_KEYS for row in _shipped() if row["key"] in figures)


def test_a_year_without_published_limits_is_refused_by_name(demo_tiny):
    from contributions import bases
    from pension.errors import InvalidInput

    # Shanxi's limits are on record from 2025; 2024's were never shipped
    with pytest.raises(InvalidInput) as refused:
        bases.year_limits(2024, region="140105", as_of=date(2026, 12, 1))
    assert refused.value.code == "limits_missing"
    assert "2024" in str(refused.value)
    with pytest.raises(ValidationError) as missing:
        policy_value("contribution.average_wage", on=date(2024, 6, 1), region="140105")
    assert missing.value.code == "parameter_missing"
    assert "contribution.average_wage" in str(missing.value.params)


def test_a_year_before_the_first_shipped_interest_rate_is_refused_by_name(demo_tiny):
    from accounts.services import interest_rate_for
    from pension.errors import InvalidInput

    # the national crediting rates are shipped from 2016; the statutory deposit rates
    # used before were not found in a published table we could read (docs/calculations.md)
    assert interest_rate_for(2016).rate == Decimal("0.0831")
    with translation.override("en"):
        with pytest.raises(InvalidInput) as refused:
            interest_rate_for(2015)
        assert refused.value.code == "no_interest_rate"
        assert str(refused.value) == (
            "No crediting interest rate has been announced for 2015 or any year before it."
        )
