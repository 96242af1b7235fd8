"""Maker-checker (DESIGN §2.4): who may decide, thresholds, and applying once."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from pension import approvals, changelog
from pension.choices import RegionLevel, Role
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ApprovalRequest, ApprovalStatus, ChangeAction, ChangeLogEntry, StaffUser

pytestmark = pytest.mark.django_db

APPLIED = "test.applied"


def _apply_payment(request, checker):
    # not idempotent on purpose: every application writes one more row
    changelog.record(
        actor=checker, action=ChangeAction.CREATE, object_type=APPLIED, object_id=request.pk
    )
    return {"paid": request.payload["amount"]}


# a Chinese label: the queue lists every registered operation, and the link walk reads it
approvals.register_operation("test.payment", label="测试付款", apply=_apply_payment)


def _payment(staff, amount, maker="caseworker", agency_of="caseworker"):
    return approvals.approval_request_create(
        actor=staff[maker],
        operation="test.payment",
        agency=staff[agency_of].agency,
        summary="back-payment",
        payload={"amount": str(amount)},
        amount=Decimal(amount),
    )


def _applied(request):
    return ChangeLogEntry.objects.filter(object_type=APPLIED, object_id=str(request.pk)).count()


def test_a_request_changes_nothing_until_approved(demo_tiny, staff):
    caseworker = staff["caseworker"]
    request = approvals.staff_roles_change_request(
        actor=staff["county_head"],
        user=caseworker,
        roles=["caseworker", "reviewer"],
        reason="promoted",
    )
    caseworker.refresh_from_db()
    assert caseworker.roles == [Role.CASEWORKER]
    assert request.before == {"roles": ["caseworker"]}
    approvals.approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    caseworker.refresh_from_db()
    assert caseworker.roles == ["caseworker", "reviewer"]
    request.refresh_from_db()
    assert (request.status, request.checker) == (ApprovalStatus.APPROVED, staff["reviewer"])


def test_self_approval_is_refused(demo_tiny, staff):
    request = _payment(staff, "100.00", maker="reviewer", agency_of="reviewer")
    with pytest.raises(NotPermitted) as excinfo:
        approvals.approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    assert excinfo.value.code == "self_approval"
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING and _applied(request) == 0


def test_a_reviewer_of_another_region_is_refused(demo_tiny, staff):
    request = _payment(staff, "100.00")
    with pytest.raises(NotPermitted) as excinfo:
        approvals.approval_request_approve(actor=staff["other_reviewer"], request_id=request.pk)
    assert excinfo.value.code == "outside_region"
    assert _applied(request) == 0


def test_a_caseworker_cannot_decide(demo_tiny, staff):
    request = _payment(staff, "100.00", maker="county_head")
    with pytest.raises(NotPermitted) as excinfo:
        approvals.approval_request_approve(actor=staff["caseworker"], request_id=request.pk)
    assert excinfo.value.code == "not_reviewer"


def test_below_threshold_a_county_reviewer_approves(demo_tiny, staff):
    # Shanxi working thresholds: above 50 000.00 the city, above 500 000.00 the province
    request = _payment(staff, "50000.00")
    assert request.required_level == RegionLevel.COUNTY
    approvals.approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    assert _applied(request) == 1


def test_above_threshold_a_county_reviewer_is_refused_and_a_city_reviewer_approves(
    demo_tiny, staff
):
    request = _payment(staff, "50000.01")
    assert request.required_level == RegionLevel.CITY
    with pytest.raises(NotPermitted) as excinfo:
        approvals.approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    assert excinfo.value.code == "level_too_low"
    approvals.approval_request_approve(actor=staff["city_reviewer"], request_id=request.pk)
    assert _applied(request) == 1


def test_above_the_province_threshold_only_the_province_decides(demo_tiny, staff):
    request = _payment(staff, "500000.01")
    assert request.required_level == RegionLevel.PROVINCE
    for name in ("reviewer", "city_reviewer"):
        with pytest.raises(NotPermitted):
            approvals.approval_request_approve(actor=staff[name], request_id=request.pk)
    approvals.approval_request_approve(actor=staff["province_reviewer"], request_id=request.pk)
    assert _applied(request) == 1


def test_a_rejection_needs_a_reason_and_applies_nothing(demo_tiny, staff):
    request = _payment(staff, "10.00")
    with pytest.raises(InvalidInput) as excinfo:
        approvals.approval_request_reject(
            actor=staff["reviewer"], request_id=request.pk, reason=" "
        )
    assert excinfo.value.code == "reason_required"
    approvals.approval_request_reject(
        actor=staff["reviewer"], request_id=request.pk, reason="no proof"
    )
    request.refresh_from_db()
    assert (request.status, request.decision_reason) == (ApprovalStatus.REJECTED, "no proof")
    assert _applied(request) == 0
    with pytest.raises(Conflict):
        approvals.approval_request_approve(actor=staff["city_reviewer"], request_id=request.pk)


def test_only_the_maker_withdraws(demo_tiny, staff):
    request = _payment(staff, "10.00")
    with pytest.raises(NotPermitted):
        approvals.approval_request_withdraw(actor=staff["reviewer"], request_id=request.pk)
    approvals.approval_request_withdraw(actor=staff["caseworker"], request_id=request.pk)
    request.refresh_from_db()
    assert request.status == ApprovalStatus.WITHDRAWN


def test_a_maker_elsewhere_in_the_province_may_prepare_but_not_another_province(demo_tiny, staff):
    # 异地通办: the Datong caseworker prepares a case owned by Xiaodian's agency
    request = _payment(staff, "10.00", maker="other_caseworker", agency_of="caseworker")
    assert request.agency == staff["caseworker"].agency
    from pension.models import Agency

    jilin_agency = Agency.objects.create(
        code="22010200", name="南关区社会保险中心", region_id="220102"
    )
    with pytest.raises(NotPermitted):
        approvals.approval_request_create(
            actor=staff["caseworker"], operation="test.payment", agency=jilin_agency,
            summary="x", payload={"amount": "1"},
        )  # fmt: skip


def test_the_database_refuses_checker_equal_to_maker(demo_tiny, staff):
    from django.db import IntegrityError, transaction

    request = _payment(staff, "10.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalRequest.objects.filter(pk=request.pk).update(checker=staff["caseworker"])


@pytest.mark.django_db(transaction=True)
def test_two_checkers_approving_at_once_apply_the_change_once(demo_tiny):
    staff = {
        u.username: u
        for u in StaffUser.objects.filter(username__in=["caseworker", "reviewer", "city_reviewer"])
    }
    request = _payment(staff, "10.00")
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(name):
        try:
            barrier.wait()
            approvals.approval_request_approve(actor=staff[name], request_id=request.pk)
            outcomes.append("approved")
        except Conflict as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(n,)) for n in ("reviewer", "city_reviewer")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["already_decided", "approved"]
    assert _applied(request) == 1
    assert (
        ChangeLogEntry.objects.filter(
            action=ChangeAction.APPROVE, object_id=str(request.pk)
        ).count()
        == 1
    )


def test_a_stale_request_is_refused_and_applies_nothing(demo_tiny, staff):
    caseworker = staff["caseworker"]
    request = approvals.staff_roles_change_request(
        actor=staff["county_head"], user=caseworker, roles=["reviewer"], reason="moved"
    )
    assert request.before == {"roles": ["caseworker"]}
    # meanwhile the roles change by another (approved) path
    StaffUser.objects.filter(pk=caseworker.pk).update(roles=["caseworker", "auditor"])
    with pytest.raises(Conflict) as excinfo:
        approvals.approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    assert excinfo.value.code == "stale_request"
    assert "Roles" in str(excinfo.value) or "角色" in str(excinfo.value)
    caseworker.refresh_from_db()
    assert caseworker.roles == ["caseworker", "auditor"]
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING
    # rejecting it stays possible
    approvals.approval_request_reject(
        actor=staff["reviewer"], request_id=request.pk, reason="stale"
    )


def test_a_request_whose_before_still_holds_is_applied(demo_tiny, staff):
    caseworker = staff["caseworker"]
    request = approvals.staff_roles_change_request(
        actor=staff["county_head"], user=caseworker, roles=["reviewer"], reason="moved"
    )
    assert approvals.stale_fields(request) == []
    approvals.approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    caseworker.refresh_from_db()
    assert caseworker.roles == ["reviewer"]
