"""Import kernel: the money cell, read by pension.money.parse_money only."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from pension.imports import CellError, cell_money


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("6500", Decimal("6500.00")),
        (" 6500.5 ", Decimal("6500.50")),
        (6500, Decimal("6500.00")),  # an int cell
        (6500.5, Decimal("6500.50")),  # a number cell: its shortest repr, 6500.5
        (0.1, Decimal("0.10")),
        ("999999999999.99", Decimal("999999999999.99")),  # 12 digits: money_field's 14
    ],
)
def test_amounts_are_read_exactly(value, expected) -> None:
    amount = cell_money(value)
    assert amount == expected
    assert amount.as_tuple().exponent == -2


@pytest.mark.parametrize(
    "value",
    [
        "1e30",
        1e30,  # a number cell: repr 1e+30
        "1" * 30,  # 30 digits
        10**30,
        "sNaN",
        "NaN",
        "Infinity",
        "1_000",
        "+100",
        "1,000.00",
        "１００",  # full-width digits
        "١٠٠",  # Arabic-Indic digits
        "100.001",
        0.1 + 0.2,  # 0.30000000000000004: not an amount a person typed
        "abc",
        True,
        date(2025, 1, 1),
    ],
)
def test_anything_else_is_refused_with_a_message(value) -> None:
    with translation.override("en"), pytest.raises(CellError) as refused:
        cell_money(value)
    assert "not an amount of money" in refused.value.message


def test_negative_amounts_only_where_allowed() -> None:
    with translation.override("en"), pytest.raises(CellError) as refused:
        cell_money("-12.30")
    assert "negative" in refused.value.message
    assert cell_money("-12.30", allow_negative=True) == Decimal("-12.30")


def test_positive_refuses_zero() -> None:
    assert cell_money("0") == Decimal("0.00")
    with translation.override("en"), pytest.raises(CellError) as refused:
        cell_money("0.00", positive=True)
    assert "more than zero" in refused.value.message


def test_a_blank_cell_is_required() -> None:
    with translation.override("zh-hans"), pytest.raises(CellError) as refused:
        cell_money(None)
    assert refused.value.message == "此单元格必填。"
