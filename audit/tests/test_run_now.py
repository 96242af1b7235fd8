"""Run-now buttons of the audit pages (issue 19): the risk scan, the quarterly data-quality
check and the statistics ledger's month-end snapshot are queued to the worker when the
click commits (the run record running, the task given its id), a second click while the
run is running is refused in Chinese and creates nothing, and a role without the right
gets 403."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from audit import quality, risk, tasks
from audit.choices import ScanStatus
from audit.models import DataQualityRun, RiskScanRun
from budget import tasks as budget_tasks
from budget.models import SnapshotRun
from pension.models import ChangeLogEntry
from pension.periods import Period

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def queued(monkeypatch):
    """What each task was given when the queued callbacks ran (instead of the broker)."""
    sent: list[tuple[str, int]] = []
    for name, task in [
        ("risk", tasks.risk_scan_execute),
        ("quality", tasks.data_quality_execute),
        ("snapshot", budget_tasks.snapshot_run_execute),
    ]:
        monkeypatch.setattr(task, "delay", lambda pk, name=name: sent.append((name, pk)))
    return sent


def _click(client, url, django_capture_on_commit_callbacks, **data):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url, data)
    return response, callbacks


def test_the_risk_scan_button_queues_one_scan(
    client, staff, queued, django_capture_on_commit_callbacks
):
    client.force_login(staff["auditor"])
    page = client.get("/audit/alerts/").content.decode()
    assert 'id="run-now"' in page and "立即运行风险扫描" in page
    assert 'data-confirm="确定立即对本辖区运行全部风险规则吗' in page

    response, callbacks = _click(client, "/audit/alerts/scan", django_capture_on_commit_callbacks)
    run = RiskScanRun.objects.get()
    assert response.status_code == 302 and response.url == "/audit/alerts/"
    assert len(callbacks) == 1 and queued == [("risk", run.pk)]
    assert (run.status, run.started_by, run.region_id) == (
        ScanStatus.RUNNING,
        staff["auditor"],
        staff["auditor"].region.code,
    )
    assert f"风险扫描批次 #{run.pk} 已提交后台执行" in _messages(response)[-1]
    assert ChangeLogEntry.objects.filter(object_id=str(run.pk), reason="started").exists()

    # while it runs: the page says so, a second click is refused and queues nothing
    page = client.get("/audit/alerts/").content.decode()
    assert 'id="run-running"' in page and 'id="run-now"' not in page
    response, callbacks = _click(client, "/audit/alerts/scan", django_capture_on_commit_callbacks)
    assert RiskScanRun.objects.count() == 1 and not callbacks and len(queued) == 1
    assert f"风险扫描（批次 #{run.pk}）正在运行" in _messages(response)[-1]

    # what the worker does; then the button starts another
    run = risk.risk_scan_execute(run.pk)
    assert run.status == ScanStatus.POSTED
    _click(client, "/audit/alerts/scan", django_capture_on_commit_callbacks)
    assert RiskScanRun.objects.count() == 2 and len(queued) == 2


def test_the_data_quality_button_queues_one_check(
    client, staff, queued, django_capture_on_commit_callbacks
):
    client.force_login(staff["county_head"])  # an agency head works in audit too
    page = client.get("/audit/data-quality/").content.decode()
    assert "立即运行数据质量检查" in page
    url = "/audit/data-quality/run"
    _response, _callbacks = _click(client, url, django_capture_on_commit_callbacks)
    run = DataQualityRun.objects.get()
    assert queued == [("quality", run.pk)] and run.status == ScanStatus.RUNNING
    assert run.region_id == staff["county_head"].region.code  # the head's county only
    assert run.quarter == quality.quarter_of(run.check_date)
    response, _callbacks = _click(client, url, django_capture_on_commit_callbacks)
    assert DataQualityRun.objects.count() == 1 and len(queued) == 1
    assert f"数据质量检查（批次 #{run.pk}）正在运行" in _messages(response)[-1]
    run = quality.data_quality_execute(run.pk)
    assert run.status == ScanStatus.POSTED


def test_the_ledger_button_takes_the_month_end_snapshot(
    client, staff, queued, django_capture_on_commit_callbacks
):
    client.force_login(staff["auditor"])
    page = client.get("/audit/statistics/?period=2026-10").content.decode()
    assert 'id="no-snapshot"' in page and "立即生成统计台账" in page
    url = "/audit/statistics/take?period=2026-10"
    response, _callbacks = _click(client, url, django_capture_on_commit_callbacks)
    run = SnapshotRun.objects.get()
    assert response.url == "/audit/statistics/?period=2026-10"
    assert (run.period, run.status, run.started_by) == (
        Period(2026, 10),
        "running",
        staff["auditor"],
    )
    assert queued == [("snapshot", run.pk)]
    response, _callbacks = _click(client, url, django_capture_on_commit_callbacks)
    assert SnapshotRun.objects.count() == 1 and len(queued) == 1
    assert f"月末快照（批次 #{run.pk}）正在运行" in _messages(response)[-1]


@pytest.mark.parametrize(
    ("user", "url"),
    [
        ("caseworker", "/audit/alerts/scan"),
        ("caseworker", "/audit/data-quality/run"),
        ("caseworker", "/audit/statistics/take?period=2026-10"),
        # the snapshot is the province's: a county's head may not take it
        ("county_head", "/audit/statistics/take?period=2026-10"),
    ],
)
def test_a_role_without_the_right_gets_403(client, staff, queued, user, url):
    client.force_login(staff[user])
    assert client.post(url).status_code == 403
    assert not queued
    assert not RiskScanRun.objects.exists() and not DataQualityRun.objects.exists()
    assert not SnapshotRun.objects.exists()


def test_the_county_head_sees_no_ledger_button(client, staff):
    client.force_login(staff["county_head"])
    page = client.get("/audit/statistics/?period=2026-10").content.decode()
    assert 'id="no-snapshot"' in page and 'id="run-now"' not in page
