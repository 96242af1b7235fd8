"""Citizen ID numbers (GB 11643) and unified social credit codes (GB 32100).

The expected check characters are worked out by hand in the comments, never
with the code under test. Citizen ID weights over the first 17 digits:
    7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, check = "10X98765432"[sum mod 11].
Credit code weights over the first 17 characters:
    1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28,
    check = charset[(31 - sum mod 31) mod 31], charset "0123456789ABCDEFGHJKLMNPQRTUWXY"
    (A=10 B=11 C=12 D=13 E=14 F=15 G=16 H=17 J=18 K=19 L=20 M=21 N=22 P=23 Q=24
    R=25 T=26 U=27 W=28 X=29 Y=30).
"""

from datetime import date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from pension.validators import (
    CitizenId,
    check_citizen_id_consistency,
    mask_citizen_id,
    parse_citizen_id,
    parse_credit_code,
    validate_citizen_id,
    validate_credit_code,
)

TODAY = date(2025, 6, 30)

# Rule choice: the 1900-01-01 lower bound on birth dates is KEPT (DESIGN states it;
# nobody born before 1900 is alive to draw or pay a pension). So the standard's
# second example, 440524188001010014 (a man born 1880-01-01, whose check character
# is correct), is refused with code "birth_date" -- see test_birth_before_1900.

ID_CHECK_MESSAGE = (
    "The citizen ID number is wrong: its check character does not match the first 17 "
    "characters. Check the number against the ID card."
)
CREDIT_CODE_CHECK_MESSAGE = (
    "The unified social credit code is wrong: its check character does not match the "
    "first 17 characters. Check the code against the business licence."
)


