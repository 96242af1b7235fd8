"""Contribution months (Period) and their model field (no database)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from pension.periods import InvalidPeriod, Period, PeriodField, PeriodFormField, validate_period

MARCH_2025 = Period(2025, 3)


@pytest.mark.parametrize("value", ["202503", 202503, "2025-03", " 2025-03 ", MARCH_2025])
def test_parse_forms(value: object) -> None:
    assert Period.parse(value) == MARCH_2025  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("202513", "invalid_month"),
        ("202500", "invalid_month"),
        (202513, "invalid_month"),
        (202500, "invalid_month"),
        ("2025-13", "invalid_month"),
        ("2025-00", "invalid_month"),
        ("194912", "invalid_year"),
        ("220101", "invalid_year"),
        ("2025-3", "invalid"),
        ("2025/03", "invalid"),
        ("25-03", "invalid"),
        ("20250301", "invalid"),
        ("", "invalid"),
        ("abcdef", "invalid"),
        (20253, "invalid"),
        (-202503, "invalid"),
    ],
)
def test_parse_refuses(value: object, code: str) -> None:
    with pytest.raises(InvalidPeriod) as excinfo:
        Period.parse(value)  # type: ignore[arg-type]
    assert excinfo.value.code == code
    # an InvalidPeriod is both a ValidationError and a ValueError
    assert isinstance(excinfo.value, ValidationError)
    assert isinstance(excinfo.value, ValueError)


@pytest.mark.parametrize("month", [0, 13, -1])
def test_constructor_refuses_bad_months(month: int) -> None:
    with pytest.raises(ValueError) as excinfo:
        Period(2025, month)
    assert excinfo.value.code == "invalid_month"  # type: ignore[attr-defined]


def test_year_bounds() -> None:
    assert Period(1950, 1).as_int == 195001
    assert Period(2200, 12).as_int == 220012
    with pytest.raises(ValueError):
        Period(1949, 12)
    with pytest.raises(ValueError):
        Period(2201, 1)


def test_constructor_refuses_non_int() -> None:
    with pytest.raises(TypeError):
        Period("2025", 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Period(2025, True)
    with pytest.raises(TypeError):
        Period.parse(2025.03)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Period.parse(True)


def test_from_date_and_days() -> None:
    assert Period.from_date(date(2025, 3, 31)) == MARCH_2025
    assert MARCH_2025.first_day == date(2025, 3, 1)
    assert MARCH_2025.last_day == date(2025, 3, 31)
    assert Period(2024, 2).last_day == date(2024, 2, 29)
    assert Period(2025, 2).last_day == date(2025, 2, 28)
    assert Period(1900 + 100, 2).last_day == date(2000, 2, 29)
    assert Period(2100, 2).last_day == date(2100, 2, 28)
    assert Period(2025, 4).last_day == date(2025, 4, 30)


def test_str_and_int() -> None:
    assert str(MARCH_2025) == "2025-03"
    assert str(Period(2025, 12)) == "2025-12"
    assert MARCH_2025.as_int == 202503


def test_next_and_prev_across_year_ends() -> None:
    assert Period(2024, 12).next() == Period(2025, 1)
    assert Period(2025, 1).prev() == Period(2024, 12)
    assert MARCH_2025.next() == Period(2025, 4)
    assert MARCH_2025.prev() == Period(2025, 2)
    with pytest.raises(ValueError):
        Period(2200, 12).next()
    with pytest.raises(ValueError):
        Period(1950, 1).prev()


def test_arithmetic() -> None:
    assert Period(2026, 1) == MARCH_2025 + 10
    assert Period(2026, 1) == 10 + MARCH_2025
    assert MARCH_2025 + 0 == MARCH_2025
    assert Period(2027, 3) == MARCH_2025 + 24
    assert Period(2024, 12) == MARCH_2025 - 3
    assert Period(2023, 12) == MARCH_2025 + (-15)
    assert Period(2025, 12) == MARCH_2025 - (-9)
    with pytest.raises(TypeError):
        MARCH_2025 + 1.0  # type: ignore[operator]
    with pytest.raises(TypeError):
        MARCH_2025 + "1"  # type: ignore[operator]


def test_months_between() -> None:
    assert Period(2025, 3) - Period(2024, 3) == 12
    assert Period(2025, 1) - Period(2024, 12) == 1
    assert Period(2024, 12) - Period(2025, 1) == -1
    assert MARCH_2025 - MARCH_2025 == 0
    # 15 full years from 1995-07 to 2010-07
    assert Period(2010, 7) - Period(1995, 7) == 180


def test_ordering() -> None:
    assert Period(2024, 12) < Period(2025, 1) < Period(2025, 2)
    assert Period(2025, 2) >= Period(2025, 2)
    assert max(Period(2025, 1), Period(2024, 12), Period(2025, 11)) == Period(2025, 11)
    assert sorted([Period(2025, 10), Period(2025, 2), Period(2024, 11)]) == [
        Period(2024, 11),
        Period(2025, 2),
        Period(2025, 10),
    ]
    with pytest.raises(TypeError):
        _ = MARCH_2025 < 202504  # type: ignore[operator]


def test_hashable_and_frozen() -> None:
    assert {Period(2025, 3), Period.parse("202503")} == {MARCH_2025}
    with pytest.raises(AttributeError):
        MARCH_2025.month = 4  # type: ignore[misc]


def test_range_inclusive() -> None:
    assert list(Period.range(Period(2024, 11), Period(2025, 2))) == [
        Period(2024, 11),
        Period(2024, 12),
        Period(2025, 1),
        Period(2025, 2),
    ]
    assert list(Period.range("2025-03", 202503)) == [MARCH_2025]
    assert list(Period.range(Period(2025, 4), MARCH_2025)) == []
    assert len(list(Period.range(Period(2024, 1), Period(2024, 12)))) == 12
    # reaching the last representable month does not step past it
    assert list(Period.range("2200-11", "2200-12")) == [Period(2200, 11), Period(2200, 12)]


# --- PeriodField (no database) ----------------------------------------------------


def test_field_to_python() -> None:
    field = PeriodField()
    assert field.to_python("2025-03") == MARCH_2025
    assert field.to_python("202503") == MARCH_2025
    assert field.to_python(202503) == MARCH_2025
    assert field.to_python(MARCH_2025) == MARCH_2025
    assert field.to_python(None) is None
    assert field.to_python("") is None


@pytest.mark.parametrize("value", [202500, 202513, "2025-13", "nonsense", 2025.03])
def test_field_to_python_refuses(value: object) -> None:
    with pytest.raises(ValidationError):
        PeriodField().to_python(value)


def test_field_round_trip() -> None:
    field = PeriodField()
    stored = field.get_prep_value(MARCH_2025)
    assert stored == 202503
    assert isinstance(stored, int)
    assert field.from_db_value(stored, None, None) == MARCH_2025
    assert field.to_python(field.get_prep_value("2024-12")) == Period(2024, 12)
    assert field.get_prep_value(None) is None
    assert field.from_db_value(None, None, None) is None
    for period in Period.range("2024-01", "2025-12"):
        assert field.from_db_value(field.get_prep_value(period), None, None) == period


def test_field_clean_and_validator() -> None:
    field = PeriodField()
    assert field.clean("2025-03", None) == MARCH_2025
    with pytest.raises(ValidationError) as excinfo:
        field.clean("202513", None)
    assert excinfo.value.code == "invalid_month"
    assert validate_period(MARCH_2025) is None
    assert validate_period(202503) is None
    for bad in (202500, 202513):
        with pytest.raises(ValidationError):
            validate_period(bad)
    assert validate_period in field.validators


def test_field_deconstruct() -> None:
    field = PeriodField(db_index=True, verbose_name="contribution period")
    _name, path, args, kwargs = field.deconstruct()
    assert path == "pension.periods.PeriodField"
    assert args == []
    assert kwargs == {"db_index": True, "verbose_name": "contribution period"}
    clone = PeriodField(*args, **kwargs)
    assert clone.to_python("202503") == MARCH_2025


def test_form_field() -> None:
    form_field = PeriodField().formfield()
    assert isinstance(form_field, PeriodFormField)
    assert form_field.clean("2025-03") == MARCH_2025
    assert form_field.prepare_value(MARCH_2025) == "2025-03"
    with pytest.raises(ValidationError):
        form_field.clean("2025-13")


def test_form_field_empty_and_widget() -> None:
    form_field = PeriodField(blank=True, null=True).formfield()
    assert form_field is not None
    assert form_field.clean("  ") is None
    assert form_field.widget.attrs["maxlength"] == "7"
