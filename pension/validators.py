"""Validators for national identifiers.

* Citizen ID number (居民身份证号码, GB 11643): 6-digit region code, 8-digit
  birth date YYYYMMDD, 3-digit sequence (last digit odd for men, even for women)
  and a check character ``"10X98765432"[Σ dᵢ·wᵢ mod 11]`` with weights
  7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 over the first 17 digits. A lower-case
  ``x`` is accepted and normalised to ``X``. The birth date must be a real date,
  not in the future and not before 1900-01-01; the first two digits must be a
  province-level code.
* Unified social credit code (统一社会信用代码, GB 32100): 18 characters from
  ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, Z, S, V); characters 3-8 are a
  6-digit region code; the check character is
  ``charset[(31 − Σ vᵢ·wᵢ mod 31) mod 31]`` with weights
  1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28.

Every failure is a ``django.core.exceptions.ValidationError`` with a ``code``
naming its kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = [
    "CREDIT_CODE_CHARSET",
    "CitizenId",
    "check_citizen_id_consistency",
    "mask_citizen_id",
    "parse_citizen_id",
    "parse_credit_code",
    "validate_citizen_id",
    "validate_credit_code",
]

_DIGITS = frozenset("0123456789")

# --- Citizen ID number (GB 11643) ------------------------------------------

CITIZEN_ID_LENGTH = 18
CITIZEN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CITIZEN_ID_CHECK_CHARACTERS = "10X98765432"
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
PROVINCE_CODES = frozenset(
    [
        *range(11, 16),  # 11-15 North
        *range(21, 24),  # 21-23 North-east
        *range(31, 38),  # 31-37 East
        *range(41, 47),  # 41-46 Centre-south
        *range(50, 55),  # 50-54 South-west
        *range(61, 66),  # 61-65 North-west
        71,  # Taiwan
        81,  # Hong Kong
        82,  # Macao
    ]
)

Sex = Literal["M", "F"]


@dataclass(frozen=True, slots=True)
class CitizenId:
    """A checked citizen ID number and what it says."""

    number: str  # normalised: 18 characters, upper-case X
    region_code: str  # the first 6 digits
    birth_date: date
    sex: Sex  # "M" when the sequence is odd, "F" when it is even
    sequence: str  # the 3-digit sequence code

    @property
    def province_code(self) -> str:
        """The 6-digit code of the province-level region, e.g. ``"140000"``."""
        return self.region_code[:2] + "0000"


def _today() -> date:
    if settings.configured and settings.USE_TZ:
        return timezone.localdate()
    return date.today()


def citizen_id_check_character(first17: str) -> str:
    """The GB 11643 check character for 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, CITIZEN_ID_WEIGHTS, strict=True))
    return CITIZEN_ID_CHECK_CHARACTERS[total % 11]


def parse_citizen_id(value: str, *, today: date | None = None) -> CitizenId:
    """Check a citizen ID number and return what it says.

    ``today`` is the date a birth date may not be after (default: today in the
    project's time zone). Raises ``ValidationError`` with code ``length``,
    ``characters``, ``region``, ``birth_date``, ``future_birth_date`` or
    ``check_character``, tested in that order.
    """
    if not isinstance(value, str):
        raise TypeError(f"A citizen ID number must be a str, not {type(value).__name__}.")
    number = value.strip()
    if len(number) != CITIZEN_ID_LENGTH:
        raise ValidationError(
            _("The citizen ID number must have 18 characters; it has %(length)d."),
            code="length",
            params={"length": len(number)},
        )
    number = number.upper()  # after counting: upper() can lengthen some characters
    if not (set(number[:17]) <= _DIGITS and (number[17] in _DIGITS or number[17] == "X")):
        raise ValidationError(
            _(
                "The citizen ID number may contain only digits, "
                "and an X only as its last character."
            ),
            code="characters",
        )
    if int(number[:2]) not in PROVINCE_CODES:
        raise ValidationError(
            _(
                "The citizen ID number does not begin with a province-level region "
                "code: %(code)s is not one."
            ),
            code="region",
            params={"code": number[:2]},
        )
    birth_text = number[6:14]
    try:
        birth_date = date(int(birth_text[:4]), int(birth_text[4:6]), int(birth_text[6:]))
    except ValueError:
        raise ValidationError(
            _("The birth date in the citizen ID number, %(value)s, is not a real date."),
            code="birth_date",
            params={"value": birth_text},
        ) from None
    if birth_date < EARLIEST_BIRTH_DATE:
        raise ValidationError(
            _("The birth date in the citizen ID number, %(date)s, is before 1900-01-01."),
            code="birth_date",
            params={"date": birth_date.isoformat()},
        )
    if today is None:
        today = _today()
    if birth_date > today:
        raise ValidationError(
            _("The birth date in the citizen ID number, %(date)s, is in the future."),
            code="future_birth_date",
            params={"date": birth_date.isoformat()},
        )
    expected = citizen_id_check_character(number[:17])
    if number[17] != expected:
        # The message does not name the character that would make the number valid:
        # that invites "fixing" a mistyped number by changing its last character.
        raise ValidationError(
            _(
                "The citizen ID number is wrong: its check character does not match the "
                "first 17 characters. Check the number against the ID card."
            ),
            code="check_character",
        )
    sequence = number[14:17]
    return CitizenId(
        number=number,
        region_code=number[:6],
        birth_date=birth_date,
        sex="M" if int(sequence[-1]) % 2 else "F",
        sequence=sequence,
    )


