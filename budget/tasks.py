"""Celery entry points of budget: thin, they call services.

Routed to the ``funds`` queue (``CELERY_TASK_ROUTES``: ``budget.tasks.*``).
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError


@shared_task(
    name="budget.tasks.snapshot_run_execute",
    acks_late=True,
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=10,
    retry_jitter=False,
)
def snapshot_run_execute(run_id: int) -> int:
    """Execute (or resume) a month-end snapshot run; idempotent (chunks done are
    skipped, the lines' unique constraints refuse a second write)."""
    from budget import snapshot

    return snapshot.snapshot_run_execute(run_id).pk


@shared_task(name="budget.tasks.snapshot_month_end")
def snapshot_month_end() -> list[int]:
    """Beat, on the 1st just after midnight: the snapshot of the month just ended for
    every province that has a region loaded with people (the system takes it)."""
    from django.utils import timezone

    from budget import services

    month = services.period_of(timezone.localdate()).prev()
    return [run.pk for run in services.snapshot_month_end(period=month)]