def _codes(excinfo: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [error.code for error in excinfo.value.error_list]


def _reference_check(first17: str) -> str:
    """An independent GB 11643 check for parametrised cases (not the code under test)."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def test_reference_check_agrees_with_the_hand_worked_examples() -> None:
    assert _reference_check("11010519491231002") == "X"
    assert _reference_check("14010519850715123") == "3"
    assert _reference_check("14010519900101106") == "X"


# --- valid citizen ID numbers ------------------------------------------------


def test_standard_example_woman_1949() -> None:
    # 1 1 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2
    # 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2 -> "X"
    result = parse_citizen_id("11010519491231002X", today=TODAY)
    assert result == CitizenId(
        number="11010519491231002X",
        region_code="110105",
        birth_date=date(1949, 12, 31),
        sex="F",  # sequence 002: last digit even
        sequence="002",
    )
    assert result.province_code == "110000"


def test_man_shanxi_1985() -> None:
    # 1 4 0 1 0 5 1 9 8 5 0 7 1 5 1 2 3
    # 7+36+0+5+0+20+2+9+48+15+0+63+10+25+8+8+6 = 262; 262 = 23*11 + 9 -> "3"
    result = parse_citizen_id("140105198507151233", today=TODAY)
    assert result.region_code == "140105"
    assert result.birth_date == date(1985, 7, 15)
    assert result.sex == "M"  # sequence 123: last digit odd
    assert result.sequence == "123"
    assert result.province_code == "140000"


def test_woman_jilin_leap_day() -> None:
    # 2 2 0 1 0 2 2 0 0 0 0 2 2 9 0 4 6
    # 14+18+0+5+0+8+4+0+0+0+0+18+20+45+0+16+12 = 160; 160 = 14*11 + 6 -> "6"
    result = parse_citizen_id("220102200002290466", today=TODAY)
    assert result.birth_date == date(2000, 2, 29)
    assert result.sex == "F"


def test_check_character_x_upper_and_lower_case() -> None:
    # 1 4 0 1 0 5 1 9 9 0 0 1 0 1 1 0 6
    # 7+36+0+5+0+20+2+9+54+0+0+9+0+5+8+0+12 = 167; 167 mod 11 = 2 -> "X"
    assert parse_citizen_id("14010519900101106X", today=TODAY).number == "14010519900101106X"
    result = parse_citizen_id("14010519900101106x", today=TODAY)
    assert result.number == "14010519900101106X"
    assert result.sex == "F"


def test_surrounding_whitespace_is_stripped() -> None:
    assert parse_citizen_id("  11010519491231002x\n", today=TODAY).number == "11010519491231002X"


def test_earliest_birth_date_1900_01_01_is_accepted() -> None:
    # 1 1 0 1 0 1 1 9 0 0 0 1 0 1 0 0 1
    # 7+9+0+5+0+4+2+9+0+0+0+9+0+5+0+0+2 = 52; 52 = 4*11 + 8 -> "4"
    assert parse_citizen_id("110101190001010014", today=TODAY).birth_date == date(1900, 1, 1)


def test_born_today_is_accepted() -> None:
    # 2 2 0 1 0 2 2 0 2 5 0 6 3 0 0 4 2
    # 14+18+0+5+0+8+4+0+12+15+0+54+30+0+0+16+4 = 180; 180 = 16*11 + 4 -> "8"
    assert parse_citizen_id("220102202506300428", today=date(2025, 6, 30)).sex == "F"


@pytest.mark.parametrize(
    ("number", "sex"),
    [
        # 7 1 0 0 0 0 1 9 8 0 0 1 0 1 0 0 1
        # 49+9+0+0+0+0+2+9+48+0+0+9+0+5+0+0+2 = 133; 133 = 12*11 + 1 -> "0"
        ("710000198001010010", "M"),
        # 8 1 0 0 0 0 1 9 9 5 0 6 1 2 0 0 7
        # 56+9+0+0+0+0+2+9+54+15+0+54+10+10+0+0+14 = 233; 233 = 21*11 + 2 -> "X"
        ("81000019950612007X", "M"),
        # 8 2 0 0 0 0 1 9 8 0 0 1 0 1 0 0 2
        # 56+18+0+0+0+0+2+9+48+0+0+9+0+5+0+0+4 = 151; 151 = 13*11 + 8 -> "4"
        ("820000198001010024", "F"),
    ],
)
def test_taiwan_hong_kong_macao_codes(number: str, sex: str) -> None:
    assert parse_citizen_id(number, today=TODAY).sex == sex


def test_validate_citizen_id_returns_none_or_raises() -> None:
    assert validate_citizen_id("11010519491231002X") is None
    with pytest.raises(ValidationError):
        validate_citizen_id("110105194912310021")


def test_default_today_is_used_when_not_given() -> None:
    assert parse_citizen_id("11010519491231002X").birth_date == date(1949, 12, 31)


# --- invalid citizen ID numbers ----------------------------------------------


def test_wrong_check_character() -> None:
    # 140105198507151233 is valid (sum 262, mod 11 = 9 -> "3"); change the 3 to 4.
    with pytest.raises(ValidationError) as excinfo:
        parse_citizen_id("140105198507151234", today=TODAY)
    assert excinfo.value.code == "check_character"
    # The message says the number is wrong, never which character would make it valid.
    assert not excinfo.value.params
    with translation.override("en"):
        assert excinfo.value.messages == [ID_CHECK_MESSAGE]
        assert "3" not in excinfo.value.messages[0]


def test_digit_where_x_is_expected_is_a_wrong_check_character() -> None:
    # 11010519491231002X is valid; 110105194912310021 has a well-formed but wrong check.
    with pytest.raises(ValidationError) as excinfo:
        parse_citizen_id("110105194912310021", today=TODAY)
    assert excinfo.value.code == "check_character"
    assert "X" not in excinfo.value.messages[0]


def test_impossible_date() -> None:
    # 1 4 0 1 0 5 1 9 9 9 0 2 3 0 1 0 1 (birth date 1999-02-30)
    # 7+36+0+5+0+20+2+9+54+27+0+18+30+0+8+0+2 = 218; 218 = 19*11 + 9 -> "3"
    # so the check character is right and only the date is wrong.
    with pytest.raises(ValidationError) as excinfo:
        parse_citizen_id("140105199902301013", today=TODAY)
    assert excinfo.value.code == "birth_date"


@pytest.mark.parametrize("birth", ["19991301", "19990001", "19990100", "19990431"])
def test_other_impossible_dates(birth: str) -> None:
    first17 = "140105" + birth + "101"
    with pytest.raises(ValidationError) as excinfo:
        parse_citizen_id(first17 + _reference_check(first17), today=TODAY)
    assert excinfo.value.code == "birth_date"


def test_birth_before_1900() -> None:
    # The standard's example 440524188001010014:
    # 4 4 0 5 2 4 1 8 8 0 0 1 0 1 0 0 1
    # 28+36+0+25+16+16+2+8+48+0+0+9+0+5+0+0+2 = 195; 195 = 17*11 + 8 -> "4" (correct),
    # refused only because 1880-01-01 is before 1900-01-01.
    with pytest.raises(ValidationError) as excinfo:
        parse_citizen_id("440524188001010014", today=TODAY)
    assert excinfo.value.code == "birth_date"
    # 1 4 0 1 0 5 1 8 9 9 1 2 3 1 0 0 1 (1899-12-31, the day before the bound)
    # 7+36+0+5+0+20+2+8+54+27+7+18+30+5+0+0+2 = 221; 221 = 20*11 + 1 -> "0"
    with pytest.raises(ValidationError) as excinfo:
        parse_citizen_id("140105189912310010", today=TODAY)
    assert excinfo.value.code == "birth_date"


def test_future_birth_date() -> None:
    # 1 4 0 1 0 5 2 0 3 0 0 1 0 1 1 0 1 (born 2030-01-01)
    # 7+36+0+5+0+20+4+0+18+0+0+9+0+5+8+0+2 = 114; 114 = 10*11 + 4 -> "8"
    with pytest.raises(ValidationError) as excinfo:
        parse_citizen_id("140105203001011018", today=TODAY)
    assert excinfo.value.code == "future_birth_date"
    # and the day after birth it is fine
    assert parse_citizen_id("140105203001011018", today=date(2030, 1, 1)).sex == "M"


def test_born_tomorrow_is_future() -> None:
    # 220102202506300428 (sum 180 -> "8", see test_born_today_is_accepted)
    with pytest.raises(ValidationError) as excinfo:
        parse_citizen_id("220102202506300428", today=date(2025, 6, 29))
    assert excinfo.value.code == "future_birth_date"


@pytest.mark.parametrize("number", ["11010519491231002", "11010519491231002X0"])
def test_wrong_length(number: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        parse_citizen_id(number, today=TODAY)
    assert excinfo.value.code == "length"
    assert excinfo.value.params == {"length": len(number)}
    with translation.override("en"):
        assert excinfo.value.messages == [
            f"The citizen ID number must have 18 characters; it has {len(number)}."
        ]


def test_empty_is_wrong_length() -> None:
    with pytest.raises(ValidationError) as excinfo:
        parse_citizen_id("   ", today=TODAY)
    assert excinfo.value.code == "length"


@pytest.mark.parametrize(
    "number",
    [
        "1101051949A231002X",  # a letter in the middle
        "11010519491231X021",  # X not at the end
        "11010519491231002Y",  # a letter other than X at the end
        "110105 9491231002X",  # a space inside
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits
    ],
)
def test_bad_characters(number: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        parse_citizen_id(number, today=TODAY)
    assert excinfo.value.code == "characters"


def test_bad_province_code_99() -> None:
    # 9 9 0 1 0 5 1 9 8 5 0 7 1 5 1 2 3
    # 63+81+0+5+0+20+2+9+48+15+0+63+10+25+8+8+6 = 363; 363 = 33*11 + 0 -> "1"
    with pytest.raises(ValidationError) as excinfo:
        parse_citizen_id("990105198507151231", today=TODAY)
    assert excinfo.value.code == "region"


@pytest.mark.parametrize("province", ["00", "10", "16", "20", "24", "30", "38", "47", "55", "83"])
def test_other_bad_province_codes(province: str) -> None:
    first17 = province + "0105198507151" + "23"
    with pytest.raises(ValidationError) as excinfo:
        parse_citizen_id(first17 + _reference_check(first17), today=TODAY)
    assert excinfo.value.code == "region"


@pytest.mark.parametrize(
    "province",
    ["11", "15", "21", "23", "31", "37", "41", "46", "50", "54", "61", "65", "71", "81", "82"],
)
def test_all_province_code_range_ends_are_accepted(province: str) -> None:
    first17 = province + "0105198507151" + "23"
    parse_citizen_id(first17 + _reference_check(first17), today=TODAY)


# --- consistency with entered birth date and sex -------------------------------


def test_consistent_entry_passes() -> None:
    result = check_citizen_id_consistency(
        "11010519491231002X", date(1949, 12, 31), "F", today=TODAY
    )
    assert result.number == "11010519491231002X"
    # a datetime is compared by its date
    check_citizen_id_consistency(
        "11010519491231002x", datetime(1949, 12, 31, 8, 0), "F", today=TODAY
    )


def test_birth_date_mismatch() -> None:
    with pytest.raises(ValidationError) as excinfo:
        check_citizen_id_consistency("11010519491231002X", date(1949, 12, 30), "F", today=TODAY)
    assert excinfo.value.code == "birth_date_mismatch"


def test_sex_mismatch() -> None:
    with pytest.raises(ValidationError) as excinfo:
        check_citizen_id_consistency("11010519491231002X", date(1949, 12, 31), "M", today=TODAY)
    assert excinfo.value.code == "sex_mismatch"


def test_both_mismatch() -> None:
    with pytest.raises(ValidationError) as excinfo:
        check_citizen_id_consistency("140105198507151233", date(1985, 5, 17), "F", today=TODAY)
    assert _codes(excinfo) == ["birth_date_mismatch", "sex_mismatch"]


def test_consistency_reports_an_invalid_number_first() -> None:
    with pytest.raises(ValidationError) as excinfo:
        check_citizen_id_consistency("140105198507151234", date(1985, 7, 15), "M", today=TODAY)
    assert excinfo.value.code == "check_character"


def test_consistency_refuses_an_unknown_sex() -> None:
    with pytest.raises(ValueError):
        check_citizen_id_consistency("11010519491231002X", date(1949, 12, 31), "女")  # type: ignore[arg-type]


# --- masking --------------------------------------------------------------------


def test_mask_citizen_id() -> None:
    assert mask_citizen_id("14010519900101106X") == "140105********106X"
    assert mask_citizen_id("14010519900101106x") == "140105********106X"
    assert mask_citizen_id("11010519491231002X") == "110105********002X"
    assert mask_citizen_id("") == ""
    assert mask_citizen_id("1234567890") == "**********"


# --- unified social credit codes --------------------------------------------------


def test_credit_code_fuzhou() -> None:
    # 9 1 3 5 0 1 0 0 M 0 0 0 1 0 0 Y 4  -> values 9 1 3 5 0 1 0 0 21 0 0 0 1 0 0 30 4
    # 9*1 + 1*3 + 3*9 + 5*27 + 0*19 + 1*26 + 0*16 + 0*17 + 21*20 + 0*29 + 0*25 + 0*13
    #   + 1*8 + 0*24 + 0*10 + 30*30 + 4*28
    # = 9+3+27+135+0+26+0+0+420+0+0+0+8+0+0+900+112 = 1640
    # 1640 = 52*31 + 28; (31 - 28) mod 31 = 3 -> "3"  (the code ends in 3: valid)
    assert parse_credit_code("91350100M000100Y43") == "91350100M000100Y43"


def test_credit_code_shenzhen() -> None:
    # 9 1 4 4 0 3 0 0 7 1 5 2 6 7 2 6 X  -> values ... X = 29
    # 9*1 + 1*3 + 4*9 + 4*27 + 0*19 + 3*26 + 0*16 + 0*17 + 7*20 + 1*29 + 5*25 + 2*13
    #   + 6*8 + 7*24 + 2*10 + 6*30 + 29*28
    # = 9+3+36+108+0+78+0+0+140+29+125+26+48+168+20+180+812 = 1782
    # 1782 = 57*31 + 15; (31 - 15) mod 31 = 16 -> "G"  (the code ends in G: valid)
    assert parse_credit_code("9144030071526726XG") == "9144030071526726XG"


def test_credit_code_lower_case_and_whitespace_normalised() -> None:
    assert parse_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert parse_credit_code("9144030071526726xg") == "9144030071526726XG"


def test_validate_credit_code() -> None:
    assert validate_credit_code("91350100M000100Y43") is None
    with pytest.raises(ValidationError):
        validate_credit_code("91350100M000100Y44")


@pytest.mark.parametrize(
    ("code", "expected"),
    [("91350100M000100Y44", "3"), ("91350100M000100Y4Y", "3"), ("9144030071526726XH", "G")],
)
def test_credit_code_wrong_check_character(code: str, expected: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        parse_credit_code(code)
    assert excinfo.value.code == "check_character"
    assert not excinfo.value.params
    with translation.override("en"):
        assert excinfo.value.messages == [CREDIT_CODE_CHECK_MESSAGE]
    # the hand-computed right character is not offered in the message either
    assert code[:17] + expected not in excinfo.value.messages[0]


@pytest.mark.parametrize("code", ["91350100M000100Y4", "91350100M000100Y433", ""])
def test_credit_code_wrong_length(code: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        parse_credit_code(code)
    assert excinfo.value.code == "length"
    assert excinfo.value.params == {"length": len(code)}


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V", "i", "o", "z", "s", "v"])
def test_credit_code_forbidden_letters(letter: str) -> None:
    code = "91350100M000100" + letter + "43"
    with pytest.raises(ValidationError) as excinfo:
        parse_credit_code(code)
    assert excinfo.value.code == "characters"
    assert excinfo.value.params == {"characters": letter.upper()}


@pytest.mark.parametrize(
    "code", ["91350100M000100-43", "91350100M000100 43", "91350100M000１00Y43"]
)
def test_credit_code_other_bad_characters(code: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        parse_credit_code(code)
    assert excinfo.value.code == "characters"


def test_credit_code_region_must_be_digits() -> None:
    # "A" is in the charset, so this is a region error, not a character error.
    with pytest.raises(ValidationError) as excinfo:
        parse_credit_code("913A0100M000100Y43")
    assert excinfo.value.code == "region"
