"""Run lists (批次): paged (50 a page, with the total) and filtered by the app's
FilterSet built on ``pension.filtersets.BatchRunFilterSet`` (issue 15)."""

from __future__ import annotations

import re

import pytest

from contributions.models import AssessmentRun
from pension.periods import Period

URL = "/contributions/assessment-runs/"


def _rows(html: str) -> int:
    return len(re.findall(r'<tr data-run="\d+">', html))


@pytest.fixture
def runs(staff):
    region = staff["caseworker"].agency.region
    AssessmentRun.objects.bulk_create(
        [AssessmentRun(period=Period(2025, 1), region=region, dry_run=True) for _ in range(51)]
    )
    AssessmentRun.objects.create(period=Period(2025, 2), region=region, status="calculated")
    return region


def test_the_run_list_is_paged_with_its_total(client, staff, runs):
    client.force_login(staff["caseworker"])
    html = client.get(URL).content.decode()
    assert _rows(html) == 50 and "共 52 条" in html
    html = client.get(URL + "?page=2").content.decode()
    assert _rows(html) == 2


def test_the_run_list_filters_by_month_status_and_dry_run(client, staff, runs):
    client.force_login(staff["caseworker"])
    assert _rows(client.get(URL + "?period=2025-02").content.decode()) == 1
    assert _rows(client.get(URL + "?status=calculated").content.decode()) == 1
    html = client.get(URL + "?dry_run=true").content.decode()
    assert _rows(html) == 50 and "共 51 条" in html
    assert _rows(client.get(URL + "?period=2025-01&dry_run=false").content.decode()) == 0
    # a month that does not exist: the message, and that filter left out
    html = client.get(URL + "?period=2025-13").content.decode()
    assert 'class="error"' in html and _rows(html) == 50
    # another county's caseworker sees none of them
    client.force_login(staff["other_caseworker"])
    assert _rows(client.get(URL).content.decode()) == 0


def test_a_name_search_says_how_many_matched(client, staff):
    from enrollment.models import InsuredPerson
    from enrollment.selectors import person_list

    region = staff["caseworker"].agency.region_id
    surname = InsuredPerson.objects.filter(region_id=region).order_by("pk").first().name[0]
    # the people the caseworker may find (registration is read province-wide)
    matched = person_list(staff["caseworker"]).filter(name__startswith=surname).count()
    client.force_login(staff["caseworker"])
    html = client.get("/enrollment/people/", {"q": surname}).content.decode()
    assert matched >= 1 and f"共 {matched} 条" in html
