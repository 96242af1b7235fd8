"""A spending-plan cycle (用款计划) in a real browser, in Chinese, from the county's
Excel workbook to the money on the county's page (issue 17's browser test):

1. the county's fund accountant prepares next month's plan from the payroll
   projection, downloads it as Excel, fills the workbook in (built with openpyxl from
   the download) and uploads it; the county's reviewer approves the submission;
2. the city's fund accountant consolidates and submits, the city's reviewer approves;
3. the province's fund accountant consolidates and applies to finance, the province's
   reviewer approves;
4. the finance department approves and allocates through the REST API (an API key
   with the finance scopes) and confirms its transfer to the provincial expenditure
   account;
5. the province's fund accountant disburses to the city (the province's reviewer
   approves), the city's fund accountant to the county (the city's reviewer approves);
6. the county opens its plan: the disbursement with its amount, and the plan vs actual
   chart drawn with the disbursed figure.

Each maker is refused the approval button. No page on the way has English text.
Screenshots of the county's plan, the province's application and the county's page
with the disbursement.

The county's payroll (funds/tests/test_plans.py ``county_payroll``), by hand: pensions
2100.50 + 3000.00, an adjustment of 120.00 and a back-pay due of 450.00 = 5670.50 for
2027-01 (the third pensioner retires in January and is paid from February): the
projection the plan is pre-filled with. The workbook the county uploads changes two
lines: basic pensions 2 people 5800.00 (the January retiree's first pension is
expected early; a reason given) and funeral grants 1 person 2000.00 (a reason given);
the plan, the city's and the province's are then 5800.00 + 2000.00 = 7800.00, and so
are finance's allocation and each disbursement.
"""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from funds.choices import DisbursementStatus, PlanStatus
from funds.models import Disbursement, FinanceTransfer, SpendingPlan
from funds.tests.test_plans import county_payroll  # noqa: F401
from pension.api import keys
from pension.models import ApprovalRequest
from pension.periods import Period
from tests.browser.conftest import screenshot, sign_in
from tests.test_link_walk import _english

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MONTH = "2027-01"
PROJECTED = "5,670.50"
# the workbook's lines: (headcount, amount, reason) by the item's Chinese name
UPLOADED = {
    "基本养老金": (2, 5800, "一月新退休一人预计提前发放"),
    "丧葬补助金和抚恤金支出": (1, 2000, "预计一人丧葬补助"),
}
TOTAL = "7,800.00"  # 5800.00 + 2000.00


def chinese(page) -> None:
    """No English phrase in the page's visible text (tests/test_link_walk.py's rule)."""
    assert _english(page.locator("main").inner_text()) == [], page.url


def sign_out(page) -> None:
    with page.expect_navigation():
        page.click("button.link")


def prepare_or_consolidate(page, button: str, total: str) -> SpendingPlan:
    page.goto("/funds/plans/")
    page.fill(f"#{button}-form input[name=period]", MONTH)
    with page.expect_navigation():
        page.click(f"#{button}")
    plan = SpendingPlan.objects.order_by("-id").first()
    assert page.url.endswith(f"/funds/plans/{plan.pk}/")  # the new plan's page
    assert page.locator("#plan-total").inner_text() == total
    chinese(page)
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
    chinese(page)
    page.fill("#approve-reason", "核对无误")
    with page.expect_navigation():
        page.click("button[name=approve]")
    assert page.locator("dd.status-approved").count() == 1
    sign_out(page)


def upload_workbook(page, tmp_path) -> None:
    """Download the plan as Excel, fill it in with openpyxl, upload it."""
    with page.expect_download() as download_info:
        page.click("#download")
    path = tmp_path / "用款计划.xlsx"
    download_info.value.save_as(path)
    workbook = load_workbook(path)
    sheet = workbook.active
    header = [c.value for c in sheet[1]]
    assert header == ["支出项目", "人数", "金额", "预计人数", "预计金额", "差异原因"]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert str(rows["基本养老金"][4].value) == "5670.5"  # the projection, as a number
    for name, (heads, amount, reason) in UPLOADED.items():
        rows[name][1].value, rows[name][2].value, rows[name][5].value = heads, amount, reason
    workbook.save(path)
    page.set_input_files("#upload-form input[type=file]", str(path))
    with page.expect_navigation():
        page.click("#upload")
    assert page.locator("#plan-errors").count() == 0
    assert page.locator("#plan-total").inner_text() == TOTAL


def disburse(page, plan: SpendingPlan, below: str) -> Disbursement:
    """From the payer's own plan page, open the plan below and disburse it."""
    page.goto(f"/funds/plans/{plan.pk}/")
    with page.expect_navigation():
        page.click(f"#children a:has-text('{below}')")
    chinese(page)
    with page.expect_navigation():  # the amount left empty: the plan's amount
        page.click("#disburse")
    disbursement = Disbursement.objects.select_related("approval").get(plan__region__name=below)
    assert disbursement.status == DisbursementStatus.PENDING
    assert page.locator("#disbursement-amount").inner_text() == TOTAL
    return disbursement


