"""Browser test (Playwright, Debian's chromium): the province's budget officer computes
a draft, edits a line and submits it; the agency head (HR/SS), the finance officer and
the government approve it in turn, each seeing only their own step's button; then the
execution against the approved budget and the scorecard chart (screenshot)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from budget.choices import BudgetStatus, SnapshotStatus
from budget.models import BudgetVersion, SnapshotCollection, SnapshotLine, SnapshotRun
from budget.tests.test_pages import _post
from funds.choices import FundItem
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHAIN = [
    ("province_budget", "submit"),
    ("province_head", "review_hrss"),
    ("province_finance", "review_finance"),
    ("province_government", "approve"),
]


def _as(browser, live_server, username, password):
    context = browser.new_context(locale="en-US", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, username, password)
    return context, page


def test_draft_review_approve_then_execution_and_the_scorecard_chart(
    browser, live_server, page, staff, demo_password
):
    sign_in(page, "province_budget", demo_password)
    page.goto("/budget/")
    page.click("#tile-versions")
    page.fill("#id_year", "2026")
    with page.expect_navigation():
        page.click("#draft")
    draft = BudgetVersion.objects.get(budget__year=2026, number=1)
    assert page.url.endswith(f"/budget/versions/{draft.pk}/")
    page.fill('input[name="140100-contribution_income"]', "1200.00")
    page.fill('input[name="140100-pension_expenditure"]', "2400.00")
    with page.expect_navigation():
        page.click("#save-lines")
    version = BudgetVersion.objects.get(budget__year=2026, number=2)
    assert "1,200.00" in page.inner_text("#lines")
    for username, step in CHAIN:
        context, other = _as(browser, live_server, username, demo_password)
        other.goto(f"/budget/versions/{version.pk}/")
        assert other.get_attribute("#step-form", "action").endswith(f"/step/{step}")
        with other.expect_navigation():
            other.click("#step")
        context.close()
    version.refresh_from_db()
    assert version.status == BudgetStatus.APPROVED
    assert (version.hrss_by, version.finance_by, version.approved_by) == (
        staff["province_head"], staff["province_finance"], staff["province_government"],
    )  # fmt: skip
    page.goto(f"/budget/versions/{version.pk}/")
    assert page.inner_text("#version-status") == "已由政府批准"
    assert page.locator("#step").count() == 0

    # execution: 500.00 collected in 小店区 by February against 1 200.00: an alert
    xiaodian = staff["county_accountant"].region
    _post(staff, xiaodian, FundItem.CONTRIBUTION_EMPLOYER, "500.00", 202602, "b1")
    page.goto("/budget/execution/?year=2026&month=2")
    row = page.locator('tr[data-region="140100"][data-item="contribution_income"]')
    assert "41.67%" in row.inner_text() and row.get_attribute("class") == "alert"
    page.wait_for_selector('[data-chart="execution"] svg')

    # the scorecard of June 2026
    run = SnapshotRun.objects.create(period=202606, region_id="140000",
                                     status=SnapshotStatus.CALCULATED)  # fmt: skip
    SnapshotLine.objects.create(run=run, period=202606, region=xiaodian, age_band=40, sex="M",
                                insured=10, contributors=8)  # fmt: skip
    SnapshotCollection.objects.create(run=run, period=202606, region=xiaodian,
                                      assessed=D("1000.00"), collected=D("900.00"))  # fmt: skip
    page.goto("/budget/scorecards/?year=2026&month=6&level=city")
    page.wait_for_selector('[data-chart="scorecard"] svg')
    assert page.locator('tr[data-region="140100"] [data-score]').inner_text() != "—"
    assert screenshot(page, "budget-scorecard").stat().st_size > 10_000
