"""Celery entry points of audit and internal control: thin, they call services."""

from celery import shared_task
from django.db import OperationalError


@shared_task(
    name="audit.tasks.risk_scan_nightly",
    acks_late=True,
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=10,
    retry_jitter=False,
)
def risk_scan_nightly() -> dict:
    """Beat, nightly: every risk rule over the province, new alerts into the queue."""
    from audit import risk

    run = risk.risk_scan(actor=None)
    return {"run": run.pk, "status": run.status, "alerts": run.alert_count}


@shared_task(
    name="audit.tasks.data_quality_quarterly",
    acks_late=True,
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=10,
    retry_jitter=False,
)
def data_quality_quarterly() -> dict:
    """Beat, on the first day of each quarter: the data-quality checks of the province
    for the quarter just ended."""
    from django.utils import timezone

    from audit import quality

    today = timezone.localdate()
    run = quality.data_quality_check(actor=None, quarter=quality.previous_quarter(today))
    return {"run": run.pk, "status": run.status, "found": run.issue_count}


@shared_task(
    name="audit.tasks.risk_scan_execute",
    acks_late=True,
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=10,
    retry_jitter=False,
)
def risk_scan_execute(run_id: int) -> dict:
    """A scan started from the page (run now): execute (or resume) it."""
    from audit import risk

    run = risk.risk_scan_execute(run_id)
    return {"run": run.pk, "status": run.status, "alerts": run.alert_count}


@shared_task(
    name="audit.tasks.data_quality_execute",
    acks_late=True,
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=10,
    retry_jitter=False,
)
def data_quality_execute(run_id: int) -> dict:
    """A data-quality check started from the page (run now): execute (or resume) it."""
    from audit import quality

    run = quality.data_quality_execute(run_id)
    return {"run": run.pk, "status": run.status, "found": run.issue_count}


@shared_task(name="audit.tasks.chain_verify_daily", acks_late=True)
def chain_verify_daily() -> dict:
    """Beat, daily: verify the change log's chain; a broken chain raises an alert."""
    from audit import controls

    result = controls.chain_verify(actor=None)
    return {"verification": result.pk, "ok": result.ok, "checked": result.checked}
