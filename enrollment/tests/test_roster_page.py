"""The employer page shows its roster a page at a time (issue 14: a 5 000-row roster
was one page)."""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings

from enrollment import services
from enrollment.tests.helpers import citizen_id, credit_code
from pension.models import Region
from pension.periods import Period

pytestmark = pytest.mark.django_db


@pytest.fixture
def roster(staff):
    """分页测试公司 with 53 employees 名册000 … 名册052: 000–039 added 2024-01, 040–052
    added 2025-03."""
    actor = staff["caseworker"]
    county = Region.objects.get(code="140105")
    employer = services.employer_register(
        actor=actor, credit_code=credit_code("91140105MA0KP0001"), name="分页测试公司",
        kind="enterprise", region=county,
    )  # fmt: skip
    for n in range(53):
        person = services.person_register(
            actor=actor, id_number=citizen_id("140105", "19900101", 101 + n),
            name=f"名册{n:03d}", category="employee", region=county,
            first_insured_date=date(2010, 1, 1),
        )  # fmt: skip
        start = Period(2024, 1) if n < 40 else Period(2025, 3)
        services.employment_add(actor=actor, employer=employer, person=person, start=start)
    return employer


def test_the_employer_page_pages_its_roster(client, staff, roster):
    employer = roster
    client.force_login(staff["caseworker"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = f"/enrollment/employers/{employer.pk}/"
    first = client.get(url).content.decode()
    # 53 on the roster, 50 a page, in name order: 名册000 … 名册049, then 名册050 … 052
    assert "53 rows" in first and "Page 1 of 2" in first
    assert "名册049" in first and "名册050" not in first
    second = client.get(url, {"page": "2"}).content.decode()
    assert "名册050" in second and "名册052" in second and "名册049" not in second
    # the heading counts the whole roster, not the page
    assert "(53)" in first


def test_the_roster_is_filtered_by_name_id_number_and_month_added(client, staff, roster):
    employer = roster
    client.force_login(staff["caseworker"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = f"/enrollment/employers/{employer.pk}/"
    # 名册04x: 名册040 … 名册049, ten
    html = client.get(url, {"name": "名册04"}).content.decode()
    assert (
        '<span class="count">10 rows</span>' in html and "名册040" in html and "名册039" not in html
    )
    # added from 2025-03 on: 040 … 052, thirteen
    html = client.get(url, {"added_since": "2025-03"}).content.decode()
    assert (
        '<span class="count">13 rows</span>' in html and "名册052" in html and "名册000" not in html
    )
    # one ID number
    number = citizen_id("140105", "19900101", 101 + 7)
    html = client.get(url, {"id_number": number}).content.decode()
    assert '<span class="count">1 row</span>' in html and "名册007" in html
    html = client.get(url, {"name": "无此人"}).content.decode()
    assert (
        '<span class="count">0 rows</span>' in html
        and "Nobody on the roster matches these filters." in html
    )
    # a month that is not one: its message, the filter unused
    html = client.get(url, {"added_since": "2025-13"}).content.decode()
    assert 'class="error"' in html and '<span class="count">53 rows</span>' in html
