"""Form plumbing of the kernel that every app's pages use (DESIGN §2.2): the mixin that
puts a service's error on the form, and the case form (办件) every maker-checker case
starts from. Domain forms live in their app; nothing here knows a domain."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pension.errors import ApplicationError
from pension.imports import UploadField

# the keyword arguments of a forms.DecimalField holding money (money_field's precision)
MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": 0}


class ServiceErrorsMixin:
    """Put an ``ApplicationError`` from a service on the field it names
    (``details["field"]``), or on the form when it names none of the form's fields."""

    def add_service_error(self, error: ApplicationError) -> None:
        field = error.details.get("field") if error.details else None
        self.add_error(field if field in self.fields else None, str(error))  # type: ignore[attr-defined]


class CaseForm(ServiceErrorsMixin, forms.Form):
    """What every case (办件) carries: the reason and a supporting document (业务档案)."""

    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    attachment = UploadField(
        label=_("Supporting document"),
        help_text=_("A scan of the document that supports the case (PDF or image)."),
    )
