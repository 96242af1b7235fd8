"""A caseworker's day in a real browser (issue 15): sign in, find a person by the
citizen ID number, open the person page, start a key-data change with its proof, and
a second person (the reviewer) approves it on the approval page, which shows the
changed field before → after by its Chinese label. Screenshots of each step are kept
under test-results/screenshots/."""

import pytest

from enrollment.models import InsuredPerson
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_caseworkers_day(page, staff, demo_password, tmp_path):
    person = (
        InsuredPerson.objects.filter(region_id=staff["caseworker"].agency.region_id)
        .order_by("pk")
        .first()
    )
    old_name = person.name
    new_name = old_name + "华"

    # 1. sign in and find the person by the citizen ID number
    sign_in(page, "caseworker", demo_password)
    page.goto("/enrollment/people/")
    page.fill("#person-q", person.id_number)
    with page.expect_navigation():
        page.press("#person-q", "Enter")
    rows = page.locator("main table.list tbody tr")
    assert rows.count() == 1 and old_name in rows.inner_text()
    screenshot(page, "day-1-search")

    # 2. the person page
    rows.locator("a >> nth=1").click()
    assert page.url.endswith(f"/enrollment/people/{person.pk}/")
    assert page.locator("#person-name").inner_text() == old_name
    screenshot(page, "day-2-person")

    # 3. a key-data change with its proof: nothing changes until a reviewer approves
    page.click("#key-data-link")
    page.fill("#id_name", new_name)
    page.fill("#id_reason", "户籍姓名变更")
    scan = tmp_path / "户口本.pdf"
    scan.write_bytes(PDF)
    page.set_input_files("#id_attachment", str(scan))
    page.click("main button[type=submit]")
    assert page.locator("#person-name").inner_text() == old_name
    assert page.locator("#cases .status-pending").count() == 1
    screenshot(page, "day-3-case-pending")

    # 4. the reviewer approves on the approval page: the field by its label, before → after
    page.click("button.link")  # sign out
    sign_in(page, "reviewer", demo_password)
    page.click("nav.sidebar a[data-domain=approvals]")
    page.click("table.list tbody tr >> nth=0 >> a >> nth=0")
    changes = page.locator("#changes tr.changed").all_inner_texts()
    assert any("姓名" in row and old_name in row and new_name in row for row in changes), changes
    assert "户口本.pdf" in page.locator("#attachments").inner_text()
    screenshot(page, "day-4-approval")
    page.fill("#approve-reason", "材料齐全")
    page.click("button[name=approve]")
    assert page.locator("dd.status-approved").count() == 1

    # 5. the person page shows the new name and the change in its history
    page.goto(f"/enrollment/people/{person.pk}/")
    assert page.locator("#person-name").inner_text() == new_name
    assert "户籍姓名变更" in page.locator("#history").inner_text()
    screenshot(page, "day-5-person-after")
