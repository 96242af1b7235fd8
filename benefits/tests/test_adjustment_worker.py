"""The adjustment batch on a real Celery worker (Redis, the test database), and a
process killed in the middle of an event: the re-run leaves one adjustment per
retiree, with the figures of a clean run.

The crash is a process of the test's own: a Python process that runs
``adjustment_event_execute`` with ``PENSION_TEST_ADJUSTMENT_CRASH_AFTER_CHUNKS=1`` and
SIGKILLs itself once its first county has committed (the hook in
``benefits.adjustment.adjustments._after_chunk``). The session worker then resumes the event.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count, Sum

from benefits.adjustment.adjustments import (
    CRASH_AFTER_CHUNKS_ENV,
    adjustment_event_create,
    adjustment_event_discard,
    adjustment_event_start,
)
from benefits.bench_data import make_retirees
from benefits.choices import BatchStatus
from benefits.models import AdjustmentEvent, PensionAdjustment
from benefits.tasks import adjustment_event_execute
from pension.models import Region

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BANDS = [{"min_age": 70, "amount": "30.00"}, {"min_age": 80, "amount": "50.00"}]


@pytest.fixture
def retirees(staff) -> int:
    """60 synthetic retirees over four counties of Taiyuan (four chunks)."""
    counties = list(
        Region.objects.filter(code__startswith="1401", level="county")
        .order_by("code")
        .values_list("code", flat=True)[:4]
    )
    assert len(counties) == 4
    return make_retirees(60, region_codes=counties, log=lambda message: None)


def _event(staff) -> AdjustmentEvent:
    return adjustment_event_create(
        actor=staff["province_accountant"], year=2026, region="140000", name="2026 调整",
        flat_amount=D("50.00"), per_year_amount=D("2.00"), percentage=D("2.2"),
        age_bands=BANDS, cutoff_date=date(2025, 12, 31),
    )  # fmt: skip


def _wait_for(event_id: int, timeout: float = 120) -> AdjustmentEvent:
    deadline = time.monotonic() + timeout
    while True:
        event = AdjustmentEvent.objects.get(pk=event_id)
        if event.status not in (BatchStatus.DRAFT, BatchStatus.RUNNING):
            return event
        if time.monotonic() > deadline:
            raise AssertionError(f"event {event_id} still {event.status} after {timeout} s")
        time.sleep(0.2)


def _figures(event: AdjustmentEvent) -> dict[int, D]:
    return dict(
        PensionAdjustment.objects.filter(event=event).values_list("person_id", "monthly_amount")
    )


def test_started_on_the_worker_and_a_crash_resumed_leave_one_adjustment_each(
    celery_worker, staff, retirees
):
    clean = _event(staff)
    adjustment_event_start(actor=staff["province_accountant"], event=clean)  # queued on commit
    clean = _wait_for(clean.pk)
    assert clean.status == BatchStatus.CALCULATED, clean.error
    assert clean.line_count == retirees == clean.total_count == clean.processed_count
    assert len(clean.parameters["chunks"]) == 4
    expected = _figures(clean)
    adjustment_event_discard(actor=staff["province_accountant"], event=clean)

    event = _event(staff)
    crashing = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from benefits.adjustment.adjustments import adjustment_event_execute; "
            f"adjustment_event_execute({event.pk})",
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
    event.refresh_from_db()
    first_code, first_heads = event.parameters["chunks"][0]
    assert event.status == BatchStatus.RUNNING  # crashed: nobody marked it failed
    assert event.parameters["chunks_done"] == [first_code]
    assert event.processed_count == first_heads < event.total_count
    assert 0 < PensionAdjustment.objects.filter(event=event).count() < retirees

    assert adjustment_event_execute.delay(event.pk).get(timeout=120) == "calculated"

    event.refresh_from_db()
    assert event.status == BatchStatus.CALCULATED
    rows = PensionAdjustment.objects.filter(event=event)
    assert not rows.values("person").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert _figures(event) == expected
    assert event.total_monthly == rows.aggregate(s=Sum("monthly_amount"))["s"]
    assert event.total_monthly == sum(expected.values())
