"""Celery entry points of contributions: thin, they call services.

Routed to the ``assessment`` queue (``CELERY_TASK_ROUTES``: ``contributions.tasks.*``);
acknowledged late, so a task whose worker dies is delivered again, which resumes the
run (``contributions.assessment.assessment_run_execute`` is idempotent).
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from contributions import assessment


@shared_task(
    name="contributions.tasks.assessment_run_execute",
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=10,
    retry_jitter=False,
)
def assessment_run_execute(run_id: int) -> dict:
    """Execute (or resume) an assessment run; a lost database connection is retried."""
    run = assessment.assessment_run_execute(run_id)
    return {"run": run.pk, "status": run.status, "lines": run.line_count}


@shared_task(name="contributions.tasks.assessment_month_start")
def assessment_month_start() -> int | None:
    """Beat, on the 1st at 02:00: the month's dry run for the province (its id)."""
    run = assessment.assessment_month_start()
    return run.pk if run is not None else None
