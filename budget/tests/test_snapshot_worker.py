"""The month-end snapshot on a real Celery worker, and a worker killed in the middle
of a run: the resumed run leaves every county's lines once and the same head counts
as a run that never crashed.

The crash is a process of the test's own: a Python process that runs
``snapshot_run_execute`` with ``PENSION_TEST_CRASH_AFTER_CHUNKS=1`` and SIGKILLs itself
once its first county has committed (the batch engine's crash hook). The session's
worker then resumes the run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count, Sum

from budget import snapshot
from budget.choices import SnapshotStatus
from budget.models import SnapshotCollection, SnapshotLine, SnapshotRun
from budget.tasks import snapshot_run_execute
from enrollment.models import InsuredPerson
from pension import batches
from pension.periods import Period

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

MONTH = Period(2026, 6)


def _insured() -> int:
    return InsuredPerson.objects.filter(
        region__code__startswith="14", status__in=snapshot.INSURED_STATUSES
    ).count()


def test_a_snapshot_taken_through_the_task_completes_on_the_worker(celery_worker, staff):
    run = snapshot.snapshot_take(actor=staff["province_budget"], period=MONTH)
    snapshot_run_execute.delay(run.pk).get(timeout=120)  # the same run, idempotent
    run.refresh_from_db()
    assert run.status == SnapshotStatus.CALCULATED, run.error
    assert run.insured_count == _insured() > 0
    assert run.processed_count == run.total_count


def test_a_worker_killed_mid_snapshot_and_the_resumed_run_count_everyone_once(celery_worker, staff):
    run = SnapshotRun.objects.create(period=MONTH, region_id="140000")
    crashing = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from budget.snapshot import snapshot_run_execute; "
            f"snapshot_run_execute({run.pk})",
        ],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "pension.settings.test",
            "PENSION_DATABASE_NAME": connection.settings_dict["NAME"],
            batches.CRASH_AFTER_CHUNKS_ENV: "1",
        },
        cwd=settings.BASE_DIR,
        capture_output=True,
        timeout=120,
    )
    assert crashing.returncode == -signal.SIGKILL, crashing.stderr.decode()[-2000:]

    run.refresh_from_db()
    chunks = run.parameters["chunks"]
    assert len(chunks) >= 2  # the tiny province has people in several counties
    first = chunks[0][0]
    assert run.status == SnapshotStatus.RUNNING  # crashed: nobody marked it failed
    assert run.parameters["chunks_done"] == [first]
    assert set(SnapshotLine.objects.filter(run=run).values_list("region_id", flat=True)) == {first}
    insured_first = SnapshotLine.objects.filter(run=run).aggregate(n=Sum("insured"))["n"]
    assert (
        insured_first
        == InsuredPerson.objects.filter(
            region_id=first, status__in=snapshot.INSURED_STATUSES
        ).count()
    )

    snapshot_run_execute.delay(run.pk).get(timeout=120)  # the worker resumes
    snapshot_run_execute.delay(run.pk).get(timeout=120)  # a retried delivery: nothing more
    run = SnapshotRun.objects.get(pk=run.pk)
    assert run.status == SnapshotStatus.CALCULATED
    assert sorted(run.parameters["chunks_done"]) == sorted(c[0] for c in chunks)
    per_key = SnapshotLine.objects.filter(run=run).values("region", "age_band", "sex")
    assert not per_key.annotate(n=Count("id")).filter(n__gt=1).exists()
    assert run.insured_count == _insured()
    assert not (
        SnapshotCollection.objects.filter(run=run).values("region")
        .annotate(n=Count("id")).filter(n__gt=1).exists()
    )  # fmt: skip
    # the same figures as a run of another month that never crashed (nothing changed)
    clean = SnapshotRun.objects.create(period=MONTH.next(), region_id="140000")
    clean = snapshot.snapshot_run_execute(clean.pk)
    assert (clean.insured_count, clean.contributor_count, clean.retiree_count) == (
        run.insured_count, run.contributor_count, run.retiree_count,
    )  # fmt: skip
