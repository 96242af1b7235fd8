import pytest

from pension import approvals
from pension.models import StaffUser
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reviewer_approves_from_the_work_queue(page, staff, demo_password):
    caseworker = staff["caseworker"]
    request = approvals.staff_roles_change_request(
        actor=staff["county_head"], user=caseworker, roles=["caseworker", "reviewer"], reason="晋升"
    )
    sign_in(page, "reviewer", demo_password)
    badge = page.locator("nav.sidebar a[data-domain=approvals] .badge")
    assert badge.inner_text() == "1"
    page.click("nav.sidebar a[data-domain=approvals]")
    page.click(f"a[href='/approvals/{request.pk}/'] >> nth=1")
    assert page.locator("table.diff tr.changed").count() == 1
    page.fill("#approve-reason", "材料齐全")
    page.click("button[name=approve]")
    assert page.locator(".messages li.success").inner_text() == "已审核通过，变更已生效。"
    assert page.locator("dd.status-approved").inner_text() == "已通过"
    assert StaffUser.objects.get(pk=caseworker.pk).roles == ["caseworker", "reviewer"]
    page.screenshot(path="var/approval_detail.png", full_page=True)
