"""A payroll run's approval through the kernel's maker-checker (issue 13, the batch
engine ``pension.batches``): a calculated live run is a request in the work queue, at
the level its total needs (``approvals.batch_amount_thresholds``); whoever started or
recalculated it cannot approve it (refused by the service and by the database); a
recalculation withdraws the pending request; approving from the work queue is
approving the run.
"""

# ruff: noqa: F811  (the payroll tests' fixtures, imported, are arguments here)
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from benefits.choices import PayrollRunStatus
from benefits.models import PayrollRun
from benefits.payroll import runs as payroll
from benefits.tests.test_payroll import county, run_for, world  # noqa: F401  (fixtures)
from contributions.models import AssessmentRun
from pension import approvals
from pension.approval_views import pending_for_checker
from pension.errors import NotPermitted
from pension.models import ApprovalRequest, ApprovalStatus, PolicyParameter
from pension.periods import Period
from pension.selectors import profile_for_region, region_get

pytestmark = pytest.mark.django_db

OPERATION = "benefits.payroll_run_approve"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def request_of(run) -> ApprovalRequest:
    return ApprovalRequest.objects.get(operation=OPERATION, object_id=str(run.pk))


def test_a_calculated_run_waits_in_the_work_queue_and_approving_it_decides_it(staff, county, world):
    run = run_for(staff, county, "2026-11")

    request = request_of(run)
    # 3250.00 (A: 3200 + 50) + 8746.20 (B: 3 × 2875.40 + 120) = 11996.20, far below the
    # batch thresholds (city 5 000 000.00): the county's own level
    assert (request.status, request.amount, request.required_level) == (
        ApprovalStatus.PENDING,
        D("11996.20"),
        "county",
    )
    assert request.maker == staff["caseworker"]  # the starter
    assert request.agency.region_id == county
    assert request in pending_for_checker(staff["reviewer"])
    assert request not in pending_for_checker(staff["other_reviewer"])  # another county

    payroll.payroll_run_approve(actor=staff["reviewer"], run=run)

    request.refresh_from_db()
    run.refresh_from_db()
    assert (request.status, request.checker) == (ApprovalStatus.APPROVED, staff["reviewer"])
    assert (run.status, run.approved_by) == (PayrollRunStatus.APPROVED, staff["reviewer"])
    world["a"].refresh_from_db()
    assert world["a"].paid_through == Period.parse("2026-11")


def test_approving_from_the_work_queue_approves_the_run(staff, county, world):
    run = run_for(staff, county, "2026-11")

    approvals.approval_request_approve(
        actor=staff["reviewer"], request_id=request_of(run).pk, reason="核对无误"
    )

    run.refresh_from_db()
    assert (run.status, run.approved_by) == (PayrollRunStatus.APPROVED, staff["reviewer"])
    assert run.parameters["paid_through_moved"] == 2  # A and B
    world["b"].refresh_from_db()
    assert world["b"].paid_through == Period.parse("2026-11")


def test_a_total_above_the_batch_threshold_needs_a_city_reviewer(staff, county, world):
    PolicyParameter.objects.create(
        profile=profile_for_region(region_get(county)),
        key="approvals.batch_amount_thresholds", effective_from=date(2026, 1, 1),
        value={"city": "10000.00", "province": "50000.00"},
    )  # fmt: skip
    run = run_for(staff, county, "2026-11")
    # 11996.20 > 10000.00 (city) and ≤ 50000.00 (province): a city reviewer
    assert request_of(run).required_level == "city"

    with pytest.raises(NotPermitted) as refused:
        payroll.payroll_run_approve(actor=staff["reviewer"], run=run)
    assert refused.value.code == "level_too_low"
    run.refresh_from_db()
    assert run.status == PayrollRunStatus.CALCULATED

    payroll.payroll_run_approve(actor=staff["city_reviewer"], run=run)
    run.refresh_from_db()
    assert run.approved_by == staff["city_reviewer"]


