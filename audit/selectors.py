"""Reads of audit and internal control (稽核与内控): region-scoped querysets and figures."""

from __future__ import annotations

from django.apps import apps
from django.db.models import Q, QuerySet

from pension.models import ChangeLogEntry
from pension.scope import user_prefix


def change_log(user) -> QuerySet[ChangeLogEntry]:
    """The change-log entries ``user`` may read (变更日志): those written for an agency
    within the user's region; entries without an agency (external systems, the
    system itself, failed sign-ins) only for province-level users."""
    from pension.models import Region

    queryset = ChangeLogEntry.objects.select_related("actor", "agency", "api_client")
    prefix = user_prefix(user, Region, "view")
    if prefix is None:
        return queryset.none()
    if prefix == "" or len(prefix) <= 2:
        return queryset.filter(Q(agency__region__code__startswith=prefix) | Q(agency__isnull=True))
    return queryset.filter(agency__region__code__startswith=prefix)


def object_type_label(object_type: str) -> str:
    """``enrollment.insuredperson`` → the model's name (参保人), the code when unknown."""
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


def object_type_choices() -> list[tuple[str, str]]:
    """Every model that can appear in the change log, by its name."""
    choices = [
        (f"{m._meta.app_label}.{m._meta.model_name}", str(m._meta.verbose_name))
        for m in apps.get_models()
        if m._meta.app_label
        in {"pension", "enrollment", "contributions", "accounts", "benefits", "funds", "budget",
            "audit", "otp_totp"}
    ]  # fmt: skip
    # a library's model without a Chinese name (django-otp's TOTP device) is left out
    choices = [(code, label) for code, label in choices if not label.isascii()]
    return sorted(choices, key=lambda c: c[1])
