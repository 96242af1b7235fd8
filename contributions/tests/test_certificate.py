"""The certificate of insurance and contributions (参保缴费证明) as a PDF (issue 15):
linked from the person page's contributions section, the months paid year by year
worked by hand, read province-wide like the person page, never by another province."""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings

from accounts.tests.factories import make_person
from contributions.tests.factories import assessed_months
from pension.models import ChangeLogEntry
from pension.tests.pdfs import foreign_caseworker, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def flexible(staff):
    """A flexible worker at 20 % of 5 000.00 (1 000.00 a month, 400.00 to the account):
    2024-01 … 2024-03 and 2025-01 … 2025-02 paid, 2025-03 assessed and not paid."""
    person = make_person(
        staff["caseworker"].agency, name="许证明", first_insured_date=date(2024, 1, 1)
    )
    assessed_months(person, "2024-01", "2024-03", "5000.00")
    assessed_months(person, "2025-01", "2025-02", "5000.00")
    assessed_months(person, "2025-03", "2025-03", "5000.00", paid=False)
    return person


def test_the_certificate_prints_the_months_paid_year_by_year(client, staff, flexible):
    client.force_login(staff["caseworker"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(f"/enrollment/people/{flexible.pk}/").content.decode()
    url = f"/contributions/people/{flexible.pk}/certificate.pdf"
    assert f'href="{url}"' in page
    before = ChangeLogEntry.objects.filter(action="export").count()
    text = pdf_text(client.get(url))
    assert "参保缴费证明" in text
    assert "许证明" in text and flexible.id_number in text
    assert "首次参保时间 2024-01-01" in text
    # 3 + 2 = 5 months paid = 0.42 years; the unpaid 2025-03 is not counted
    assert "实缴月数 5 个月（0.42 年）" in text
    assert "已核定未缴费月数（不计缴费年限） 1" in text
    # 2024: 3 × 1 000.00 and 3 × 400.00; 2025: 2 × 1 000.00 and 2 × 400.00
    assert "2024 3 灵活就业 3,000.00 1,200.00" in text
    assert "2025 2 灵活就业 2,000.00 800.00" in text
    assert "合计 5 5,000.00 2,000.00" in text
    assert ChangeLogEntry.objects.filter(action="export").count() == before + 1


def test_the_certificate_is_read_province_wide_but_not_by_another_province(client, staff, flexible):
    url = f"/contributions/people/{flexible.pk}/certificate.pdf"
    client.force_login(staff["other_caseworker"])  # a county of 大同市: 异地通办
    assert "许证明" in pdf_text(client.get(url))
    client.force_login(foreign_caseworker())  # 长春市
    assert client.get(url).status_code == 403
    client.force_login(staff["city_budget"])  # no contributions section
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302
