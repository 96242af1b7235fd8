"""Issue 4's flow in a real browser: register, request a key-data change with an
attachment, approve it as a second person, and see it on the person page."""

import pytest

from enrollment.models import InsuredPerson
from enrollment.tests.helpers import citizen_id, credit_code
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NUMBER = citizen_id("140105", "19800115", 31)
CODE = credit_code("9114010500000777" + "1")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_register_change_key_data_and_approve(page, staff, demo_password, tmp_path):
    sign_in(page, "caseworker", demo_password)

    page.goto("/enrollment/employers/new/")
    page.fill("#id_credit_code", CODE)
    page.fill("#id_name", "太原示范机械有限公司")
    page.select_option("#id_kind", "enterprise")
    page.select_option("#id_region", "140105")
    page.click("main button[type=submit]")
    assert page.locator("h1").inner_text().startswith("太原示范机械有限公司")
    employer_url = page.url

    page.goto("/enrollment/people/new/")
    page.fill("#id_id_number", NUMBER)
    page.fill("#id_name", "刘建国")
    page.select_option("#id_category", "employee")
    page.select_option("#id_region", "140105")
    page.click("main button[type=submit]")
    assert page.locator("#person-name").inner_text() == "刘建国"
    person = InsuredPerson.objects.get(id_number=NUMBER)

    page.goto(employer_url)
    page.fill("#add-employee input[name=id_number]", NUMBER)
    page.fill("#add-employee input[name=start]", "2025-01")
    page.click("#add-employee button[type=submit]")
    assert "刘建国" in page.locator("#roster").inner_text()

    page.goto(f"/enrollment/people/{person.pk}/")
    page.click("#key-data-link")
    page.fill("#id_name", "刘建华")
    # deemed months need a first work date (at 16 at the earliest: born 1980-01) and are
    # at most the months from it to 1997-07 (Shanxi): 1996-03 → 1997-07 is 16 months
    page.fill("#id_first_work_date", "1996-03-01")
    page.fill("#id_deemed_months", "12")
    page.fill("#id_reason", "户籍姓名变更")
    scan = tmp_path / "户口本.pdf"
    scan.write_bytes(PDF)
    page.set_input_files("#id_attachment", str(scan))
    page.click("main button[type=submit]")
    assert page.locator("#person-name").inner_text() == "刘建国"  # not until approved
    assert page.locator("#cases .status-pending").count() == 1

    page.click("button.link")  # sign out
    sign_in(page, "reviewer", demo_password)
    page.click("nav.sidebar a[data-domain=approvals]")
    page.click("table.list tbody tr >> nth=0 >> a >> nth=0")
    assert "户口本.pdf" in page.locator("main").inner_text()
    page.click("button[name=approve]")
    assert page.locator("dd.status-approved").count() == 1

    page.goto(f"/enrollment/people/{person.pk}/")
    assert page.locator("#person-name").inner_text() == "刘建华"
    assert page.locator("#person-deemed").inner_text() == "12"
    history = page.locator("#history").inner_text()
    assert "刘建国" in history and "刘建华" in history and "户籍姓名变更" in history
    assert "户口本.pdf" in page.locator("#attachments").inner_text()
    page.locator("#history").screenshot(path="var/person_history.png")
