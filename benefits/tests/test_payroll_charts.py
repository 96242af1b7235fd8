"""The payroll run page's charts: the run by city, and the pay months up to the run,
with the exact figures of the runs (hand-computed) in the page's chart data."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from benefits.payroll import runs as payroll
from benefits.tests.factories import retiree
from pension.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def chart_data(page: str, element_id: str) -> dict:
    match = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>', page, re.S
    )
    assert match, f"no chart data {element_id}"
    return json.loads(match.group(1))


def test_the_run_page_charts_its_cities_and_its_months(client, staff):
    agency = staff["caseworker"].agency
    county = agency.region_id
    city = Region.objects.get(code=agency.region.parent_id)
    # 甲 3200.00 a month paid through 2026-10; 乙 1200.40 + 775.00 + 900.00 (the factory's
    # transitional default) = 2875.40, retired 2026-10, never paid.
    retiree(agency, paid_through="2026-10", name="甲")
    retiree(agency, basic="1200.40", account="775.00", retired="2026-10", name="乙")

    october = payroll.payroll_run_create(
        actor=staff["caseworker"], period="2026-10", region=county, dry_run=True
    )
    payroll.payroll_run_execute(october.pk)
    november = payroll.payroll_run_create(
        actor=staff["caseworker"], period="2026-11", region=county
    )
    payroll.payroll_run_execute(november.pk)
    payroll.payroll_run_approve(actor=staff["reviewer"], run=november)
    december = payroll.payroll_run_create(
        actor=staff["caseworker"], period="2026-12", region=county
    )
    payroll.payroll_run_execute(december.pk)

    client.force_login(staff["caseworker"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("benefits:payroll_run_detail", args=[december.pk])).content.decode()

    # December: 3200.00 + 2875.40 = 6075.40, all in the one city of the county
    by_city = chart_data(page, "payroll-by-city")
    assert by_city["categories"] == [city.name]
    assert by_city["series"] == [{"name": "Amount", "values": ["6075.40"]}]
    # November (approved): 甲 3200.00 + 乙's first month (paid from the month after
    # retiring in October) 2875.40 = 6075.40; December (this run, calculated) the same.
    # A dry run of October (not approved) is not a pay month.
    by_month = chart_data(page, "payroll-by-month")
    assert by_month["kind"] == "line"
    assert by_month["categories"] == ["2026-11", "2026-12"]
    assert by_month["series"][0]["values"] == ["6075.40", "6075.40"]
    assert 'data-chart="payroll-by-month"' in page
