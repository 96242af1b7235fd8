"""Money and other exact quantities.

Money is a ``Decimal`` amount in yuan with two decimal places (fen). It is
rounded half-up (``ROUND_HALF_UP``: halves go away from zero) only at the points
DESIGN names, never implicitly. Money never passes through ``float``:
``to_decimal`` refuses floats outright. Rates keep ``RATE_DECIMAL_PLACES``
decimals and indices keep ``INDEX_DECIMAL_PLACES`` (at least six).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import models

__all__ = [
    "FEN",
    "INDEX_DECIMAL_PLACES",
    "MONEY_DECIMAL_PLACES",
    "MONEY_MAX_DIGITS",
    "RATE_DECIMAL_PLACES",
    "money_field",
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
