"""The assessment batch on a real Celery worker (Redis, the test database), and a
worker killed in the middle of a run: the re-run leaves every line exactly once.

The crash is a process of the test's own, not the session's worker: a Python process
that runs ``assessment_run_execute`` with ``PENSION_TEST_CRASH_AFTER_CHUNKS=1`` and
SIGKILLs itself once its first region chunk has committed (the hook in
``contributions.assessment._after_chunk``). The session worker then resumes the run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, Sum

from contributions.assessment import (
    CRASH_AFTER_CHUNKS_ENV,
    assessment_run_create,
    assessment_run_start,
)
from contributions.choices import BaseBasis, BaseRule, LineKind, RunStatus
from contributions.models import AssessmentRun, Bill, ContributionBase, ContributionLine
from contributions.tasks import assessment_run_execute
from enrollment.choices import PersonCategory, PersonStatus
from enrollment.models import Employment, InsuredPerson

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CITY = "140100"  # Taiyuan: several counties of the tiny demo, each a chunk
PERIOD = 202503


@pytest.fixture
def bases(demo_tiny) -> int:
    """A 2025 base for everyone of Taiyuan who contributes in 2025-03: every employee
    in force (for that employer) and every contributing flexible worker. Returns how
    many lines a run of the city makes."""
    in_force = Employment.objects.filter(
        employer__region__code__startswith=CITY[:4], start_period__lte=PERIOD
    ).filter(Q(stop_period__isnull=True) | Q(stop_period__gt=PERIOD))
    flexible = InsuredPerson.objects.filter(
        region__code__startswith=CITY[:4],
        category__in=[PersonCategory.FLEXIBLE, PersonCategory.INDIVIDUAL_BUSINESS],
        status=PersonStatus.CONTRIBUTING,
    )
    pairs = [(e.person_id, e.employer_id) for e in in_force] + [(p.pk, None) for p in flexible]
    rows = []
    for person_id, employer_id in pairs:
        base = D("4198.00") + D(person_id % 997) * D("13.37")  # varied, within the limits
        rows.append(
            ContributionBase(
                person_id=person_id,
                employer_id=employer_id,
                year=2025,
                declared_wage=base,
                basis=BaseBasis.PRIOR_YEAR_AVERAGE,
                base=base,
                rule=BaseRule.AS_DECLARED,
                floor=D("4198.00"),
                ceiling=D("20991.00"),
            )
        )
    ContributionBase.objects.bulk_create(rows)
    assert len(rows) > 10
    return len(rows)


def _wait_for(run_id: int, timeout: float = 120) -> AssessmentRun:
    deadline = time.monotonic() + timeout
    while True:
        run = AssessmentRun.objects.get(pk=run_id)
        if run.status not in (RunStatus.DRAFT, RunStatus.RUNNING):
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} still {run.status} after {timeout} s")
        time.sleep(0.2)


def _totals(run: AssessmentRun) -> tuple:
    return (
        run.line_count,
        run.bill_count,
        run.total_base,
        run.total_employer,
        run.total_individual,
        run.total_account,
    )


def test_a_run_started_through_the_task_completes_on_the_worker(celery_worker, staff, bases):
    run = assessment_run_create(
        actor=staff["city_caseworker"], period="2025-03", region=CITY, dry_run=True
    )
    assessment_run_start(actor=staff["city_caseworker"], run=run)  # queued on commit

    run = _wait_for(run.pk)

    assert run.status == RunStatus.CALCULATED, run.error
    assert run.line_count == bases == run.lines.count()
    assert run.processed_count == run.total_count > 0
    assert run.parameters["chunks_done"] == [code for code, _ in run.parameters["chunks"]]
    sums = run.lines.aggregate(e=Sum("employer_amount"), i=Sum("individual_amount"))
    assert (run.total_employer, run.total_individual) == (sums["e"], sums["i"])


def test_a_worker_killed_mid_run_and_a_rerun_leave_every_line_once(celery_worker, staff, bases):
    # the clean figures: a dry run of the same period and region, on the worker
    clean = assessment_run_create(
        actor=staff["city_caseworker"], period="2025-03", region=CITY, dry_run=True
    )
    assert assessment_run_execute.delay(clean.pk).get(timeout=120)["status"] == "calculated"
    clean.refresh_from_db()
    assert len(clean.parameters["chunks"]) >= 3

    run = assessment_run_create(actor=staff["city_caseworker"], period="2025-03", region=CITY)
    crashing = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from contributions.assessment import assessment_run_execute; "
            f"assessment_run_execute({run.pk})",
        ],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "pension.settings.test",
            "PENSION_DATABASE_NAME": connection.settings_dict["NAME"],
            CRASH_AFTER_CHUNKS_ENV: "1",
        },
        cwd=settings.BASE_DIR,
        capture_output=True,
        timeout=120,
    )
    assert crashing.returncode == -signal.SIGKILL, crashing.stderr.decode()[-2000:]

    run.refresh_from_db()
    first_code, first_heads = run.parameters["chunks"][0]
    assert run.status == RunStatus.RUNNING  # crashed: nobody marked it failed
    assert run.parameters["chunks_done"] == [first_code]
    assert run.processed_count == first_heads < run.total_count
    written = ContributionLine.objects.filter(run=run).count()
    assert 0 < written < clean.line_count

    result = assessment_run_execute.delay(run.pk).get(timeout=120)  # the worker resumes

    assert result["status"] == "calculated"
    run.refresh_from_db()
    assert run.status == RunStatus.CALCULATED
    assert run.parameters["chunks_done"] == [code for code, _ in run.parameters["chunks"]]
    posted = ContributionLine.objects.filter(posted=True, kind=LineKind.REGULAR, period=PERIOD)
    duplicates = posted.values("person", "period", "employer").annotate(n=Count("id"))
    assert not duplicates.filter(n__gt=1).exists()
    assert posted.count() == posted.filter(run=run).count() == clean.line_count == bases
    assert _totals(run) == _totals(clean)
    # every bill is the sum of its lines, once per payer
    for bill in Bill.objects.filter(run=run, employer__isnull=False):
        sums = run.lines.filter(employer=bill.employer_id).aggregate(
            e=Sum("employer_amount"), i=Sum("individual_amount"), n=Count("id")
        )
        assert (bill.employer_amount, bill.individual_amount, bill.line_count) == (
            sums["e"],
            sums["i"],
            sums["n"],
        )
    payers = Bill.objects.filter(run=run).values("employer", "person").annotate(n=Count("id"))
    assert not payers.filter(n__gt=1).exists()
