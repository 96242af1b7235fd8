"""Import kernel: the month cell (年月, a period)."""

from datetime import date, datetime

import pytest
from django.utils import translation

from pension.imports import CellError, cell_month
from pension.periods import Period


@pytest.mark.parametrize(
    "value",
    [202503, 202503.0, "202503", " 2025-03 ", date(2025, 3, 1), datetime(2025, 3, 1)],
)
def test_the_forms_of_a_month(value) -> None:
    assert cell_month(value) == Period(2025, 3)


@pytest.mark.parametrize(
    "value",
    [
        202513,  # month 13
        2025031,
        202503.5,
        "2025-3",
        "2025/03",
        "２０２５０３",  # full-width digits
        date(2025, 3, 2),  # not the first of a month
        datetime(2025, 3, 1, 12, 0),
        True,
        "March",
    ],
)
def test_what_is_not_a_month(value) -> None:
    with translation.override("en"), pytest.raises(CellError) as refused:
        cell_month(value)
    assert "is not a month" in refused.value.message


def test_a_blank_month_is_required() -> None:
    with translation.override("en"), pytest.raises(CellError) as refused:
        cell_month("")
    assert "required" in refused.value.message
