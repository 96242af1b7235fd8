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


def test_the_employer_page_pages_its_roster(client, staff):
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
        services.employment_add(
            actor=actor, employer=employer, person=person, start=Period(2024, 1)
        )
    client.force_login(actor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = f"/enrollment/employers/{employer.pk}/"
    first = client.get(url).content.decode()
    # 53 on the roster, 50 a page, in name order: 名册000 … 名册049, then 名册050 … 052
    assert "53 rows" in first and "Page 1 of 2" in first
    assert "名册049" in first and "名册050" not in first
    second = client.get(url, {"page": "2"}).content.decode()
    assert "名册050" in second and "名册052" in second and "名册049" not in second
