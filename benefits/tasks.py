"""Celery entry points of benefits and payroll: thin, they call services.

Routed to the ``payroll`` queue (``CELERY_TASK_ROUTES``: ``benefits.tasks.*``).
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from benefits.determination import retirement


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
    written = retirement.provisional_determinations_recalculate(
        actor=None, year=year, region=region
    )
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


@shared_task(
    name="benefits.tasks.account_true_up_requests",
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=10,
    retry_jitter=False,
)
def account_true_up_requests(run_id: int) -> list[int]:
    """After an interest run posted: the redetermination requests of the retirees whose
    balance at retirement its true-up changed, in the name of the run's starter
    (idempotent: one request per retiree and run)."""
    from accounts.models import AccountRun
    from benefits.determination import trueup

    run = AccountRun.objects.select_related("started_by").get(pk=run_id)
    made = trueup.account_true_up_requests(actor=run.started_by, run=run)
    return [request.pk for request in made]


@shared_task(
    name="benefits.tasks.payroll_run_execute",
    acks_late=True,
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=10,
    retry_jitter=False,
)
def payroll_run_execute(run_id: int) -> dict:
    """Calculate (or resume) a payroll run; acknowledged late, so a task whose worker
    died is delivered again, which resumes the run (the service is idempotent)."""
    from benefits.payroll import runs as payroll

    run = payroll.payroll_run_execute(run_id)
    return {"run": run.pk, "status": run.status, "payments": run.payment_count}


@shared_task(name="benefits.tasks.payroll_run_export", acks_late=True)
def payroll_run_export(run_id: int, user_id: int | None = None) -> list[int]:
    """Write an approved run's bank files (the ids of the files)."""
    from benefits.models import PayrollRun
    from benefits.payroll import bank
    from pension.models import StaffUser

    actor = StaffUser.objects.filter(pk=user_id).first() if user_id else None
    run = PayrollRun.objects.get(pk=run_id)
    return [f.pk for f in bank.payroll_run_export(actor=actor, run=run)]


@shared_task(name="benefits.tasks.payroll_month_dry_run")
def payroll_month_dry_run() -> int | None:
    """Beat, on the 3rd at 02:30: the month's payroll dry run for the province (its id)."""
    from benefits.payroll import runs as payroll

    run = payroll.payroll_month_dry_run()
    return run.pk if run is not None else None


@shared_task(
    name="benefits.tasks.adjustment_event_execute",
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=10,
    retry_jitter=False,
)
def adjustment_event_execute(event_id: int) -> str:
    """Calculate an annual adjustment event county by county (待遇调整, §9.4.1);
    resumable and idempotent (``benefits.adjustment.adjustments.adjustment_event_execute``)."""
    from benefits.adjustment import adjustments as adjustment

    return adjustment.adjustment_event_execute(event_id).status


@shared_task(name="benefits.tasks.adjustment_event_approve")
def adjustment_event_approve(event_id: int, actor_id: int, reason: str = "") -> str:
    """The approval of a calculated adjustment event queued from its page or from the
    work queue: the adjustments in force and the back-pay dues, in one transaction; the
    checks are made again (a refusal is returned as its message and nothing changes)."""
    from benefits.adjustment import adjustments as adjustment
    from pension.errors import ApplicationError
    from pension.models import StaffUser

    actor = StaffUser.objects.get(pk=actor_id)
    try:
        return adjustment.adjustment_event_approve(
            actor=actor, event=event_id, reason=reason
        ).status
    except ApplicationError as error:
        adjustment.adjustment_event_approval_refused(event_id=event_id, message=str(error))
        return str(error)


@shared_task(
    name="benefits.tasks.certification_sweep",
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=10,
    retry_jitter=False,
)
def certification_sweep(region: str | None = None) -> dict:
    """Beat, monthly: suspend the retirees whose life certification is overdue
    (资格认证清理, ``benefits.suspension.certification.certification_sweep``); idempotent."""
    from benefits.suspension import certification

    result = certification.certification_sweep(region=region)
    return {"count": result["count"], "from_month": result["from_month"]}
