"""Import kernel: the citizen ID number cell (公民身份号码), the same in every importer."""

from datetime import date

import pytest
from django.utils import translation

from pension.imports import CellError, cell_citizen_id

VALID = "11010519491231002X"  # the GB 11643 example: check character X


def test_a_text_cell_is_checked_and_normalised() -> None:
    parsed = cell_citizen_id(" 11010519491231002x ", today=date(2026, 1, 1))
    assert parsed.number == VALID
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.sex == "F"  # sequence 002: even


@pytest.mark.parametrize(
    "value",
    [
        1.1010519491231002e17,  # what a number cell keeps of an 18-digit number
        110105194912310020,  # an int cell
        "1.10105194912310E+17",  # a number cell saved as CSV
        "1.1010519491231E17",
    ],
)
def test_a_number_cell_is_refused_with_the_one_message(value) -> None:
    with translation.override("zh-hans"), pytest.raises(CellError) as refused:
        cell_citizen_id(value, today=date(2026, 1, 1))
    assert refused.value.message.startswith("请以文本格式填写公民身份号码")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (None, "required"),
        ("  ", "required"),
        ("11010519491231002", "18 characters"),
        ("110105194912310021", "check character"),
        ("1101051949123100２X", "digits"),  # a full-width digit
    ],
)
def test_a_wrong_number_says_what_is_wrong(value, fragment) -> None:
    with translation.override("en"), pytest.raises(CellError) as refused:
        cell_citizen_id(value, today=date(2026, 1, 1))
    assert fragment in refused.value.message


def test_a_birth_date_after_today_is_refused() -> None:
    with translation.override("en"), pytest.raises(CellError) as refused:
        cell_citizen_id(VALID, today=date(1949, 12, 30))
    assert "future" in refused.value.message
