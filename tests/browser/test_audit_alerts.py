"""Browser test (Playwright, Debian's chromium): an auditor opens the alert queue,
assigns an alert, and opens an inspection from it."""

from __future__ import annotations

import pytest

from audit.models import Alert, Inspection
from enrollment.models import Employer
from tests.browser.conftest import sign_in

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
