"""Reads of benefits and payroll (待遇核定与发放): region-scoped querysets and figures."""

from __future__ import annotations

from django.db.models import QuerySet

from benefits.models import PensionDetermination
from pension.scope import restrict


def determinations(user, action: str = "view") -> QuerySet[PensionDetermination]:
    """Determinations ``user`` may ``action``: read province-wide, like the people."""
    queryset = PensionDetermination.objects.select_related(
        "person", "region", "agency", "case", "determined_by", "superseded_by"
    )
    return restrict(queryset, user, action)


def current_determination(person) -> PensionDetermination | None:
    """The person's determination that no other supersedes (at most one, by the
    ``determination_one_current_per_person`` constraint)."""
    return PensionDetermination.objects.filter(person=person, superseded_by__isnull=True).first()
