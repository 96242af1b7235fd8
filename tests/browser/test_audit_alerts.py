"""Browser test (Playwright, Debian's chromium): an auditor opens the alert queue,
assigns an alert, opens an inspection from it, then opens the acceptance checklist and
prints it (the print view, laid out on A4 by headless chromium's PDF)."""

from __future__ import annotations

import io

import pytest

from audit.models import Alert, Inspection
from enrollment.models import Employer
from tests.browser.conftest import SCREENSHOTS, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_auditor_assigns_an_alert_and_opens_an_inspection(page, staff, demo_password):
    employer = Employer.objects.order_by("id").first()
    alert = Alert.objects.create(
        rule="employer_without_employees", subject_key=f"employer:{employer.pk}:202610",
        subject_label=employer.name, employer=employer, region_id=employer.region_id,
    )  # fmt: skip
    sign_in(page, "auditor", demo_password)
    page.goto("/audit/")
    page.click("#tile-alerts")
    page.click(f'tr[data-alert="{alert.pk}"] a')
    page.select_option("#assign-form select", value=str(staff["auditor"].pk))
    page.click("#assign-form button")
    page.wait_for_selector("#alert-status")
    assert page.inner_text("#alert-status") == "已分派"
    assert page.inner_text("#alert-owner") == "卫稽核"
    page.click("#inspect-form button")
    page.wait_for_selector("#inspection-subject")
    inspection = Inspection.objects.get(alert=alert)
    assert page.url.endswith(f"/audit/inspections/{inspection.pk}/")
    assert employer.name in page.inner_text("#inspection-subject")
    # the acceptance checklist, from the section's tiles, and its print view
    page.goto("/audit/")
    page.click("#tile-checklist")
    page.wait_for_selector("#checklist")
    assert page.locator("#checklist tr[data-item]").count() == 29
    page.select_option("#status-20", value="partly")
    page.fill("#note-20", "新增退休人员用卡支付未达95%")
    page.click("#item-20 .assess-form button")
    page.wait_for_selector('#item-20 .item-status[data-status="partly"]')
    assert page.inner_text("#item-20 .item-status") == "部分达标"
    screenshot(page, "audit-checklist")
    page.click("#checklist-print")
    page.wait_for_selector("#checklist-printed")
    assert page.url.split("?")[0].endswith("/audit/checklist/print")
    assert page.locator("#checklist-printed tr[data-item]").count() == 29
    assert "规范省级统筹制度考核验收表" in page.inner_text("h1")
    coverage = page.inner_text('#checklist-printed [data-figure="card_coverage"] .figure-value')
    assert coverage.endswith("%") and 0 <= float(coverage[:-1]) <= 100
    assert page.inner_text('#checklist-printed tr[data-item="20"] .item-status').startswith(
        "部分达标"
    )
    assert "单位负责人（盖章）" in page.inner_text("#checklist-signatures")
    screenshot(page, "audit-checklist-print")
    page.emulate_media(media="print")
    assert not page.is_visible("#print-button")  # the toolbar is not printed
    from pypdf import PdfReader

    pdf_bytes = page.pdf(prefer_css_page_size=True, print_background=True)
    pdf = PdfReader(io.BytesIO(pdf_bytes))
    width, height = float(pdf.pages[0].mediabox.width), float(pdf.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 portrait, in points
    assert 1 <= len(pdf.pages) <= 6
    (SCREENSHOTS / "audit-checklist-print.pdf").write_bytes(pdf_bytes)
