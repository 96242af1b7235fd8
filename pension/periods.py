"""Contribution months (缴费期).

A ``Period`` is one calendar month, written ``2025-03`` and stored in the
database as the integer ``202503`` (YYYYMM) by ``PeriodField``.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, overload

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = [
    "MAX_YEAR",
    "MIN_YEAR",
    "InvalidPeriod",
    "Period",
    "PeriodField",
    "PeriodFormField",
    "validate_period",
]

MIN_YEAR = 1950
MAX_YEAR = 2200

_PERIOD_RE = re.compile(r"(?P<year>[0-9]{4})-?(?P<month>[0-9]{2})")


class InvalidPeriod(ValidationError, ValueError):
    """A value that is not a valid contribution month.

    It is a Django ``ValidationError`` (so forms and model validation report it
    with its ``code``) and a ``ValueError`` (so plain code can catch it as one).
    Codes: ``invalid`` (not a YYYYMM form), ``invalid_month``, ``invalid_year``.
    """


@dataclass(frozen=True, order=True, slots=True)
class Period:
    """A contribution month: a year and a month 1..12. Ordered by time."""

    year: int
    month: int

    def __post_init__(self) -> None:
        for name in ("year", "month"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"Period.{name} must be an int, not {type(value).__name__}.")
        if not 1 <= self.month <= 12:
            raise InvalidPeriod(
                _("The month of a contribution period must be 1 to 12; it is %(month)d."),
                code="invalid_month",
                params={"month": self.month},
            )
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise InvalidPeriod(
                _("The year of a contribution period must be %(min)d to %(max)d; it is %(year)d."),
                code="invalid_year",
                params={"min": MIN_YEAR, "max": MAX_YEAR, "year": self.year},
            )

    # Construction -----------------------------------------------------------

    @classmethod
    def parse(cls, value: Period | str | int) -> Period:
        """Read ``"202503"``, ``202503`` or ``"2025-03"`` (a ``Period`` is returned as is)."""
        if isinstance(value, Period):
            return value
        if isinstance(value, bool):
            raise TypeError("A bool is not a contribution period.")
        if isinstance(value, int):
            if not 100000 <= value <= 999999:
                raise cls._invalid(value)
            return cls(value // 100, value % 100)
        if isinstance(value, str):
            match = _PERIOD_RE.fullmatch(value.strip())
            if match is None:
                raise cls._invalid(value)
            return cls(int(match["year"]), int(match["month"]))
        raise TypeError(f"Cannot read a contribution period from {type(value).__name__}.")

    @staticmethod
    def _invalid(value: object) -> InvalidPeriod:
        return InvalidPeriod(
            _("“%(value)s” is not a contribution period; write it as YYYY-MM or YYYYMM."),
            code="invalid",
            params={"value": value},
        )

    @classmethod
    def from_date(cls, day: date) -> Period:
        """The month that contains ``day``."""
        return cls(day.year, day.month)

    @classmethod
    def range(cls, start: Period | str | int, end: Period | str | int) -> Iterator[Period]:
        """Every month from ``start`` to ``end``, both included (empty if end < start)."""
        current, last = cls.parse(start), cls.parse(end)
        while current <= last:
            yield current
            if current == last:
                break
            current = current.next()

    # Views ------------------------------------------------------------------

    @property
    def as_int(self) -> int:
        """The stored form: ``202503``."""
        return self.year * 100 + self.month

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    # Arithmetic -------------------------------------------------------------

    @property
    def _ordinal(self) -> int:
        return self.year * 12 + (self.month - 1)

    @classmethod
    def _from_ordinal(cls, ordinal: int) -> Period:
        year, month0 = divmod(ordinal, 12)
        return cls(year, month0 + 1)

    def next(self) -> Period:
        return self + 1

    def prev(self) -> Period:
        return self - 1

    def __add__(self, months: int) -> Period:
        if isinstance(months, bool) or not isinstance(months, int):
            return NotImplemented
        return self._from_ordinal(self._ordinal + months)

    __radd__ = __add__

    @overload
    def __sub__(self, other: Period) -> int: ...

    @overload
    def __sub__(self, other: int) -> Period: ...

    def __sub__(self, other: Period | int) -> Period | int:
        """``Period - int`` is a ``Period``; ``Period - Period`` is a number of months."""
        if isinstance(other, Period):
            return self._ordinal - other._ordinal
        if isinstance(other, bool) or not isinstance(other, int):
            return NotImplemented
        return self._from_ordinal(self._ordinal - other)


def validate_period(value: Period | int | str) -> None:
    """Django validator: refuse anything that is not a valid YYYYMM month (e.g. month 0 or 13)."""
    try:
        Period.parse(value)
    except TypeError:
        raise Period._invalid(value) from None


class PeriodFormField(forms.Field):
    """Form field for a contribution month, typed as ``2025-03`` or ``202503``."""

    widget = forms.TextInput

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.setdefault("maxlength", "7")
        attrs.setdefault("placeholder", "YYYY-MM")
        return attrs

    def prepare_value(self, value: Any) -> Any:
        return str(value) if isinstance(value, Period) else value

    def to_python(self, value: Any) -> Period | None:
        if isinstance(value, str):
            value = value.strip()
        if value in self.empty_values:
            return None
        try:
            return Period.parse(value)
        except TypeError:
            raise Period._invalid(value) from None


class PeriodField(models.PositiveIntegerField):
    """A contribution month stored as the integer YYYYMM; Python value is ``Period``."""

    description = _("Contribution period (YYYY-MM)")
    default_validators = [validate_period]

    @property
    def validators(self) -> list[Any]:
        # IntegerField adds range validators that compare the value with ints;
        # a Period is checked by validate_period instead.
        return [*self.default_validators, *self._validators]

    def from_db_value(self, value: int | None, expression: Any, connection: Any) -> Period | None:
        if value is None:
            return None
        return Period.parse(int(value))

    def to_python(self, value: Any) -> Period | None:
        if value is None or value == "":
            return None
        try:
            return Period.parse(value)
        except TypeError:
            raise Period._invalid(value) from None

    def get_prep_value(self, value: Any) -> int | None:
        value = models.Field.get_prep_value(self, value)
        period = self.to_python(value)
        return None if period is None else period.as_int

    def value_to_string(self, obj: models.Model) -> str:
        value = self.value_from_object(obj)
        return "" if value is None else str(self.to_python(value).as_int)

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        # No options of its own: migrations record the plain field and its path.
        name, path, args, kwargs = super().deconstruct()
        return name, path, args, kwargs

    def formfield(self, **kwargs: Any) -> forms.Field | None:
        defaults: dict[str, Any] = {"form_class": PeriodFormField}
        defaults.update(kwargs)
        # Skip IntegerField.formfield, which would build a number input.
        return models.Field.formfield(self, **defaults)
