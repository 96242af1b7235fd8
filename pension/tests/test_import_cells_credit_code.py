"""Import kernel: the unified social credit code cell (统一社会信用代码)."""

import pytest
from django.utils import translation

from pension.imports import CellError, cell_credit_code

VALID = "91350100M000100Y43"


def test_a_text_cell_is_checked_and_upper_cased() -> None:
    assert cell_credit_code(" 91350100m000100y43 ") == VALID


@pytest.mark.parametrize("value", [913501000001004300, 9.135e17, "9.13501E+17"])
def test_a_number_cell_is_refused_as_text(value) -> None:
    with translation.override("en"), pytest.raises(CellError) as refused:
        cell_credit_code(value)
    assert "as text" in refused.value.message


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "required"),
        ("91350100M000100Y4", "18 characters"),
        ("91350100M000100Y44", "check character"),
        ("91350100I000100Y43", "not allowed"),  # I is not in the GB 32100 set
        ("91ABCDEFM000100Y43", "region code"),
    ],
)
def test_a_wrong_code_says_what_is_wrong(value, fragment) -> None:
    with translation.override("en"), pytest.raises(CellError) as refused:
        cell_credit_code(value)
    assert fragment in refused.value.message
