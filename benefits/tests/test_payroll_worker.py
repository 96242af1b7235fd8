"""The payroll on a real Celery worker (Redis, the test database), and a worker killed
in the middle of a run: the re-run leaves exactly one line per retiree, period and item,
one payment per retiree, and every due claimed once.

The crash is a process of the test's own: a Python process that runs
``payroll_run_execute`` with ``PENSION_TEST_CRASH_AFTER_CHUNKS=1`` and SIGKILLs itself
once its first county has committed (``benefits.payroll.runs._after_chunk``). The session's
worker then resumes the run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count, Sum

from benefits.choices import PayrollItem, PayrollRunStatus
from benefits.models import PayrollDue, PayrollLine, PayrollPayment, PayrollRun
from benefits.payroll import runs as payroll
from benefits.tasks import payroll_run_execute
from benefits.tests.factories import retiree
from pension.models import Region

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CITY = "140100"


@pytest.fixture
def retirees(staff) -> int:
    """Four retirees in each of three counties of the city (each county a chunk), each
    paid through 2026-10 with a due of 10.00: a run for 2026-11 makes 2 lines each."""
    agency = staff["city_caseworker"].agency
    counties = list(Region.objects.filter(parent_id=CITY, level="county").order_by("code")[:3])
    assert len(counties) == 3
    made = 0
    for county in counties:
        for i in range(4):
            d = retiree(agency, region=county.code, paid_through="2026-10",
                        basic=f"{1000 + i}.00")  # fmt: skip
            PayrollDue.objects.create(
                person=d.person, determination=d, item=PayrollItem.BACK_PAY, amount=D("10.00"),
                source=f"test:{d.pk}", reason="test",
            )  # fmt: skip
            made += 1
    return made


def test_a_run_started_through_the_task_completes_on_the_worker(celery_worker, staff, retirees):
    run = payroll.payroll_run_create(
        actor=staff["city_caseworker"], period="2026-11", region=CITY, dry_run=True
    )
    payroll.payroll_run_start(actor=staff["city_caseworker"], run=run)  # queued on commit
    result = payroll_run_execute.delay(run.pk).get(timeout=120)  # the same run, idempotent

    run.refresh_from_db()
    assert result["run"] == run.pk
    assert run.status == PayrollRunStatus.CALCULATED, run.error
    assert run.payment_count == retirees
    assert run.processed_count == run.total_count == retirees


def test_a_worker_killed_mid_run_and_a_rerun_leave_every_line_once(celery_worker, staff, retirees):
    run = payroll.payroll_run_create(actor=staff["city_caseworker"], period="2026-11", region=CITY)
    crashing = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from benefits.payroll.runs import payroll_run_execute; "
            f"payroll_run_execute({run.pk})",
        ],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "pension.settings.test",
            "PENSION_DATABASE_NAME": connection.settings_dict["NAME"],
            payroll.CRASH_AFTER_CHUNKS_ENV: "1",
        },
        cwd=settings.BASE_DIR,
        capture_output=True,
        timeout=120,
    )
    assert crashing.returncode == -signal.SIGKILL, crashing.stderr.decode()[-2000:]

    run.refresh_from_db()
    first_code, first_heads = run.parameters["chunks"][0]
    assert run.status == PayrollRunStatus.RUNNING  # crashed: nobody marked it failed
    assert run.parameters["chunks_done"] == [first_code]
    assert first_heads == 4
    assert PayrollLine.objects.filter(run=run).count() == 8  # one county: 4 × 2 lines
    assert PayrollDue.objects.filter(run=run).count() == 4

    result = payroll_run_execute.delay(run.pk).get(timeout=120)  # the worker resumes
    assert result["status"] == "calculated"
    # and a retried delivery of the finished run changes nothing
    payroll_run_execute.delay(run.pk).get(timeout=120)

    run = PayrollRun.objects.get(pk=run.pk)
    lines = PayrollLine.objects.filter(period=202611, posted=True)
    per_key = lines.values("person", "period", "item", "run_kind").annotate(n=Count("id"))
    assert not per_key.filter(n__gt=1).exists()
    assert lines.count() == 2 * retirees
    assert PayrollPayment.objects.filter(run=run).count() == retirees
    assert not PayrollDue.objects.filter(run__isnull=True).exists()
    # per county the four pensions are
    # (1000 + 1001 + 1002 + 1003) + 4 × (800 + 900) = 4006 + 6800 = 10806.00, three
    # counties = 32418.00, and 12 dues of 10.00 = 120.00: 32538.00
    assert run.total_amount == D("32538.00")
    assert PayrollPayment.objects.filter(run=run).aggregate(s=Sum("amount"))["s"] == D("32538.00")
