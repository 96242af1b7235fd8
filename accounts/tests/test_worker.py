"""The interest batch on a real Celery worker (Redis, the test database), and a
process killed in the middle of a run: the re-run leaves one interest line and one
entry per account, with the same totals as a clean dry run.

The crash is a process of the test's own (``PENSION_TEST_CRASH_AFTER_CHUNKS=1``: it
SIGKILLs itself once its first chunk of three accounts has committed); the session worker resumes.
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
from django.db.models import Count

from accounts import runs
from accounts.choices import EntryKind, RunStatus
from accounts.models import AccountEntry, AccountRun, InterestLine
from accounts.tasks import interest_run_execute
from accounts.tests.factories import account_with, make_person
from pension.locks import CRASH_AFTER_CHUNKS_ENV

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
PROVINCE = "140000"


@pytest.fixture
def accounts_in_three_counties(staff):
    """Three accounts in each of three counties: the caseworker's, another county of
    Taiyuan (served by the city's agency) and a county of Datong."""
    places = [
        (staff["caseworker"].agency, None),
        (staff["city_caseworker"].agency, "140106"),
        (staff["other_caseworker"].agency, None),
    ]
    made = []
    for i, (agency, region) in enumerate(places):
        for j in range(3):
            amount = D(1000 * (i + 1) + 100 * j)
            person = make_person(agency, region=region)
            made.append(account_with(person, [("migrated_balance", "2023-12", str(amount))]))
    return made


def _wait_for(run_id: int, statuses, timeout: float = 120) -> AccountRun:
    deadline = time.monotonic() + timeout
    while True:
        run = AccountRun.objects.get(pk=run_id)
        if run.status in statuses:
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} still {run.status} after {timeout} s")
        time.sleep(0.2)


def test_an_interest_run_is_calculated_approved_and_posted_on_the_worker(
    celery_worker, staff, accounts_in_three_counties
):
    run = runs.interest_run_create(
        actor=staff["province_accountant"], region=PROVINCE, year=2024, chunk_accounts=3
    )
    runs.interest_run_start(actor=staff["province_accountant"], run=run)
    run = _wait_for(run.pk, {RunStatus.CALCULATED, RunStatus.FAILED})
    assert run.status == RunStatus.CALCULATED, run.error
    assert run.processed_count == run.total_count == 3

    runs.interest_run_approve(actor=staff["province_reviewer"], run=run)
    run = _wait_for(run.pk, {RunStatus.POSTED, RunStatus.FAILED})

    assert run.status == RunStatus.POSTED, run.error
    # 1 000 carried from 2023 earns 0.0262 × 1 000 = 26.20 in 2024; 1 100 → 28.82
    first = accounts_in_three_counties[0]
    assert AccountEntry.objects.get(account=first, kind=EntryKind.INTEREST).amount == D("26.20")
    second = accounts_in_three_counties[1]
    assert AccountEntry.objects.get(account=second, kind=EntryKind.INTEREST).amount == D("28.82")


def test_a_process_killed_mid_run_and_a_rerun_leave_every_account_once(
    celery_worker, staff, accounts_in_three_counties
):
    clean = runs.interest_run_create(
        actor=staff["province_accountant"],
        region=PROVINCE,
        year=2024,
        dry_run=True,
        chunk_accounts=3,
    )
    assert interest_run_execute.delay(clean.pk).get(timeout=120)["status"] == "calculated"
    clean.refresh_from_db()

    run = runs.interest_run_create(
        actor=staff["province_accountant"], region=PROVINCE, year=2024, chunk_accounts=3
    )
    crashing = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from accounts.runs import interest_run_execute; "
            f"interest_run_execute({run.pk})",
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
    assert run.status == RunStatus.RUNNING  # crashed: nobody marked it failed
    assert len(run.parameters["chunks_done"]) == 1
    assert InterestLine.objects.filter(run=run).count() == 3  # the first chunk: three accounts

    assert interest_run_execute.delay(run.pk).get(timeout=120)["status"] == "calculated"

    run.refresh_from_db()
    lines = InterestLine.objects.filter(run=run)
    assert not lines.values("account").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert lines.count() == InterestLine.objects.filter(run=clean).count() == 9
    assert (run.account_count, run.total_amount) == (clean.account_count, clean.total_amount)
    runs.interest_run_approve(actor=staff["province_reviewer"], run=run)
    runs.interest_run_post(run.pk)
    runs.interest_run_post(run.pk)  # delivered twice
    assert AccountEntry.objects.filter(run=run).count() == 9