def test_county_excel_to_disbursement_with_chart(
    page,
    browser,
    live_server,
    tmp_path,
    staff,
    county_payroll,  # noqa: F811
    demo_password,
):
    # 1. the county prepares January's plan, fills in the workbook and uploads it
    sign_in(page, "county_accountant", demo_password)
    county = prepare_or_consolidate(page, "prepare", PROJECTED)
    assert (county.region_id, county.period) == (staff["county_accountant"].region.code,
                                                 Period(2027, 1))  # fmt: skip
    assert page.locator(
        "#lines tr[data-item=pension] input[name=amount_pension]"
    ).input_value() == (PROJECTED)
    upload_workbook(page, tmp_path)
    assert (
        page.locator("#lines tr[data-item=survivor] input[name=amount_survivor]").input_value()
        == "2,000.00"
    )
    screenshot(page, "spending-plan-county")
    approve(page, submit(page, county), "reviewer", demo_password)
    county.refresh_from_db()
    assert (county.status, county.total_amount) == (PlanStatus.SUBMITTED, D("7800.00"))

    # 2. the city consolidates its counties' plans and submits to the province
    sign_in(page, "city_accountant", demo_password)
    city = prepare_or_consolidate(page, "consolidate", TOTAL)
    approve(page, submit(page, city), "city_reviewer", demo_password)
    county.refresh_from_db()
    assert county.status == PlanStatus.CONSOLIDATED and county.parent_id == city.pk

    # 3. the province consolidates and applies to the finance department
    sign_in(page, "province_accountant", demo_password)
    province = prepare_or_consolidate(page, "consolidate", TOTAL)
    assert page.locator("#submit-plan").inner_text() == "向财政部门申报"
    approve(page, submit(page, province), "province_reviewer", demo_password)
    province.refresh_from_db()
    city.refresh_from_db()
    assert (province.status, city.status) == (PlanStatus.SUBMITTED, PlanStatus.CONSOLIDATED)
    sign_in(page, "province_accountant", demo_password)
    page.goto(f"/funds/plans/{province.pk}/")
    assert page.locator("#plan-status").inner_text() == "已上报"
    assert city.region.name in page.locator("#children").inner_text()
    screenshot(page, "spending-plan-province-applied")
    sign_out(page)

    # 4. finance approves and allocates over the API, then confirms its transfer
    _client, key = keys.api_client_create(
        actor=staff["admin"], name="省财政厅预算执行系统", kind="finance",
        region=province.region, scopes=["finance.plans.read", "finance.plans.write"],
    )  # fmt: skip
    api_context = browser.new_context(base_url=live_server.url)  # no staff session
    api = api_context.request

    def call(method: str, url: str, idempotency_key: str = "", **body):
        headers = {"Authorization": f"Api-Key {key}"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if method == "GET":
            return api.get(url, headers=headers)
        return api.post(url, headers=headers, data=body)

    listed = call("GET", "/api/v1/funds/spending-plans/?period=2027-01&status=submitted")
    assert listed.status == 200
    [applied] = listed.json()["results"]
    assert (applied["id"], applied["total_amount"], applied["cities"][0]["total_amount"]) == (
        province.pk, "7800.00", "7800.00",
    )  # fmt: skip
    decided = call(
        "POST", f"/api/v1/funds/spending-plans/{province.pk}/decision/", "JCS-2026-120",
        decision="approve", reference="晋财社〔2026〕120号", allocated_amount="7800.00",
    )  # fmt: skip
    assert decided.status == 201, decided.text()
    assert (decided.json()["status"], decided.json()["allocated_amount"]) == (
        "approved", "7800.00",
    )  # fmt: skip
    transferred = call(
        "POST", f"/api/v1/funds/spending-plans/{province.pk}/transfers/", "JCB-2026-121",
        reference="晋财拨〔2026〕121号", amount="7800.00",
        transferred_on=timezone.localdate().isoformat(),
    )  # fmt: skip
    assert transferred.status == 201, transferred.text()
    api_context.close()
    assert FinanceTransfer.objects.get().amount == D("7800.00")
    county.refresh_from_db()
    assert county.status == PlanStatus.APPROVED

    # 5. the province disburses to the city, the city to the county; a checker each
    sign_in(page, "province_accountant", demo_password)
    page.goto(f"/funds/plans/{province.pk}/")
    assert page.locator("#plan-allocated").inner_text() == TOTAL
    to_city = disburse(page, province, city.region.name)
    approve(page, to_city.approval, "province_reviewer", demo_password)
    sign_in(page, "city_accountant", demo_password)
    to_county = disburse(page, city, county.region.name)
    approve(page, to_county.approval, "city_reviewer", demo_password)
    to_city.refresh_from_db()
    to_county.refresh_from_db()
    assert (to_city.status, to_county.status) == (DisbursementStatus.PAID,) * 2

    # 6. the county sees the money on its plan's page, with the chart
    sign_in(page, "county_accountant", demo_password)
    page.goto("/funds/plans/")
    with page.expect_navigation():
        page.click(f"#plans tr[data-plan='{county.pk}'] a")
    assert page.locator("#plan-status").inner_text() == "已拨付"
    assert page.locator("#disbursement-amount").inner_text() == TOTAL
    assert page.locator("#disbursement-status").inner_text() == "已拨付"
    facts = page.locator("#disbursement").inner_text()
    assert city.region.name in facts and "拨付日期" in facts  # not the contributions' 缴款日期
    page.wait_for_function(
        "document.querySelectorAll('[data-chart=\"plan-vs-actual\"] svg').length === 1"
    )
    figures = json.loads(page.locator("script#plan-vs-actual").text_content())
    assert figures["categories"][-1] == "2027-01"
    series = {s["name"]: s["values"][-1] for s in figures["series"]}
    assert series == {"计划": "7800.00", "已拨付": "7800.00", "实际发放": "0.00"}
    last = page.locator("#plan-vs-actual-table tbody tr").last.inner_text().split()
    assert last == ["2027-01", TOTAL, TOTAL, "0.00"]
    chinese(page)
    screenshot(page, "spending-plan-county-disbursed")