def validate_citizen_id(value: str) -> None:
    """Django validator form of ``parse_citizen_id``."""
    parse_citizen_id(value)


def check_citizen_id_consistency(
    number: str, birth_date: date, sex: Sex, *, today: date | None = None
) -> CitizenId:
    """Check that an entered birth date and sex agree with the citizen ID number.

    Raises the errors of ``parse_citizen_id`` first; then ``birth_date_mismatch``
    and/or ``sex_mismatch`` (both in one ``ValidationError`` when both disagree,
    so read ``error.error_list``). Returns the parsed number when all agree.
    """
    if sex not in ("M", "F"):
        raise ValueError(f"sex must be 'M' or 'F', not {sex!r}.")
    if isinstance(birth_date, datetime):
        birth_date = birth_date.date()
    citizen_id = parse_citizen_id(number, today=today)
    errors: list[ValidationError] = []
    if citizen_id.birth_date != birth_date:
        errors.append(
            ValidationError(
                _(
                    "The birth date %(entered)s does not agree with the citizen ID "
                    "number, which gives %(expected)s."
                ),
                code="birth_date_mismatch",
                params={
                    "entered": birth_date.isoformat(),
                    "expected": citizen_id.birth_date.isoformat(),
                },
            )
        )
    if citizen_id.sex != sex:
        errors.append(
            ValidationError(
                _("The sex does not agree with the citizen ID number."),
                code="sex_mismatch",
            )
        )
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ValidationError(errors)
    return citizen_id


def mask_citizen_id(number: str) -> str:
    """Keep the first 6 and last 4 characters and mask the rest with ``*``.

    ``"14010519850715123X"`` becomes ``"140105********123X"``. A value of 10
    characters or fewer is masked entirely.
    """
    text = number.strip().upper()
    if len(text) <= 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


# --- Unified social credit code (GB 32100) ---------------------------------

CREDIT_CODE_LENGTH = 18
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_CODE_VALUES = {c: i for i, c in enumerate(CREDIT_CODE_CHARSET)}


def credit_code_check_character(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    total = sum(
        _CREDIT_CODE_VALUES[c] * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def parse_credit_code(value: str) -> str:
    """Check a unified social credit code and return it normalised (upper-case).

    Raises ``ValidationError`` with code ``length``, ``characters``, ``region``
    or ``check_character``, tested in that order.
    """
    if not isinstance(value, str):
        raise TypeError(f"A credit code must be a str, not {type(value).__name__}.")
    code = value.strip()
    if len(code) != CREDIT_CODE_LENGTH:
        raise ValidationError(
            _("The unified social credit code must have 18 characters; it has %(length)d."),
            code="length",
            params={"length": len(code)},
        )
    code = code.upper()  # after counting: upper() can lengthen some characters
    bad = sorted({c for c in code if c not in _CREDIT_CODE_VALUES})
    if bad:
        raise ValidationError(
            _(
                "The unified social credit code contains characters that are not "
                "allowed: %(characters)s. Only digits and capital letters other than "
                "I, O, S, V and Z are used."
            ),
            code="characters",
            params={"characters": " ".join(bad)},
        )
    if not set(code[2:8]) <= _DIGITS:
        raise ValidationError(
            _(
                "Characters 3 to 8 of the unified social credit code must be a "
                "six-digit region code; they are %(value)s."
            ),
            code="region",
            params={"value": code[2:8]},
        )
    expected = credit_code_check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _(
                "The unified social credit code is wrong: its check character does not "
                "match the first 17 characters. Check the code against the business "
                "licence."
            ),
            code="check_character",
        )
    return code


def validate_credit_code(value: str) -> None:
    """Django validator form of ``parse_credit_code``."""
    parse_credit_code(value)
