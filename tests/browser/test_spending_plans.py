"""A spending-plan cycle (用款计划) in a real browser, in Chinese: the county's fund
accountant prepares next month's plan from the payroll projection and submits it, the
county's reviewer approves, the city's fund accountant consolidates and submits, the
city's reviewer approves, the province's fund accountant consolidates and applies to
finance, the province's reviewer approves; each maker is refused the approval button.
Screenshots of the county's plan and of the province's application.

The county's payroll (funds/tests/test_plans.py ``county_payroll``), by hand: pensions
2100.50 + 3000.00, an adjustment of 120.00 and a back-pay due of 450.00 = 5670.50 for
2027-01 (the third pensioner retires in January and is paid from February).
"""

from __future__ import annotations

import pytest

from funds.choices import PlanStatus
from funds.models import SpendingPlan
from funds.tests.test_plans import county_payroll  # noqa: F401
from pension.models import ApprovalRequest
from pension.periods import Period
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MONTH = "2027-01"
TOTAL = "5,670.50"


def sign_out(page) -> None:
    with page.expect_navigation():
        page.click("button.link")


def prepare_or_consolidate(page, button: str) -> SpendingPlan:
    page.goto("/funds/plans/")
    page.fill(f"#{button}-form input[name=period]", MONTH)
    with page.expect_navigation():
        page.click(f"#{button}")
    plan = SpendingPlan.objects.order_by("-id").first()
    assert page.url.endswith(f"/funds/plans/{plan.pk}/")  # the new plan's page
    assert page.locator("#plan-total").inner_text() == TOTAL
    return plan


def submit(page, plan: SpendingPlan) -> ApprovalRequest:
    with page.expect_navigation():
        page.click("#submit-plan")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PENDING
    return ApprovalRequest.objects.get(pk=plan.approval_id)


def approve(page, request: ApprovalRequest, checker: str, password: str) -> None:
    page.goto(f"/approvals/{request.pk}/")
    assert page.locator("button[name=approve]").count() == 0  # the maker cannot
    sign_out(page)
    sign_in(page, checker, password)
    page.goto(f"/approvals/{request.pk}/")
    page.fill("#approve-reason", "核对无误")
    with page.expect_navigation():
        page.click("button[name=approve]")
    assert page.locator("dd.status-approved").count() == 1
    sign_out(page)


def test_county_city_province_cycle(page, staff, county_payroll, demo_password):  # noqa: F811
    # 1. the county prepares January's plan from the payroll projection and submits it
    sign_in(page, "county_accountant", demo_password)
    county = prepare_or_consolidate(page, "prepare")
    assert (county.region_id, county.period) == (staff["county_accountant"].region.code,
                                                 Period(2027, 1))  # fmt: skip
    assert page.locator(
        "#lines tr[data-item=pension] input[name=amount_pension]"
    ).input_value() == (TOTAL)
    screenshot(page, "spending-plan-county")
    approve(page, submit(page, county), "reviewer", demo_password)
    county.refresh_from_db()
    assert county.status == PlanStatus.SUBMITTED

    # 2. the city consolidates its counties' plans and submits to the province
    sign_in(page, "city_accountant", demo_password)
    city = prepare_or_consolidate(page, "consolidate")
    approve(page, submit(page, city), "city_reviewer", demo_password)
    county.refresh_from_db()
    assert county.status == PlanStatus.CONSOLIDATED and county.parent_id == city.pk

    # 3. the province consolidates and applies to the finance department
    sign_in(page, "province_accountant", demo_password)
    province = prepare_or_consolidate(page, "consolidate")
    assert page.locator("#submit-plan").inner_text() == "向财政部门申报"
    approve(page, submit(page, province), "province_reviewer", demo_password)
    province.refresh_from_db()
    city.refresh_from_db()
    assert (province.status, city.status) == (PlanStatus.SUBMITTED, PlanStatus.CONSOLIDATED)

    # the application as the province's fund accountant sees it
    sign_in(page, "province_accountant", demo_password)
    page.goto(f"/funds/plans/{province.pk}/")
    assert page.locator("#plan-status").inner_text() == "已上报"
    assert city.region.name in page.locator("#children").inner_text()
    screenshot(page, "spending-plan-province-applied")
