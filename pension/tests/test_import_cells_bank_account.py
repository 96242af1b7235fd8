"""Import kernel: the bank account number cell (银行账号)."""

import pytest
from django.utils import translation

from pension.imports import CellError, cell_bank_account


def test_digits_as_text() -> None:
    assert cell_bank_account(" 6222020200000001 ") == "6222020200000001"


@pytest.mark.parametrize("value", [6.222020200000001e15, 6222020200000001, "6.22202E+15"])
def test_a_number_cell_is_refused_as_text(value) -> None:
    with translation.override("en"), pytest.raises(CellError) as refused:
        cell_bank_account(value)
    assert "bank account number as text" in refused.value.message


@pytest.mark.parametrize(
    "value", ["12345", "6222 0202 0000 0001", "62220202000000０1", "622202020000000١", "1" * 33]
)
def test_only_6_to_32_ascii_digits(value) -> None:
    with translation.override("en"), pytest.raises(CellError) as refused:
        cell_bank_account(value)
    assert "6 to 32 digits" in refused.value.message
