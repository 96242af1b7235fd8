"""Decimal helpers: exact conversion and half-up rounding."""

from decimal import Decimal

import pytest
from django.db import models

from pension.money import (
    FEN,
    INDEX_DECIMAL_PLACES,
    MONEY_DECIMAL_PLACES,
    MONEY_MAX_DIGITS,
    RATE_DECIMAL_PLACES,
    money_field,
    round_fen,
    round_places,
    to_decimal,
)


def test_constants() -> None:
    assert Decimal("0.01") == FEN
    assert MONEY_MAX_DIGITS == 14
    assert MONEY_DECIMAL_PLACES == 2
    assert RATE_DECIMAL_PLACES == 6
    assert INDEX_DECIMAL_PLACES >= 6


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("12.345"), Decimal("12.345")),
        (7, Decimal("7")),
        ("  1024.50 ", Decimal("1024.50")),
        ("-3.1", Decimal("-3.1")),
    ],
)
def test_to_decimal_accepts_exact_values(value: object, expected: Decimal) -> None:
    result = to_decimal(value)  # type: ignore[arg-type]
    assert isinstance(result, Decimal)
    assert result == expected


def test_to_decimal_keeps_the_written_exponent() -> None:
    assert str(to_decimal("1024.50")) == "1024.50"


@pytest.mark.parametrize("value", [0.1, 2.675, 1.0, float("nan")])
def test_to_decimal_refuses_float(value: float) -> None:
    with pytest.raises(TypeError):
        to_decimal(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [True, None, [1], b"1"])
def test_to_decimal_refuses_other_types(value: object) -> None:
    with pytest.raises(TypeError):
        to_decimal(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["", "abc", "1,000.00", "NaN", "Infinity", Decimal("-Inf")])
def test_to_decimal_refuses_non_numbers(value: object) -> None:
    with pytest.raises(ValueError):
        to_decimal(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("0.005"), "0.01"),
        (Decimal("0.004"), "0.00"),
        (Decimal("2.675"), "2.68"),  # exact as a Decimal; as a float it would be 2.67
        ("2.665", "2.67"),
        (Decimal("-0.005"), "-0.01"),  # ROUND_HALF_UP: halves go away from zero
        (Decimal("-2.675"), "-2.68"),
        (Decimal("-0.004"), "0.00"),  # no negative zero
        (Decimal("1.999"), "2.00"),
        (5, "5.00"),
        ("1234.5", "1234.50"),
    ],
)
def test_round_fen_half_up(value: object, expected: str) -> None:
    result = round_fen(value)  # type: ignore[arg-type]
    assert str(result) == expected


def test_round_fen_refuses_float() -> None:
    with pytest.raises(TypeError):
        round_fen(2.675)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (Decimal("0.0123455"), 6, "0.012346"),
        (Decimal("0.0123454"), 6, "0.012345"),
        (Decimal("1.000000005"), 8, "1.00000001"),
        (Decimal("-1.5"), 0, "-2"),
        (Decimal("2.5"), 0, "3"),
        ("0.1", 6, "0.100000"),
    ],
)
def test_round_places_half_up(value: object, places: int, expected: str) -> None:
    assert str(round_places(value, places)) == expected  # type: ignore[arg-type]


def test_round_places_refuses_bad_places() -> None:
    with pytest.raises(ValueError):
        round_places(Decimal("1.5"), -1)
    with pytest.raises(TypeError):
        round_places(Decimal("1.5"), 2.0)  # type: ignore[arg-type]


def test_money_field() -> None:
    field = money_field(default=Decimal("0.00"), help_text="monthly amount")
    assert isinstance(field, models.DecimalField)
    assert field.max_digits == 14
    assert field.decimal_places == 2
    assert field.default == Decimal("0.00")
    _, path, _, kwargs = field.deconstruct()
    assert path == "django.db.models.DecimalField"
    assert kwargs["max_digits"] == 14
    assert kwargs["decimal_places"] == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1000", Decimal("1000.00")),
        (" 4198.5 ", Decimal("4198.50")),
        ("0.01", Decimal("0.01")),
        ("0", Decimal("0.00")),
        (Decimal("12.3"), Decimal("12.30")),
        (7, Decimal("7.00")),
        ("999999999999.99", Decimal("999999999999.99")),
    ],
)
def test_parse_money_accepts_plain_amounts(text, expected) -> None:
    from pension.money import parse_money

    value = parse_money(text)
    assert value == expected
    assert value.as_tuple().exponent == -2


@pytest.mark.parametrize(
    "text",
    [
        "1_000.00",  # Python's Decimal reads this as 1000
        "１０００",  # full-width digits
        "١٠٠٠",  # Arabic-Indic digits
        "1e3",
        "1E30",
        "+100",
        "-5",  # negative not allowed by default
        "12.345",
        "sNaN",
        "NaN",
        "Infinity",
        "",
        ".5",
        "1,000.00",
        "²",
        "1000000000000.00",  # 13 digits before the point
        1.5,
        True,
        Decimal("1.005"),
        Decimal("sNaN"),
    ],
)
def test_parse_money_refuses_everything_else(text) -> None:
    from pension.money import MoneyFormatError, parse_money

    with pytest.raises(MoneyFormatError):
        parse_money(text)


def test_parse_money_negative_when_allowed() -> None:
    from pension.money import parse_money

    assert parse_money("-12.5", allow_negative=True) == Decimal("-12.50")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1234567.8"), "1,234,567.80"),
        (Decimal("999.99"), "999.99"),
        (Decimal("1000"), "1,000.00"),
        (Decimal("-1234.5"), "-1,234.50"),
        (Decimal("0"), "0.00"),
        (Decimal("1234.565"), "1,234.57"),  # display only: half-up
        (12000, "12,000.00"),
        ("7140.12", "7,140.12"),
        (None, ""),
        ("—", "—"),
    ],
)
def test_format_money_groups_thousands_and_keeps_two_decimals(value, expected) -> None:
    from pension.money import format_money

    assert format_money(value) == expected


def test_money_filter_on_a_page() -> None:
    from django.template import Context, Template

    page = Template("{% load pension_tags %}{{ a|money }} {{ b|default_if_none:'—'|money }}")
    assert page.render(Context({"a": Decimal("56601.60"), "b": None})) == "56,601.60 —"
