"""Issue 6's batch in a real browser, on a real Celery worker: the province's fund
accountant creates and starts the 2024 interest run (the progress bar polls until the
worker has calculated it), the province reviewer approves it (the worker posts it),
and a holder's printable statement shows the interest; its PDF, fetched in the
browser's session, is a PDF with the holder's name and the figures (issue 15).

By hand: 1 000.00 carried from 2023 earns 2024's 2.62 % for the whole year:
1 000 × 0.0262 = 26.20; 1 500.00 earns 39.30.
"""

from __future__ import annotations

import pytest

from accounts.models import AccountRun
from accounts.tests.factories import account_with, make_person
from pension.tests.pdfs import pdf_text
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def holders(staff):
    agency = staff["caseworker"].agency
    return [
        account_with(make_person(agency, name=name), [("migrated_balance", "2023-12", amount)])
        for name, amount in (("周一千", "1000.00"), ("吴一千五", "1500.00"))
    ]


def test_an_interest_run_calculated_approved_posted_and_the_statement(
    page, holders, celery_worker, demo_password
):
    sign_in(page, "province_accountant", demo_password)
    page.goto("/pension-accounts/runs/")
    page.click("#new-interest")
    page.fill("#id_year", "2024")
    page.uncheck("#id_dry_run")
    page.click("main button[type=submit]")
    assert page.locator("#run-status").inner_text() == "草稿"
    assert "0.026200" in page.locator("#run-rate").inner_text()
    run = AccountRun.objects.get()
    page.click("#start")
    page.wait_for_function(
        "() => document.querySelector('#run-status').textContent.trim() === '已计算'",
        timeout=60_000,
    )
    assert page.locator("#run-progress progress").get_attribute("value") == "100"
    assert page.locator("#run-progress").get_attribute("hx-get") is None  # polling stopped
    assert page.locator("#run-accounts").inner_text() == "2"
    assert page.locator("#run-total").inner_text() == "65.50"  # 26.20 + 39.30
    assert page.locator("#approve").count() == 0  # the starter cannot approve

    page.click("button.link")  # sign out
    sign_in(page, "province_reviewer", demo_password)
    page.goto(f"/pension-accounts/runs/{run.pk}/")
    page.click("#approve")
    page.wait_for_function(
        "() => document.querySelector('#run-status').textContent.trim() === '已入账'",
        timeout=60_000,
    )

    page.goto(f"/pension-accounts/{holders[0].pk}/statement/2024/")
    assert page.locator("h1").inner_text() == "2024 年度个人账户对账单"
    assert page.locator("#statement-opening").inner_text() == "1,000.00"
    assert page.locator("#statement-interest").inner_text() == "26.20"
    assert page.locator("#statement-closing").inner_text() == "1,026.20"
    # printed, the navigation and the buttons are left out
    page.emulate_media(media="print")
    assert not page.locator("nav.sidebar").is_visible()
    assert not page.locator("p.noprint").is_visible()

    # the statement as a PDF, fetched in the browser's session from the page's link
    page.emulate_media(media="screen")
    link = page.locator("#statement-pdf")
    assert link.inner_text() == "打印 PDF"
    screenshot(page, "accounts-statement")
    response = page.context.request.get(link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF-")
    text = pdf_text(body)
    assert "周一千" in text and holders[0].person.id_number in text
    assert "2024 年度个人账户对账单" in text
    assert "利息 26.20" in text and "本年末累计储存额 1,026.20" in text
