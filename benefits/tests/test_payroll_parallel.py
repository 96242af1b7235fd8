"""The payroll's counties on two connections at once (``Batch.workers``, issue 16's
performance goal), the run's key checked once a county instead of a foreign key a row,
and a process killed while both connections were writing: the resumed run leaves
every line once.

A run takes two connections only from ``parallel_from`` heads (20 000): these tests
lower it on a copy of the batch, as the benchmark's province-sized run does not need
to."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum

from benefits.choices import PaymentStatus, PayrollItem, PayrollRunStatus
from benefits.models import PayrollDue, PayrollLine, PayrollPayment, PayrollRun, PayrollTotal
from benefits.payroll import runs as payroll
from benefits.tests.factories import retiree
from pension import batches
from pension.models import Region

pytestmark = pytest.mark.django_db(transaction=True)

CITY = "140100"
COUNTIES = 4


@pytest.fixture
def retirees(staff) -> list[str]:
    """Three retirees in each of four counties of the city (each county a chunk),
    paid through 2026-10, each with a due of 10.00; the first county's first retiree
    has no bank account (held). A run for 2026-11 makes two lines each."""
    agency = staff["city_caseworker"].agency
    counties = list(
        Region.objects.filter(parent_id=CITY, level="county").order_by("code")[:COUNTIES]
    )
    assert len(counties) == COUNTIES
    for n, county in enumerate(counties):
        for i in range(3):
            d = retiree(agency, region=county.code, paid_through="2026-10",
                        basic=f"{1000 + i}.00",
                        bank_account="" if n == 0 and i == 0 else None)  # fmt: skip
            PayrollDue.objects.create(
                person=d.person, determination=d, item=PayrollItem.BACK_PAY, amount=D("10.00"),
                source=f"test:{d.pk}", reason="test",
            )  # fmt: skip
    return [c.code for c in counties]


# per county: pensions (1000 + 1001 + 1002) + 3 × (800 + 900) = 3003 + 5100 = 8103.00
# and three dues of 10.00 = 30.00: 8133.00; four counties 32532.00
COUNTY_TOTAL = D("8133.00")


@pytest.fixture
def two_connections(monkeypatch):
    """The payroll's batch with two workers from the first head, and the database
    connection (backend pid) that ran each county."""
    monkeypatch.setattr(payroll, "BATCH", dataclasses.replace(payroll.BATCH, parallel_from=1))
    pids: dict[str, int] = {}
    pay_chunk = payroll._pay_chunk

    def recording(run, region, heads):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pids[region] = cursor.fetchone()[0]
        return pay_chunk(run, region, heads)

    monkeypatch.setattr(payroll, "_pay_chunk", recording)
    return pids


def _assert_paid_once(run: PayrollRun, counties: list[str]) -> None:
    lines = PayrollLine.objects.filter(period=202611, posted=True)
    per_key = lines.values("person", "period", "item", "run_kind").annotate(n=Count("id"))
    assert not per_key.filter(n__gt=1).exists()
    assert lines.count() == 2 * 3 * COUNTIES
    assert PayrollPayment.objects.filter(run=run).count() == 3 * COUNTIES
    assert not PayrollDue.objects.filter(run__isnull=True).exists()
    assert run.status == PayrollRunStatus.CALCULATED, run.error
    assert sorted(run.parameters["chunks_done"]) == counties
    assert run.processed_count == run.total_count == 3 * COUNTIES
    assert run.total_amount == COUNTY_TOTAL * COUNTIES == D("32532.00")
    assert PayrollPayment.objects.filter(run=run).aggregate(s=Sum("amount"))["s"] == D("32532.00")
    # the held payment is counted at the end, from the payments (not chunk by chunk)
    assert run.parameters["held"] == 1
    assert PayrollPayment.objects.filter(run=run, status=PaymentStatus.HELD).count() == 1
    for code in counties:
        total = PayrollTotal.objects.filter(run=run, region_id=code).aggregate(s=Sum("amount"))
        assert total["s"] == COUNTY_TOTAL, code


def test_counties_on_two_connections_pay_what_one_pays(staff, retirees, two_connections):
    run = payroll.payroll_run_create(actor=staff["city_caseworker"], period="2026-11", region=CITY)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        mine = cursor.fetchone()[0]

    run = payroll.payroll_run_execute(run.pk)

    _assert_paid_once(run, retirees)
    # two connections of their own wrote the counties, two each (by head count)
    assert set(two_connections) == set(retirees)
    assert len(set(two_connections.values())) == 2
    assert mine not in two_connections.values()
    per_pid: dict[int, int] = {}
    for pid in two_connections.values():
        per_pid[pid] = per_pid.get(pid, 0) + 1
    assert sorted(per_pid.values()) == [2, 2]
    # run again: a finished run is returned unchanged
    again = payroll.payroll_run_execute(run.pk)
    assert again.parameters["chunks_done"] == run.parameters["chunks_done"]
    assert PayrollLine.objects.filter(run=run).count() == 2 * 3 * COUNTIES


def test_inside_a_transaction_the_counties_stay_on_one_connection(staff, retirees, two_connections):
    run = payroll.payroll_run_create(actor=staff["city_caseworker"], period="2026-11", region=CITY)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        mine = cursor.fetchone()[0]
    with transaction.atomic():  # other connections would not see uncommitted rows
        run = payroll.payroll_run_execute(run.pk)
    _assert_paid_once(run, retirees)
    assert set(two_connections.values()) == {mine}


def test_a_process_killed_while_two_connections_write_resumes_every_county_once(
    staff, retirees, monkeypatch
):
    run = payroll.payroll_run_create(actor=staff["city_caseworker"], period="2026-11", region=CITY)
    crashing = subprocess.run(
        [
            sys.executable,
            "-c",
            "import dataclasses, django; django.setup(); "
            "from benefits.payroll import runs; "
            "runs.BATCH = dataclasses.replace(runs.BATCH, parallel_from=1); "
            f"runs.payroll_run_execute({run.pk})",
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
    done = run.parameters["chunks_done"]
    assert run.status == PayrollRunStatus.RUNNING  # crashed: nobody marked it failed
    # the first county committed killed the process; the other connection may have
    # committed one county in between, never half of one
    assert 1 <= len(done) <= 2
    assert set(done) <= set(retirees)
    lines = PayrollLine.objects.filter(run=run)
    assert set(lines.values_list("region_id", flat=True)) == set(done)
    assert lines.count() == 2 * 3 * len(done)
    assert PayrollDue.objects.filter(run=run).count() == 3 * len(done)
    assert run.processed_count == 3 * len(done)

    # resumed, on two connections again
    monkeypatch.setattr(payroll, "BATCH", dataclasses.replace(payroll.BATCH, parallel_from=1))
    run = payroll.payroll_run_execute(run.pk)
    _assert_paid_once(run, retirees)


def test_a_run_with_lines_is_neither_deleted_nor_renumbered(staff, retirees):
    run = payroll.payroll_run_create(actor=staff["city_caseworker"], period="2026-11", region=CITY)
    run = payroll.payroll_run_execute(run.pk)
    for sql in (
        "DELETE FROM benefits_payrollrun WHERE id = %s",
        "UPDATE benefits_payrollrun SET id = id + 1000000 WHERE id = %s",
    ):
        with (
            pytest.raises(IntegrityError, match="cannot be deleted or renumbered"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [run.pk])
    assert PayrollRun.objects.filter(pk=run.pk).exists()
    # a run without lines or payments may be (the statement trigger looks at those only)
    empty = payroll.payroll_run_create(
        actor=staff["city_caseworker"], period="2026-11", region=retirees[1], dry_run=True
    )
    with connection.cursor() as cursor:
        # an update that keeps the run's number passes (each county's done-mark is one)
        cursor.execute("UPDATE benefits_payrollrun SET error = 'x' WHERE id = %s", [run.pk])
        cursor.execute("DELETE FROM benefits_payrollrun WHERE id = %s", [empty.pk])
    assert not PayrollRun.objects.filter(pk=empty.pk).exists()


def test_a_county_whose_run_is_gone_is_rolled_back(staff, retirees):
    """The run's key of a county's rows is checked once, by the done-mark on the run's
    row: when the row is gone the county fails and writes nothing."""
    run = payroll.payroll_run_create(
        actor=staff["city_caseworker"], period="2026-11", region=CITY, dry_run=True
    )
    run.parameters = {"chunks": [[retirees[0], 3]], "chunks_done": []}
    person = PayrollDue.objects.select_related("determination").first().determination

    def chunk(gone_run, key, weight):
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO benefits_payrollline (run_id, posted, period, run_kind, person_id,"
                " determination_id, region_id, item, months, amount)"
                " VALUES (%s, false, 202611, 'regular', %s, %s, %s, 'pension', 1, 1.00)",
                [gone_run.pk, person.person_id, person.pk, key],
            )

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM benefits_payrollrun WHERE id = %s", [run.pk])
    with pytest.raises(PayrollRun.DoesNotExist, match="is gone"):
        batches._run_chunk(payroll.BATCH, run, retirees[0], 3, chunk)
    assert not PayrollLine.objects.filter(run_id=run.pk).exists()
