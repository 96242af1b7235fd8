"""Celery entry points of benefits and payroll: thin, they call services.

Routed to the ``payroll`` queue (``CELERY_TASK_ROUTES``: ``benefits.tasks.*``).
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from benefits import services


@shared_task(
    name="benefits.tasks.provisional_determinations_recalculate",
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=10,
    retry_jitter=False,
)
def provisional_determinations_recalculate(year: int, region: str | None = None) -> list[int]:
    """When ``benefits.calculation_base`` of ``year`` is entered: recalculate the
    provisional determinations of that retirement year (the new determinations' ids).
    Idempotent: a second run finds nothing left to recalculate."""
    written = services.provisional_determinations_recalculate(actor=None, year=year, region=region)
    return [determination.pk for determination in written]


@shared_task(name="benefits.tasks.provisional_determinations_watch")
def provisional_determinations_watch() -> list[int]:
    """Beat, daily: recalculate the provisional determinations of this year and the
    last whose calculation base has since been entered (the service skips those
    whose base has not changed, so an idle day writes nothing)."""
    from django.utils import timezone

    year = timezone.localdate().year
    written = []
    for retirement_year in (year - 1, year):
        written += provisional_determinations_recalculate(retirement_year)
    return written
