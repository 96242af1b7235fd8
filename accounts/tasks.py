"""Celery entry points of personal pension accounts: thin, they call the batches.

Routed to the ``accounts`` queue (``CELERY_TASK_ROUTES``: ``accounts.tasks.*``) and
acknowledged late, so a task whose worker dies is delivered again and resumes the run
(``accounts.runs`` is idempotent by unique constraints).
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from accounts import runs

_RETRY = {
    "autoretry_for": (OperationalError,),
    "max_retries": 3,
    "retry_backoff": 10,
    "retry_jitter": False,
}


@shared_task(name="accounts.tasks.crediting_run_execute", **_RETRY)
def crediting_run_execute(run_id: int) -> dict:
    run = runs.crediting_run_execute(run_id)
    return {"run": run.pk, "status": run.status, "entries": run.entry_count}


@shared_task(name="accounts.tasks.interest_run_execute", **_RETRY)
def interest_run_execute(run_id: int) -> dict:
    run = runs.interest_run_execute(run_id)
    return {"run": run.pk, "status": run.status, "accounts": run.account_count}


@shared_task(name="accounts.tasks.interest_run_post", **_RETRY)
def interest_run_post(run_id: int) -> dict:
    run = runs.interest_run_post(run_id)
    return {"run": run.pk, "status": run.status, "entries": run.entry_count}


@shared_task(name="accounts.tasks.monthly_crediting")
def monthly_crediting() -> int | None:
    """Beat, monthly: seal interrupted accounts, then credit what was paid since the
    last run, for the default profile's province (the run's id)."""
    run = runs.monthly_crediting()
    return run.pk if run is not None else None


@shared_task(name="accounts.tasks.interest_rate_watch")
def interest_rate_watch() -> list[int]:
    """Beat, daily: a dry run of the interest of a year whose rate is new."""
    return [run.pk for run in runs.interest_rate_watch()]
