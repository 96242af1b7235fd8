"""Writes of the shared kernel: one function per operation, in a transaction, each
with its change-log entry. (Maker-checker is ``pension.approvals``; attachments
``pension.attachments``.)"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from pension import changelog
from pension.models import ChangeAction, PolicyParameter, PolicyProfile, Region, StaffUser
from pension.policy import spec_for, typed_value
from pension.watch import mark_logged


def _storable(kind: str, value: Any) -> Any:
    typed = typed_value(kind, value)  # refuses what the kind cannot hold
    return str(typed) if kind == "decimal" else typed


@transaction.atomic
def policy_parameter_create(
    *,
    actor: StaffUser | None,
    key: str,
    effective_from: date,
    value: Any,
    profile: PolicyProfile | None = None,
    region: Region | None = None,
    reference_year: int | None = None,
    published_on: date | None = None,
    source: str = "",
    notes: str = "",
) -> PolicyParameter:
    """Enter a new value of a parameter (version 1 of its key, scope and date)."""
    spec = spec_for(key)
    parameter = PolicyParameter(
        key=key,
        profile=profile,
        region=region,
        effective_from=effective_from,
        value=_storable(spec.kind, value),
        reference_year=reference_year,
        published_on=published_on,
        source=source,
        notes=notes,
        created_by=actor,
    )
    parameter.full_clean()
    mark_logged(parameter).save()
    changelog.record(
        actor=actor,
        action=ChangeAction.CREATE,
        instance=parameter,
        after=changelog.snapshot(parameter),
        reason=notes,
    )
    return parameter


@transaction.atomic
def policy_parameter_revise(
    *,
    actor: StaffUser | None,
    parameter: PolicyParameter,
    value: Any,
    notes: str,
    published_on: date | None = None,
) -> PolicyParameter:
    """Correct a value: a new row with the next version; the old row stays as it was."""
    spec = spec_for(parameter.key)
    latest = (
        PolicyParameter.objects.select_for_update()
        .filter(
            key=parameter.key,
            profile=parameter.profile,
            region=parameter.region,
            effective_from=parameter.effective_from,
        )
        .order_by("-version")
        .first()
    )
    revised = PolicyParameter(
        key=parameter.key,
        profile=parameter.profile,
        region=parameter.region,
        effective_from=parameter.effective_from,
        version=(latest.version if latest else parameter.version) + 1,
        value=_storable(spec.kind, value),
        reference_year=parameter.reference_year,
        published_on=published_on or parameter.published_on,
        source=parameter.source,
        notes=notes,
        created_by=actor,
    )
    revised.full_clean()
    mark_logged(revised).save()
    changelog.record(
        actor=actor,
        action=ChangeAction.CREATE,
        instance=revised,
        before=changelog.snapshot(latest or parameter),
        after=changelog.snapshot(revised),
        reason=notes,
    )
    return revised
