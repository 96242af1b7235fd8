"""Import kernel: the count cell (人数): a whole number from 0, ASCII digits only."""

import pytest
from django.utils import translation

from pension.imports import CellError, cell_count


@pytest.mark.parametrize(("value", "expected"), [("0", 0), (0, 0), ("27", 27), (27.0, 27)])
def test_a_count(value, expected) -> None:
    assert cell_count(value) == expected


@pytest.mark.parametrize(
    "value", ["", None, "-1", "+3", "2.5", 2.5, "٤٧", "４７", "1" * 10, True, "abc"]
)
def test_anything_but_a_whole_number_is_refused(value) -> None:
    with translation.override("en"), pytest.raises(CellError) as refused:
        cell_count(value)
    if value not in ("", None):
        assert "not a number of people" in refused.value.message
