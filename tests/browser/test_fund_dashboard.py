"""The funds dashboard in a real browser, in Chinese, on the small ledger worked by hand
in funds/tests/test_statements.py: the province's head sees five charts drawn (no
script error, nothing blocked by the Content-Security-Policy) with the province's March
revenue 67 100.00 in the table; then the statement of the capital city. Screenshots."""

from __future__ import annotations

import pytest

from funds.tests.test_statements import small_ledger  # noqa: F401
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dashboard_draws_its_charts(page, staff, small_ledger, demo_password):  # noqa: F811
    sign_in(page, "province_head", demo_password)
    page.goto("/funds/")
    with page.expect_navigation():
        page.click("#tile-dashboard")
    page.goto("/funds/dashboard/?period=2026-03")
    page.wait_for_function("document.querySelectorAll('[data-chart] svg').length === 5")
    assert "67,100.00" in page.locator("#by-month").inner_text()
    assert "低于规定" in page.locator("#reserve-table").inner_text()
    screenshot(page, "fund-dashboard-province")
    page.goto(f"/funds/statement/?region={small_ledger['city'].code}&period=2026-03")
    assert "143.64" in page.locator("#statement tr[data-item=total_revenue]").inner_text()
    screenshot(page, "fund-statement-city")
