"""Import kernel: the serial number cell (流水号, 序号): ASCII digits only."""

import pytest
from django.utils import translation

from pension.imports import CellError, cell_serial


@pytest.mark.parametrize(("value", "expected"), [("4711", 4711), (4711, 4711), (4711.0, 4711)])
def test_a_serial_number(value, expected) -> None:
    assert cell_serial(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "²",  # str.isdigit() says yes; int() says no
        "47²",
        "٤٧",  # Arabic-Indic digits: int() would read 47
        "４７",  # full-width: int() would read 47
        "-47",
        "+47",
        "4_7",
        "47.0",
        4711.5,
        "0",
        "1" * 19,  # past bigint
        True,
        "abc",
    ],
)
def test_anything_but_ascii_digits_is_refused(value) -> None:
    with translation.override("en"), pytest.raises(CellError) as refused:
        cell_serial(value)
    assert "not a serial number" in refused.value.message
