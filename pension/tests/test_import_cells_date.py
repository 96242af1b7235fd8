"""Import kernel: the date cell (日期)."""

from datetime import date, datetime

import pytest
from django.utils import translation

from pension.imports import CellError, cell_date


@pytest.mark.parametrize(
    "value",
    [
        date(2026, 3, 5),
        datetime(2026, 3, 5, 8, 30),
        "2026-03-05",
        "2026/3/5",
        "2026.3.5",
        "20260305",
        20260305,
        20260305.0,
    ],
)
def test_the_forms_of_a_date(value) -> None:
    assert cell_date(value) == date(2026, 3, 5)


@pytest.mark.parametrize(
    "value", ["2026-02-30", "20261305", "2026-03", "５ March", "２０２６-03-05", 2026.5, True]
)
def test_what_is_not_a_date(value) -> None:
    with translation.override("zh-hans"), pytest.raises(CellError) as refused:
        cell_date(value)
    assert refused.value.message.startswith("这不是有效日期")
