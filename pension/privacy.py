"""Personal data: masked citizen ID numbers and logged reads of full records."""

from __future__ import annotations

from django.db.models import Model

from pension import changelog
from pension.choices import Role
from pension.models import ChangeAction
from pension.validators import mask_citizen_id

# Roles whose work needs the whole number (serving, checking, auditing a person).
FULL_ID_ROLES = frozenset({Role.CASEWORKER, Role.REVIEWER, Role.AUDITOR})


def citizen_id_for(user, number: str, *, export: bool = False) -> str:
    """The number as ``user`` may see it: whole for roles that need it, masked otherwise.

    Exports are always masked unless the role needs the number (same rule); lists call
    this with ``export=False`` and get the same answer, so one rule serves both.
    """
    if not number:
        return ""
    if getattr(user, "is_superuser", False) or (
        getattr(user, "is_authenticated", False) and user.has_role(*FULL_ID_ROLES)
    ):
        return number
    return mask_citizen_id(number)


def record_read(*, actor, instance: Model, reason: str = "") -> None:
    """Log that ``actor`` opened a person's full record (DESIGN §2.4)."""
    changelog.record(actor=actor, action=ChangeAction.READ, instance=instance, reason=reason)
