"""The run-now buttons on a real Celery worker: the risk scan and the data-quality check
clicked on their pages are executed by the worker (queue ``audit``) to the end, and the
counts the runs record are those their rows hold."""

from __future__ import annotations

import time

import pytest

from audit.choices import ScanStatus
from audit.models import Alert, DataQualityCount, DataQualityRun, RiskScanRun

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _wait_for(model, run_id: int, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while True:
        run = model.objects.get(pk=run_id)
        if run.status not in (ScanStatus.DRAFT, ScanStatus.RUNNING):
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} still {run.status} after {timeout} s")
        time.sleep(0.2)


def test_the_buttons_runs_complete_on_the_worker(celery_worker, client, staff):
    client.force_login(staff["auditor"])
    before = Alert.objects.count()
    assert client.post("/audit/alerts/scan").status_code == 302
    scan = _wait_for(RiskScanRun, RiskScanRun.objects.get().pk)
    assert scan.status == ScanStatus.POSTED, scan.error
    assert scan.started_by == staff["auditor"]
    assert scan.alert_count == Alert.objects.count() - before
    assert scan.processed_count == scan.total_count == len(scan.parameters["rules"])

    assert client.post("/audit/data-quality/run").status_code == 302
    check = _wait_for(DataQualityRun, DataQualityRun.objects.get().pk)
    assert check.status == ScanStatus.POSTED, check.error
    found = sum(c.count for c in DataQualityCount.objects.filter(run=check))
    assert check.issue_count == found