def test_whoever_recalculated_a_run_cannot_approve_it(staff, county, world):
    run = run_for(staff, county, "2026-11")
    first = request_of(run)

    payroll.payroll_run_recalculate(actor=staff["reviewer"], run=run)

    first.refresh_from_db()
    assert first.status == ApprovalStatus.WITHDRAWN  # no longer in the work queue
    run = payroll.payroll_run_execute(run.pk)
    assert run.recalculated_by == staff["reviewer"]
    second = ApprovalRequest.objects.get(
        operation=OPERATION, object_id=str(run.pk), status=ApprovalStatus.PENDING
    )
    assert second.maker == staff["reviewer"]  # the last to prepare it
    with pytest.raises(NotPermitted) as refused:
        payroll.payroll_run_approve(actor=staff["reviewer"], run=run)
    assert refused.value.code == "recalculated_approval"
    assert str(refused.value) == "You recalculated this run; a second person must approve it."
    with pytest.raises(NotPermitted) as refused:  # nor the starter
        payroll.payroll_run_approve(actor=staff["caseworker"], run=run)
    assert refused.value.code == "self_approval"

    payroll.payroll_run_approve(actor=staff["city_reviewer"], run=run)
    run.refresh_from_db()
    assert run.status == PayrollRunStatus.APPROVED


def test_the_database_refuses_an_approver_who_started_or_recalculated(staff, county, world):
    run = run_for(staff, county, "2026-11")
    with (
        pytest.raises(IntegrityError, match="payrollrun_approver_not_starter"),
        transaction.atomic(),
    ):
        PayrollRun.objects.filter(pk=run.pk).update(approved_by=staff["caseworker"])
    PayrollRun.objects.filter(pk=run.pk).update(recalculated_by=staff["reviewer"])
    with (
        pytest.raises(IntegrityError, match="payrollrun_approver_not_recalculator"),
        transaction.atomic(),
    ):
        PayrollRun.objects.filter(pk=run.pk).update(approved_by=staff["reviewer"])


def test_every_run_model_has_the_engine_constraints():
    for model in (PayrollRun, AssessmentRun):
        names = {c.name for c in model._meta.constraints}
        prefix = model._meta.model_name
        assert {f"{prefix}_approver_not_starter", f"{prefix}_approver_not_recalculator",
                f"{prefix}_progress"} <= names  # fmt: skip


def test_the_work_queue_shows_the_run_in_chinese(client, staff, county, world):
    from django.conf import settings
    from django.urls import reverse

    run = run_for(staff, county, "2026-11")
    request = request_of(run)
    client.force_login(staff["reviewer"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    page = client.get(reverse("approval_detail", args=[request.pk])).content.decode()

    # the operation, the fields by their labels and the status by its label, no code
    # names: 发放批次复核 (Approval of a payroll run), 应发合计 (Total to pay: not paid yet), 已计算
    # (Calculated)
    for text in ("发放批次复核", "应发合计", "已计算"):
        assert text in page, text
    assert "已发放合计" not in page
    assert "11,996.20" in page
    for code in ("total_amount", "payment_count", "calculated", "dry_run"):
        assert code not in page, code


def test_the_run_page_offers_no_approval_to_whoever_recalculated_it(client, staff, county, world):
    from django.conf import settings
    from django.urls import reverse

    run = run_for(staff, county, "2026-11")
    payroll.payroll_run_recalculate(actor=staff["reviewer"], run=run)
    payroll.payroll_run_execute(run.pk)
    detail = reverse("benefits:payroll_run_detail", args=[run.pk])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    client.force_login(staff["reviewer"])
    page = client.get(detail).content.decode()
    assert 'id="approve"' not in page
    assert 'id="run-recalculated-by"' in page and "李复核" in page  # the reviewer's name

    client.force_login(staff["city_reviewer"])
    assert 'id="approve"' in client.get(detail).content.decode()
