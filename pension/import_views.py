"""The page of an import running on a worker (后台导入): its progress bar, then its
result or its row errors. A user sees only the imports they started."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pension.batch_views import progress_partial
from pension.choices import ImportJobStatus
from pension.imports import import_job_progress
from pension.models import ImportJob

ERRORS_SHOWN = 500


def _job(request: HttpRequest, pk: int) -> ImportJob:
    job = ImportJob.objects.filter(pk=pk).first()
    if job is None or (job.created_by_id != request.user.pk and not request.user.is_superuser):
        raise Http404
    return job


def _context(job: ImportJob) -> dict:
    done, total = import_job_progress(job)
    working = job.status in (ImportJobStatus.QUEUED, ImportJobStatus.RUNNING)
    finished = job.status == ImportJobStatus.DONE
    percent = 100 if finished else (100 * done // total if total else 0)
    return {
        "job": job,
        "done": done,
        "total": total,
        "progress": {"percent": min(percent, 100), "polling": working},
    }


@login_required
@require_GET
def import_job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    context = _context(job)
    context["errors"] = job.errors[:ERRORS_SHOWN]
    return render(request, "pension/import_job.html", context)


@login_required
@require_GET
def import_job_progress_partial(request: HttpRequest, pk: int) -> HttpResponse:
    return progress_partial(
        request, "pension/_import_job_progress.html", _context(_job(request, pk))
    )
