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
