"""Serializer fields every app's API uses (DESIGN §2.5): money and contribution months.

``MoneyField`` is the one way an API reads an amount of money: a JSON string parsed
with ``pension.money.parse_money`` (plain ASCII digits, at most two decimals; no
``_`` separators, exponents, leading ``+``, full-width or other Unicode digits, and
never a JSON number, which may have passed through a float). It writes amounts as
strings with two decimals. ``PeriodField`` reads and writes a contribution month as
``2025-03``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pension.money import FEN, MoneyFormatError, parse_money
from pension.periods import Period

ERROR_MONEY_NOT_TEXT = _(
    'Give the amount as a string of yuan with at most two decimals ("10000.00").'
)
ERROR_MONEY_INVALID = _(
    'Not an amount of money: write yuan with plain digits and at most two decimals ("10000.00").'
)
ERROR_MONEY_DECIMALS = _("Give the amount with at most two decimals (whole fen).")
ERROR_MONEY_DIGITS = _("The amount has more than 12 digits before the decimal point.")
ERROR_MONEY_NEGATIVE = _("The amount must not be negative.")
ERROR_MONEY_MIN = _("The amount must be at least %(limit)s.")
ERROR_MONEY_MAX = _("The amount must be at most %(limit)s.")
ERROR_PERIOD = _("Write a contribution period as YYYY-MM.")

# what parse_money accepts (and what MoneyField writes)
MONEY_PATTERN = r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$"
_TOO_MANY_DECIMALS = re.compile(r"-?[0-9]+\.[0-9]{3,}", re.ASCII)
_TOO_MANY_DIGITS = re.compile(r"-?[0-9]{13,}(\.[0-9]*)?", re.ASCII)
PERIOD_SCHEMA = {"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2025-03"}


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": MONEY_PATTERN, "example": "10000.00"}
)
class MoneyField(serializers.Field):
    """An amount of money in yuan (金额), as a JSON string with at most two decimals.

    Read with ``parse_money`` (strict); negative amounts only with
    ``allow_negative=True``; ``min_value``/``max_value`` bound it. Written as a string
    with two decimals (``"3250.00"``), whatever its sign.
    """

    default_error_messages = {
        "not_text": ERROR_MONEY_NOT_TEXT,
        "invalid": ERROR_MONEY_INVALID,
        "max_decimal_places": ERROR_MONEY_DECIMALS,
        "max_digits": ERROR_MONEY_DIGITS,
        "negative": ERROR_MONEY_NEGATIVE,
        "min_value": ERROR_MONEY_MIN,
        "max_value": ERROR_MONEY_MAX,
    }

    def __init__(
        self,
        *,
        allow_negative: bool = False,
        min_value: Decimal | None = None,
        max_value: Decimal | None = None,
        **kwargs: Any,
    ) -> None:
        self.allow_negative = allow_negative
        self.min_value = min_value
        self.max_value = max_value
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        if not isinstance(data, str):
            self.fail("not_text")
        try:
            value = parse_money(data, allow_negative=True)
        except MoneyFormatError:
            # plain digits, but too many of them: say which rule it broke
            if _TOO_MANY_DECIMALS.fullmatch(data.strip()):
                self.fail("max_decimal_places")
            if _TOO_MANY_DIGITS.fullmatch(data.strip()):
                self.fail("max_digits")
            self.fail("invalid")
        if value < 0 and not self.allow_negative:
            self.fail("negative")
        if self.min_value is not None and value < self.min_value:
            self.fail("min_value", limit=self.min_value)
        if self.max_value is not None and value > self.max_value:
            self.fail("max_value", limit=self.max_value)
        return value

    def to_representation(self, value: Any) -> str:
        if not isinstance(value, Decimal):
            value = Decimal(str(value)) if isinstance(value, int) else Decimal(value)
        return format(value.quantize(FEN), "f")


@extend_schema_field(PERIOD_SCHEMA)
class PeriodField(serializers.Field):
    """A contribution month (缴费期) as ``2025-03`` (``202503`` is read too)."""

    default_error_messages = {"invalid": ERROR_PERIOD}

    def to_internal_value(self, data: Any) -> Period:
        if not isinstance(data, str | int) or isinstance(data, bool):
            self.fail("invalid")
        try:
            return Period.parse(data)
        except (TypeError, ValueError):
            self.fail("invalid")

    def to_representation(self, value: Period | int) -> str:
        return str(Period.parse(value))
