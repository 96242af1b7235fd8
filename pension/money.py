"""Money and other exact quantities.

Money is a ``Decimal`` amount in yuan with two decimal places (fen). It is
rounded half-up (``ROUND_HALF_UP``: halves go away from zero) only at the points
DESIGN names, never implicitly. Money never passes through ``float``:
``to_decimal`` refuses floats outright. Rates keep ``RATE_DECIMAL_PLACES``
decimals and indices keep ``INDEX_DECIMAL_PLACES`` (at least six).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import models

__all__ = [
    "FEN",
    "INDEX_DECIMAL_PLACES",
    "MONEY_DECIMAL_PLACES",
    "MONEY_MAX_DIGITS",
    "RATE_DECIMAL_PLACES",
    "MoneyFormatError",
    "format_money",
    "money_field",
    "parse_money",
    "round_fen",
    "round_places",
    "to_decimal",
]

FEN: Decimal = Decimal("0.01")
MONEY_MAX_DIGITS: int = 14
MONEY_DECIMAL_PLACES: int = 2
RATE_DECIMAL_PLACES: int = 6
INDEX_DECIMAL_PLACES: int = 8

DecimalLike = Decimal | int | str


def to_decimal(value: DecimalLike) -> Decimal:
    """Return ``value`` as a finite ``Decimal``.

    Accepts ``Decimal``, ``int`` and ``str`` (surrounding whitespace ignored).
    Raises ``TypeError`` for ``float`` (and ``bool`` or any other type), because
    a float has already lost the exact amount; raises ``ValueError`` for a
    string that is not a number and for NaN or infinity.
    """
    if isinstance(value, float):
        raise TypeError(
            "Refusing to convert a float to Decimal: pass a str, int or Decimal "
            "so that the amount stays exact."
        )
    if isinstance(value, bool):
        raise TypeError("Refusing to convert a bool to Decimal.")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"Not a decimal number: {value!r}") from None
    else:
        raise TypeError(f"Cannot convert {type(value).__name__} to Decimal.")
    if not result.is_finite():
        raise ValueError(f"Not a finite decimal number: {value!r}")
    return result


class MoneyFormatError(ValueError):
    """A text that is not an amount of money in the one accepted form."""


# Plain ASCII digits, an optional minus, at most two decimals, at most 12 digits
# before the point (money_field's 14 digits). No "+", no exponent, no "_" separators,
# no full-width or other Unicode digits (Python's Decimal and \d accept all of those).
_MONEY_RE = re.compile(r"(-?)([0-9]{1,12})(?:\.([0-9]{1,2}))?", re.ASCII)


def parse_money(text: str | Decimal | int, *, allow_negative: bool = False) -> Decimal:
    """Parse an amount of money strictly and return it with two decimal places.

    The one function every importer and API field uses to read money: a ``str`` of
    ASCII digits with an optional minus sign (only when ``allow_negative``) and at
    most two decimals, surrounding white space ignored. ``Decimal`` and ``int``
    values (openpyxl gives those for numeric cells) must be finite and have at most
    two decimals. Anything else raises ``MoneyFormatError`` (a ``ValueError``).
    """
    if isinstance(text, (bool, float)):
        raise MoneyFormatError(f"Not an amount of money: {text!r}")
    if isinstance(text, int):
        text = str(text)
    elif isinstance(text, Decimal):
        if not text.is_finite():
            raise MoneyFormatError(f"Not an amount of money: {text!r}")
        if text != text.quantize(FEN, rounding=ROUND_HALF_UP):
            raise MoneyFormatError(f"More than two decimals: {text!r}")
        text = format(text.quantize(FEN), "f")
    if not isinstance(text, str):
        raise MoneyFormatError(f"Not an amount of money: {text!r}")
    match = _MONEY_RE.fullmatch(text.strip())
    if match is None:
        raise MoneyFormatError(f"Not an amount of money: {text!r}")
    sign, whole, fraction = match.groups()
    if sign and not allow_negative:
        raise MoneyFormatError(f"A negative amount is not allowed here: {text!r}")
    value = Decimal(f"{sign}{whole}.{(fraction or '').ljust(2, '0')}")
    return value.copy_abs() if value.is_zero() else value


def round_places(value: DecimalLike, places: int) -> Decimal:
    """Round ``value`` half-up (away from zero) to ``places`` decimal places.

    A result equal to zero is returned without a sign (``0.00``, not ``-0.00``).
    """
    if isinstance(places, bool) or not isinstance(places, int):
        raise TypeError("places must be an int.")
    if places < 0:
        raise ValueError("places must not be negative.")
    quantum = Decimal(1).scaleb(-places)
    result = to_decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)
    if result.is_zero():
        result = result.copy_abs()
    return result


def round_fen(value: DecimalLike) -> Decimal:
    """Round ``value`` half-up (away from zero) to the fen (0.01 yuan)."""
    return round_places(value, MONEY_DECIMAL_PLACES)


def money_field(**kwargs: Any) -> models.DecimalField:
    """A ``DecimalField`` for an amount of money: 14 digits, 2 of them decimals."""
    return models.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **kwargs
    )


def format_money(value: Any) -> str:
    """An amount as people read it on a page: thousands separators and two decimals
    (``Decimal("1234567.8")`` → ``"1,234,567.80"``, ``-1234.5`` → ``"-1,234.50"``).

    ``None`` shows as ``""``; a text that is not a number (a placeholder such as "—")
    is returned as it is. Exports and the API keep plain numbers, never this form.
    Only an amount with more than two decimals is rounded, half-up, for display."""
    if value is None:
        return ""
    if isinstance(value, (bool, float)):
        return str(value)
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        return str(value)
    if not amount.is_finite():
        return str(value)
    return f"{amount.quantize(FEN, rounding=ROUND_HALF_UP):,.2f}"
