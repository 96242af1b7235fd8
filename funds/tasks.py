"""Celery entry points of fund revenue and expenditure: thin, they call services."""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone


@shared_task(
    name="funds.tasks.close_run_execute",
    acks_late=True,
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=10,
    retry_jitter=False,
)
def close_run_execute(run_id: int) -> dict:
    """Execute (or resume) a month-end close run."""
    from funds import close

    run = close.close_run_execute(run_id)
    return {"run": run.pk, "status": run.status}


@shared_task(
    name="funds.tasks.month_end_close",
    acks_late=True,
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=10,
    retry_jitter=False,
)
def month_end_close() -> dict:
    """Beat, on the 1st: the close of the month just ended (skipped when it ran)."""
    from django.utils import timezone

    from funds import close
    from funds.models import CloseRun
    from pension.periods import Period

    period = Period.from_date(timezone.localdate()) - 1
    if CloseRun.objects.filter(period=period, dry_run=False).exists():
        return {"period": str(period), "skipped": True}
    run = close.close_run(actor=None, period=period)
    return {"run": run.pk, "status": run.status, "entries": run.entry_count}


@shared_task(name="funds.tasks.plan_reminders")
def plan_reminders() -> int:
    """Daily: remind the regions whose spending plan or disbursement is due or late."""
    from funds import plans

    return plans.plan_reminders_write(today=timezone.localdate())


@shared_task(
    name="funds.tasks.reconciliation_run_execute",
    acks_late=True,
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=10,
    retry_jitter=False,
)
def reconciliation_run_execute(run_id: int) -> dict:
    """Execute (or resume) a month's three-way reconciliation run."""
    from funds import reconciliation

    run = reconciliation.reconciliation_run_execute(run_id)
    return {"run": run.pk, "status": run.status}


@shared_task(
    name="funds.tasks.month_reconciliation",
    acks_late=True,
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=10,
    retry_jitter=False,
)
def month_reconciliation() -> dict:
    """Beat, on the 8th: the reconciliation of the month just ended (skipped when it
    ran); its sign-off stays with the fund accountants."""
    from funds import reconciliation
    from funds.models import ReconciliationRun
    from pension.periods import Period

    period = Period.from_date(timezone.localdate()) - 1
    if ReconciliationRun.objects.filter(period=period, dry_run=False).exists():
        return {"period": str(period), "skipped": True}
    run = reconciliation.reconciliation_run(actor=None, period=period)
    return {"run": run.pk, "status": run.status, "breaks": run.break_count}
